#!/usr/bin/env python3
"""Load generator for OpenAI-compatible chat servers (lai serve, llama.cpp's llama-server, ...). Standard library only.

  serve-bench.py --url http://127.0.0.1:8099 --model qwen --streams 1,4 --max-tokens 64 [--json]

For each concurrency level N in --streams, N threads start together (a barrier) and each sends one streaming
POST /v1/chat/completions:

  {"model": M, "messages": [{"role": "user", "content": PROMPT}], "max_tokens": T, "temperature": 0,
   "stream": true, "stream_options": {"include_usage": true}, "ignore_eos": true}

and reads the SSE stream (`data: {...}` events up to `data: [DONE]`). `ignore_eos` makes llama-server generate
exactly max_tokens; servers that do not know the field ignore it, so their streams may stop early (the tokens
column shows it). Each user message is about --prompt-tokens tokens of varied English sentences (the chat template
adds its own, ~30 for Qwen2.5; the prompt tok column is usage.prompt_tokens); its first word differs per request
of the run, and the run's prompts start at --prompt-offset (random by default), so no two requests share more than
the chat template's prefix: llama-server keeps old prompts in RAM (--cache-ram) and a repeated prompt would skip
prefill. The cached tok column is usage.prompt_tokens_details.cached_tokens, where the server reports it.

Per stream: time to first token (request start to the first chunk carrying delta.content or
delta.reasoning_content), completion tokens (usage.completion_tokens of the final chunk when the server sends
usage, else the number of content chunks), end time (the stream's last byte). Per level, with --rounds R the level
is run R times in a row and the figures pooled:

  agg tok/s     total completion tokens / wall time (first request start to last stream end), mean over rounds
  speedup       agg tok/s over that of level 1 (only when level 1 is in --streams)
  ttft          mean, p50, p90 over all streams of all rounds (seconds)
  stream tok/s  mean over streams of completion tokens / (stream end - stream start)
  decode tok/s  mean over streams of (completion tokens - 1) / (stream end - first token): generation only

Prints a table, or with --json one JSON object per level, one a line. A failed request (connection error, HTTP
status other than 200, an `error` event, a stream that ends without [DONE] or a finish_reason) ends the run with
a one-line message on stderr and exit status 1.
"""
import argparse, http.client, json, random, statistics, sys, threading, time, urllib.parse

SENTENCES = [
    "The river ran quietly past the old mill while the miller counted sacks of grain.",
    "A small robot learned to paint by watching the sunset from a hill every evening.",
    "Engineers measured the bridge twice before they allowed the first heavy truck across.",
    "In the library, a forgotten map described a path through the northern mountains.",
    "The baker woke at four, lit the oven, and shaped two hundred loaves before dawn.",
    "Children in the village traded colored stones and stories about the lighthouse keeper.",
    "Our compiler rejected the program because a single bracket was missing on line nine.",
    "Rain fell on the tin roof for three days, and the garden finally turned green.",
    "She tuned the violin carefully, listening for the faint beat between two strings.",
    "The train to the coast left late, so the passengers shared sandwiches and jokes.",
    "A curious fox followed the hikers for a mile, then vanished into the tall grass.",
    "The committee argued about the budget until someone suggested a simpler spreadsheet.",
]
FIRST_WORDS = [
    "Today", "Yesterday", "Meanwhile", "Suddenly", "Later", "Once", "Often", "Sometimes", "Afterwards", "Now",
    "Then", "Still", "Perhaps", "Clearly", "Honestly", "Quietly", "Eventually", "Finally", "Naturally", "Frankly",
    "Luckily", "Oddly", "Surely", "Briefly", "Happily", "Sadly", "Slowly", "Rarely", "Usually", "Again",
    "Next", "Tonight",
]


class BenchError(Exception):
    pass


def make_prompt(index, approx_tokens):
    """About approx_tokens tokens (each sentence is ~16.5 tokens). Prompts with different indices differ from the
    second token on ("Story INDEX. FIRSTWORD, ...")."""
    first = f"Story {index}. " + FIRST_WORDS[index % len(FIRST_WORDS)]
    tail = "Continue this story in plain prose."
    parts, tokens, k = [first + ","], 6 + 8, index
    while tokens < approx_tokens:
        s = SENTENCES[k % len(SENTENCES)]
        parts.append(s[0].lower() + s[1:] if len(parts) == 1 else s)
        tokens += 17
        k += 5  # co-prime with len(SENTENCES): varied order per stream
    parts.append(tail)
    return " ".join(parts)


