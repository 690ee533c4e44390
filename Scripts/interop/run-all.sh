#!/usr/bin/env bash
# Runs every interop check: QuantKit's output against the real consumer or reference library.
# Each check prints its own `N passed, M failed` line; this prints the total the same way and fails
# if any check failed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../env.sh"
bin="$1"
py="$QUANTKIT_VENV/bin/python"
# amd-quark JIT-compiles its kernels with the venv's ninja, which must be on PATH.
export PATH="$QUANTKIT_VENV/bin:$PATH"
models="$QUANTKIT_MODELS"
passed=0; failed=0
run() {
  local name="$1"; shift
  echo "-- $name"
  local out
  out="$("$@" 2>&1)"; local rc=$?
  # Every verdict line, then the tail (tracebacks) when the check itself failed.
  echo "$out" | grep -E '^(ok|FAIL) '
  if [ $rc -ne 0 ]; then echo "$out" | grep -vE '^(ok|FAIL) ' | tail -25; fi
  local counts
  counts=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
  if [ -n "$counts" ]; then
    passed=$((passed + $(echo "$counts" | cut -d' ' -f1)))
    failed=$((failed + $(echo "$counts" | cut -d' ' -f3)))
  fi
  if [ $rc -ne 0 ] && [ -z "$counts" ]; then failed=$((failed + 1)); fi
  if [ $rc -ne 0 ] && [ -n "$counts" ] && [ "$(echo "$counts" | cut -d' ' -f3)" = "0" ]; then failed=$((failed + 1)); fi
}
cd "$here"
for check in check_*.py; do
  run "$check" "$py" "$check" --bin "$bin" --models "$models"
done
echo "interop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
