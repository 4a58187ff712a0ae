#!/usr/bin/env python3
"""lai serve's own behaviour, with the standard library only (started by Tests/laiTests/ServeCLITests.swift).

  test_serve.py load URL AUDIT_LOG   server: --parallel 4 --max-queue 2 --ctx-size 1024 --preload CHAT --audit-log AUDIT_LOG
  test_serve.py keys URL AUDIT_LOG   server: --keys FILE (alice: read+infer, 3 requests/min; bob: read; root: admin)
  test_serve.py rerank URL -         the store also holds RERANK_MODEL (a tiny reranker: xlm-roberta or qwen3); its
                                     llama-server responses are RERANK_SCORES (Tests/Fixtures/rerank)
  test_serve.py embed-decoder URL -  the store holds EMBED_MODEL (the tiny Qwen3-Embedding layout); EMBED_REF is
                                     llama-server's /v1/embeddings for its texts
  test_serve.py base-model URL -     the store holds BASE_MODEL, a model without a chat template (tiny gemma3)

Prints one line per check and exits 1 if any failed.
"""
import http.client, json, os, socket, sys, threading, time, traceback
from urllib.parse import urlsplit

MODE, URL, AUDIT = sys.argv[1], sys.argv[2], sys.argv[3]
HOST, PORT = urlsplit(URL).hostname, urlsplit(URL).port
CHAT = os.environ.get("LAI_CHAT_MODEL", "smollm2:135m")
failures = []


def check(fn):
    try:
        fn()
        print("ok", fn.__name__)
    except Exception as e:  # noqa: BLE001
        failures.append(fn.__name__)
        print("FAIL", fn.__name__, "-", repr(e))
        traceback.print_exc(limit=3)
    return fn


def request(method, path, body=None, headers=None, raw=None):
    c = http.client.HTTPConnection(HOST, PORT, timeout=300)
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    c.request(method, path, body=data, headers=headers or {})
    r = c.getresponse()
    payload = r.read()
    c.close()
    try:
        parsed = json.loads(payload) if payload else None
    except ValueError:
        parsed = payload.decode(errors="replace")
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), parsed


def metric(name, labels=""):
    _, _, text = request("GET", "/metrics")
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (not labels or labels in line) and not line.startswith("#"):
            head = line.rsplit(" ", 1)[0]
            if head == name or head.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
    return total


def wait_until(cond, what, seconds=30):
    end = time.time() + seconds
    while time.time() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def audit_lines():
    with open(AUDIT) as f:
        return [json.loads(l) for l in f if l.strip()]


LONG = {"model": CHAT, "messages": [{"role": "user", "content": "Count from 1 to 300, one number per line."}],
        "options": {"num_predict": 96, "temperature": 0}}

