#!/usr/bin/env python3
"""Real vectors for `make bench-vector` (cached under $LAI_CACHE/bench-vector, never committed).

1. corpus.txt: 120,000 distinct text chunks (60-120 characters of consecutive non-empty lines) from text
   that ships on every Debian machine: Python's standard library sources and /usr/share/doc, shuffled with
   a fixed seed.
2. minilm.npy: their all-MiniLM-L6-v2 embeddings from `lai embed` (384-d, L2-normalized); the first
   119,000 rows are the base set (minilm-base.npy), the last 1,000 the held-out queries (minilm-queries.npy).
3. minilm-1m.npy: 1,000,000 rows derived from the base set: row i is base row i mod 119,000 plus Gaussian
   noise of norm 0.3 (seed 1), renormalized (cosine ≈ 0.96 to its source), so the 1M set keeps the real
   embeddings' shape (directions, clusters) at ten times the size.
Usage: bench-vector-data.py LAI_BINARY
"""
import gzip, hashlib, os, random, subprocess, sys
import numpy as np

cache = os.path.join(os.environ.get("LAI_CACHE", os.path.expanduser("~/.cache/lai")), "bench-vector")
os.makedirs(cache, exist_ok=True)
lai = sys.argv[1] if len(sys.argv) > 1 else ".build/release/lai"
corpus = os.path.join(cache, "corpus.txt")
N_TEXTS, N_QUERIES, N_DERIVED = 120_000, 1_000, 1_000_000


def build_corpus():
    files = []
    for root in ["/usr/lib/python3.11", "/usr/share/doc"] + [f"/usr/lib/python3.{v}" for v in range(12, 15)]:
        for d, _, fs in os.walk(root):
            for f in sorted(fs):
                if f.endswith((".py", ".txt", ".md", ".rst", ".gz")) or f in ("copyright", "README", "NEWS", "changelog"):
                    files.append(os.path.join(d, f))
    files.sort()
    chunks, seen, out = [], set(), []
    for p in files:
        try:
            raw = gzip.open(p).read() if p.endswith(".gz") else open(p, "rb").read()
            text = raw.decode("utf-8")
        except Exception:
            continue
        cur = ""
        for line in text.splitlines():
            s = " ".join(line.replace("\t", " ").split())
            if not s:
                if cur:
                    chunks.append(cur)
                    cur = ""
                continue
            cur = (cur + " " + s).strip()
            if len(cur) >= 60:
                chunks.append(cur[:120])
                cur = ""
        if cur:
            chunks.append(cur)
    for c in chunks:
        # Prose and code, not PDF operators or number tables.
        if len(c) < 30 or sum(ch.isalpha() for ch in c) < 0.6 * len(c) or " Tj " in c:
            continue
        h = hashlib.sha1(c.encode()).digest()
        if h not in seen:
            seen.add(h)
            out.append(c)
    random.Random(1).shuffle(out)
    if len(out) < N_TEXTS:
        sys.exit(f"only {len(out)} chunks found; need {N_TEXTS}")
    with open(corpus + ".tmp", "w") as f:
        for c in out[:N_TEXTS]:
            f.write(c + "\n")
    os.replace(corpus + ".tmp", corpus)


def embed():
    model = os.path.join(os.path.dirname(cache), "minilm")
    tsv = os.path.join(cache, "minilm.tsv")
    with open(tsv + ".tmp", "w") as out:
        subprocess.run([lai, "embed", model, "--file", corpus, "--format", "tsv", "--verbose"], stdout=out, check=True)
    rows = np.loadtxt(tsv + ".tmp", dtype=np.float32, delimiter="\t")[:, 1:]
    os.remove(tsv + ".tmp")
    save("minilm.npy", rows)


def save(name, a):
    p = os.path.join(cache, name)
    np.save(p + ".tmp.npy", np.ascontiguousarray(a, dtype=np.float32))
    os.replace(p + ".tmp.npy", p)


def main():
    if not os.path.exists(corpus):
        build_corpus()
    if not os.path.exists(os.path.join(cache, "minilm.npy")):
        embed()
    x = np.load(os.path.join(cache, "minilm.npy"), mmap_mode="r")
    assert x.shape == (N_TEXTS, 384), x.shape
    if not os.path.exists(os.path.join(cache, "minilm-queries.npy")):
        save("minilm-base.npy", x[: N_TEXTS - N_QUERIES])
        save("minilm-queries.npy", x[N_TEXTS - N_QUERIES :])
    if not os.path.exists(os.path.join(cache, "minilm-1m.npy")):
        base = np.load(os.path.join(cache, "minilm-base.npy"))
        rng = np.random.default_rng(1)
        out = np.lib.format.open_memmap(os.path.join(cache, "minilm-1m.tmp.npy"), mode="w+", dtype=np.float32, shape=(N_DERIVED, 384))
        for s in range(0, N_DERIVED, 100_000):
            idx = np.arange(s, s + 100_000) % len(base)
            noise = rng.standard_normal((100_000, 384)).astype(np.float32)
            noise *= 0.3 / np.linalg.norm(noise, axis=1, keepdims=True)
            v = base[idx] + noise
            out[s : s + 100_000] = v / np.linalg.norm(v, axis=1, keepdims=True)
        out.flush()
        del out
        os.replace(os.path.join(cache, "minilm-1m.tmp.npy"), os.path.join(cache, "minilm-1m.npy"))
    print(cache)


main()
