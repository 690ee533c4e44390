#!/usr/bin/env python3
"""QuantKit's perplexity equals transformers' on the same weights and token ids (DESIGN.md protocol,
Data/wiki_eval.txt, seq-len 512, 64 windows), within 0.05 % relative:
1. the HF fp32 directory: QuantKit `eval` vs transformers with its own tokenizer;
2. the GGUF: QuantKit `eval` (its llama.cpp-style tokenization) vs transformers scoring those same ids
   with the directory's weights (converted from the GGUF by transformers)."""
import os, time
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from common import arguments, perplexity, quantkit, Tally, REPO


def main():
    parser = arguments(__doc__)
    parser.add_argument("--windows", type=int, default=64)
    a = parser.parse_args()
    data = os.path.join(REPO, "Data", "wiki_eval.txt")
    directory = os.path.join(a.models, "smollm2-135m-f32")
    gguf = os.path.join(a.models, "SmolLM2-135M-Instruct.Q4_1.gguf")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(directory)
    text = open(data, encoding="utf-8").read()
    tally = Tally()

    t0 = time.time()
    reference = perplexity(model, tokenizer(text, add_special_tokens=False).input_ids, 512, a.windows)
    seconds = time.time() - t0
    ours = quantkit(a.bin, "eval", "--model", directory, "--data", data, "--seq-len", "512", "--max-windows", str(a.windows))
    relative = abs(ours["perplexity"] - reference) / reference
    tally.check(relative <= 5e-4 and ours["windows"] == a.windows,
                "HF directory: QuantKit %.5f vs transformers %.5f (%.4f %% apart; %.1f s vs %.1f s)"
                % (ours["perplexity"], reference, 100 * relative, ours["seconds"], seconds))

    gguf_ids = quantkit(a.bin, "tokenize", "--model", gguf, "--file", data, "--no-special-tokens")["ids"]
    reference = perplexity(model, gguf_ids, 512, a.windows)
    ours = quantkit(a.bin, "eval", "--model", gguf, "--data", data, "--seq-len", "512", "--max-windows", str(a.windows))
    relative = abs(ours["perplexity"] - reference) / reference
    tally.check(relative <= 5e-4, "GGUF: QuantKit %.5f vs transformers on the same ids %.5f (%.4f %% apart)"
                % (ours["perplexity"], reference, 100 * relative))
    tally.finish()


if __name__ == "__main__":
    main()
