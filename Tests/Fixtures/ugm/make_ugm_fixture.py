#!/usr/bin/env python3
"""A Unigram (UGM, tokenizer.ggml.model "t5") vocabulary and llama.cpp's token ids for it.

  make_ugm_fixture.py WORK_DIR CONVERTER_DIR LLAMA_BUILD_BIN SPM_MODEL

1. WORK_DIR/hf: a tiny random XLMRobertaModel (transformers, seed 0; hidden 32, 2 layers, 64 positions) whose
   tokenizer is SPM_MODEL saved through XLMRobertaTokenizerFast (sentencepiece.bpe.model, tokenizer.json with its
   RobertaProcessing post-processor, tokenizer_config.json), as bge-m3 / multilingual-e5 ship theirs.
2. WORK_DIR/xlmr-tiny.f32.gguf (the whole model) and ugm-botchan.vocab.gguf next to this script (--vocab-only),
   both by llama.cpp's convert_hf_to_gguf.py (its _xlmroberta_set_vocab: model "t5", precompiled_charsmap,
   add_space_prefix / remove_extra_whitespaces from the SentencePiece normalizer spec, ids realigned
   fairseq-style: <s> <pad> </s> <unk>, then the pieces shifted by one).
3. ugm-botchan.tokens.json next to this script: for every string in STRINGS, llama-server's /tokenize ids
   (add_special true and false; parse_special true, the server's default) and /detokenize of those ids (the
   pieces concatenated), plus, through libllama itself (ctypes bindings of llama-cpp-python), llama_tokenize with
   parse_special false and llama_detokenize (remove_special false and true) of the add_special ids.
   llama-server's ids and libllama's are checked equal here.
4. ugm-botchan-userdef.vocab.gguf / .tokens.json and ugm-botchan-nocharsmap.vocab.gguf / .tokens.json: that
   vocabulary edited with gguf-py (see make_variant: user-defined tokens, an unused one, one whose score makes the
   unknown penalty matter, remove_extra_whitespaces false; the charsmap kept / dropped), tokenized and
   detokenized by libllama alone (llama-server cannot load a vocabulary-only file).
5. xlmr-tiny.weights.gguf / xlmr-tiny.embeddings.json: the model converted with --outtype f16, without its
   tokenizer.* keys (the test adds ugm-botchan.vocab.gguf's back, which makes the converter's F16 file again),
   and llama-server's /v1/embeddings of EMBED_TEXTS with --pooling mean and cls on that F16 file.

The committed fixtures were made with SPM_MODEL = botchan_en_unigram_1000.model from the sentencepiece 0.2.3 sdist
(test/; a 1000-piece unigram model with nfkc normalization and a 237 KB precompiled charsmap), transformers
4.57.6, protobuf 6, llama-cpp-python 0.3.36's vendored llama.cpp converter and /work/tools/llama-build's
llama-server / libllama.
"""
import contextlib, json, os, shutil, socket, subprocess, sys, time, types, urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent

STRINGS = [
    "",
    " ",
    "  ",
    "   ",
    "\t",
    "\n",
    "\n\n",
    " \n ",
    "Hello world",
    "hello world",
    " Hello world",
    "Hello world ",
    "  leading spaces",
    "trailing spaces   ",
    "multiple   spaces    inside",
    "tab\tseparated\tvalues",
    "new\nline and\r\nwindows",
    "Botchan was a boy who was always getting into trouble.",
    "I'm sure you don't know what it is, do you?",
    "123 4567 89.5 1,000,000",
    "!!!???... (parens) [brackets] {braces}",
    "Mixed CASE Words and ALLCAPS",
    "café naïve résumé Crème brûlée",
    "e\u0301 a\u0308 combining marks",
    "\u212b\u2126 angstrom and ohm signs",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
    "\ufb01nance \ufb02ow \ufb00 ligatures",
    "① ② ⑩ circled",
    "㍻ ㌔ ㎏ squared",
    "Ⅻ ⅷ roman",
    "x² H₂O ½ ¾",
    "ｶﾀｶﾅ ﾊﾟﾋﾟ half-width",
    "日本語のテキスト",
    "中文 한국어",
    "emoji 😀👍🏽 🤖",
    "no\u00a0break\u3000ideographic space",
    "zero\u200bwidth\ufeffbom",
    "math ∮ ⊕ ≠ ∞",
    "\u0001\u0002 control \u007f",
    "‘quotes’ “double” … — –",
    "<s>",
    "</s>",
    "<unk>",
    "<pad>",
    "<mask>",
    "Hello <s> world </s> again",
    "<s><s></s>",
    "a<unk>b",
    "ab</s>",
    " <s> spaced </s> ",
    "The quick brown fox jumps over the lazy dog. " * 3,
    "\u2581already escaped\u2581",
    "a",
    "A",
    ".",
]


