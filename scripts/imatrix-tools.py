#!/usr/bin/env python3
"""Helpers for the imatrix references (needs numpy and llama.cpp's gguf-py on PYTHONPATH).

  imatrix-tools.py compare A.gguf B.gguf        names, counts and the largest relative difference of the sums
  imatrix-tools.py digests OUT.json IMATRIX_PATH NAME=FILE...
                                               per-tensor sha256 (blk.0–1) and whole-file sha256 per quantized file;
                                               IMATRIX_PATH is the path llama-quantize was given (recorded in the files)
"""
import hashlib, json, sys
import numpy as np
from gguf import GGUFReader


def entries(path):
    r = GGUFReader(path)
    out = {}
    for t in r.tensors:
        for suffix, key in ((".in_sum2", "sums"), (".counts", "counts")):
            if t.name.endswith(suffix):
                out.setdefault(t.name[: -len(suffix)], {})[key] = np.array(t.data, dtype=np.float64).reshape(-1)
    return r, out


def compare(a, b):
    _, ea = entries(a)
    _, eb = entries(b)
    print(f"entries: {len(ea)} vs {len(eb)}; same names: {sorted(ea) == sorted(eb)}")
    worst, worst_name, counts_equal = 0.0, "", True
    for name in sorted(set(ea) & set(eb)):
        if not np.array_equal(ea[name]["counts"], eb[name]["counts"]):
            counts_equal = False
            print(f"counts differ: {name} {ea[name]['counts']} vs {eb[name]['counts']}")
        sa, sb = ea[name]["sums"], eb[name]["sums"]
        rel = np.abs(sa - sb) / np.maximum(np.abs(sa), 1e-30)
        if rel.max() > worst:
            worst, worst_name = float(rel.max()), name
    print(f"counts equal: {counts_equal}; max relative difference of the sums: {worst:.3g} ({worst_name})")


def digests(out, pairs, imatrix_file=None):
    files = {}
    for pair in pairs:
        name, path = pair.split("=", 1)
        r = GGUFReader(path)
        tensors = {}
        for t in r.tensors:
            if t.name.startswith(("blk.0.", "blk.1.")):
                tensors[t.name] = {"type": t.tensor_type.name, "sha256": hashlib.sha256(bytes(t.data.tobytes())).hexdigest()}
        whole = hashlib.sha256(open(path, "rb").read()).hexdigest()
        files[name] = {"sha256": whole, "tensors": tensors}
    doc = {"files": files}
    if imatrix_file:
        doc["imatrix_file"] = imatrix_file
    json.dump(doc, open(out, "w"), indent=1, sort_keys=True)


if __name__ == "__main__":
    if sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "digests":
        digests(sys.argv[2], sys.argv[4:], sys.argv[3])
