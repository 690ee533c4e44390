#!/usr/bin/env python3
"""QuantKit's Quark-format exports load in the real consumer (transformers with amd-quark installed)
and compute what QuantKit computes. SmolLM2 fp32, five schemes: uint4 per-group 64 asymmetric,
int8 W + A per-tensor static, fp8 W + A per-tensor static with fp8 KV cache, MXFP4 W + A, and fp8 W +
dynamic per-tensor fp8 A with no calibration (seed 003); and two algorithms: int8 after SmoothQuant
(smoothed norms and weights) and int4 g64 weights from GPTQ. For each:
logits for 4 prompts within 1e-3 × max |logit| of QuantKit's run of the same export, and perplexity
(Data/wiki_eval.txt, seq-len 512) within 0.2 %.

Quantized activations make the network numerically chaotic: a float32 difference of one ulp (OpenBLAS
vs torch summation order) moves an activation across a rounding boundary, and the changed code
propagates. Traced on the fp8 + fp8 KV export and "The capital of France is": QuantKit's logits equal
transformers' to 5e-7 through 8 decoder layers; in layer 8 (0-based) one input to down_proj at token 4
lies 2.5e-6 (relative) from an fp8 rounding boundary, and from there token 4 differs, 1e-2 by layer 12.
transformers disagrees with itself the same way: with one ulp of noise on the output of every linear
layer (`common.perturbed`; on the float model this noise moves logits by a median 1.0e-6, QuantKit's
own distance is 1.2e-6), its int8, fp8 and fp8_dynamic logits on these prompts move by medians of
4e-2 to 8e-2, as far as QuantKit's. So where a strict tolerance fails, the check measures that spread
in the same run (three seeds) and requires QuantKit within 3× of it (weaker than the issue's 1e-3 and
0.2 %; the issue note says so): the median logit difference against the largest seed's median, the
perplexity against the largest perturbed deviation. The weight-only schemes (uint4, and MXFP4 with
its block-wise activations here) pass the strict tolerances. int8, MXFP4, fp8_dynamic, SmoothQuant and
GPTQ perplexities use 16 windows. `--schemes int8+rotation,int4_wo_64+awq` (not run by default)
checks a rotated and an AWQ export the same way.
"""
import json, os, shutil, subprocess, tempfile, time
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer
from common import arguments, perplexity, perturbed, quantkit, Tally, REPO

# (label, scheme, extra quantize flags)
SCHEMES = [("uint4_wo_64", "uint4_wo_64", []), ("int8", "int8", []), ("fp8+kv_fp8", "fp8", ["--kv-cache-dtype", "fp8"]),
           ("mxfp4", "mxfp4", []), ("fp8_dynamic", "fp8_dynamic", []),
           ("int8+smoothquant", "int8", ["--algo", "smoothquant", "--algo", "rtn"]),
           ("int4_wo_64+gptq", "int4_wo_64", ["--algo", "gptq"]),
           ("int8+rotation", "int8", ["--algo", "rotation", "--algo", "rtn"]),
           ("int4_wo_64+awq", "int4_wo_64", ["--algo", "awq", "--awq-search-windows", "2"])]
# Run only when named in --schemes (CI's time is spent): the rotated export (untied lm_head,
# weightless norms, a RotationConfig in algo_config) and AWQ's (scaled norms and weights; its search
# takes minutes).
OPT_IN = {"int8+rotation", "int4_wo_64+awq"}
CHAOTIC = {"int8", "mxfp4", "int8+smoothquant", "int8+rotation"}
# Perplexity over 16 windows: the chaotic schemes (whose spread is measured three more times), GPTQ
# (whose quantization is the slow part) and fp8_dynamic (QuantKit's own scheme beyond the issue's
# four), to keep CI within its time.
SHORT = CHAOTIC | {"int4_wo_64+gptq", "int4_wo_64+awq", "fp8_dynamic"}
PROMPTS = ["The capital of France is", "def fibonacci(n):\n    if n < 2:",
           "In 1905, Albert Einstein published", "Quantization reduces the memory of large language models by"]


