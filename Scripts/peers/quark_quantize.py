#!/usr/bin/env python3
"""Runs amd-quark 0.13 itself on CPU, the way its LLM PTQ example does (LLMTemplate config,
ModelQuantizer, freeze, export_safetensors in the quark format), so QuantKit can be compared with it
and can load what it writes. Writes OUT/ (the export + tokenizer) and OUT/quark_run.json with Quark's
own in-memory perplexity (the DESIGN.md protocol) and its wall times.

Usage: quark_quantize.py MODEL_DIR OUT SCHEME [--kv fp8] [--algo smoothquant [--alpha A]] [--calib FILE] [--n 8] [--seq-len 512] [--windows 16]

--algo takes Quark's own algorithm names with its llama defaults (smoothquant: alpha 1); --alpha overrides
SmoothQuant's alpha."""
import argparse, copy, json, os, sys, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")  # Quark's JIT needs ninja
import torch
from torch.utils.data import DataLoader
from transformers import AutoModelForCausalLM, AutoTokenizer
from quark.torch import ModelQuantizer, LLMTemplate, export_safetensors

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "Scripts", "interop"))
from common import perplexity  # noqa: E402  (the same protocol the interop checks use)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("model"); p.add_argument("out"); p.add_argument("scheme")
    p.add_argument("--kv", default=None)
    p.add_argument("--algo", action="append", default=None)
    p.add_argument("--alpha", type=float, default=None)
    p.add_argument("--calib", default=os.path.join(REPO, "Data", "wiki_calib.txt"))
    p.add_argument("--eval", default=os.path.join(REPO, "Data", "wiki_eval.txt"))
    p.add_argument("--n", type=int, default=8)
    p.add_argument("--seq-len", type=int, default=512)
    p.add_argument("--windows", type=int, default=16)
    a = p.parse_args()
    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(a.model)
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32).eval()
    algo_configs = None
    if a.alpha is not None:
        from quark.torch.quantization.config.algo_configs import SQ_MAP
        smooth = copy.deepcopy(SQ_MAP[model.config.model_type])
        smooth.alpha = a.alpha
        algo_configs = {"smoothquant": smooth}
    config = LLMTemplate.get(model.config.model_type).get_config(scheme=a.scheme, algorithm=a.algo, kv_cache_scheme=a.kv,
                                                                 algo_configs=algo_configs)
    ids = tokenizer(open(a.calib, encoding="utf-8").read(), add_special_tokens=False).input_ids
    chunks = torch.tensor([ids[i * a.seq_len:(i + 1) * a.seq_len] for i in range(a.n)])
    start = time.time()
    quantizer = ModelQuantizer(config)
    model = quantizer.quantize_model(model, DataLoader(chunks, batch_size=1, shuffle=False))
    model = quantizer.freeze(model)
    quantize_seconds = time.time() - start
    eval_ids = tokenizer(open(a.eval, encoding="utf-8").read(), add_special_tokens=False).input_ids
    start = time.time()
    ppl = perplexity(model, eval_ids, a.seq_len, a.windows) if a.windows > 0 else None
    eval_seconds = time.time() - start
    start = time.time()
    export_safetensors(model, a.out, custom_mode="quark", weight_format="real_quantized", pack_method="reorder")
    tokenizer.save_pretrained(a.out)
    result = {"scheme": a.scheme, "kv": a.kv, "algorithms": a.algo or [], "alpha": a.alpha, "calibration": [a.n, a.seq_len], "quantize_seconds": quantize_seconds,
              "export_seconds": time.time() - start, "perplexity": ppl, "windows": a.windows, "eval_seconds": eval_seconds}
    json.dump(result, open(os.path.join(a.out, "quark_run.json"), "w"), indent=1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