def quantile(values, q):
    v = sorted(values)
    if not v:
        return None
    pos = (len(v) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


class Target:
    def __init__(self, url, headers, timeout):
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise BenchError(f"bad --url {url!r} (want http://HOST:PORT)")
        self.https = u.scheme == "https"
        self.host = u.hostname
        self.port = u.port or (443 if self.https else 80)
        base = u.path.rstrip("/")
        self.path = base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")
        self.headers = headers
        self.timeout = timeout

    def connect(self):
        cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        return cls(self.host, self.port, timeout=self.timeout)


def run_stream(target, body, barrier, out):
    """One request; fills out with start, first (first token), end, tokens, chunks, prompt_tokens, error."""
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
    headers.update(target.headers)
    conn = target.connect()
    try:
        barrier.wait()
        out["start"] = time.perf_counter()
        conn.request("POST", target.path, body=data, headers=headers)
        resp = conn.getresponse()
        if resp.status != 200:
            text = resp.read(400).decode("utf-8", "replace").strip().replace("\n", " ")
            raise BenchError(f"HTTP {resp.status} {resp.reason}: {text}")
        first = None
        chunks = 0
        usage = None
        done = False
        finish = None
        while True:
            line = resp.readline()
            if not line:
                break
            line = line.strip()
            if not line or line.startswith(b":"):
                continue
            if not line.startswith(b"data:"):
                continue  # event:, id:, retry: fields
            payload = line[5:].strip()
            if payload == b"[DONE]":
                done = True
                break
            try:
                ev = json.loads(payload)
            except ValueError:
                raise BenchError(f"bad SSE data: {payload[:120]!r}")
            if "error" in ev:
                err = ev["error"]
                msg = err.get("message") if isinstance(err, dict) else err
                raise BenchError(f"server error event: {msg}")
            if ev.get("usage"):
                usage = ev["usage"]
            for ch in ev.get("choices") or []:
                delta = ch.get("delta") or {}
                if delta.get("content") or delta.get("reasoning_content") or delta.get("reasoning"):
                    chunks += 1
                    if first is None:
                        first = time.perf_counter()
                if ch.get("finish_reason"):
                    finish = ch["finish_reason"]
        out["end"] = time.perf_counter()
        if not done and finish is None:
            raise BenchError("stream ended without [DONE] or a finish_reason")
        if first is None:
            raise BenchError("stream carried no content")
        out["first"] = first
        out["chunks"] = chunks
        out["finish"] = finish
        if usage and usage.get("completion_tokens") is not None:
            out["tokens"] = int(usage["completion_tokens"])
            out["prompt_tokens"] = usage.get("prompt_tokens")
            details = usage.get("prompt_tokens_details") or {}
            out["cached_tokens"] = details.get("cached_tokens")
        else:
            out["tokens"] = chunks
    except BenchError as e:
        out["error"] = str(e)
    except (OSError, http.client.HTTPException) as e:
        out["error"] = f"{type(e).__name__}: {e}"
    except threading.BrokenBarrierError:
        out["error"] = "barrier broken"
    finally:
        conn.close()


def run_level(target, args, n, first_prompt):
    barrier = threading.Barrier(n)
    outs = [dict() for _ in range(n)]
    threads = []
    for i in range(n):
        # a fresh first word for every request of the run: no prompt-cache hits between rounds or levels
        prompt = make_prompt(first_prompt + i, args.prompt_tokens)
        body = {
            "model": args.model,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": args.max_tokens,
            "temperature": 0,
            "stream": True,
            "stream_options": {"include_usage": True},
            "ignore_eos": True,
        }
        t = threading.Thread(target=run_stream, args=(target, body, barrier, outs[i]), daemon=True)
        threads.append(t)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for o in outs:
        if "error" in o:
            raise BenchError(o["error"])
    return outs


def summarize(n, rounds):
    ttft, stream_tps, decode_tps, tokens, agg, prompt_tokens, cached = [], [], [], [], [], [], []
    for outs in rounds:
        start = min(o["start"] for o in outs)
        end = max(o["end"] for o in outs)
        total = sum(o["tokens"] for o in outs)
        agg.append(total / (end - start))
        for o in outs:
            ttft.append(o["first"] - o["start"])
            stream_tps.append(o["tokens"] / (o["end"] - o["start"]))
            if o["tokens"] > 1 and o["end"] > o["first"]:
                decode_tps.append((o["tokens"] - 1) / (o["end"] - o["first"]))
            tokens.append(o["tokens"])
            if o.get("prompt_tokens") is not None:
                prompt_tokens.append(o["prompt_tokens"])
            if o.get("cached_tokens") is not None:
                cached.append(o["cached_tokens"])
    return {
        "streams": n,
        "rounds": len(rounds),
        "agg_tok_s": statistics.mean(agg),
        "agg_tok_s_rounds": agg,
        "speedup": None,
        "ttft_mean_s": statistics.mean(ttft),
        "ttft_p50_s": quantile(ttft, 0.5),
        "ttft_p90_s": quantile(ttft, 0.9),
        "stream_tok_s_mean": statistics.mean(stream_tps),
        "decode_tok_s_mean": statistics.mean(decode_tps) if decode_tps else None,
        "completion_tokens_min": min(tokens),
        "completion_tokens_max": max(tokens),
        "completion_tokens_total": sum(tokens),
        "prompt_tokens_mean": statistics.mean(prompt_tokens) if prompt_tokens else None,
        "cached_tokens_mean": statistics.mean(cached) if cached else None,
    }


def print_table(rows, args):
    print(f"model {args.model}  max_tokens {args.max_tokens}  prompt ~{args.prompt_tokens} tokens  "
          f"rounds {args.rounds}  prompt offset {args.prompt_offset}  {args.url}")
    cols = ["streams", "agg tok/s", "speedup", "ttft mean", "ttft p50", "ttft p90", "stream tok/s",
            "decode tok/s", "tokens", "prompt tok", "cached tok"]
    lines = []
    for r in rows:
        toks = (str(r["completion_tokens_min"]) if r["completion_tokens_min"] == r["completion_tokens_max"]
                else f'{r["completion_tokens_min"]}-{r["completion_tokens_max"]}')
        lines.append([
            str(r["streams"]),
            f'{r["agg_tok_s"]:.1f}',
            "–" if r["speedup"] is None else f'{r["speedup"]:.2f}x',
            f'{r["ttft_mean_s"]:.3f}s',
            f'{r["ttft_p50_s"]:.3f}s',
            f'{r["ttft_p90_s"]:.3f}s',
            f'{r["stream_tok_s_mean"]:.1f}',
            "–" if r["decode_tok_s_mean"] is None else f'{r["decode_tok_s_mean"]:.1f}',
            toks,
            "–" if r["prompt_tokens_mean"] is None else f'{r["prompt_tokens_mean"]:.0f}',
            "–" if r["cached_tokens_mean"] is None else f'{r["cached_tokens_mean"]:.0f}',
        ])
    widths = [max(len(c), *(len(l[i]) for l in lines)) for i, c in enumerate(cols)]
    print("  ".join(c.rjust(w) for c, w in zip(cols, widths)))
    for l in lines:
        print("  ".join(v.rjust(w) for v, w in zip(l, widths)))


def parse_args(argv):
    p = argparse.ArgumentParser(description="Streaming load generator for OpenAI-compatible chat servers.")
    p.add_argument("--url", required=True, help="server base URL, e.g. http://127.0.0.1:8099")
    p.add_argument("--model", required=True, help="model name sent in the request")
    p.add_argument("--streams", default="1,4", help="comma-separated concurrency levels, run in turn (default 1,4)")
    p.add_argument("--max-tokens", type=int, default=64, help="max_tokens per request (default 64)")
    p.add_argument("--prompt-tokens", type=int, default=128, help="approximate prompt length in tokens (default 128)")
    p.add_argument("--rounds", type=int, default=2, help="runs of each level, pooled (default 2)")
    p.add_argument("--prompt-offset", type=int, default=None,
                   help="index of the run's first prompt (default random: no cache hits from an earlier run)")
    p.add_argument("--timeout", type=float, default=600, help="socket timeout per request in seconds (default 600)")
    p.add_argument("--header", action="append", default=[], metavar="'NAME: VALUE'",
                   help="extra request header, repeatable")
    p.add_argument("--json", action="store_true", help="print one JSON object per level instead of a table")
    args = p.parse_args(argv)
    try:
        args.levels = [int(s) for s in args.streams.split(",") if s.strip()]
    except ValueError:
        p.error(f"bad --streams {args.streams!r}")
    if not args.levels or any(n < 1 for n in args.levels):
        p.error("--streams wants positive integers")
    if args.max_tokens < 1 or args.rounds < 1 or args.prompt_tokens < 1:
        p.error("--max-tokens, --rounds and --prompt-tokens must be positive")
    headers = {}
    for h in args.header:
        name, sep, value = h.partition(":")
        if not sep or not name.strip():
            p.error(f"bad --header {h!r} (want 'Name: value')")
        headers[name.strip()] = value.strip()
    args.headers = headers
    if args.prompt_offset is None:
        args.prompt_offset = random.randrange(1_000_000)
    return args


def main(argv):
    args = parse_args(argv)
    try:
        target = Target(args.url, args.headers, args.timeout)
        rows = []
        next_prompt = args.prompt_offset
        for n in args.levels:
            rounds = []
            for _ in range(args.rounds):
                rounds.append(run_level(target, args, n, next_prompt))
                next_prompt += n
            rows.append(summarize(n, rounds))
        base = next((r["agg_tok_s"] for r in rows if r["streams"] == 1), None)
        for r in rows:
            if base:
                r["speedup"] = r["agg_tok_s"] / base
    except BenchError as e:
        print(f"serve-bench: {e}", file=sys.stderr)
        return 1
    if args.json:
        for r in rows:
            print(json.dumps(r))
    else:
        print_table(rows, args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
