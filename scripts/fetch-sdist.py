#!/usr/bin/env python3
"""Download one source distribution from PyPI by its file name and check its sha256.

`pip download --no-binary :all:` prepares an sdist's metadata, which installs its build dependencies and, for
llama-cpp-python, builds cmake from source when no wheel fits: many CPU-minutes for a file we only unpack.
This reads PyPI's simple index (JSON, PEP 691) instead and fetches the file itself.
Usage: fetch-sdist.py PROJECT FILENAME SHA256 DEST_DIR
"""
import hashlib, json, os, sys, urllib.request

project, filename, sha, dest = sys.argv[1:5]
index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")
req = urllib.request.Request(f"{index}/{project}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"})
with urllib.request.urlopen(req, timeout=60) as r:
    files = json.load(r)["files"]
url = next((f["url"] for f in files if f["filename"] == filename), None)
if url is None:
    sys.exit(f"lai: {filename}: not in PyPI's index for {project}")
os.makedirs(dest, exist_ok=True)
path = os.path.join(dest, filename)
h = hashlib.sha256()
with urllib.request.urlopen(url, timeout=300) as r, open(path + ".part", "wb") as out:
    while chunk := r.read(1 << 20):
        h.update(chunk)
        out.write(chunk)
if h.hexdigest() != sha:
    os.remove(path + ".part")
    sys.exit(f"lai: {filename}: sha256 mismatch")
os.replace(path + ".part", path)
