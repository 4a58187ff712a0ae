#!/usr/bin/env bash
# check-quant-types.sh: every `lai quantize` file type against llama-quantize, byte for byte, with wall times.
#
#   scripts/check-quant-types.sh [F16.gguf [TYPE...]]
#
# Default input: Qwen2.5-Coder-0.5B-Instruct as F16, derived once from the Q4_K_M of the model cache with
# `lai quantize … --type f16 --allow-requantize` (byte-identical to llama-quantize's F16). Each type is made
# by llama-quantize and by lai from the same input at $THREADS threads (default 2), one after the other;
# the table says whether the two files have the same sha256 and how long each took (wall seconds).
# Q2_K_S needs an importance matrix: both tools must refuse it. Needs llama-quantize ($LLAMA_QUANTIZE,
# default ../tools/llama-build/bin/llama-quantize) and a release build of lai ($LAI).
set -euo pipefail
cd "$(dirname "$0")/.."

LAI=${LAI:-.build/release/lai}
LLAMA_QUANTIZE=${LLAMA_QUANTIZE:-../tools/llama-build/bin/llama-quantize}
THREADS=${THREADS:-2}
CACHE=${LAI_CACHE:-$HOME/.cache/lai}
QWEN=$CACHE/qwen2.5-coder-0.5b/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
WORK=${WORK:-$(mktemp -d /tmp/check-quant-types.XXXXXX)}
export LAI_CPU=${LAI_CPU:-avx2}

[ -x "$LAI" ] || { echo "no $LAI: build lai first (make build)" >&2; exit 1; }
[ -x "$LLAMA_QUANTIZE" ] || { echo "no llama-quantize at $LLAMA_QUANTIZE (set LLAMA_QUANTIZE)" >&2; exit 1; }

input=${1:-}
if [ -z "$input" ]; then
    input=${QWEN%.gguf}-F16.gguf
    if [ ! -f "$input" ]; then
        [ -f "$QWEN" ] || { echo "no $QWEN: run make models" >&2; exit 1; }
        "$LAI" quantize "$QWEN" --type f16 --allow-requantize -o "$(dirname "$QWEN")" >/dev/null
    fi
fi
shift || true
types=("$@")
[ ${#types[@]} -gt 0 ] || types=(Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 BF16 Q2_K Q2_K_S Q3_K_S Q3_K_M Q3_K_L Q4_K_S Q4_K_M
                                 Q5_K_S Q5_K_M Q6_K IQ4_NL IQ4_XS TQ1_0 TQ2_0)

now() { date +%s.%N; }
base=$(basename "${input%.gguf}")
echo "input: $input ($(stat -c %s "$input") bytes), $THREADS threads, work dir $WORK"
printf '%-8s %-10s %12s %12s\n' type result llama-quantize lai
fails=0
for t in "${types[@]}"; do
    ref=$WORK/llama-$t.gguf
    ours=$WORK/$base-$t.gguf
    t0=$(now)
    if "$LLAMA_QUANTIZE" "$input" "$ref" "$t" "$THREADS" > "$WORK/llama-$t.log" 2>&1; then lrc=0; else lrc=$?; fi
    t1=$(now)
    if "$LAI" quantize "$input" --type "$t" -o "$WORK" --threads "$THREADS" --force > "$WORK/lai-$t.log" 2>&1; then rc=0; else rc=$?; fi
    t2=$(now)
    if [ $lrc -ne 0 ] && [ $rc -ne 0 ]; then
        result="both-refuse"
    elif [ $lrc -ne 0 ] || [ $rc -ne 0 ]; then
        result="DIFFERENT"; fails=$((fails + 1))
    elif [ "$(sha256sum < "$ref")" = "$(sha256sum < "$ours")" ]; then
        result="identical"
    else
        result="DIFFERENT"; fails=$((fails + 1))
    fi
    printf '%-8s %-10s %11.2fs %11.2fs\n' "$t" "$result" "$(awk "BEGIN{print $t1 - $t0}")" "$(awk "BEGIN{print $t2 - $t1}")"
    rm -f "$ref" "$ours"
done
[ $fails -eq 0 ] && echo "all types match llama-quantize" || { echo "$fails types differ (logs in $WORK)"; exit 1; }
