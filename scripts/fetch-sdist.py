#!/usr/bin/env python3
"""Download one source distribution from PyPI by its file name and check its sha256.

`pip download --no-binary :all:` prepares an sdist's metadata, which installs its build dependencies and, for
llama-cpp-python, builds cmake from source when no wheel fits: many CPU-minutes for a file we only unpack.
This reads PyPI's simple index (JSON, PEP 691) instead and fetches the file itself.
Usage: fetch-sdist.py PROJECT FILENAME SHA256 DEST_DIR
If the index cannot be read (another index, a proxy), it falls back to pip download as before.
"""
import hashlib, json, os, ssl, subprocess, sys, urllib.request

project, filename, sha, dest = sys.argv[1:5]
os.makedirs(dest, exist_ok=True)
path = os.path.join(dest, filename)


def sha256(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def fetch():
    cafile = os.environ.get("PIP_CERT") or None
    ctx = ssl.create_default_context(cafile=cafile if cafile and os.path.exists(cafile) else None)
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")
    req = urllib.request.Request(f"{index}/{project}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(req, timeout=60, context=ctx) as r:
        url = next(f["url"] for f in json.load(r)["files"] if f["filename"] == filename)
    with urllib.request.urlopen(url, timeout=300, context=ctx) as r, open(path + ".part", "wb") as out:
        while chunk := r.read(1 << 20):
            out.write(chunk)
    os.replace(path + ".part", path)


try:
    fetch()
except Exception as e:
    print(f"lai: {filename}: PyPI's simple index failed ({e}); trying pip download", file=sys.stderr)
    version = filename[len(project) + 1:].removesuffix(".tar.gz")
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                    "--dest", dest, f"{project}=={version}"], check=True)
if not os.path.exists(path) or sha256(path) != sha:
    if os.path.exists(path):
        os.remove(path)
    sys.exit(f"lai: {filename}: sha256 mismatch")