if MODE == "load":
    @check
    def eight_streams_four_slots_two_queued():
        results = [None] * 8
        barrier = threading.Barrier(8)

        def one(i):
            c = http.client.HTTPConnection(HOST, PORT, timeout=300)
            barrier.wait()
            c.request("POST", "/api/chat", body=json.dumps(LONG), headers={"Content-Type": "application/json"})
            r = c.getresponse()
            body = r.read().decode()
            results[i] = (r.status, r.getheader("Retry-After"), body)
            c.close()

        threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
        for t in threads: t.start()
        for t in threads: t.join()
        ok = [r for r in results if r[0] == 200]
        busy = [r for r in results if r[0] == 503]
        assert len(ok) == 6 and len(busy) == 2, [r[0] for r in results]
        for status, retry, body in busy:
            assert retry and int(retry) >= 1 and "busy" in json.loads(body)["error"], (retry, body)
        for status, _, body in ok:
            last = json.loads(body.strip().splitlines()[-1])
            assert last["done"] and last["eval_count"] > 0, last
        assert metric("lai_rejections_total", 'reason="queue_full"') >= 2

    @check
    def openai_busy_is_openai_shaped():
        # fill the 4 slots and the queue of 2 with streams we hold open, then one more must get OpenAI's 503 envelope
        conns = []
        for _ in range(6):
            c = http.client.HTTPConnection(HOST, PORT, timeout=300)
            c.request("POST", "/api/chat", body=json.dumps(LONG))
            conns.append(c)
        wait_until(lambda: metric("lai_requests_running") + metric("lai_requests_queued") >= 6, "6 requests in the engine")
        status, headers, body = request("POST", "/v1/chat/completions", {"model": CHAT, "messages": [{"role": "user", "content": "hi"}]})
        assert status == 503 and headers.get("retry-after") and body["error"]["type"] == "server_error", (status, body)
        for c in conns: c.close()
        wait_until(lambda: metric("lai_requests_running") + metric("lai_requests_queued") == 0, "closed streams to leave their slots")

    @check
    def disconnect_frees_the_slot():
        s = socket.create_connection((HOST, PORT))
        body = json.dumps(LONG).encode()
        s.sendall(b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        got = b""
        while b'"done":false' not in got:
            got += s.recv(4096)
        assert metric("lai_requests_running") == 1
        s.close()
        wait_until(lambda: metric("lai_requests_running") == 0, "the slot to be freed")

    @check
    def chat_drops_oldest_turns_and_says_so():
        filler = "word " * 300
        msgs = [{"role": "system", "content": "Be brief."}]
        for i in range(6):
            msgs += [{"role": "user", "content": f"Question {i}: {filler}"}, {"role": "assistant", "content": f"Answer {i}."}]
        msgs.append({"role": "user", "content": "What is 2+2?"})
        status, headers, body = request("POST", "/api/chat", {"model": CHAT, "messages": msgs, "stream": False, "options": {"num_predict": 4}})
        assert status == 200, body
        n = int(headers.get("x-lai-dropped-messages", "0"))
        assert n > 0 and body.get("dropped_messages") == n, (headers, body)

    @check
    def raw_prompt_too_long_is_400_naming_sizes():
        status, _, body = request("POST", "/api/generate", {"model": CHAT, "prompt": "word " * 2000, "raw": True, "stream": False})
        assert status == 400 and "1024" in body["error"] and "tokens" in body["error"], body

    @check
    def num_ctx_beyond_the_slot_is_clamped_with_a_header():
        status, headers, body = request("POST", "/api/chat", {"model": CHAT, "stream": False, "options": {"num_ctx": 8192, "num_predict": 2},
                                                               "messages": [{"role": "user", "content": "hi"}]})
        assert status == 200 and headers.get("x-lai-num-ctx", "").startswith("1024"), headers

    @check
    def bad_requests_are_one_line_errors():
        cases = [
            (b"{not json", 400, "invalid JSON"),
            (b"[1,2]", 400, "JSON object"),
            (b"[" * 100000 + b"]" * 100000, 400, "JSON"),
            (json.dumps({"model": CHAT, "messages": "hi"}).encode(), 400, "'messages'"),
            (json.dumps({"model": CHAT, "messages": [{"role": "user", "content": 5}]}).encode(), 400, "messages[0].content"),
            (json.dumps({"model": "bad name!", "messages": []}).encode(), 400, "model name"),
            (json.dumps({"model": CHAT, "messages": [{"role": "user", "content": "x"}], "options": {"temperature": "hot"}}).encode(), 400, "temperature"),
        ]
        for raw, want, text in cases:
            status, _, body = request("POST", "/api/chat", raw=raw, headers={"Content-Type": "application/json"})
            assert status == want and text in body["error"] and "\n" not in body["error"], (raw[:40], status, body)
        status, _, body = request("POST", "/api/chat", raw=b"x" * (17 << 20))
        assert status == 413, status
        status, _, body = request("GET", "/api/nothing")
        assert status == 404, status

    @check
    def cors_allows_localhost_only():
        _, h, _ = request("GET", "/api/tags", headers={"Origin": "http://localhost:3000"})
        assert h.get("access-control-allow-origin") == "http://localhost:3000", h
        _, h, _ = request("GET", "/api/tags", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in h, h
        status, h, _ = request("OPTIONS", "/v1/chat/completions", headers={"Origin": "http://127.0.0.1:8080", "Access-Control-Request-Method": "POST"})
        assert status == 204 and h.get("access-control-allow-origin") == "http://127.0.0.1:8080", (status, h)

    @check
    def metrics_report_the_work():
        for name in ["lai_http_requests_total", "lai_generated_tokens_total", "lai_prompt_tokens_total", "lai_time_to_first_token_seconds_count",
                     "lai_inter_token_latency_seconds_count", "lai_batch_rows_count", "lai_models_loaded", "lai_resident_memory_bytes"]:
            assert metric(name) > 0, name
        assert metric("lai_http_requests_total", 'route="/api/chat",code="200"') >= 6

    @check
    def keep_alive_zero_unloads():
        assert CHAT in [m["model"] for m in request("GET", "/api/ps")[2]["models"]]
        status, _, body = request("POST", "/api/generate", {"model": CHAT, "keep_alive": 0})
        assert status == 200 and body["done_reason"] == "unload", body
        wait_until(lambda: CHAT not in [m["model"] for m in request("GET", "/api/ps")[2]["models"]], "the model to unload")

    @check
    def audit_log_lines():
        lines = audit_lines()
        chats = [l for l in lines if l["route"] == "/api/chat" and l["status"] == 200]
        assert chats and all(l["completion_tokens"] > 0 and l["model"] == CHAT and "prompt" not in l for l in chats[:3]), chats[:2]
        assert any(l["status"] == 503 for l in lines)
        assert all(l["request_id"] and l["identity"].startswith("anonymous@") for l in lines)

elif MODE == "lru":
    # server: --max-loaded 1
    @check
    def least_recently_used_model_is_evicted():
        EMBED = os.environ.get("LAI_EMBED_MODEL", "all-minilm")
        assert request("POST", "/api/generate", {"model": CHAT, "prompt": "Hi", "stream": False, "options": {"num_predict": 1}})[0] == 200
        assert [m["model"] for m in request("GET", "/api/ps")[2]["models"]] == [CHAT]
        status, _, body = request("POST", "/api/embed", {"model": EMBED, "input": "hello"})
        assert status == 200 and len(body["embeddings"][0]) == 384, body
        names = [m["model"] for m in request("GET", "/api/ps")[2]["models"]]
        assert names == [EMBED + ":latest"] or names == [EMBED], names

elif MODE == "keys":
    ALICE, BOB, ROOT = os.environ["KEY_ALICE"], os.environ["KEY_BOB"], os.environ["KEY_ROOT"]
    chat = {"model": CHAT, "messages": [{"role": "user", "content": "hi"}], "stream": False, "options": {"num_predict": 2}}

    @check
    def open_routes_need_no_key():
        for path in ["/health", "/api/version", "/chat"]:
            assert request("GET", path)[0] == 200, path

    @check
    def keys_are_required_and_checked():
        status, _, body = request("GET", "/api/tags")
        assert status == 401 and "API key" in body["error"], body
        status, _, body = request("GET", "/v1/models", headers={"Authorization": "Bearer wrong"})
        assert status == 401 and body["error"]["type"] == "authentication_error", body
        assert request("GET", "/api/tags", headers={"Authorization": "Bearer " + BOB})[0] == 200
        assert request("GET", "/api/tags", headers={"X-Api-Key": BOB})[0] == 200

    @check
    def scopes_are_enforced():
        status, _, body = request("POST", "/api/chat", chat, headers={"Authorization": "Bearer " + BOB})
        assert status == 403 and "infer" in body["error"], body
        status, _, _ = request("GET", "/metrics", headers={"Authorization": "Bearer " + ALICE})
        assert status == 403
        assert request("GET", "/metrics", headers={"Authorization": "Bearer " + ROOT})[0] == 200

    @check
    def rate_limit_answers_429_with_headers():
        h = {"Authorization": "Bearer " + ALICE}
        codes = []
        for _ in range(4):
            status, headers, body = request("POST", "/api/chat", chat, headers=h)
            codes.append(status)
        assert codes[:3] == [200, 200, 200] and codes[3] == 429, codes
        assert headers.get("x-ratelimit-limit-requests") == "3" and headers.get("x-ratelimit-remaining-requests") == "0", headers
        assert int(headers.get("retry-after", "0")) >= 1 and "rate limit" in body["error"], (headers, body)

    @check
    def audit_names_identities():
        lines = audit_lines()
        ids = {l["identity"] for l in lines}
        assert {"alice", "bob", "root"} <= ids, ids
        assert any(l["identity"] == "alice" and l["status"] == 429 for l in lines)
        assert any(l["status"] == 401 for l in lines)

elif MODE == "rerank":
    RERANK = os.environ["RERANK_MODEL"]
    REF = json.load(open(os.environ["RERANK_SCORES"]))
    QUERY, DOCS = REF["query"], REF["documents"]
    LLAMA = REF["llama_server_v1_rerank"]

    def message(body):
        e = body["error"]  # OpenAI's envelope under /v1, Ollama's string elsewhere
        return e["message"] if isinstance(e, dict) else e

    @check
    def v1_rerank_matches_llama_server():
        status, _, body = request("POST", "/v1/rerank", {"model": RERANK, "query": QUERY, "documents": DOCS})
        assert status == 200, body
        assert body["object"] == "list" and body["model"] == RERANK, body
        assert [r["index"] for r in body["results"]] == [r["index"] for r in LLAMA["results"]], body
        for got, want in zip(body["results"], LLAMA["results"]):
            assert abs(got["relevance_score"] - want["relevance_score"]) <= 2e-3, (got, want)
            assert "document" not in got, got
        assert body["usage"] == LLAMA["usage"], body["usage"]

    @check
    def top_n_documents_as_objects_and_aliases():
        docs = [{"text": d} for d in DOCS]
        status, _, body = request("POST", "/v1/reranking", {"model": RERANK, "query": QUERY, "documents": docs, "top_n": 2,
                                                            "return_documents": True})
        assert status == 200 and len(body["results"]) == 2, body
        best = LLAMA["results"][0]["index"]
        assert body["results"][0]["index"] == best and body["results"][0]["document"] == {"text": DOCS[best]}, body
        assert request("POST", "/reranking", {"model": RERANK, "query": QUERY, "documents": DOCS})[0] == 200

    @check
    def tei_shape_with_texts():
        status, _, body = request("POST", "/rerank", {"model": RERANK, "query": QUERY, "texts": DOCS, "return_text": True})
        assert status == 200 and isinstance(body, list), body
        want = REF["llama_server_tei_rerank"]
        assert [r["index"] for r in body] == [r["index"] for r in want], body
        assert all(set(r) == {"index", "score", "text"} and r["text"] == DOCS[r["index"]] for r in body), body

    @check
    def truncation_is_on_unless_refused():
        long = "Botchan was a boy who was always getting into trouble. " * 60  # past 64 (XLM-R) and 512 (Qwen3) tokens
        status, _, body = request("POST", "/v1/rerank", {"model": RERANK, "query": QUERY, "documents": ["short", long]})
        assert status == 200 and len(body["results"]) == 2, body
        status, _, body = request("POST", "/v1/rerank", {"model": RERANK, "query": QUERY, "documents": ["short", long], "truncate": False})
        assert status == 400 and "document 1" in message(body), body

    @check
    def knowledge_base_retrieval_reranked():
        q = "What are the moons of Mars called?"
        status, _, plain = request("POST", "/lai/v1/retrieve", {"question": q, "kb": "docs", "k": 100})
        assert status == 200 and 3 < len(plain["sources"]) < 100, plain
        assert all("rerank_score" not in s for s in plain["sources"]), plain
        status, _, got = request("POST", "/lai/v1/retrieve", {"question": q, "kb": "docs", "k": 3, "rerank": RERANK, "rerank_depth": 100})
        assert status == 200 and len(got["sources"]) == 3, got
        scores = [s["rerank_score"] for s in got["sources"]]
        assert scores == sorted(scores, reverse=True), scores
        texts = [s["text"] for s in plain["sources"]]
        status, _, best = request("POST", "/v1/rerank", {"model": RERANK, "query": q, "documents": texts, "top_n": 3})
        assert [texts[r["index"]] for r in best["results"]] == [s["text"] for s in got["sources"]], (best, got)
        status, _, bad = request("POST", "/lai/v1/retrieve", {"question": q, "kb": "docs", "rerank": "all-minilm"})
        assert status == 400 and "not a reranker" in message(bad), bad
        status, _, bad = request("POST", "/lai/v1/retrieve", {"question": q, "kb": "docs", "rerank": RERANK, "rerank_depth": 0})
        assert status == 400 and "rerank_depth" in message(bad), bad

    @check
    def bad_requests_are_400s():
        cases = [
            ({"model": RERANK, "documents": DOCS}, "query"),
            ({"model": RERANK, "query": 3, "documents": DOCS}, "query"),
            ({"model": RERANK, "query": QUERY, "documents": []}, "documents"),
            ({"model": RERANK, "query": QUERY}, "documents"),
            ({"model": RERANK, "query": QUERY, "documents": [1, 2]}, "documents[0]"),
            ({"model": RERANK, "query": QUERY, "documents": "one"}, "documents"),
            ({"model": RERANK, "query": QUERY, "documents": DOCS, "top_n": 0}, "top_n"),
            ({"query": QUERY, "documents": DOCS}, "model"),
            ({"model": "all-minilm", "query": QUERY, "documents": DOCS}, "not a reranker"),
            ({"model": CHAT, "query": QUERY, "documents": DOCS}, "not a reranker"),
        ]
        for body, word in cases:
            status, _, got = request("POST", "/v1/rerank", body)
            assert status == 400 and word in message(got), (body, status, got)
        status, _, got = request("POST", "/v1/rerank", {"model": "no-such-model", "query": QUERY, "documents": DOCS})
        assert status == 404, (status, got)
        status, _, got = request("POST", "/v1/rerank", raw=b"{not json")
        assert status == 400, (status, got)

elif MODE == "embed-decoder":
    MODEL = os.environ["EMBED_MODEL"]
    REF = json.load(open(os.environ["EMBED_REF"]))
    TEXTS, WANT = REF["texts"], REF["embeddings"]

    def close(got, want, tol=2e-4):
        return len(got) == len(want) and max(abs(a - b) for a, b in zip(got, want)) <= tol

    @check
    def openai_embeddings_match_llama_server():
        status, _, body = request("POST", "/v1/embeddings", {"model": MODEL, "input": TEXTS})
        assert status == 200, body
        got = [d["embedding"] for d in sorted(body["data"], key=lambda d: d["index"])]
        assert all(close(g, w) for g, w in zip(got, WANT)), "vectors differ from llama-server's"
        assert body["usage"]["prompt_tokens"] == REF["usage"]["prompt_tokens"], body["usage"]

    @check
    def ollama_embed_matches_llama_server():
        status, _, body = request("POST", "/api/embed", {"model": MODEL, "input": TEXTS})
        assert status == 200, body
        assert all(close(g, w) for g, w in zip(body["embeddings"], WANT)), "vectors differ from llama-server's"

    @check
    def it_does_not_chat():
        status, _, body = request("POST", "/api/chat", {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": False})
        assert status == 400 and "embedding model" in json.dumps(body), (status, body)

elif MODE == "base-model":
    MODEL = os.environ["BASE_MODEL"]

    def generate(**extra):
        status, _, body = request("POST", "/api/generate", dict({"model": MODEL, "prompt": "The capital of France is", "stream": False,
                                                                   "options": {"temperature": 0, "num_predict": 8, "seed": 1}}, **extra))
        assert status == 200, body
        return body

    @check
    def generate_completes_the_prompt_as_ollama_does():
        # no template: Ollama's {{ .Prompt }} — the same tokens as raw, not a ChatML turn
        plain, raw = generate(), generate(raw=True)
        assert plain["response"] == raw["response"], (plain["response"], raw["response"])
        assert plain["prompt_eval_count"] == raw["prompt_eval_count"], (plain["prompt_eval_count"], raw["prompt_eval_count"])

    @check
    def a_template_given_in_the_request_still_applies():
        body = generate(template="<|user|>{{ .Prompt }}<|assistant|>")
        assert body["prompt_eval_count"] > generate(raw=True)["prompt_eval_count"], body

if failures:
    print(f"{len(failures)} failed: {', '.join(failures)}")
    sys.exit(1)
print("all serve checks passed")
