#!/usr/bin/env python3
"""Where W8A8 int8 per-tensor static loses perplexity on SmolLM2: QuantKit quantizes the same model
with the weights alone, the activations alone, or both quantized, with and without rotation and
SmoothQuant, and prints one markdown row per recipe (perplexity, its excess over float, quantize
time). Every recipe is a Quark-style JSON config written to a scratch directory, so each row can be
rerun by hand with `quantkit quantize --config FILE`.

Usage: w8a8_breakdown.py --bin .build/release/quantkit [--n 32] [--windows 16] [--only NAME,NAME]"""
import argparse, json, os, subprocess, sys, tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.expanduser("~/.cache/quantkit")


def spec(per_channel=False):
    """amd-quark 0.13's int8 symmetric spec (what its `int8` scheme writes), per tensor or per channel."""
    return {"dtype": "int8", "qscheme": "per_channel" if per_channel else "per_tensor", "ch_axis": 0 if per_channel else None,
            "observer_cls": "PerChannelMinMaxObserver" if per_channel else "PerTensorMinMaxObserver",
            "symmetric": True, "is_dynamic": False, "round_method": "half_even", "scale_type": "float",
            "group_size": None, "zero_point_type": "int32"}


ROTATION = {"name": "rotation", "r1": True, "r2": False}      # amd-quark's default: R1 only
ROTATION_R2 = {"name": "rotation", "r1": True, "r2": True}    # QuantKit's --algo rotation: R1 + per-head R2
SMOOTH = {"name": "smoothquant", "alpha": 0.5, "scale_clamp_min": 1e-3}

# name: (weight spec or None, input spec or None, algo_config, what it isolates)
RECIPES = {
    "w_only": (spec(), None, None, "weights alone, per tensor"),
    "w_only_rot": (spec(), None, [ROTATION], "weights alone after rotation"),
    "w_only_rot_sq": (spec(), None, [ROTATION_R2, SMOOTH], "weights alone after rotation + SmoothQuant"),
    "a_only_rot_sq": (None, spec(), [ROTATION_R2, SMOOTH], "activations alone after rotation + SmoothQuant"),
    "w8a8": (spec(), spec(), None, "W8A8, RTN"),
    "w8a8_sq": (spec(), spec(), [SMOOTH], "W8A8, SmoothQuant 0.5"),
    "w8a8_rot_r2_sq": (spec(), spec(), [ROTATION_R2, SMOOTH], "W8A8, rotation (R1 + R2) + SmoothQuant"),
    "w8a8_rot_sq": (spec(), spec(), [ROTATION, SMOOTH], "W8A8, rotation (R1) + SmoothQuant"),
    "w8a8_rot_sq_gptq": (spec(), spec(), [ROTATION, SMOOTH, {"name": "gptq"}], "W8A8, rotation (R1) + SmoothQuant + GPTQ"),
    "w8ch_a8_rot_r2_sq": (spec(per_channel=True), spec(), [ROTATION_R2, SMOOTH], "per-channel weights, rotation (R1 + R2) + SmoothQuant"),
}


def config(weight, activation, algorithms):
    return {"quant_method": "quark", "global_quant_config": {"weight": weight, "input_tensors": activation, "output_tensors": None, "bias": None},
            "layer_quant_config": {}, "layer_type_quant_config": {}, "kv_cache_quant_config": {}, "exclude": ["lm_head"],
            "algo_config": algorithms}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bin", required=True)
    p.add_argument("--n", type=int, default=32)
    p.add_argument("--windows", type=int, default=16)
    p.add_argument("--only", default=None, help="comma-separated recipe names")
    a = p.parse_args()
    model = os.path.join(CACHE, "models", "smollm2-135m-f32")
    scratch = tempfile.mkdtemp(prefix="quantkit-w8a8-")
    names = a.only.split(",") if a.only else list(RECIPES)
    print("| recipe | what it isolates | ppl | over float | quantize |")
    print("|---|---|---|---|---|")
    for name in names:
        weight, activation, algorithms, what = RECIPES[name]
        path = os.path.join(scratch, name + ".json")
        json.dump(config(weight, activation, algorithms), open(path, "w"), indent=1)
        result = subprocess.run([a.bin, "quantize", "--model", model, "--config", path, "--num-calib-data", str(a.n),
                                 "--eval", "ppl", "--eval-windows", str(a.windows), "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            sys.stderr.write(result.stderr[-2000:])
            raise SystemExit(f"{name}: quantkit failed ({path})")
        report = json.loads(result.stdout)
        quantized, float_ppl = report["perplexity"]["quantized"], report["perplexity"]["float"]
        print(f"| {name} | {what} | {quantized:.4f} | {100 * (quantized / float_ppl - 1):+.1f} % | {report['quantize_seconds']:.0f} s |", flush=True)
    print(f"\nfloat perplexity {float_ppl:.4f}; configs in {scratch}")


if __name__ == "__main__":
    main()
