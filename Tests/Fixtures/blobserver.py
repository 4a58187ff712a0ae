#!/usr/bin/env python3
"""Test fixture: a tiny HTTP/1.1 server on loopback for lai's pull tests.

Serves files from --root with Range support (GET and HEAD). Paths under /v2/ are mapped like a read-only
OCI registry backed by an Ollama-layout store:
  /v2/<ns>/<name>/manifests/<tag>      -> <root>/manifests/<host>/<ns>/<name>/<tag> (first host found)
  /v2/<ns>/<name>/blobs/sha256:<hex>   -> <root>/blobs/sha256-<hex>
Requests with an absolute URI (proxy form, "GET http://host/path") are served the same way and logged
as proxied. Knobs: --rate BYTES/S per response (to interrupt a transfer midway), --fail N (answer the
first N blob/file GETs with 503), --no-range (ignore Range). /redirect/PATH answers 307 to /PATH.
--token T requires a Bearer token under /v2/, handed out by /token (Docker token auth). Each request is logged to --log as
"METHOD PATH RANGE STATUS BYTES [proxied]". Prints the port on stdout, then serves until killed.
"""
import argparse, glob, os, re, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ap = argparse.ArgumentParser()
ap.add_argument("--root", required=True)
ap.add_argument("--log", default=None)
ap.add_argument("--rate", type=float, default=0)
ap.add_argument("--fail", type=int, default=0)
ap.add_argument("--no-range", action="store_true")
ap.add_argument("--token", default=None, help="require 'Authorization: Bearer TOKEN' under /v2/ (Docker token auth)")
args = ap.parse_args()
lock = threading.Lock()
fails_left = [args.fail]


def log(line):
    if args.log:
        with lock, open(args.log, "a") as f:
            f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def resolve(self, path):
        m = re.fullmatch(r"/v2/([^/]+)/([^/]+)/manifests/([^/]+)", path)
        if m:
            hits = glob.glob(os.path.join(args.root, "manifests", "*", m[1], m[2], m[3]))
            return hits[0] if hits else None, "application/vnd.docker.distribution.manifest.v2+json"
        m = re.fullmatch(r"/v2/([^/]+)/([^/]+)/blobs/sha256:([0-9a-f]{64})", path)
        if m:
            return os.path.join(args.root, "blobs", "sha256-" + m[3]), "application/octet-stream"
        p = os.path.normpath(os.path.join(args.root, path.lstrip("/")))
        return (p if p.startswith(os.path.abspath(args.root)) else None), "application/octet-stream"

    def handle_one(self, head):
        proxied = self.path.startswith("http://")
        path = urlsplit(self.path).path
        if args.token and path == "/token":
            body = ('{"token":"%s"}' % args.token).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
            log(f"{self.command} {self.path} - 200 {len(body)}")
            return
        if args.token and path.startswith("/v2/") and self.headers.get("Authorization") != "Bearer " + args.token:
            self.send_response(401)
            port = self.server.server_address[1]
            self.send_header("WWW-Authenticate",
                             f'Bearer realm="http://127.0.0.1:{port}/token",service="test",scope="repository:library/x:pull"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            log(f"{self.command} {path} - 401 0")
            return
        if path.startswith("/redirect/"):  # like a registry sending blob downloads to a CDN
            self.send_response(307)
            self.send_header("Location", path[len("/redirect"):])
            self.send_header("Content-Length", "0")
            self.end_headers()
            log(f"{self.command} {path} {self.headers.get('Range', '-')} 307 0")
            return
        file, ctype = self.resolve(path)
        rng = self.headers.get("Range", "-")
        if not file or not os.path.isfile(file):
            self.send_response(404)
            body = b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"not found"}]}'
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
            log(f"{self.command} {path} {rng} 404 0{' proxied' if proxied else ''}")
            return
        if not head and "/manifests/" not in path:
            with lock:
                fail = fails_left[0] > 0
                if fail:
                    fails_left[0] -= 1
            if fail:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                log(f"{self.command} {path} {rng} 503 0")
                return
        size = os.path.getsize(file)
        start, end, status = 0, size, 200
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", rng)
        if m and not args.no_range:
            start = int(m[1])
            end = min(size, int(m[2]) + 1) if m[2] else size
            status = 206
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(end - start))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        self.end_headers()
        sent = 0
        if not head:
            with open(file, "rb") as f:
                f.seek(start)
                t0 = time.monotonic()
                try:
                    while sent < end - start:
                        chunk = f.read(min(256 * 1024, end - start - sent))
                        if not chunk:
                            break
                        self.wfile.write(chunk)
                        sent += len(chunk)
                        if args.rate > 0:
                            ahead = sent / args.rate - (time.monotonic() - t0)
                            if ahead > 0:
                                time.sleep(ahead)
                except (BrokenPipeError, ConnectionResetError):
                    pass
        log(f"{self.command} {path} {rng} {status} {sent}{' proxied' if proxied else ''}")

    def do_GET(self):
        self.handle_one(False)

    def do_HEAD(self):
        self.handle_one(True)


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
print(srv.server_address[1], flush=True)
srv.serve_forever()
