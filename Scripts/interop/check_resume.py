"""Kill `quantkit quantize` in the middle of a run, resume it, and compare the export's bytes with an
uninterrupted run of the same command (issue: bounded memory and resume).

The recipe calibrates (int8 weights and static int8 inputs) with GPTQ, so every later layer depends on
the checkpointed activations of the earlier ones; a few short windows keep it quick. The run is killed
with SIGKILL once it reports the kill layer on stderr: nothing gets a chance to clean up, as after an
out-of-memory kill."""
import filecmp, os, shutil, signal, subprocess, sys, tempfile
from common import arguments

RECIPE = ["--scheme", "int8", "--algo", "gptq", "--num-calib-data", "4", "--seq-len", "256", "--error-windows", "0"]


def main():
    parser = arguments(__doc__)
    parser.add_argument("--kill-at", type=int, default=12, help="kill once this many layers are done")
    args = parser.parse_args()
    model = os.path.join(args.models, "smollm2-135m-f32")
    data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Data", "wiki_calib.txt")
    base = [args.bin, "quantize", "--model", model, "--calib-data", data] + RECIPE
    passed = failed = 0

    def verdict(ok, message):
        nonlocal passed, failed
        print(("ok " if ok else "FAIL ") + message)
        passed, failed = passed + ok, failed + (not ok)

    scratch = tempfile.mkdtemp(prefix="quantkit-resume-")
    try:
        straight, interrupted = os.path.join(scratch, "straight"), os.path.join(scratch, "interrupted")
        subprocess.run(base + ["--output", straight], check=True, stdout=subprocess.DEVNULL)

        process = subprocess.Popen(base + ["--output", interrupted], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        killed_after = None
        for line in process.stderr:
            if line.startswith("layer ") and int(line.split()[1].split("/")[0]) >= args.kill_at:
                process.send_signal(signal.SIGKILL)
                killed_after = line.strip()
                break
        process.wait()
        partial = os.path.join(scratch, ".interrupted.partial")
        verdict(killed_after is not None and not os.path.exists(interrupted) and os.path.isdir(partial),
                "killed after '%s': no output published, the partial run kept" % killed_after)

        refused = subprocess.run(base + ["--output", interrupted], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        verdict(refused.returncode != 0 and "--resume" in refused.stderr,
                "a rerun without --resume is refused and told to resume: %s" % refused.stderr.strip().splitlines()[-1:])

        resumed = subprocess.run(base + ["--output", interrupted, "--resume"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        notes = [l for l in resumed.stderr.splitlines() if l.startswith("resumed at layer")]
        verdict(resumed.returncode == 0 and notes and int(notes[0].split()[3]) >= args.kill_at,
                "resumed: %s" % (notes[0] if notes else resumed.stderr.strip()[-300:]))

        names = sorted(os.listdir(straight))
        same = os.path.isdir(interrupted) and names == sorted(os.listdir(interrupted)) and all(
            filecmp.cmp(os.path.join(straight, n), os.path.join(interrupted, n), shallow=False) for n in names)
        sizes = ", ".join("%s %d B" % (n, os.path.getsize(os.path.join(straight, n))) for n in names)
        verdict(same, "resumed export byte-identical to the uninterrupted run (%s)" % sizes)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
