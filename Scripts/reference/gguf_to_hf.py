#!/usr/bin/env python3
"""Reference conversion of a GGUF model to an HF fp32 directory with transformers' own GGUF loader.

Usage: gguf_to_hf.py MODEL.gguf OUT_DIR

transformers dequantizes every tensor to fp32. Two fixes are needed before saving (PEERS.md):
the model keeps a non-serializable GGUF quantizer attached, and the tokenizer converter picks the
BOS token as EOS for SmolLM2; the GGUF's own eos/pad ids are restored here. Writes atomically.
"""
import os, sys, shutil, tempfile
os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
import torch
from gguf import GGUFReader
from transformers import AutoModelForCausalLM, AutoTokenizer

path, out = sys.argv[1], sys.argv[2]
gdir, gfile = os.path.dirname(os.path.abspath(path)), os.path.basename(path)
tok = AutoTokenizer.from_pretrained(gdir, gguf_file=gfile)
reader = GGUFReader(path)
def field(key):
    f = reader.fields.get(key)
    return None if f is None else int(f.contents())
eos, pad = field("tokenizer.ggml.eos_token_id"), field("tokenizer.ggml.padding_token_id")
if eos is not None and tok.eos_token_id != eos:
    tok.eos_token = tok.convert_ids_to_tokens(eos)
if pad is not None and tok.pad_token_id != pad:
    tok.pad_token = tok.convert_ids_to_tokens(pad)
del reader
model = AutoModelForCausalLM.from_pretrained(gdir, gguf_file=gfile, dtype=torch.float32)
model.hf_quantizer = None
if hasattr(model.config, "quantization_config"):
    del model.config.quantization_config
model.config.dtype = torch.float32
if eos is not None:
    model.generation_config.eos_token_id = eos
    model.config.eos_token_id = eos
if pad is not None:
    model.generation_config.pad_token_id = pad
tmp = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(out)) or ".")
model.save_pretrained(tmp, safe_serialization=True)
tok.save_pretrained(tmp)
if os.path.exists(out):
    shutil.rmtree(out)
os.rename(tmp, out)
print("wrote", out, sorted(os.listdir(out)), file=sys.stderr)
