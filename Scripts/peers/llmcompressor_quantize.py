#!/usr/bin/env python3
"""Runs llm-compressor (0.14) itself on CPU with its own defaults, so QuantKit's GPTQ and AWQ can be
compared with it on the same weights, calibration windows and perplexity protocol. Prints one JSON
object: the method, llm-compressor's in-memory perplexity (DESIGN.md protocol, the interop checks'
`perplexity`), and the seconds `oneshot` took. With --out it also saves the compressed-tensors export.

Usage: llmcompressor_quantize.py MODEL_DIR METHOD [--group-size 64] [--n 32] [--seq-len 512] [--windows 16] [--out DIR]

METHOD: rtn (QuantizationModifier), gptq (GPTQModifier: its defaults, i.e. block 128, dampening 0.01,
actorder "static" = weight order with static groups, min-max observer) or awq (AWQModifier with its
defaults: mappings inferred for llama, duo scaling, a grid of 20; then QuantizationModifier). All three use W4A16: int4 symmetric per group, lm_head
left in float. Calibration: the first N consecutive SEQ-LEN-token windows of Data/wiki_calib.txt,
as QuantKit takes them."""
import argparse, json, os, sys, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
import torch
from datasets import Dataset
from transformers import AutoModelForCausalLM, AutoTokenizer
from llmcompressor import oneshot
from llmcompressor.modifiers.quantization import GPTQModifier, QuantizationModifier
from compressed_tensors.quantization import preset_name_to_scheme

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "Scripts", "interop"))
from common import perplexity  # noqa: E402  (the same protocol the interop checks use)


def w4a16(group_size):
    scheme = preset_name_to_scheme("W4A16", ["Linear"])
    scheme.weights.group_size = group_size
    return {"group_0": scheme}


def recipe(method, group_size):
    if method == "rtn":
        return QuantizationModifier(config_groups=w4a16(group_size), ignore=["lm_head"])
    if method == "gptq":
        return GPTQModifier(config_groups=w4a16(group_size), ignore=["lm_head"])
    if method == "awq":
        from llmcompressor.modifiers.transform.awq import AWQModifier
        if not torch.cuda.is_available():
            # llm-compressor 0.14's AWQ pins its cached activations for host-to-device copies, which
            # raises "Cannot access accelerator device" on a CPU-only machine; pinning only helps GPUs.
            from llmcompressor.pipelines.cache import IntermediatesCache
            IntermediatesCache.pin_memory = lambda self, *args, **kwargs: None
        # AWQ only scales; the quantization modifier after it picks the same W4A16 scheme up.
        return [AWQModifier(), QuantizationModifier(config_groups=w4a16(group_size), ignore=["lm_head"])]
    raise SystemExit(f"unknown method {method!r}: expected rtn, gptq or awq")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model"); p.add_argument("method")
    p.add_argument("--group-size", type=int, default=64)
    p.add_argument("--n", type=int, default=32)
    p.add_argument("--seq-len", type=int, default=512)
    p.add_argument("--windows", type=int, default=16)
    p.add_argument("--calib", default=os.path.join(REPO, "Data", "wiki_calib.txt"))
    p.add_argument("--eval", default=os.path.join(REPO, "Data", "wiki_eval.txt"))
    p.add_argument("--out", default=None)
    a = p.parse_args()
    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(a.model)
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32).eval()
    kwargs = {}
    if a.method != "rtn":
        ids = tokenizer(open(a.calib, encoding="utf-8").read(), add_special_tokens=False).input_ids
        if len(ids) < a.n * a.seq_len:
            raise SystemExit(f"{a.calib}: {len(ids)} tokens, fewer than {a.n} windows of {a.seq_len}")
        windows = [ids[i * a.seq_len:(i + 1) * a.seq_len] for i in range(a.n)]
        dataset = Dataset.from_dict({"input_ids": windows, "attention_mask": [[1] * a.seq_len for _ in windows]})
        kwargs = dict(dataset=dataset, max_seq_length=a.seq_len, num_calibration_samples=a.n)
    start = time.time()
    oneshot(model=model, recipe=recipe(a.method, a.group_size), **kwargs)
    quantize_seconds = time.time() - start
    eval_ids = tokenizer(open(a.eval, encoding="utf-8").read(), add_special_tokens=False).input_ids
    start = time.time()
    ppl = perplexity(model, eval_ids, a.seq_len, a.windows) if a.windows > 0 else None
    eval_seconds = time.time() - start
    if a.out:
        model.save_pretrained(a.out, save_compressed=True)
        tokenizer.save_pretrained(a.out)
    print(json.dumps({"method": a.method, "group_size": a.group_size, "calibration_windows": a.n if a.method != "rtn" else 0,
                      "eval_windows": a.windows, "perplexity": ppl, "quantize_seconds": quantize_seconds,
                      "eval_seconds": eval_seconds}))


if __name__ == "__main__":
    main()
