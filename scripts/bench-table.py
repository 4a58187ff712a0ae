#!/usr/bin/env python3
"""Joins `lai bench --json` results with llama.cpp's llama-bench figures into one markdown table. Used by `make bench`.

  bench-table.py REF.json LAI.json...

REF.json is ../shared/ref/llamacpp-results.json: its "llama_bench" object holds lists of llama-bench JSON records
(model_type, model_size, n_threads, repack, n_prompt, n_gen, avg_ts, ...), one list per run. Each LAI.json file holds
one or more `lai bench --json` arrays, one per line.

A lai row matches the llama-bench records with the same model_size (tensor bytes: lai's quantizer is bit-identical
to llama-quantize, so the same type gives the same size), the same threads, n_prompt, n_gen and depth, and
repack on (llama-bench's default); the llama.cpp column is the mean of those records' avg_ts (the runs are listed
when there are several). A row without a match shows `–`. Batched rows (`--batch`) are left out: the reference
has no llama-batched-bench figures.
"""
import json, os, sys


def fail(msg):
    print(f"bench-table: {msg}", file=sys.stderr)
    sys.exit(1)


def load_lai(path):
    rows = []
    try:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as e:
                    fail(f"{path}:{n}: not a lai bench --json line ({e.msg})")
                rows += value if isinstance(value, list) else [value]
    except OSError as e:
        fail(f"{path}: {e.strerror}")
    return rows


def this_machine():
    """One phrase for the CPU lai ran on (Linux /proc/cpuinfo; empty elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return ""
    name = next((l.split(":", 1)[1].strip() for l in info.splitlines() if l.startswith("model name")), "?")
    flags = next((l.split(":", 1)[1].split() for l in info.splitlines() if l.startswith("flags")), [])
    isa = "/".join(x.upper() for x in ("avx2", "fma", "f16c") if x in flags)
    isa += ", AVX-512" if "avx512f" in flags else ", no AVX-512"
    isa += " VNNI" if "avx512_vnni" in flags else ""
    return f"{os.cpu_count()} CPUs {name} ({isa})"


def main(argv):
    if len(argv) < 3:
        fail("usage: bench-table.py REF.json LAI.json...")
    ref_path = argv[1]
    try:
        with open(ref_path) as f:
            ref = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        fail(f"{ref_path}: {getattr(e, 'strerror', None) or e}")
    records = [r for runs in ref.get("llama_bench", {}).values() for r in runs]
    lai = [r for p in argv[2:] for r in load_lai(p)]

    machine = ref.get("machine") or "the machine described in LLAMACPP.md"
    version = ref.get("llama_cpp", {}).get("commit_short", "?")
    print(f"llama.cpp column: {ref_path} (llama-bench, llama.cpp {version}), measured on {machine}; "
          f"lai measured now on {this_machine() or 'this machine'}.")
    print()
    print("| model | test | lai t/s | llama.cpp t/s | ratio |")
    print("| --- | --- | ---: | ---: | ---: |")
    for r in lai:
        if r.get("batched"):
            continue
        name = os.path.basename(r["model"])
        if name.endswith(".gguf"):
            name = name[:-5]
        match = [x for x in records
                 if x.get("model_size") == r.get("model_size") and x.get("n_threads") == r.get("threads")
                 and x.get("n_prompt") == r.get("n_prompt") and x.get("n_gen") == r.get("n_gen")
                 and x.get("n_depth", 0) == r.get("n_depth", 0) and x.get("repack", True)]
        ours = f"{r['avg_ts']:.2f} ± {r['stddev_ts']:.2f}"
        if match:
            theirs = sum(x["avg_ts"] for x in match) / len(match)
            runs = "" if len(match) == 1 else " (runs " + ", ".join(f"{x['avg_ts']:.1f}" for x in match) + ")"
            print(f"| {name} | {r['test']} | {ours} | {theirs:.2f}{runs} | {r['avg_ts'] / theirs:.2f}× |")
        else:
            print(f"| {name} | {r['test']} | {ours} | – | – |")


if __name__ == "__main__":
    main(sys.argv)
