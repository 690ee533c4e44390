#!/usr/bin/env python3
"""amd-quark's own exports load in QuantKit: SmolLM2 quantized by amd-quark 0.13 on CPU
(Scripts/peers/quark_quantize.py: uint4 per-group 64 asymmetric, int8 W + A per-tensor static, fp8
W + A with fp8 KV cache, MXFP4 W + A; 8 × 512 calibration tokens) and exported in the quark format;
`quantkit eval` of each export must equal Quark's own in-memory perplexity (16 windows of
Data/wiki_eval.txt) within 0.2 %.

Where coarse activations make the network chaotic (int8 and MXFP4 activations; see
check_quark_export.py), one-ulp differences in float arithmetic move the perplexity by more than
that. There the check measures the spread in the same run, transformers + amd-quark on the same export
with one ulp of noise on the output of the embedding and of every linear layer (three seeds;
`common.perturbed`), and requires QuantKit within 3× of it.
Quark's runs are cached in ~/.cache/quantkit/peers (about a minute and a half each)."""
import json, os, subprocess, sys
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from common import arguments, perplexity, perturbed, quantkit, Tally, REPO

RUNS = [("uint4_wo_64", None), ("int8", None), ("fp8", "fp8"), ("mxfp4", None)]
CACHE = os.path.expanduser("~/.cache/quantkit/peers")


def main():
    parser = arguments(__doc__)
    parser.add_argument("--schemes", default=",".join(s for s, _ in RUNS))
    a = parser.parse_args()
    source = os.path.join(a.models, "smollm2-135m-f32")
    data = os.path.join(REPO, "Data", "wiki_eval.txt")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    tally = Tally()
    eval_ids = None
    for scheme, kv in RUNS:
        if scheme not in a.schemes.split(","):
            continue
        peer = os.path.join(CACHE, "quark-%s%s-n8" % (scheme, "-kvfp8" if kv else ""))
        run_file = os.path.join(peer, "quark_run.json")
        if not os.path.exists(run_file):
            subprocess.run([sys.executable, os.path.join(REPO, "Scripts", "peers", "quark_quantize.py"), source, peer, scheme,
                            "--n", "8", "--windows", "16"] + (["--kv", kv] if kv else []), check=True, stdout=subprocess.DEVNULL)
        run = json.load(open(run_file))
        quark_ppl, windows = run["perplexity"], run["windows"]
        ours = quantkit(a.bin, "eval", "--model", peer, "--data", data, "--seq-len", "512", "--max-windows", str(windows))["perplexity"]
        relative = abs(ours - quark_ppl) / quark_ppl
        detail, ok = "", relative <= 2e-3
        if not ok:
            model = AutoModelForCausalLM.from_pretrained(peer, dtype=torch.float32).eval()
            if eval_ids is None:
                tokenizer = AutoTokenizer.from_pretrained(peer)
                eval_ids = tokenizer(open(data, encoding="utf-8").read(), add_special_tokens=False).input_ids
            spread = []
            with perturbed(model) as reseed:
                for seed in range(3):
                    reseed(seed)
                    spread.append(perplexity(model, eval_ids, 512, windows, "sdpa"))
            widest = max(abs(p - quark_ppl) / quark_ppl for p in spread)
            ok = relative <= 3 * widest
            detail = "; transformers on the export with one-ulp noise: %s, spread %.3f %%" % (
                ", ".join("%.4f" % p for p in spread), 100 * widest)
            del model
        tally.check(ok, "%s%s: amd-quark's export in QuantKit, perplexity %.4f vs Quark's own %.4f (%.3f %% apart, %d windows%s)"
                    % (scheme, " + fp8 KV" if kv else "", ours, quark_ppl, 100 * relative, windows, detail))
    tally.finish()


if __name__ == "__main__":
    main()
