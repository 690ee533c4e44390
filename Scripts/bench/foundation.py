#!/usr/bin/env python3
"""Foundation benchmarks: QuantKit against its peers, measured back to back in one run.

Usage: foundation.py --bench QUANTKIT_BENCH_BIN [--repeats 5] [--out BENCHMARKS-foundation.md]

Figures (medians of --repeats runs, each peer measured right after QuantKit on the same input):
- tokenizer encode MB/s: QuantKit vs HF `tokenizers` (Rust, single call `encode`, no batching) on
  SmolLM2's tokenizer.json and the bundled wiki_eval.txt (1.6 MB);
- GGUF Q4_1 → f32 dequantization GB/s (f32 bytes written per second) over every Q4_1 tensor of the
  SmolLM2 GGUF: QuantKit vs gguf-py's numpy dequantization;
- sgemm GFLOP/s for the model's shapes: QuantKit (OpenBLAS) vs numpy's matmul (also BLAS).
Thread counts are reported; run it on a quiet machine (nothing else heavy running).
"""
import argparse, json, os, statistics, subprocess, sys, time

# BLAS reads its thread count when numpy first loads it: set it from --threads before the import.
_threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "QUANTKIT_THREADS", "RAYON_NUM_THREADS"):
    os.environ[_name] = _threads
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(here))
models = os.environ.get("QUANTKIT_MODELS", os.path.expanduser("~/.cache/quantkit/models"))
gguf_path = os.path.join(models, "SmolLM2-135M-Instruct.Q4_1.gguf")
hf_dir = os.path.join(models, "smollm2-135m-f32")
text_path = os.path.join(repo, "Data", "wiki_eval.txt")


def quantkit(bench, *args):
    out = subprocess.run([bench, *args, "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    rows = []

    # Tokenizer.
    from tokenizers import Tokenizer
    text = open(text_path, encoding="utf-8").read()
    megabytes = len(text.encode("utf-8")) / 1e6
    qk = quantkit(a.bench, "tokenize", "--model", hf_dir, "--file", text_path, "--repeats", str(a.repeats))
    hf = Tokenizer.from_file(os.path.join(hf_dir, "tokenizer.json"))
    hf_seconds = median_seconds(lambda: hf.encode(text, add_special_tokens=False), a.repeats)
    rows.append(("tokenizer encode, SmolLM2, wiki_eval.txt (%.1f MB)" % megabytes, "MB/s",
                 megabytes / qk["median_seconds"], "HF tokenizers %s" % __import__("tokenizers").__version__,
                 megabytes / hf_seconds))

    # GGUF dequantization.
    from gguf import GGUFReader, GGMLQuantizationType
    from gguf.quants import dequantize
    reader = GGUFReader(gguf_path)
    q41 = [t for t in reader.tensors if t.tensor_type == GGMLQuantizationType.Q4_1]
    out_bytes = sum(int(np.prod(t.shape)) * 4 for t in q41)
    qk = quantkit(a.bench, "dequantize", "--gguf", gguf_path, "--type", "Q4_1", "--repeats", str(a.repeats))
    py_seconds = median_seconds(lambda: [dequantize(t.data, t.tensor_type) for t in q41], a.repeats)
    rows.append(("GGUF Q4_1 → f32, %d tensors, %.0f MB of f32" % (len(q41), out_bytes / 1e6), "GB/s",
                 out_bytes / 1e9 / qk["median_seconds"], "gguf-py numpy", out_bytes / 1e9 / py_seconds))

    # sgemm.
    for m, n, k in [(512, 1536, 576), (512, 576, 1536), (512, 49152, 576)]:
        qk = quantkit(a.bench, "sgemm", "--m", str(m), "--n", str(n), "--k", str(k), "--repeats", str(a.repeats))
        x = np.random.default_rng(0).standard_normal((m, k), dtype=np.float32)
        w = np.random.default_rng(1).standard_normal((n, k), dtype=np.float32)
        np_seconds = median_seconds(lambda: x @ w.T, a.repeats)
        flops = 2 * m * n * k
        rows.append(("sgemm X[%d,%d]·W[%d,%d]ᵀ" % (m, k, n, k), "GFLOP/s", flops / 1e9 / qk["median_seconds"],
                     "numpy %s matmul" % np.__version__, flops / 1e9 / np_seconds))

    lines = []
    for name, unit, mine, peer, theirs in rows:
        lines.append("| %s, %d thread%s | %s | %.2f | %s | %.2f | %.2f× |" % (name, a.threads, "s" if a.threads > 1 else "",
                                                                          unit, mine, peer, theirs, mine / theirs))
    table = "\n".join(lines)
    print(table)
    if a.out:
        open(a.out, "w").write(table + "\n")


if __name__ == "__main__":
    main()
