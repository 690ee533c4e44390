#!/usr/bin/env python3
"""`quantkit generate --chat` greedy output equals transformers' greedy tokens: 5 prompts × 48 new
tokens on SmolLM2 (the fp32 HF directory; the GGUF holds the same weights and must agree too). The
prompt ids (chat template rendered and tokenized) must match apply_chat_template's as well."""
import os
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from common import arguments, quantkit, Tally

PROMPTS = ["What is the capital of France?", "Write a haiku about the sea.", "Explain what a hash table is.",
           "List three prime numbers greater than 50.", "Translate 'good morning' into Spanish."]


def main():
    a = arguments(__doc__).parse_args()
    directory = os.path.join(a.models, "smollm2-135m-f32")
    gguf = os.path.join(a.models, "SmolLM2-135M-Instruct.Q4_1.gguf")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(directory)
    stops = model.generation_config.eos_token_id
    stops = set(stops if isinstance(stops, list) else [stops])
    tally = Tally()
    for prompt in PROMPTS:
        encoded = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True,
                                                return_tensors="pt", return_dict=True)
        ids = encoded["input_ids"]
        with torch.no_grad():
            out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=48, do_sample=False)
        expected = out[0, ids.shape[1]:].tolist()
        # transformers keeps the stop token it ended on; QuantKit reports it as finish_reason "stop".
        stopped = len(expected) < 48 or expected[-1] in stops
        if stopped and expected and expected[-1] in stops:
            expected = expected[:-1]
        for label, path in [("HF dir", directory), ("GGUF", gguf)]:
            ours = quantkit(a.bin, "generate", "--model", path, "--prompt", prompt, "--chat", "--max-tokens", "48")
            same_prompt = ours["prompt_tokens"] == ids[0].tolist()
            same_end = ours["finish_reason"] == ("stop" if stopped else "length")
            tally.check(same_prompt and same_end and ours["tokens"] == expected,
                        "%s %r: %d tokens, %s%s" % (label, prompt[:32], len(expected), ours["finish_reason"],
                                                "" if same_prompt else " (prompt ids differ)")
                        + ("" if ours["tokens"] == expected else "; QuantKit %s vs transformers %s" % (ours["tokens"][:8], expected[:8])))
    tally.finish()


if __name__ == "__main__":
    main()
