#!/usr/bin/env bash
# Builds llama.cpp's command-line tools (the CPU inference peer) from the llama-cpp-python 0.3.36
# sdist on PyPI (vendor/llama.cpp = llama.cpp commit 0c1e570), Release with native CPU flags, no
# web UI, no OpenSSL, no network at build time. Cached in $QUANTKIT_CACHE/llama.cpp; prints the bin dir.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"
root="$QUANTKIT_CACHE/llama.cpp"
bin="$root/build/bin"
targets="llama-bench llama-quantize llama-perplexity llama-tokenize llama-completion"
missing=""
for t in $targets; do [ -x "$bin/$t" ] || missing="$missing $t"; done
if [ -z "$missing" ]; then echo "$bin"; exit 0; fi
if ! command -v cmake >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake build-essential >/dev/null
fi
if [ ! -d "$root/src" ]; then
  tmp="$(mktemp -d)"
  pip download -q --no-deps --no-binary llama-cpp-python -d "$tmp" "llama-cpp-python==0.3.36" >&2
  tar -xzf "$tmp"/llama_cpp_python-*.tar.gz -C "$tmp"
  mkdir -p "$root"
  mv "$tmp"/llama_cpp_python-*/vendor/llama.cpp "$root/src"
  rm -rf "$tmp"
fi
cmake -S "$root/src" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF \
  -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_TOOLS=ON >&2
# shellcheck disable=SC2086
cmake --build "$root/build" --config Release -j 2 --target $targets >&2
echo "$bin"
