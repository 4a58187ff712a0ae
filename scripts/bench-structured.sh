#!/usr/bin/env bash
# Constrained vs unconstrained generation speed (issue: JSON-schema output must keep ≥ 90% of the free speed).
# For each schema in Tests/Fixtures/grammar/schemas (or the ones given), the same prompt is answered greedily twice —
# free, then with --format SCHEMA — and the generation rates (eval tokens / eval seconds) are summed per mode.
# Usage: scripts/bench-structured.sh MODEL.gguf [SCHEMA.json ...]   (LAI_CPU=avx2 for the AVX2 path)
set -euo pipefail
model=${1:?model}; shift
lai=${LAI:-.build/release/lai}
schemas=("$@"); [ ${#schemas[@]} -gt 0 ] || schemas=(Tests/Fixtures/grammar/schemas/*.json)
out=$(mktemp); trap 'rm -f "$out"' EXIT
for s in "${schemas[@]}"; do
  prompt="Write one realistic example of a JSON value that follows this JSON schema. Reply with the JSON only.

$(cat "$s")"
  free=$("$lai" run "$model" --temperature 0 --num-predict 200 --json "$prompt")
  held=$("$lai" run "$model" --temperature 0 --num-predict 400 --json --format "$s" "$prompt")
  printf '%s\t%s\t%s\n' "$(basename "$s")" "$free" "$held" >> "$out"
done
python3 - "$out" <<'PY'
import json, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
tot = {"free": [0, 0.0], "json": [0, 0.0]}
print(f"{'schema':28} {'free tok/s':>10} {'schema tok/s':>12}")
for name, free, held in rows:
    f, h = json.loads(free), json.loads(held)
    for k, r in (("free", f), ("json", h)):
        tot[k][0] += r["eval_count"]; tot[k][1] += r["eval_duration"]
    print(f"{name:28} {f['eval_count'] / f['eval_duration']:10.1f} {h['eval_count'] / h['eval_duration']:12.1f}")
fr, jr = tot["free"][0] / tot["free"][1], tot["json"][0] / tot["json"][1]
print(f"{'all (tokens / seconds)':28} {fr:10.1f} {jr:12.1f}   constrained = {100 * jr / fr:.1f}% of free")
PY
