#!/usr/bin/env python3
"""The official clients against a running `lai serve` (started by Tests/laiTests/ServeCLITests.swift).

Environment: LAI_URL (http://127.0.0.1:PORT), LAI_CHAT_MODEL, LAI_EMBED_MODEL, EXPECT_GREEDY (what `lai run` answered,
greedy, to GREEDY_PROMPT with GREEDY_TOKENS tokens), EXPECT_EMBEDDING (a JSON list: `lai embed` of EMBED_TEXT),
LAI_REGISTRY (host:port of a registry holding library/smollm2:135m; optional), LAI_PUSH_REGISTRY (host:port of a
writable registry; optional), LAI_F16_GGUF (an F16 GGUF to upload and quantize; optional). Prints one line per check; exits 1 if
any failed. Clients are pinned in the Makefile's serve venv.
"""
import base64, json, math, os, struct, sys, traceback

URL = os.environ["LAI_URL"]
CHAT = os.environ.get("LAI_CHAT_MODEL", "smollm2:135m")
EMBED = os.environ.get("LAI_EMBED_MODEL", "all-minilm")
GREEDY_PROMPT = "Why is the sky blue?"
GREEDY_TOKENS = 24
EMBED_TEXT = "The quick brown fox jumps over the lazy dog."
failures = []


def check(fn):
    try:
        fn()
        print("ok", fn.__name__)
    except Exception as e:  # noqa: BLE001 - report every failure, keep going
        failures.append(fn.__name__)
        print("FAIL", fn.__name__, "-", repr(e))
        traceback.print_exc(limit=3)
    return fn


def close(a, b, tol=1e-5):
    assert len(a) == len(b), f"length {len(a)} != {len(b)}"
    worst = max(abs(x - y) for x, y in zip(a, b))
    assert worst <= tol, f"max difference {worst}"


expect_greedy = os.environ.get("EXPECT_GREEDY")
expect_embedding = json.loads(os.environ["EXPECT_EMBEDDING"]) if os.environ.get("EXPECT_EMBEDDING") else None

# ---------------------------------------------------------------- openai
import openai

oa = openai.OpenAI(base_url=URL + "/v1", api_key="unused", max_retries=0)


@check
def openai_models():
    ids = [m.id for m in oa.models.list()]
    assert CHAT in ids and any(i.startswith(EMBED) for i in ids), ids
    assert oa.models.retrieve(CHAT).id == CHAT


@check
def openai_chat_greedy_equals_lai_run():
    r = oa.chat.completions.create(model=CHAT, messages=[{"role": "user", "content": GREEDY_PROMPT}],
                                   temperature=0, max_tokens=GREEDY_TOKENS)
    text = r.choices[0].message.content
    assert r.usage.completion_tokens > 0 and r.usage.prompt_tokens > 0
    assert r.choices[0].finish_reason in ("stop", "length")
    if expect_greedy is not None:
        assert text == expect_greedy, f"{text!r} != lai run's {expect_greedy!r}"


@check
def openai_chat_stream_with_usage():
    stream = oa.chat.completions.create(model=CHAT, messages=[{"role": "user", "content": GREEDY_PROMPT}],
                                        temperature=0, max_tokens=GREEDY_TOKENS, stream=True,
                                        stream_options={"include_usage": True})
    text, usage, finish = "", None, None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for c in chunk.choices:
            text += c.delta.content or ""
            finish = c.finish_reason or finish
    assert usage is not None and usage.completion_tokens > 0, usage
    assert finish in ("stop", "length")
    if expect_greedy is not None:
        assert text == expect_greedy, f"{text!r} != {expect_greedy!r}"


@check
def openai_completions():
    r = oa.completions.create(model=CHAT, prompt="The capital of France is", max_tokens=5, temperature=0)
    assert r.choices[0].text and r.usage.completion_tokens <= 5


@check
def openai_embeddings_base64_and_float():
    a = oa.embeddings.create(model=EMBED, input=[EMBED_TEXT, "second"])  # the SDK asks for base64
    b = oa.embeddings.create(model=EMBED, input=EMBED_TEXT, encoding_format="float")
    assert len(a.data) == 2 and a.data[1].index == 1
    close(a.data[0].embedding, b.data[0].embedding, 1e-6)
    if expect_embedding is not None:
        close(b.data[0].embedding, expect_embedding)


