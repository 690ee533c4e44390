#!/usr/bin/env bash
# Creates (or reuses) the Python venv with the reference libraries that produce golden outputs and
# run the peers. Python is never needed at QuantKit's run time; only these scripts use it.
# Pins follow ../shared/docs/PEERS.md: the CPU build of torch, then the HF stack and amd-quark.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"
stamp="$QUANTKIT_VENV/.quantkit-requirements"
want="$(cat "$here/requirements.txt")"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "setting up the reference venv in $QUANTKIT_VENV" >&2
python3 -m venv "$QUANTKIT_VENV"
"$QUANTKIT_VENV/bin/pip" install -q --upgrade pip >&2
"$QUANTKIT_VENV/bin/pip" install -q -r "$here/requirements.txt" >&2
printf '%s' "$want" > "$stamp"
