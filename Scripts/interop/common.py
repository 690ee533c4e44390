"""Shared helpers for the interop checks: argument parsing, running the QuantKit binary, and the
`N passed, M failed` closing line that CI reads."""
import argparse, contextlib, json, os, subprocess, sys


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


def perplexity(model, ids, seq_len, windows, attention=None, dtype=None):
    """The DESIGN.md protocol with a transformers model: consecutive windows of `seq_len` ids, each
    scored from an empty cache, mean negative log-likelihood over positions 1..L-1 of every window.
    `attention` ("sdpa" / "eager") and `dtype` switch the model first (to measure its own spread)."""
    import math, torch
    if attention:
        model.config._attn_implementation = attention
    if dtype is not None and next(model.parameters()).dtype != dtype:
        # amd-quark refuses `model.to(dtype)` but converts with .double() / .float().
        model.double() if dtype == torch.float64 else model.float()
    total = 0.0
    with torch.no_grad():
        for w in range(windows):
            x = torch.tensor(ids[w * seq_len:(w + 1) * seq_len]).unsqueeze(0)
            logits = model(input_ids=x, use_cache=False).logits.float()
            total += torch.nn.functional.cross_entropy(logits[0, :-1], x[0, 1:], reduction="sum").item()
    return math.exp(total / (windows * (seq_len - 1)))


@contextlib.contextmanager
def perturbed(model, ulps=1.0):
    """Multiplies the output of the embedding and of every linear layer by (1 + ulps · 2^-23 ·
    N(0,1)) from a seeded generator: noise of the size of float32 rounding, injected wherever a
    different implementation would sum in a different order. It shows how far such noise alone moves
    the model's results; with quantized activations a value near a rounding boundary can flip its
    code, which is why this is measured rather than assumed. Yields a function that reseeds."""
    import torch
    state = {}
    def hook(module, inputs, output):
        return output * (1 + torch.randn(output.shape, generator=state["generator"]) * ulps * 2.0 ** -23)
    modules = [model.model.embed_tokens] + [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    handles = [m.register_forward_hook(hook) for m in modules]
    try:
        yield lambda seed: state.update(generator=torch.Generator().manual_seed(seed))
    finally:
        for handle in handles:
            handle.remove()


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
