# Shared settings for QuantKit's scripts. Source it: `. Scripts/env.sh`.
# Everything downloaded (Python venv, models, llama.cpp build) lives outside the clone, in one cache
# folder, so a fresh clone on the same machine reuses it and nothing large is ever committed.
export QUANTKIT_CACHE="${QUANTKIT_CACHE:-$HOME/.cache/quantkit}"
export QUANTKIT_VENV="${QUANTKIT_VENV:-$QUANTKIT_CACHE/venv}"
export QUANTKIT_MODELS="${QUANTKIT_MODELS:-$QUANTKIT_CACHE/models}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# Heavy jobs (builds, peer runs, benchmarks) take this lock so that two never share the 2 cores.
export QUANTKIT_HEAVY_LOCK="${QUANTKIT_HEAVY_LOCK:-/tmp/quantkit-heavy.lock}"
mkdir -p "$QUANTKIT_CACHE" "$QUANTKIT_MODELS"