@check
def openai_errors():
    try:
        oa.chat.completions.create(model="no-such-model:1b", messages=[{"role": "user", "content": "hi"}])
        raise AssertionError("no error")
    except openai.NotFoundError as e:
        assert "not found" in e.message, e.message
    try:
        oa.chat.completions.create(model=CHAT, messages=[{"role": "nobody", "content": "hi"}])
        raise AssertionError("no error")
    except openai.BadRequestError as e:
        assert "messages[0].role" in e.message, e.message


# ---------------------------------------------------------------- ollama
import ollama

ol = ollama.Client(host=URL)


@check
def ollama_list_show_ps():
    names = [m.model for m in ol.list().models]
    assert CHAT in names, names
    s = ol.show(CHAT)
    assert s.details.family == "llama" and "completion" in (s.capabilities or []), s
    assert s.modelinfo and "general.architecture" in s.modelinfo
    ol.generate(model=CHAT, prompt="Hi", options={"num_predict": 1})
    assert CHAT in [m.model for m in ol.ps().models]


@check
def ollama_chat_greedy_and_stream():
    r = ol.chat(model=CHAT, messages=[{"role": "user", "content": GREEDY_PROMPT}],
                options={"temperature": 0, "num_predict": GREEDY_TOKENS})
    assert r.done and r.eval_count > 0 and r.prompt_eval_count > 0 and r.total_duration > 0
    if expect_greedy is not None:
        assert r.message.content == expect_greedy, f"{r.message.content!r} != {expect_greedy!r}"
    parts = list(ol.chat(model=CHAT, messages=[{"role": "user", "content": GREEDY_PROMPT}],
                         options={"temperature": 0, "num_predict": GREEDY_TOKENS}, stream=True))
    assert parts[-1].done and parts[-1].done_reason in ("stop", "length")
    assert "".join(p.message.content for p in parts) == r.message.content


@check
def ollama_generate_and_context():
    r = ol.generate(model=CHAT, prompt="Name a colour.", options={"temperature": 0, "num_predict": 8})
    assert r.done and r.response and r.context
    r2 = ol.generate(model=CHAT, prompt="Another one.", context=r.context, options={"temperature": 0, "num_predict": 8})
    assert r2.done and r2.prompt_eval_count > len(r.context)
    raw = ol.generate(model=CHAT, prompt="<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", raw=True,
                      options={"num_predict": 4})
    assert raw.eval_count <= 4


@check
def ollama_embed():
    r = ol.embed(model=EMBED, input=[EMBED_TEXT, "b"])
    assert len(r.embeddings) == 2 and len(r.embeddings[0]) == 384
    if expect_embedding is not None:
        close(r.embeddings[0], expect_embedding)
    legacy = ol.embeddings(model=EMBED, prompt=EMBED_TEXT)
    close(legacy.embedding, r.embeddings[0], 1e-6)
    short = ol.embed(model=EMBED, input=EMBED_TEXT, dimensions=64)
    assert len(short.embeddings[0]) == 64 and abs(math.fsum(x * x for x in short.embeddings[0]) - 1) < 1e-4


@check
def ollama_copy_delete_errors():
    ol.copy(CHAT, "copied:latest")
    assert "copied:latest" in [m.model for m in ol.list().models]
    ol.delete("copied:latest")
    assert "copied:latest" not in [m.model for m in ol.list().models]
    for call in (lambda: ol.delete("copied:latest"), lambda: ol.chat(model="missing:1b", messages=[{"role": "user", "content": "x"}]),
                 lambda: ol.show("missing:1b")):
        try:
            call()
            raise AssertionError("no error")
        except ollama.ResponseError as e:
            assert e.status_code == 404, e
    try:
        ol.chat(model=CHAT, messages=[{"role": "user", "content": "x"}], options={"num_ctx": -5})
        raise AssertionError("no error")
    except ollama.ResponseError as e:
        assert e.status_code == 400 and "num_ctx" in e.error, e


@check
def ollama_pull_from_local_registry():
    reg = os.environ.get("LAI_REGISTRY")
    if not reg:
        print("  (skipped: no LAI_REGISTRY given)")
        return
    name = f"{reg}/library/smollm2:135m"
    statuses = [p.status for p in ol.pull(name, insecure=True, stream=True)]
    assert statuses[0] == "pulling manifest" and statuses[-1] == "success", statuses
    assert name in [m.model for m in ol.list().models]
    r = ol.generate(model=name, prompt="Hi", options={"num_predict": 2})
    assert r.done
    ol.delete(name)


@check
def ollama_create_from_existing():
    for _ in ol.create(model="pirate:latest", from_=CHAT, system="Talk like a pirate.", parameters={"temperature": 0.1}, stream=True):
        pass
    s = ol.show("pirate:latest")
    assert "pirate" in (s.modelfile or "").lower() or "pirate" in (s.system or "").lower(), s
    ol.delete("pirate:latest")


