#!/usr/bin/env python3
"""Quantization against amd-quark 0.13 on the same machine, same model, same calibration:
for each scheme, QuantKit's quantize (whole-process wall time, peak RSS) and the perplexity of its
export, next to Quark's quantize + export (wall, peak RSS, Quark's own in-memory perplexity), and
Quark's export loaded in QuantKit (its perplexity must equal Quark's own within 0.2 %).
Quark's runs are cached in ~/.cache/quantkit/peers (they take minutes each on CPU).

Usage: quantize.py --bin .build/release/quantkit [--schemes uint4_wo_64,int8,fp8,mxfp4] [--n 8] [--windows 16]"""
import argparse, json, os, re, subprocess, sys, tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.expanduser("~/.cache/quantkit")
KV = {"fp8": ["--kv-cache-dtype", "fp8"]}


def timed(command):
    """Runs under /usr/bin/time -v; returns (stdout, wall seconds, peak RSS in MB)."""
    result = subprocess.run(["/usr/bin/time", "-v", *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-3000:])
        raise SystemExit("failed: " + " ".join(command))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", result.stderr).group(1).split(":")
    seconds = sum(float(part) * 60 ** i for i, part in enumerate(reversed(wall)))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1)) / 1024
    return result.stdout, seconds, rss


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bin", required=True)
    p.add_argument("--schemes", default="uint4_wo_64,int8,fp8,mxfp4")
    p.add_argument("--n", type=int, default=8)
    p.add_argument("--windows", type=int, default=16)
    a = p.parse_args()
    model = os.path.join(CACHE, "models", "smollm2-135m-f32")
    data = os.path.join(REPO, "Data", "wiki_eval.txt")
    python = os.path.join(CACHE, "venv", "bin", "python")
    scratch = tempfile.mkdtemp(prefix="quantkit-bench-")
    rows = []
    for scheme in a.schemes.split(","):
        kv = KV.get(scheme, [])
        ours_dir = os.path.join(scratch, scheme)
        out, wall, rss = timed([a.bin, "quantize", "--model", model, "--output", ours_dir, "--scheme", scheme,
                                "--num-calib-data", str(a.n), "--json", *kv])
        ours_ppl = json.loads(subprocess.run([a.bin, "eval", "--model", ours_dir, "--data", data, "--max-windows", str(a.windows),
                                              "--json"], stdout=subprocess.PIPE, check=True, text=True).stdout)["perplexity"]
        peer_dir = os.path.join(CACHE, "peers", "quark-%s%s-n%d" % (scheme, "-kvfp8" if kv else "", a.n))
        peer_json = os.path.join(peer_dir, "quark_run.json")
        if not os.path.exists(peer_json):
            command = [python, os.path.join(REPO, "Scripts", "peers", "quark_quantize.py"), model, peer_dir, scheme,
                       "--n", str(a.n), "--windows", str(a.windows)] + (["--kv", "fp8"] if kv else [])
            _, peer_wall, peer_rss = timed(command)
            run = json.load(open(peer_json))
            run.update({"wall": peer_wall, "rss_mb": peer_rss})
            json.dump(run, open(peer_json, "w"), indent=1)
        run = json.load(open(peer_json))
        loaded = json.loads(subprocess.run([a.bin, "eval", "--model", peer_dir, "--data", data, "--max-windows", str(run["windows"]),
                                            "--json"], stdout=subprocess.PIPE, check=True, text=True).stdout)["perplexity"]
        row = {"scheme": scheme + (" + fp8 KV" if kv else ""), "quantkit_ppl": ours_ppl, "quark_ppl": run["perplexity"],
               "quantkit_wall": wall, "quark_wall": run["wall"], "quantkit_rss_mb": rss, "quark_rss_mb": run["rss_mb"],
               "quark_export_in_quantkit_ppl": loaded}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print("| scheme | QuantKit ppl | Quark ppl | ratio | QuantKit wall | Quark wall | wall ratio | QuantKit RSS | Quark RSS | Quark's export in QuantKit (vs Quark's own ppl) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %.4f | %.4f | %.4f | %.1f s | %.1f s | %.3f | %.0f MB | %.0f MB | %.4f (%+.3f %%) |" % (
            r["scheme"], r["quantkit_ppl"], r["quark_ppl"], r["quantkit_ppl"] / r["quark_ppl"], r["quantkit_wall"], r["quark_wall"],
            r["quantkit_wall"] / r["quark_wall"], r["quantkit_rss_mb"], r["quark_rss_mb"], r["quark_export_in_quantkit_ppl"],
            100 * (r["quark_export_in_quantkit_ppl"] / r["quark_ppl"] - 1)))


if __name__ == "__main__":
    main()
