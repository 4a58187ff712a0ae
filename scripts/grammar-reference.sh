#!/usr/bin/env bash
# Regenerates Tests/Fixtures/grammar/llama-verdicts.jsonl: random strings from each llama.cpp grammar (and
# one-edit near misses), each judged by llama.cpp's own recogniser (tests/test-gbnf-validator).
# Usage: scripts/grammar-reference.sh GRAMMAR_DIR VALIDATOR [LAI]
set -euo pipefail
dir=${1:?grammar directory (llama.cpp grammars/)}; validator=${2:?path to test-gbnf-validator}
lai=${3:-.build/release/lai}
out=Tests/Fixtures/grammar/llama-verdicts.jsonl
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
: > "$out.tmp"
for g in "$dir"/*.gbnf; do
  name=$(basename "$g")
  "$lai" grammar sample "$g" --count 60 --seed 7 --max-length 60 --near-misses > "$tmp/samples.jsonl"
  i=0
  while IFS= read -r line; do
    i=$((i + 1))
    python3 -c 'import json,sys; sys.stdout.write(json.loads(sys.argv[1])["text"])' "$line" > "$tmp/in.txt"
    if "$validator" "$g" "$tmp/in.txt" 2>/dev/null | grep -q "Input string is valid"; then v=true; else v=false; fi
    python3 -c 'import json,sys; print(json.dumps({"grammar": sys.argv[1], "text": json.loads(sys.argv[2])["text"], "valid": sys.argv[3] == "true"}, ensure_ascii=False))' "$name" "$line" "$v" >> "$out.tmp"
  done < "$tmp/samples.jsonl"
done
mv "$out.tmp" "$out"
echo "$(wc -l < "$out") verdicts ($(grep -c '"valid": true' "$out") valid) → $out" >&2
