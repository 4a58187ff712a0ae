#!/usr/bin/env bash
# Importance matrices beside llama.cpp's: llama-imatrix and lai imatrix on the same model and text, then
# llama-quantize --imatrix and lai quantize --imatrix from the same F16 file and the same (llama.cpp's) imatrix,
# whole-file sha256 compared per type. Needs a llama.cpp build (LLAMA_BIN) and lai built (LAI).
#
#   scripts/imatrix-compare.sh IMATRIX_MODEL F16_MODEL TEXT OUTDIR [CHUNKS] [TYPES]
#
# Paths are used as given (the imatrix path is recorded in the quantized files), so run it from one directory.
set -euo pipefail
LLAMA_BIN=${LLAMA_BIN:-/work/tools/llama-build/bin}
LAI=${LAI:-.build/release/lai}
THREADS=${THREADS:-2}
# numpy, pyyaml and llama.cpp's gguf-py, for comparing the two imatrix files
PYTHON=${PYTHON:-python3}
GGUF_PY=${GGUF_PY:-/work/ref-src/llama_cpp_python-0.3.36/vendor/llama.cpp/gguf-py}
model=$1 f16=$2 text=$3 out=$4 chunks=${5:-4}
types=${6:-"Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K Q4_K_M Q5_K_M Q6_K"}
mkdir -p "$out"
ref="$out/llama.imatrix.gguf"

echo "== llama-imatrix / lai imatrix ($chunks chunks of 512)"
/usr/bin/time -f "llama-imatrix %e s, %M KB" "$LLAMA_BIN/llama-imatrix" -m "$model" -f "$text" --chunks "$chunks" -t "$THREADS" -o "$ref" >"$out/llama-imatrix.log" 2>&1
/usr/bin/time -f "lai imatrix %e s, %M KB" "$LAI" imatrix "$model" "$text" --chunks "$chunks" -t "$THREADS" -o "$out/lai.imatrix.gguf" 2>"$out/lai-imatrix.log" >/dev/null
tail -1 "$out/llama-imatrix.log"; tail -1 "$out/lai-imatrix.log"
PYTHONPATH="$GGUF_PY" "$PYTHON" "$(dirname "$0")/imatrix-tools.py" compare "$ref" "$out/lai.imatrix.gguf" || true

echo "== quantize with $ref"
for t in $types; do
  "$LLAMA_BIN/llama-quantize" --imatrix "$ref" "$f16" "$out/llama-$t.gguf" "$t" "$THREADS" >"$out/llama-quantize-$t.log" 2>&1
  lt=$(echo "$t" | tr 'A-Z' 'a-z')
  "$LAI" quantize --imatrix "$ref" "$f16" --type "$lt" -o "$out" --force --threads "$THREADS" >/dev/null 2>"$out/lai-quantize-$t.log" || true
  base=$(basename "$f16" .gguf)
  a=$(sha256sum "$out/llama-$t.gguf" | cut -c1-64)
  b=$(sha256sum "$out/$base-$t.gguf" 2>/dev/null | cut -c1-64 || echo none)
  if [ "$a" = "$b" ]; then echo "$t identical $a"; else echo "$t DIFFERENT llama $a lai $b"; fi
done