def median(values):
    return sorted(values)[len(values) // 2]


def logits_of(model, ids, attention):
    model.config._attn_implementation = attention
    with torch.no_grad():
        return model(input_ids=ids.unsqueeze(0)).logits[0].float()


def main():
    parser = arguments(__doc__)
    parser.add_argument("--windows", type=int, default=64)
    parser.add_argument("--calib", type=int, default=8)
    parser.add_argument("--schemes", default=",".join(label for label, _, _ in SCHEMES if label not in OPT_IN),
                        help="labels, comma-separated (opt-in: %s)" % ", ".join(sorted(OPT_IN)))
    a = parser.parse_args()
    source = os.path.join(a.models, "smollm2-135m-f32")
    data = os.path.join(REPO, "Data", "wiki_eval.txt")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    tokenizer = AutoTokenizer.from_pretrained(source)
    eval_ids = tokenizer(open(data, encoding="utf-8").read(), add_special_tokens=False).input_ids
    scratch = tempfile.mkdtemp(prefix="quantkit-quark-")
    tally = Tally()
    try:
        for label, scheme, extra in SCHEMES:
            if label not in a.schemes.split(","):
                continue
            out = os.path.join(scratch, label.replace("+", "_"))
            t0 = time.time()
            summary = quantkit(a.bin, "quantize", "--model", source, "--output", out, "--scheme", scheme,
                               "--num-calib-data", str(a.calib), *extra)
            seconds = time.time() - t0
            model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
            ours_diff, prompt_ids = [], []
            for i, prompt in enumerate(PROMPTS):
                path = out + "-%d.safetensors" % i
                subprocess.run([a.bin, "logits", "--model", out, "--text", prompt, "--output", path], check=True)
                ours = load_file(path)
                sdpa = logits_of(model, ours["input_ids"], "sdpa")
                prompt_ids.append((ours["input_ids"], sdpa))
                ours_diff += ((ours["logits"] - sdpa).abs().amax(dim=1) / sdpa.abs().max()).tolist()
            windows = min(a.windows, 16) if label in SHORT else a.windows
            reference = perplexity(model, eval_ids, 512, windows, "sdpa", torch.float32)
            ours_ppl = quantkit(a.bin, "eval", "--model", out, "--data", data, "--seq-len", "512", "--max-windows", str(windows))["perplexity"]
            relative = abs(ours_ppl - reference) / reference
            strict_logits, strict_ppl = max(ours_diff) <= 1e-3, relative <= 2e-3
            # The consumer's own spread under one-ulp noise on every linear output, measured only
            # when a strict tolerance fails.
            spread_ppls, self_medians, self_max = [], [], 0.0
            if not (strict_logits and strict_ppl):
                with perturbed(model) as reseed:
                    for seed in range(3):
                        reseed(seed)
                        if not strict_logits:
                            differences = []
                            for ids, sdpa in prompt_ids:
                                differences += ((logits_of(model, ids, "sdpa") - sdpa).abs().amax(dim=1) / sdpa.abs().max()).tolist()
                            self_medians.append(median(differences))
                            self_max = max([self_max] + differences)
                        if not strict_ppl:
                            spread_ppls.append(perplexity(model, eval_ids, 512, windows, "sdpa"))
            ppl_spread = max((abs(p - reference) / reference for p in spread_ppls), default=0.0)
            logits_ok = strict_logits or median(ours_diff) <= 3 * max(self_medians + [1e-4])
            tally.check(logits_ok, "%s: transformers + amd-quark loads the export (quantized in %.0f s); logits |Δ| max %.2e, median %.1e × max |logit|%s"
                        % (label, seconds, max(ours_diff), median(ours_diff), "" if strict_logits else
                           " (transformers with one-ulp noise, 3 seeds: max %.2e, medians %s)" % (self_max, ", ".join("%.1e" % m for m in self_medians))))
            tally.check(strict_ppl or relative <= 3 * ppl_spread,
                        "%s: perplexity QuantKit %.4f vs transformers + amd-quark %.4f (%.3f %% apart, %d windows%s)"
                        % (label, ours_ppl, reference, 100 * relative, windows, "" if strict_ppl else
                           "; transformers with one-ulp noise: %s, spread %.3f %%" % (", ".join("%.4f" % p for p in spread_ppls), 100 * ppl_spread)))
            del model
            shutil.rmtree(out, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    tally.finish()


if __name__ == "__main__":
    main()
