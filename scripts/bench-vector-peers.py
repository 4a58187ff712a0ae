#!/usr/bin/env python3
"""hnswlib and faiss (PyPI wheels) on the same vectors as `lai bench-vector --vectors`: build time, peak
memory, and recall@10 against exact search with latency per query (one at a time, one thread) and
throughput (a batch on all threads) at each search beam. Inner product on L2-normalized rows (= cosine).
Usage: bench-vector-peers.py BASE.npy QUERIES.npy [--m 16] [--ef-construction 200] [--threads 2] [--ef 16,32,...]
"""
import argparse, resource, time
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("base"); ap.add_argument("queries")
ap.add_argument("--m", type=int, default=16)
ap.add_argument("--ef-construction", type=int, default=200)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--ef", default="16,32,64,96,128,192,256")
ap.add_argument("--k", type=int, default=10)
ap.add_argument("--only", default="hnswlib,faiss")
a = ap.parse_args()

x = np.load(a.base, mmap_mode="r")
q = np.ascontiguousarray(np.load(a.queries), dtype=np.float32)
n, d = x.shape
efs = [int(e) for e in a.ef.split(",")]


def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def mib(b):
    return f"{b / 2**20:.0f} MiB"


# Exact top-k by blocks of rows (float32 matmul), the reference for recall.
t = time.time()
best_s = np.full((len(q), a.k), -np.inf, dtype=np.float32)
best_i = np.zeros((len(q), a.k), dtype=np.int64)
for s in range(0, n, 100_000):
    sc = q @ np.asarray(x[s : s + 100_000]).T
    idx = np.argpartition(-sc, a.k, axis=1)[:, : a.k]
    cs = np.concatenate([best_s, np.take_along_axis(sc, idx, 1)], 1)
    ci = np.concatenate([best_i, idx + s], 1)
    o = np.argsort(-cs, axis=1)[:, : a.k]
    best_s, best_i = np.take_along_axis(cs, o, 1), np.take_along_axis(ci, o, 1)
truth = [set(r) for r in best_i]
print(f"exact (numpy, {len(q)} queries): {time.time() - t:.1f} s")


def report(name, search):
    for ef in efs:
        hit, lat = 0, []
        for i in range(len(q)):
            t = time.perf_counter()
            ids = search(q[i : i + 1], ef, 1)[0]
            lat.append(time.perf_counter() - t)
            hit += len(truth[i] & set(int(v) for v in ids))
        t = time.perf_counter()
        search(q, ef, a.threads)
        qps = len(q) / (time.perf_counter() - t)
        lat.sort()
        print(f"{name} ef={ef}: recall@{a.k} {hit / (len(q) * a.k):.4f}, {1000 * sum(lat) / len(lat):.3f} ms per query "
              f"(p50 {1000 * lat[len(lat) // 2]:.3f}, p90 {1000 * lat[len(lat) * 9 // 10]:.3f}), {qps:.0f} QPS on {a.threads} threads")


if "hnswlib" in a.only:
    import hnswlib
    r0 = rss()
    p = hnswlib.Index(space="ip", dim=d)
    p.init_index(max_elements=n, M=a.m, ef_construction=a.ef_construction, random_seed=100)
    p.set_num_threads(a.threads)
    t = time.time()
    for s in range(0, n, 100_000):
        p.add_items(np.asarray(x[s : s + 100_000]), np.arange(s, min(s + 100_000, n)))
    print(f"hnswlib {hnswlib.__version__ if hasattr(hnswlib, '__version__') else ''}: {n} × {d}, M={a.m} efConstruction={a.ef_construction} "
          f"built in {time.time() - t:.1f} s on {a.threads} threads ({n / (time.time() - t):.0f} rows/s), peak RSS {mib(rss())} (+{mib(rss() - r0)})")

    def hs(qq, ef, threads):
        p.set_ef(ef); p.set_num_threads(threads)
        return p.knn_query(qq, k=a.k)[0]
    report("hnswlib", hs)
    del p

if "faiss" in a.only:
    import faiss
    faiss.omp_set_num_threads(a.threads)
    r0 = rss()
    f = faiss.IndexHNSWFlat(d, a.m, faiss.METRIC_INNER_PRODUCT)
    f.hnsw.efConstruction = a.ef_construction
    t = time.time()
    for s in range(0, n, 100_000):
        f.add(np.ascontiguousarray(x[s : s + 100_000]))
    print(f"faiss {faiss.__version__} IndexHNSWFlat: {n} × {d}, M={a.m} efConstruction={a.ef_construction} "
          f"built in {time.time() - t:.1f} s on {a.threads} threads ({n / (time.time() - t):.0f} rows/s), peak RSS {mib(rss())} (+{mib(rss() - r0)})")

    def fs(qq, ef, threads):
        faiss.omp_set_num_threads(threads)
        f.hnsw.efSearch = ef
        return f.search(qq, a.k)[1]
    report("faiss", fs)
