#!/usr/bin/env python3
"""tokenizer.json layouts no committed file has, against HF `tokenizers` on ≥ 1 MB of mixed text:
Llama-3 (Split with the Llama-3 regex, ByteLevel without regex, ignore_merges) and Qwen2 (NFC, Split
with the Qwen2 regex), built from llama.cpp's vocabulary-only GGUFs in Tests/TokenizersTests/Fixtures,
and the committed SentencePiece-BPE tokenizer re-expressed with Metaspace pre-tokenizers (prepend
schemes "first" and "always"). Ids must be identical. (Layouts adapted from the tokenizer branch.)"""
import json, os, pathlib, sys, tempfile
import gguf
from tokenizers import Tokenizer
from common import arguments, quantkit, Tally, REPO

sys.path.insert(0, os.path.join(REPO, "Scripts", "fixtures"))
from mixed_text import mixed_text

FIXTURES = pathlib.Path(REPO) / "Tests" / "TokenizersTests" / "Fixtures"
LLAMA3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2 = LLAMA3.replace(r"\p{N}{1,3}", r"\p{N}")


def byte_level_from_gguf(name, pattern, ignore_merges, normalizer):
    fields = gguf.GGUFReader(FIXTURES / "llama.cpp" / f"ggml-vocab-{name}.gguf").fields
    strings = lambda key: [bytes(fields[key].parts[i]).decode("utf-8") for i in fields[key].data]
    tokens = strings("tokenizer.ggml.tokens")
    types = [int(fields["tokenizer.ggml.token_type"].parts[i][0]) for i in fields["tokenizer.ggml.token_type"].data]
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
              "special": True} for i, (t, kind) in enumerate(zip(tokens, types)) if kind == 3]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": normalizer,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
            "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": ignore_merges,
                      "vocab": {t: i for i, t in enumerate(tokens)}, "merges": strings("tokenizer.ggml.merges")}}


def metaspace_variant(scheme, split):
    variant = json.loads((FIXTURES / "spm_bpe" / "tokenizer.json").read_text(encoding="utf-8"))
    metaspace = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": scheme, "split": split}
    variant.update(normalizer=None, pre_tokenizer=metaspace, decoder=metaspace)
    return variant


def main():
    a = arguments(__doc__).parse_args()
    text = mixed_text(1_100_000, seed=7)
    tally = Tally()
    layouts = {"llama3": byte_level_from_gguf("llama-bpe", LLAMA3, True, None),
               "qwen2": byte_level_from_gguf("qwen2", QWEN2, False, {"type": "NFC"}),
               "metaspace-first": metaspace_variant("first", False),
               "metaspace-always": metaspace_variant("always", True)}
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "text.txt")
        open(path, "w", encoding="utf-8").write(text)
        for name, layout in layouts.items():
            directory = os.path.join(scratch, name)
            os.mkdir(directory)
            json.dump(layout, open(os.path.join(directory, "tokenizer.json"), "w", encoding="utf-8"), ensure_ascii=False)
            expected = Tokenizer.from_file(os.path.join(directory, "tokenizer.json")).encode(text).ids
            ours = quantkit(a.bin, "tokenize", "--model", directory, "--file", path)["ids"]
            detail = "%d ids" % len(expected)
            if ours != expected:
                first = next((i for i, (x, y) in enumerate(zip(ours, expected)) if x != y), min(len(ours), len(expected)))
                detail += "; first difference at %d: QuantKit %s, HF %s, text near %r" % (
                    first, ours[first:first + 5], expected[first:first + 5], text[max(0, first * 2 - 20):first * 2 + 20][:40])
            tally.check(ours == expected, "%s: ids identical to HF tokenizers (%s)" % (name, detail))
    tally.finish()


if __name__ == "__main__":
    main()
