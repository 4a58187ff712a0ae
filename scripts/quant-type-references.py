#!/usr/bin/env python3
"""quant-type-references.py: llama-quantize's output for each file type, as the small JSON the tests compare with.

    scripts/quant-type-references.py LLAMA_QUANTIZE F16.gguf OUT.json TYPE...

For each TYPE, runs `llama-quantize F16.gguf tmp.gguf TYPE 2` and records the file's sha256, its
general.file_type and every tensor's ggml type in file order (or `"refused"` with llama-quantize's last
error line when it refuses the type, e.g. Q2_K_S without an importance matrix). Standard library only.
"""
import hashlib, json, os, struct, subprocess, sys, tempfile

GGML_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 10: "Q2_K", 11: "Q3_K",
              12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 20: "IQ4_NL", 23: "IQ4_XS", 30: "BF16", 34: "TQ1_0", 35: "TQ2_0"}


def read_gguf(path):
    """general.file_type and the tensor types in file order, from a GGUF v3 header."""
    with open(path, "rb") as f:
        data = f.read(64 << 20)
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return v[0]

    def string():
        nonlocal pos
        n = take("Q")
        s = data[pos:pos + n].decode("utf-8", "replace")
        pos += n
        return s

    scalar = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}

    def value(t):
        if t == 8:
            return string()
        if t == 9:
            et, n = take("I"), take("Q")
            return [value(et) for _ in range(n)]
        return take(scalar[t])

    assert data[:4] == b"GGUF"
    pos = 8
    n_tensors, n_kv = take("Q"), take("Q")
    kv = {}
    for _ in range(n_kv):
        k = string()
        kv[k] = value(take("I"))
    types = []
    for _ in range(n_tensors):
        string()
        dims = take("I")
        pos += 8 * dims
        types.append(GGML_TYPES.get(take("I"), "?"))
        take("Q")
    return kv["general.file_type"], types


def main():
    quantize, src, out, types = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    refs = []
    with tempfile.TemporaryDirectory() as tmp:
        for t in types:
            path = os.path.join(tmp, t + ".gguf")
            r = subprocess.run([quantize, src, path, t, "2"], capture_output=True, text=True)
            if r.returncode != 0:
                lines = [l for l in (r.stderr + r.stdout).splitlines() if "failed to quantize:" in l] or ["exit %d" % r.returncode]
                refs.append({"type": t, "refused": lines[0].strip()})
                continue
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            file_type, tensor_types = read_gguf(path)
            refs.append({"type": t, "file_type": file_type, "sha256": h.hexdigest(), "tensor_types": " ".join(tensor_types)})
            os.remove(path)
    with open(out, "w") as f:
        json.dump({"source": os.path.basename(src), "tool": "llama-quantize (llama.cpp 0c1e570, ggml 0.25.3)",
                   "types": refs}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
