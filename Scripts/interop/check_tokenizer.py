#!/usr/bin/env python3
"""QuantKit's tokenizers against HF `tokenizers` on ≥ 1 MB of mixed text (Scripts/fixtures/mixed_text.py):
SmolLM2's tokenizer.json and the committed SentencePiece-BPE one. Ids must be identical (with the
special tokens AutoTokenizer adds by default). For the byte-level tokenizer HF must also decode the ids
back to the exact text; the Llama-2-style pipeline does not round-trip in HF itself when special
tokens appear in the text (the segment after one gets a new leading "▁"), so it is not asked to."""
import os, sys, tempfile
from tokenizers import Tokenizer
from common import arguments, quantkit, Tally, REPO

sys.path.insert(0, os.path.join(REPO, "Scripts", "fixtures"))
from mixed_text import mixed_text


def main():
    a = arguments(__doc__).parse_args()
    text = mixed_text(1_100_000, seed=7)
    tally = Tally()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
        f.write(text)
        path = f.name
    print("mixed text: %.2f MB" % (len(text.encode("utf-8")) / 1e6))
    for name, directory in [("smollm2", os.path.join(a.models, "smollm2-135m-f32")),
                            ("spm_bpe", os.path.join(REPO, "Tests", "TokenizersTests", "Fixtures", "spm_bpe"))]:
        hf = Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
        expected = hf.encode(text).ids
        ours = quantkit(a.bin, "tokenize", "--model", directory, "--file", path)["ids"]
        same = ours == expected
        detail = "%d ids" % len(expected)
        if not same:
            first = next((i for i, (x, y) in enumerate(zip(ours, expected)) if x != y), min(len(ours), len(expected)))
            detail += "; first difference at %d: QuantKit %s, HF %s" % (first, ours[first:first + 5], expected[first:first + 5])
        tally.check(same, "%s: ids identical to HF tokenizers (%s)" % (name, detail))
        if name == "smollm2":
            plain = hf.encode(text, add_special_tokens=False).ids
            tally.check(hf.decode(plain, skip_special_tokens=False) == text, "%s: HF decodes the ids back to the text" % name)
    os.unlink(path)
    tally.finish()


if __name__ == "__main__":
    main()