@check
def ollama_blob_upload_and_create_quantized():
    f16 = os.environ.get("LAI_F16_GGUF")
    if not f16:
        print("  (skipped: no LAI_F16_GGUF given)")
        return
    digest = ol.create_blob(f16)  # POST /api/blobs/<digest> with the file
    assert digest.startswith("sha256:"), digest
    assert ol.create_blob(f16) == digest  # already there: 200, nothing rewritten
    statuses = [p.status for p in ol.create(model="smol-q4:latest", files={"smol.gguf": digest}, quantize="q4_K_M", stream=True)]
    assert any(s.startswith("quantizing F16 model to Q4_K_M") for s in statuses) and statuses[-1] == "success", statuses
    shown = ol.show("smol-q4:latest")
    assert shown.details.quantization_level == "Q4_K_M", shown.details  # Ollama's name, not llama.cpp's "Q4_K - Medium"
    assert ol.generate(model="smol-q4:latest", prompt="Hi", options={"num_predict": 2}).done
    ol.delete("smol-q4:latest")
    # Bad requests: a body that does not match its digest, an unknown blob, an already quantized base, both from and files.
    import httpx
    r = httpx.post(URL + "/api/blobs/sha256:" + "0" * 64, content=b"not these bytes")
    assert r.status_code == 400 and "sha256 mismatch" in r.json()["error"], r.text
    assert httpx.head(URL + "/api/blobs/sha256:" + "0" * 64).status_code == 404
    assert httpx.head(URL + "/api/blobs/sha256:xyz").status_code == 400
    for kwargs, needle in [({"files": {"m.gguf": "sha256:" + "1" * 64}}, "not on the server"),
                           ({"files": {"../m.gguf": digest}}, "not a plain file name"),
                           ({"from_": CHAT, "quantize": "q4_K_M"}, "already quantized"),
                           ({"from_": CHAT, "files": {"m.gguf": digest}}, "not both"),
                           ({"files": {"m.gguf": digest}, "quantize": "q9_X"}, "unknown type")]:
        try:
            for _ in ol.create(model="bad:latest", stream=True, **kwargs):
                pass
            raise AssertionError(f"no error for {kwargs}")
        except ollama.ResponseError as e:
            assert needle in e.error, (kwargs, e.error)


@check
def ollama_push_to_registry():
    reg = os.environ.get("LAI_PUSH_REGISTRY")
    if not reg:
        print("  (skipped: no LAI_PUSH_REGISTRY given: Debian's docker-registry is missing)")
        return
    name = f"{reg}/me/smol:push"
    ol.copy(CHAT, name)
    statuses = [p.status for p in ol.push(name, insecure=True, stream=True)]
    assert statuses[0] == "retrieving manifest" and statuses[-1] == "success", statuses
    assert any(s == "pushing manifest" for s in statuses), statuses
    again = [p.status for p in ol.push(name, insecure=True, stream=True)]
    assert any("already in the registry" in s for s in again), again
    ol.delete(name)
    assert [p.status for p in ol.pull(name, insecure=True, stream=True)][-1] == "success"
    assert ol.generate(model=name, prompt="Hi", options={"num_predict": 2}).done
    ol.delete(name)
    try:
        ol.push("nobody/none:1", insecure=True)
        raise AssertionError("no error")
    except ollama.ResponseError as e:
        assert e.status_code == 404, e


# ---------------------------------------------------------------- langchain-ollama, llama-index
@check
def langchain_ollama():
    from langchain_ollama import ChatOllama, OllamaEmbeddings
    llm = ChatOllama(model=CHAT, base_url=URL, num_ctx=2048, num_predict=8, temperature=0)
    assert llm.invoke("Say hi").content
    assert "".join(c.content for c in llm.stream("Say hi"))
    emb = OllamaEmbeddings(model=EMBED, base_url=URL)
    v = emb.embed_query(EMBED_TEXT)
    if expect_embedding is not None:
        close(v, expect_embedding)


@check
def llama_index_ollama():
    from llama_index.llms.ollama import Ollama
    llm = Ollama(model=CHAT, base_url=URL, context_window=2048, request_timeout=120,
                 additional_kwargs={"num_predict": 8, "temperature": 0})
    assert llm.complete("Say hi").text
    assert "".join(r.delta or "" for r in llm.stream_complete("Say hi"))


if failures:
    print(f"{len(failures)} failed: {', '.join(failures)}")
    sys.exit(1)
print("all client checks passed")
