#!/usr/bin/env python3
"""`quantkit convert` writes HF directories that the real consumers load and agree with:
1. SmolLM2's GGUF → f32 and bf16 directories: transformers loads each; its logits for 4 prompts equal
   QuantKit's run of the same directory (max |Δ| ≤ 1e-4 × max |logit|);
2. the f32 directory: QuantKit's perplexity (64 windows of Data/wiki_eval.txt, seq-len 512) equals
   transformers' on that directory within 0.05 %;
3. tokenizer.json: HF tokenizers loading the converted tokenizer gives the GGUF's ids (QuantKit's
   llama.cpp-exact GGUF tokenizer) on 1.1 MB of mixed text, and for each llama.cpp vocabulary GGUF
   (`--tokenizer-only`) llama.cpp's own test-vector ids."""
import os, shutil, subprocess, sys, tempfile
import torch
from safetensors.torch import load_file
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM
from common import arguments, perplexity, quantkit, Tally, REPO

sys.path.insert(0, os.path.join(REPO, "Scripts", "fixtures"))
from mixed_text import mixed_text

PROMPTS = ["The capital of France is", "def fibonacci(n):\n    if n < 2:",
           "In 1905, Albert Einstein published", "Quantization reduces the memory of large language models by"]


def convert(binary, *args):
    subprocess.run([binary, "convert", *args], check=True, stdout=subprocess.DEVNULL)


def main():
    parser = arguments(__doc__)
    parser.add_argument("--windows", type=int, default=64)
    a = parser.parse_args()
    gguf = os.path.join(a.models, "SmolLM2-135M-Instruct.Q4_1.gguf")
    scratch = tempfile.mkdtemp(prefix="quantkit-convert-")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    tally = Tally()
    try:
        for dtype in ["f32", "bf16"]:
            directory = os.path.join(scratch, dtype)
            convert(a.bin, "--model", gguf, "--output", directory, "--dtype", dtype)
            model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32).eval()
            worst = 0.0
            for i, prompt in enumerate(PROMPTS):
                out = os.path.join(scratch, "logits-%s-%d.safetensors" % (dtype, i))
                subprocess.run([a.bin, "logits", "--model", directory, "--text", prompt, "--output", out], check=True)
                ours = load_file(out)
                with torch.no_grad():
                    theirs = model(input_ids=ours["input_ids"].unsqueeze(0)).logits[0].float()
                worst = max(worst, ((ours["logits"] - theirs).abs().max() / theirs.abs().max()).item())
            tally.check(worst <= 1e-4, "%s directory loads in transformers; logits for %d prompts agree (max |Δ| = %.2e × max |logit|)"
                        % (dtype, len(PROMPTS), worst))
            if dtype == "f32":
                hf_tokenizer = Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
                text = mixed_text(1_100_000, seed=7)
                path = os.path.join(scratch, "mixed.txt")
                open(path, "w", encoding="utf-8").write(text)
                expected = quantkit(a.bin, "tokenize", "--model", gguf, "--file", path, "--no-special-tokens")["ids"]
                actual = hf_tokenizer.encode(text, add_special_tokens=False).ids
                first = next((i for i, (x, y) in enumerate(zip(actual, expected)) if x != y), None)
                tally.check(actual == expected, "converted tokenizer.json in HF tokenizers gives the GGUF's ids on %d bytes (%d ids%s)"
                            % (len(text.encode()), len(expected), "" if first is None else "; first difference at %d" % first))
                data = os.path.join(REPO, "Data", "wiki_eval.txt")
                ids = hf_tokenizer.encode(open(data, encoding="utf-8").read(), add_special_tokens=False).ids
                reference = perplexity(model, ids, 512, a.windows)
                ours = quantkit(a.bin, "eval", "--model", directory, "--data", data, "--seq-len", "512", "--max-windows", str(a.windows))
                relative = abs(ours["perplexity"] - reference) / reference
                tally.check(relative <= 5e-4, "converted f32 directory: QuantKit ppl %.5f vs transformers %.5f (%.4f %% apart)"
                            % (ours["perplexity"], reference, 100 * relative))
            del model

        vectors = os.path.join(REPO, "Tests", "TokenizersTests", "Fixtures", "llama.cpp")
        for name in ["gpt-2", "llama-bpe", "qwen2", "llama-spm", "phi-3"]:
            directory = os.path.join(scratch, "tokenizer-" + name)
            base = os.path.join(vectors, "ggml-vocab-%s.gguf" % name)
            convert(a.bin, "--model", base, "--output", directory, "--tokenizer-only")
            hf_tokenizer = Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
            inputs = open(base + ".inp", encoding="utf-8").read().split("\n__ggml_vocab_test__\n")
            outputs = open(base + ".out", encoding="utf-8").read().split("\n")
            bad = [text for text, line in zip(inputs, outputs)
                   if hf_tokenizer.encode(text, add_special_tokens=False).ids != [int(t) for t in line.split()]]
            tally.check(not bad, "%s: HF tokenizers on the converted tokenizer.json gives llama.cpp's ids for %d vectors%s"
                        % (name, len(inputs), "" if not bad else "; %d differ, e.g. %r" % (len(bad), bad[0][:40])))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    tally.finish()


if __name__ == "__main__":
    main()
