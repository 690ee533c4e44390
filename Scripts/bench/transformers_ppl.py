#!/usr/bin/env python3
"""transformers' perplexity (DESIGN.md protocol) for the benchmark: prints one JSON line.
Usage: transformers_ppl.py MODEL_DIR TEXT WINDOWS THREADS"""
import json, math, os, sys, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch, transformers
from transformers import AutoModelForCausalLM, AutoTokenizer

directory, text_path, windows, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32).eval()
ids = AutoTokenizer.from_pretrained(directory)(open(text_path, encoding="utf-8").read(), add_special_tokens=False).input_ids
start = time.time()
total = 0.0
with torch.no_grad():
    for w in range(windows):
        x = torch.tensor(ids[w * 512:(w + 1) * 512]).unsqueeze(0)
        logits = model(input_ids=x, use_cache=False).logits.float()
        total += torch.nn.functional.cross_entropy(logits[0, :-1], x[0, 1:], reduction="sum").item()
print(json.dumps({"perplexity": math.exp(total / (windows * 511)), "seconds": time.time() - start,
                  "transformers": transformers.__version__}))
