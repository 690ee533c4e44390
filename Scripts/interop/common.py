"""Shared helpers for the interop checks: argument parsing, running the QuantKit binary, and the
`N passed, M failed` closing line that CI reads."""
import argparse, json, os, subprocess, sys


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bin", required=True, help="the quantkit executable")
    parser.add_argument("--models", default=os.environ.get("QUANTKIT_MODELS", os.path.expanduser("~/.cache/quantkit/models")))
    return parser


def quantkit(binary, *args):
    """Runs quantkit with --json and returns the parsed object; stderr passes through."""
    result = subprocess.run([binary, *args, "--json"], stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise RuntimeError("quantkit %s exited with %d" % (" ".join(args), result.returncode))
    return json.loads(result.stdout)


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, message):
        print(("ok   " if ok else "FAIL ") + message, flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def finish(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        sys.exit(1 if self.failed else 0)


REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
