#!/usr/bin/env python3
"""Inference benchmarks, QuantKit and its peers back to back in one run (run on a quiet machine).

Usage: inference.py --bench QUANTKIT_BENCH --bin QUANTKIT [--threads 1 2] [--windows 16] [--out FILE]

- prefill (512-token prompt) and decode (128 tokens) tokens/s of SmolLM2-135M at f32: QuantKit on the
  fp32 HF directory vs llama.cpp's llama-bench on an F32 GGUF of the same weights (llama-quantize
  --allow-requantize from the Q4_1 file: the same dequantized values);
- DRAM read bandwidth and the decode floor (f32 weight bytes read per token / bandwidth);
- perplexity throughput (DESIGN.md protocol, seq-len 512) and peak RSS: `quantkit eval` vs
  transformers on CPU (torch threads = the same count), on the same weights.
"""
import argparse, json, os, re, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(here))
models = os.environ.get("QUANTKIT_MODELS", os.path.expanduser("~/.cache/quantkit/models"))
directory = os.path.join(models, "smollm2-135m-f32")
gguf_q41 = os.path.join(models, "SmolLM2-135M-Instruct.Q4_1.gguf")
gguf_f32 = os.path.join(models, "SmolLM2-135M-Instruct.F32.gguf")
data = os.path.join(repo, "Data", "wiki_eval.txt")
python = sys.executable


def run_timed(command, env):
    """Runs `command` under /usr/bin/time -v; returns (stdout, wall seconds, peak RSS in MB)."""
    result = subprocess.run(["/usr/bin/time", "-v"] + command, env=env, capture_output=True, text=True, check=True)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1)) / 1024
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", result.stderr).group(1).split(":")
    seconds = sum(float(part) * 60 ** index for index, part in enumerate(reversed(wall)))
    return result.stdout, seconds, rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--windows", type=int, default=16)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    llama_bin = subprocess.run(["bash", os.path.join(repo, "Scripts", "build-llama-cpp.sh")], capture_output=True,
                               text=True, check=True).stdout.strip()
    if not os.path.exists(gguf_f32):
        subprocess.run([os.path.join(llama_bin, "llama-quantize"), "--allow-requantize", gguf_q41, gguf_f32, "F32"],
                       check=True, capture_output=True)
    weight_bytes = os.path.getsize(os.path.join(directory, "model.safetensors"))
    rows = []
    for threads in a.threads:
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), QUANTKIT_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        ours = json.loads(subprocess.run([a.bench, "generate", "--model", directory, "--json"], env=env, capture_output=True,
                                         text=True, check=True).stdout)["detail"]
        bench = json.loads(subprocess.run([os.path.join(llama_bin, "llama-bench"), "-m", gguf_f32, "-p", "512", "-n", "128",
                                           "-t", str(threads), "-r", "3", "-o", "json"], env=env, capture_output=True,
                                          text=True, check=True).stdout)
        peer = {("pp" if entry["n_prompt"] else "tg"): entry["avg_ts"] for entry in bench}
        # QuantKit decodes after its 512-token prompt; tg128 above starts from an empty cache, so also
        # time llama.cpp decoding at depth 512 (-d), the like-for-like figure.
        deep = json.loads(subprocess.run([os.path.join(llama_bin, "llama-bench"), "-m", gguf_f32, "-p", "0", "-n", "128",
                                          "-d", "512", "-t", str(threads), "-r", "3", "-o", "json"], env=env,
                                         capture_output=True, text=True, check=True).stdout)
        peer["tg_depth"] = deep[0]["avg_ts"]
        bandwidth = json.loads(subprocess.run([a.bench, "bandwidth", "--threads", str(threads), "--json"], env=env,
                                              capture_output=True, text=True, check=True).stdout)["detail"]["gigabytes_per_second"]
        floor = bandwidth * 1e9 / weight_bytes
        rows.append(("prefill 512 tokens, f32, %d thread%s" % (threads, "s" if threads > 1 else ""), "tokens/s",
                     ours["prefill_tokens_per_second"], "llama.cpp llama-bench pp512 (F32 GGUF)", peer["pp"], ""))
        rows.append(("decode 128 tokens, f32, %d thread%s" % (threads, "s" if threads > 1 else ""), "tokens/s",
                     ours["decode_tokens_per_second"], "llama.cpp llama-bench tg128 (F32 GGUF)", peer["tg"],
                     "DRAM %.1f GB/s → floor %.1f tokens/s; QuantKit at %.0f %% of it" % (bandwidth, floor,
                                                                                         100 * ours["decode_tokens_per_second"] / floor)))
        rows.append(("decode 128 tokens after a 512-token prompt, f32, %d thread%s" % (threads, "s" if threads > 1 else ""),
                     "tokens/s", ours["decode_tokens_per_second"], "llama.cpp llama-bench tg128 -d 512 (F32 GGUF)",
                     peer["tg_depth"], "same depth on both sides"))
    # Perplexity throughput and peak RSS, at the largest thread count.
    threads = max(a.threads)
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), QUANTKIT_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    out, ours_seconds, ours_rss = run_timed([a.bin, "eval", "--model", directory, "--data", data, "--max-windows",
                                             str(a.windows), "--json"], env)
    ours = json.loads(out)
    script = os.path.join(here, "transformers_ppl.py")
    out, peer_seconds, peer_rss = run_timed([python, script, directory, data, str(a.windows), str(threads)], env)
    peer = json.loads(out.strip().splitlines()[-1])
    tokens = a.windows * 512
    rows.append(("perplexity %d windows × 512, %d threads (ppl %.4f vs %.4f)" % (a.windows, threads, ours["perplexity"],
                                                                                 peer["perplexity"]),
                 "tokens/s", tokens / ours["seconds"], "transformers %s, torch CPU" % peer["transformers"],
                 tokens / peer["seconds"], "whole process: %.1f s vs %.1f s" % (ours_seconds, peer_seconds)))
    rows.append(("peak RSS of that eval (weights %.0f MB)" % (weight_bytes / 1e6), "MB", ours_rss, "transformers", peer_rss,
                 "%.2f × weight bytes" % (ours_rss * 1048576 / weight_bytes)))
    lines = ["| figure | unit | QuantKit | peer | peer value | QuantKit / peer | note |", "|---|---|---|---|---|---|---|"]
    for name, unit, mine, who, theirs, note in rows:
        lines.append("| %s | %s | %.1f | %s | %.1f | %.2f× | %s |" % (name, unit, mine, who, theirs, mine / theirs, note))
    print("\n".join(lines))
    if a.out:
        open(a.out, "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
