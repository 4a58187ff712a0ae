#!/usr/bin/env python3
"""check-iq-quants.py: lai's IQ4_NL/IQ4_XS/TQ1_0/TQ2_0 quantizers and dequantizers against libggml-base's, byte for byte.

    scripts/check-iq-quants.py [path/to/libggml-base.so]

Builds a small driver (scripts/quant-oracle/driver.swift with LAICore's Quant files, swiftc -O), then for random
rows with zero, sub-epsilon, constant and spiky blocks calls ggml's quantize_<type> (with no importance weights,
positive weights, and weights with zeros for IQ4) through ctypes, and compares the bytes of lai's SIMD path and
its scalar twin, and the dequantized floats. Needs numpy.
"""
import ctypes, os, subprocess, sys
import numpy as np

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
libpath = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "../tools/llama-build/bin/libggml-base.so")
work = "/tmp/lai-check-iq-quants"
os.makedirs(work, exist_ok=True)
core = os.path.join(root, "Sources/LAICore")
files = [os.path.join(core, "Quant", f) for f in ["Quantize.swift", "Quantize+KQuants.swift", "Quantize+KQuantsSIMD.swift",
         "Quantize+IQuants.swift", "Quantize+Ternary.swift", "Dequantize.swift", "HalfFloat.swift", "BlockLayouts.swift",
         "QuantError.swift"]] + [os.path.join(core, "GGUF/GGMLType.swift"), os.path.join(root, "scripts/quant-oracle/driver.swift")]
subprocess.run(["swiftc", "-O", "-package-name", "X", "-parse-as-library", "-module-name", "X"] + files + ["-o", work + "/q"], check=True)
lib = ctypes.CDLL(libpath)
size = {"iq4_nl": (32, 18), "iq4_xs": (256, 136), "tq1_0": (256, 54), "tq2_0": (256, 66)}
rng = np.random.default_rng(1)
def data(rows, rl):
    x = rng.standard_normal((rows, rl)).astype(np.float32) * 0.02
    x[0, :64] = 0                      # zero blocks
    x[1, :32] = 1e-20                  # below GROUP_MAX_EPS
    x[2, :256] = 0.5                   # constant
    x[3, 5] = 3.0                      # spike
    x[4] *= 1000
    x[5, ::7] = -x[5, ::7] * 40
    return np.ascontiguousarray(x)
ok = True
for t, (bs, bb) in size.items():
    for rl in ([512, 1536] if bs == 256 else [576, 96]):
        rows = 24
        x = data(rows, rl)
        for wmode in ([None, "pos", "zeros"] if t.startswith("iq4") else [None]):
            w = None
            if wmode == "pos": w = (rng.random(rl).astype(np.float32) * 5 + 0.01)
            if wmode == "zeros": w = (rng.random(rl).astype(np.float32) * 5); w[:40] = 0
            ref = np.zeros(rows * rl // bs * bb, np.uint8)
            fn = getattr(lib, "quantize_" + t)
            fn(x.ctypes.data_as(ctypes.c_void_p), ref.ctypes.data_as(ctypes.c_void_p), ctypes.c_int64(rows), ctypes.c_int64(rl),
               w.ctypes.data_as(ctypes.c_void_p) if w is not None else None)
            x.tofile(work + "/in.f32")
            args = [] if w is None else [work + "/w.f32"]
            if w is not None: w.tofile(work + "/w.f32")
            for mode in ["simd", "ref"]:
                subprocess.run([work + "/q", t, work + "/in.f32", work + "/out.bin", mode, str(rl)] + args, check=True)
                mine = np.fromfile(work + "/out.bin", np.uint8)
                same = np.array_equal(mine, ref)
                # dequant
                deq = np.zeros(rows * rl, np.float32)
                getattr(lib, "dequantize_row_" + t)(ref.ctypes.data_as(ctypes.c_void_p), deq.ctypes.data_as(ctypes.c_void_p), ctypes.c_int64(rows * rl))
                mydeq = np.fromfile(work + "/out.bin.deq", np.float32)
                dsame = np.array_equal(deq.view(np.uint32), mydeq.view(np.uint32)) if same else None
                if not same:
                    ok = False
                    bad = np.nonzero(mine != ref)[0]
                    print("  first diff at byte", bad[0], "block", bad[0] // bb, "count", len(bad))
                print(t, rl, wmode, mode, "quant", "OK" if same else "DIFF", "dequant", dsame)
print("ALL OK" if ok else "FAILURES")
sys.exit(0 if ok else 1)
