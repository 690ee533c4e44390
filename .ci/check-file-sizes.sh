#!/usr/bin/env bash
# DESIGN.md: one concept per file, soft cap 400 lines, hard cap 800. Prints the files over the soft
# cap and fails if any Swift file is over the hard cap.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
while read -r file; do
  lines=$(wc -l < "$file")
  if [ "$lines" -gt 800 ]; then echo "over the 800-line hard cap: $lines $file"; status=1
  elif [ "$lines" -gt 400 ]; then echo "over the 400-line soft cap: $lines $file"; fi
done < <(git ls-files '*.swift')
exit $status
