#!/usr/bin/env python3
"""lai's HNSW kernels (Sources/LAIKernels/hnsw.c, the code the store calls) through ctypes, on the same .npy
files and with the same harness as scripts/bench-vector-peers.py (build on 2 threads, then one query at a
time). `lai bench-vector --vectors` measures the same through the store; this needs only a C compiler.
Usage: bench-vector-hnsw-c.py BASE.npy QUERIES.npy M EF_CONSTRUCTION [EF,EF,...]
"""
import ctypes as C, numpy as np, os, subprocess, sys, tempfile, time, threading, resource
src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "LAIKernels")
so = os.path.join(tempfile.mkdtemp(), "libhnsw.so")
subprocess.run(["cc", "-O3", "-march=haswell", "-shared", "-fPIC", "-I", os.path.join(src, "include"), os.path.join(src, "hnsw.c"),
                os.path.join(src, "vector_kernels.c"), "-lm", "-lpthread", "-o", so], check=True)
lib = C.CDLL(so)
class Rows(C.Structure): _fields_ = [("rows", C.c_void_p), ("stride", C.c_size_t), ("scales", C.c_void_p), ("element", C.c_int), ("d", C.c_int)]
class Graph(C.Structure): _fields_ = [(n, C.c_uint32) for n in ["n", "m", "m0", "efc", "max_level", "entry", "dimension"]] + [("level0", C.c_void_p), ("offsets", C.c_void_p), ("upper", C.c_void_p), ("upper_words", C.c_uint64)]
lib.lai_hnsw_scratch_new.restype = C.c_void_p; lib.lai_hnsw_scratch_new.argtypes = [C.c_uint32, C.c_int]
lib.lai_hnsw_builder_new.restype = C.c_void_p; lib.lai_hnsw_builder_new.argtypes = [Rows, C.c_uint32, C.c_int, C.c_int, C.c_uint64]
lib.lai_hnsw_builder_insert.argtypes = [C.c_void_p, C.c_uint32, C.c_void_p]
lib.lai_hnsw_builder_layout.argtypes = [C.c_void_p, C.c_char_p, C.POINTER(C.c_void_p), C.POINTER(C.c_size_t), C.POINTER(C.c_size_t)]
lib.lai_hnsw_builder_tail.argtypes = [C.c_void_p, C.c_void_p]
lib.lai_hnsw_graph_open.argtypes = [C.c_void_p, C.c_size_t, C.c_uint32, C.c_uint32, C.POINTER(Graph), C.POINTER(C.c_char_p)]
lib.lai_hnsw_search.argtypes = [C.POINTER(Graph), C.POINTER(Rows), C.c_void_p, C.c_int, C.c_int, C.c_void_p, C.c_void_p, C.c_void_p, C.c_void_p]
base, qf = sys.argv[1], sys.argv[2]; M = int(sys.argv[3]); EFC = int(sys.argv[4]); T = 2
x = np.ascontiguousarray(np.load(base), dtype=np.float32); q = np.ascontiguousarray(np.load(qf), dtype=np.float32)
n, d = x.shape
rows = Rows(x.ctypes.data, d * 4, None, 0, d)
r0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
b = lib.lai_hnsw_builder_new(rows, n, M, EFC, 1)
s0 = lib.lai_hnsw_scratch_new(n, d)
t = time.time()
lib.lai_hnsw_builder_insert(b, 0, s0)
def work(tid):
    s = lib.lai_hnsw_scratch_new(n, d)
    start = 1 + tid * 256
    while start < n:
        for i in range(start, min(start + 256, n)): lib.lai_hnsw_builder_insert(b, i, s)
        start += T * 256
th = [threading.Thread(target=work, args=(i,)) for i in range(T)]
[h.start() for h in th]; [h.join() for h in th]
bt = time.time() - t
hdr = C.create_string_buffer(64); l0 = C.c_void_p(); l0b = C.c_size_t(); tb = C.c_size_t()
lib.lai_hnsw_builder_layout(b, hdr, C.byref(l0), C.byref(l0b), C.byref(tb))
buf = np.zeros((64 + l0b.value + tb.value + 63) // 4, dtype=np.uint32)
C.memmove(buf.ctypes.data, hdr, 64); C.memmove(buf.ctypes.data + 64, l0, l0b.value); lib.lai_hnsw_builder_tail(b, buf.ctypes.data + 64 + l0b.value)
size = 64 + l0b.value + tb.value
g = Graph(); why = C.c_char_p()
assert lib.lai_hnsw_graph_open(buf.ctypes.data, size, n, d, C.byref(g), C.byref(why)) == 0, why.value
print(f"lai hnsw.c: {n} × {d}, M={M} efConstruction={EFC} built in {bt:.1f} s on {T} threads ({n / bt:.0f} rows/s), graph {size / 2**20:.0f} MiB, peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB (+{(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - r0) / 1024:.0f})", flush=True)
# exact truth
k = 10
sc = q @ x.T
truth = [set(r) for r in np.argsort(-sc, axis=1)[:, :k]]
del sc
S = lib.lai_hnsw_scratch_new(n, d)
out_s = (C.c_float * k)(); out_i = (C.c_uint32 * k)()
for ef in [int(e) for e in (sys.argv[5] if len(sys.argv) > 5 else "16,32,64,96,128,192,256").split(",")]:
    hit = 0; lat = []
    for i in range(len(q)):
        qp = q[i].ctypes.data
        t = time.perf_counter()
        c = lib.lai_hnsw_search(C.byref(g), C.byref(rows), qp, k, ef, None, S, out_s, out_i)
        lat.append(time.perf_counter() - t)
        hit += len(truth[i] & set(out_i[:c]))
    lat.sort()
    print(f"lai ef={ef}: recall@{k} {hit / (len(q) * k):.4f}, {1000 * sum(lat) / len(lat):.3f} ms per query (p50 {1000 * lat[len(lat) // 2]:.3f}, p90 {1000 * lat[len(lat) * 9 // 10]:.3f})", flush=True)
