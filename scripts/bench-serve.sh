#!/usr/bin/env bash
# make bench-serve: lai serve (and llama-server, when LLAMA_SERVER is set) under 1 and 4 concurrent streams.
# Usage: scripts/bench-serve.sh LAI_BINARY MODEL.gguf [LLAMA_SERVER]
set -euo pipefail
lai=$1 model=$2 llama=${3:-}
store=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$store"' EXIT
loads=("--prompt-tokens 32 --max-tokens 128" "--prompt-tokens 128 --max-tokens 64")

printf 'FROM %s\n' "$model" > "$store/Modelfile"
LAI_MODELS=$store "$lai" create qwen2.5-coder:0.5b -f "$store/Modelfile" >/dev/null
LAI_MODELS=$store "$lai" serve --port 11600 --parallel 4 --ctx-size 2048 --preload qwen2.5-coder:0.5b 2>"$store/log" &
pid=$!
until grep -q listening "$store/log"; do sleep 0.2; kill -0 $pid; done
for load in "${loads[@]}"; do
  echo "lai serve --parallel 4, $load:"
  # shellcheck disable=SC2086
  python3 scripts/serve-bench.py --url http://127.0.0.1:11600 --model qwen2.5-coder:0.5b --streams 1,4 --rounds 2 $load
done
kill $pid; wait $pid 2>/dev/null || true; pid=

if [ -z "$llama" ]; then echo "(no llama-server: set LLAMA_SERVER=/path/to/llama-server for the comparison)"; exit 0; fi
"$llama" -m "$model" -np 4 -c 8192 -t "$(nproc)" --port 8099 --host 127.0.0.1 2>"$store/llama.log" &
pid=$!
until python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8099/health')" 2>/dev/null; do sleep 0.3; kill -0 $pid; done
for load in "${loads[@]}"; do
  echo "llama-server -np 4 -c 8192, $load:"
  # shellcheck disable=SC2086
  python3 scripts/serve-bench.py --url http://127.0.0.1:8099 --model qwen --streams 1,4 --rounds 2 $load
done