def sh(cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr)
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def make_hf(hf: Path, spm: Path):
    import torch
    import transformers
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizerFast
    if hf.exists():
        shutil.rmtree(hf)
    hf.mkdir(parents=True)
    tmp = hf.parent / "spm"
    tmp.mkdir(exist_ok=True)
    shutil.copy(spm, tmp / "sentencepiece.bpe.model")
    tok = XLMRobertaTokenizerFast(vocab_file=str(tmp / "sentencepiece.bpe.model"))
    tok.save_pretrained(str(hf))
    torch.manual_seed(0)
    cfg = XLMRobertaConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=64, max_position_embeddings=66, type_vocab_size=1,
                           pad_token_id=1, bos_token_id=0, eos_token_id=2)
    model = XLMRobertaModel(cfg, add_pooling_layer=False)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.2)
    model.save_pretrained(str(hf), safe_serialization=True)
    print(f"transformers {transformers.__version__}, vocab {len(tok)}", file=sys.stderr)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def post(port, path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


@contextlib.contextmanager
def llama_server(bindir: Path, model: Path, *args: str, ctx: int = 64):
    """llama-server on a free port with --embeddings and ARGS, waited for until /health answers; yields the port."""
    port = free_port()
    env = dict(os.environ, LD_LIBRARY_PATH=str(bindir))
    proc = subprocess.Popen([str(bindir / "llama-server"), "-m", str(model), "--embeddings", *args, "--port", str(port),
                             "-t", "2", "-c", str(ctx)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except Exception:
                time.sleep(0.2)
        else:
            raise SystemExit("llama-server did not start")
        yield port
    finally:
        proc.terminate()
        proc.wait()


def server_ids(bindir: Path, model: Path):
    with llama_server(bindir, model) as port:
        out = []
        for s in STRINGS:
            ids_sp = post(port, "/tokenize", {"content": s, "add_special": True})["tokens"]
            ids = post(port, "/tokenize", {"content": s, "add_special": False})["tokens"]
            detok = post(port, "/detokenize", {"tokens": ids_sp})["content"]
            out.append({"text": s, "ids_add_special": ids_sp, "ids": ids, "server_detokenize": detok})
        return out


class Lib:
    """llama_tokenize / llama_detokenize straight from libllama (llama-cpp-python's ctypes bindings)."""
    def __init__(self, bindir: Path):
        sys.path.insert(0, str(Path(os.environ.get("LLAMA_CPP_PYTHON", "/work/tools/llama_cpp_python-0.3.36"))))
        os.environ["LLAMA_CPP_LIB_PATH"] = str(bindir)
        dc = types.ModuleType("diskcache"); dc.Cache = object   # llama_cpp's cache module wants it; unused here
        sys.modules.setdefault("diskcache", dc)
        import llama_cpp.llama_cpp as L
        L.llama_backend_init()
        self.L = L

    def cases(self, model: Path, strings, check=None):
        import ctypes
        L = self.L
        mp = L.llama_model_default_params()
        mp.vocab_only = True
        m = L.llama_model_load_from_file(str(model).encode(), mp)
        assert m, f"libllama could not load {model}"
        v = L.llama_model_get_vocab(m)

        def tokenize(s, add, parse):
            b = s.encode()
            buf = (L.llama_token * (len(b) * 2 + 8))()
            n = L.llama_tokenize(v, b, len(b), buf, len(buf), add, parse)
            assert n >= 0
            return list(buf[:n])

        def detokenize(ids, remove_special, unparse_special):
            arr = (L.llama_token * max(1, len(ids)))(*ids)
            cap = 64 + 64 * len(ids)
            out = ctypes.create_string_buffer(cap)
            n = L.llama_detokenize(v, arr, len(ids), out, cap, remove_special, unparse_special)
            assert n >= 0
            return out.raw[:n].decode("utf-8")

        out = []
        for i, s in enumerate(strings):
            c = {"text": s, "ids_add_special": tokenize(s, True, True), "ids": tokenize(s, False, True),
                 "ids_no_parse_special": tokenize(s, True, False)}
            if check is not None:
                assert c["ids_add_special"] == check[i]["ids_add_special"], s
                assert c["ids"] == check[i]["ids"], s
                c["server_detokenize"] = check[i]["server_detokenize"]
            # lai's decode(skipSpecial: false) is llama_detokenize(remove_special false, unparse_special true);
            # decode(skipSpecial: true) is (true, false)
            c["detokenize"] = detokenize(c["ids_add_special"], False, True)
            c["detokenize_remove_special"] = detokenize(c["ids_add_special"], True, False)
            out.append(c)
        L.llama_model_free(m)
        return out


EMBED_TEXTS = [
    "Hello world", "Botchan was a boy who was always getting into trouble.", "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
    "\ufb01nance \ufb02ow", "日本語のテキスト", "emoji 😀👍🏽 🤖", "  leading   and trailing  ", "café naïve résumé",
    "I'm sure you don't know what it is, do you?", "x", "① ② ⑩ circled", "tab\tseparated",
]


def server_embeddings(bindir: Path, model: Path, pooling: str):
    with llama_server(bindir, model, "--pooling", pooling, "-b", "64", "-ub", "64") as port:
        return [post(port, "/v1/embeddings", {"input": t})["data"][0]["embedding"] for t in EMBED_TEXTS]


def write_weights_only(src: Path, dst: Path):
    """The converted model without its tokenizer.* keys (the test puts ugm-botchan.vocab.gguf's back)."""
    sys.path.insert(0, str(Path(os.environ["CONVERTER_DIR"]) / "gguf-py"))
    from gguf import GGUFReader, GGUFValueType, GGUFWriter
    r = GGUFReader(str(src))
    w = GGUFWriter(str(dst), r.fields["general.architecture"].contents())
    for name, f in r.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture" or name.startswith("tokenizer."):
            continue
        w.add_key_value(name, f.contents(), f.types[0], f.types[-1] if f.types[0] == GGUFValueType.ARRAY else None)
    for t in r.tensors:
        w.add_tensor(t.name, t.data, raw_shape=list(reversed([int(x) for x in t.shape])), raw_dtype=t.tensor_type)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


USERDEF_STRINGS = STRINGS + [
    "<custom>", "a<custom>b", "the other then", "  the  <custom>  the  ", "Hello the world",
    "\ufb01x \ufb01ne fix", "\ufb01", "Ｈello Ｈe Ｈ", "<c <cc c< <", "zq zqzq azq", "qz", "<αβ", "x<αβ <α β αβ α",
]


def make_variant(src: Path, dst: Path, charsmap: bool):
    """The converter's vocabulary edited with gguf-py: remove_extra_whitespaces false; id 1001 renamed <custom>
    and it, "\u2581the", and two new tokens "\ufb01x" and "Ｈe" made USER_DEFINED (the normalizer passes input that
    walks into the user-defined trie through unchanged, so "\ufb01ne" keeps its ligature); new normal tokens "αβ"
    (-0.5), "<α" (the lowest score) and "β" (-8), so that "<αβ" is "<α" + "β" (lowest - 8) with the unknown
    penalty 10 but would be <unk> + "αβ" (lowest - 5.5) with 5; a new UNUSED token "\u2581zq" scoring -1 (unused
    tokens are Viterbi candidates); the precompiled_charsmap kept or dropped."""
    sys.path.insert(0, str(Path(os.environ["CONVERTER_DIR"]) / "gguf-py"))
    from gguf import GGUFReader, GGUFValueType, GGUFWriter
    r = GGUFReader(str(src))
    arch = r.fields["general.architecture"].contents()
    w = GGUFWriter(str(dst), arch)
    tokens = list(r.fields["tokenizer.ggml.tokens"].contents())
    types = list(r.fields["tokenizer.ggml.token_type"].contents())
    scores = list(r.fields["tokenizer.ggml.scores"].contents())
    low = min(sc for sc, ty in zip(scores, types) if ty == 1)
    tokens[1001] = "<custom>"; types[1001] = 4; scores[1001] = 0.0
    types[tokens.index("\u2581the")] = 4
    for text, ty, sc in [("\ufb01x", 4, 0.0), ("Ｈe", 4, 0.0), ("\u2581zq", 5, -1.0),
                           ("αβ", 1, -0.5), ("<α", 1, low), ("β", 1, -8.0)]:
        tokens.append(text); types.append(ty); scores.append(sc)
    for name, f in r.fields.items():
        if name.startswith("GGUF.") or name == "general.architecture":
            continue
        if name == "tokenizer.ggml.precompiled_charsmap" and not charsmap:
            continue
        val = f.contents()
        vtype = f.types[0]
        sub = f.types[-1] if vtype == GGUFValueType.ARRAY else None
        if name == "tokenizer.ggml.tokens":
            val = tokens
        elif name == "tokenizer.ggml.token_type":
            val = types
        elif name == "tokenizer.ggml.scores":
            val = scores
        elif name == "tokenizer.ggml.remove_extra_whitespaces":
            val = False
        w.add_key_value(name, val, vtype, sub)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    work, conv, bindir, spm = (Path(a).resolve() for a in sys.argv[1:5])
    os.environ["CONVERTER_DIR"] = str(conv)
    work.mkdir(parents=True, exist_ok=True)
    hf = work / "hf"
    make_hf(hf, spm)
    full = work / "xlmr-tiny.f32.gguf"
    vocab = HERE / "ugm-botchan.vocab.gguf"
    py = sys.executable
    sh([py, conv / "convert_hf_to_gguf.py", hf, "--outtype", "f32", "--outfile", full])
    sh([py, conv / "convert_hf_to_gguf.py", hf, "--vocab-only", "--outfile", vocab])
    served = server_ids(bindir, full)
    lib = Lib(bindir)
    cases = lib.cases(vocab, STRINGS, check=served)
    doc = {
        "source": "llama-server /tokenize (parse_special true) and /detokenize, equal to libllama's llama_tokenize; "
                  "libllama llama_tokenize (parse_special false) and llama_detokenize; made by make_ugm_fixture.py",
        "model": vocab.name,
        "cases": cases,
    }
    (HERE / "ugm-botchan.tokens.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    for name, charsmap in [("ugm-botchan-userdef", True), ("ugm-botchan-nocharsmap", False)]:
        variant = HERE / f"{name}.vocab.gguf"
        make_variant(vocab, variant, charsmap)
        doc = {
            "source": "libllama llama_tokenize / llama_detokenize on the edited vocabulary (see make_variant)",
            "model": variant.name,
            "cases": lib.cases(variant, USERDEF_STRINGS),
        }
        (HERE / f"{name}.tokens.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    # the whole model in F16 for lai embed: weights without the vocabulary, and llama-server's embeddings
    f16 = work / "xlmr-tiny.f16.gguf"
    sh([py, conv / "convert_hf_to_gguf.py", hf, "--outtype", "f16", "--outfile", f16])
    write_weights_only(f16, HERE / "xlmr-tiny.weights.gguf")
    doc = {
        "source": "llama-server --embeddings --pooling P, /v1/embeddings (L2-normalized), on the converter's F16 "
                  "file that xlmr-tiny.weights.gguf + ugm-botchan.vocab.gguf's tokenizer keys reassemble",
        "texts": EMBED_TEXTS,
        "mean": server_embeddings(bindir, f16, "mean"),
        "cls": server_embeddings(bindir, f16, "cls"),
    }
    (HERE / "xlmr-tiny.embeddings.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    print(f"{len(STRINGS)} + {len(USERDEF_STRINGS)} strings, {len(EMBED_TEXTS)} embeddings", file=sys.stderr)


if __name__ == "__main__":
    main()
