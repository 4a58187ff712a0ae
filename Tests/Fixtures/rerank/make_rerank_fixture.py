#!/usr/bin/env python3
"""Reference scores for the tiny random rerankers (cross-encoders) of Tests/Fixtures/hfconvert.

  make_rerank_fixture.py CONVERTER_DIR LLAMA_BUILD_BIN [HF_BPE_DIR]

For xlm-roberta-reranker (bge-reranker-v2-m3's XLMRobertaForSequenceClassification layout) and bert-reranker
(a BertForSequenceClassification cross-encoder), both made by ../hfconvert/make_tiny_hf.py:
1. the folder converted by llama.cpp's convert_hf_to_gguf.py (--outtype f32, into a temporary directory);
2. llama-server --reranking on that file: POST /v1/rerank with QUERY and DOCUMENTS (top_n = all), its response
   kept as it came (results sorted by relevance_score, usage), and POST /rerank with "texts" (the TEI form);
3. for xlm-roberta-reranker also transformers' own logits for the same (query, document) pairs
   (XLMRobertaForSequenceClassification on tokenizer(query, document)): the pair is <s> q </s></s> d </s> there
   as in llama.cpp, and the classification head is the same, so the two peers agree.
   bert-reranker has no transformers reference: the converter drops BERT's pooler (dense + tanh before the
   classifier) and llama.cpp feeds token type 0 to the second segment, so llama.cpp scores such a GGUF
   differently from transformers by design; lai follows llama.cpp on the GGUF.
With HF_BPE_DIR (make hf-bpe's folders), also qwen3-reranker and qwen3-vl-reranker (Qwen3-Reranker-0.6B's and
Qwen3-VL-Reranker's layouts, decoders; transformers runs the VL one as Qwen3VLForConditionalGeneration on text): llama-server
scores it with the converter's "rerank" prompt template ({query}, {document} filled in, tokenized with special tokens,
no BOS), rank pooling at the last token and a softmax over cls.output's (yes, no) rows; transformers'
Qwen3ForCausalLM on the same prompt ids (its own tokenizer) gives softmax(logit[yes], logit[no])[0] — the official
Qwen3-Reranker score.
And qwen3-embedding (Qwen3-Embedding-0.6B's layout: last-token pooling, EOS appended): llama-server --embeddings
/v1/embeddings (normalized) for the documents and for queries with the model's instruction prompt, written to
qwen3-embedding.embeddings.json.
Written to <name>.scores.json next to this script. The committed files were made with transformers 4.57.6,
torch 2.15 CPU and llama-cpp-python 0.3.36's vendored llama.cpp (converter and an AVX2 build of llama-server).
"""
import json, subprocess, sys, tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "ugm"))
from make_ugm_fixture import llama_server, post  # noqa: E402

QUERY = "who was always getting into trouble?"
DOCUMENTS = [
    "Botchan was a boy who was always getting into trouble.",
    "The quick brown fox jumps over the lazy dog.",
    "I'm sure you don't know what it is, do you?",
    "search query document embed vector",
    "trouble",
    "",
]


def main():
    converter, bindir = Path(sys.argv[1]), Path(sys.argv[2])
    if len(sys.argv) > 3:
        for name in ("qwen3-reranker", "qwen3-vl-reranker"):
            qwen3_reranker(converter, bindir, Path(sys.argv[3]) / name)
        qwen3_embedding(converter, bindir, Path(sys.argv[3]) / "qwen3-embedding")
    for name in ("xlm-roberta-reranker", "bert-reranker"):
        folder = HERE.parent / "hfconvert" / name
        with tempfile.TemporaryDirectory() as tmp:
            gguf = Path(tmp) / f"{name}.f32.gguf"
            code = ("import sys; sys.argv=sys.argv[1:]; sys.path.insert(0, %r);"
                    "import conversion.base as b; gp = b.TextModel.get_vocab_base_pre\n"
                    "def pre(self, tokenizer):\n"
                    "    try: return gp(self, tokenizer)\n"
                    "    except NotImplementedError: return 'jina-v2-en'\n"
                    "b.TextModel.get_vocab_base_pre = pre\n"
                    "import runpy; runpy.run_path(%r, run_name='__main__')") % (str(converter), str(converter / "convert_hf_to_gguf.py"))
            subprocess.run([sys.executable, "-c", code, "convert", str(folder), "--outtype", "f32", "--outfile", str(gguf)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with llama_server(bindir, gguf, "--reranking", "-b", "64", "-ub", "64") as port:
                jina = post(port, "/v1/rerank", {"query": QUERY, "documents": DOCUMENTS, "top_n": len(DOCUMENTS)})
                tei = post(port, "/rerank", {"query": QUERY, "texts": DOCUMENTS, "return_text": True})
        out = {"query": QUERY, "documents": DOCUMENTS, "llama_server_v1_rerank": jina, "llama_server_tei_rerank": tei}
        if name == "xlm-roberta-reranker":
            import torch, transformers
            # the slow tokenizer: the fixture's tokenizer.json is cut down to what the converter reads
            tok = transformers.XLMRobertaTokenizer(vocab_file=str(folder / "sentencepiece.bpe.model"))
            model = transformers.XLMRobertaForSequenceClassification.from_pretrained(folder).eval()
            with torch.no_grad():
                enc = [tok(QUERY, d, return_tensors="pt") for d in DOCUMENTS]
                out["transformers_logits"] = [float(model(**e).logits[0, 0]) for e in enc]
                out["transformers_ids"] = [e["input_ids"][0].tolist() for e in enc]
        (HERE / f"{name}.scores.json").write_text(json.dumps(out, indent=1) + "\n")
        print("wrote", name)


QWEN3_QUERY = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:"


def qwen3_embedding(converter: Path, bindir: Path, folder: Path):
    texts = [d for d in DOCUMENTS if d] + [QWEN3_QUERY + QUERY, QWEN3_QUERY + "what does the fox jump over?"]
    with tempfile.TemporaryDirectory() as tmp:
        gguf = Path(tmp) / "qwen3-embedding.f32.gguf"
        subprocess.run([sys.executable, str(converter / "convert_hf_to_gguf.py"), str(folder), "--outtype", "f32", "--outfile", str(gguf)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with llama_server(bindir, gguf, "-b", "512", "-ub", "512", ctx=512) as port:
            got = post(port, "/v1/embeddings", {"input": texts})
            ids = [post(port, "/tokenize", {"content": t, "add_special": True})["tokens"] for t in texts]
    out = {"texts": texts, "embeddings": [d["embedding"] for d in sorted(got["data"], key=lambda d: d["index"])],
           "usage": got.get("usage"), "llama_server_ids": ids}
    (HERE / "qwen3-embedding.embeddings.json").write_text(json.dumps(out, indent=1) + "\n")
    print("wrote qwen3-embedding")


def qwen3_reranker(converter: Path, bindir: Path, folder: Path):
    import torch, transformers
    with tempfile.TemporaryDirectory() as tmp:
        gguf = Path(tmp) / f"{folder.name}.f32.gguf"
        subprocess.run([sys.executable, str(converter / "convert_hf_to_gguf.py"), str(folder), "--outtype", "f32", "--outfile", str(gguf)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sys.path.insert(0, str(converter / "gguf-py"))
        import gguf as gg
        template = gg.GGUFReader(gguf).fields["tokenizer.chat_template.rerank"].contents()
        with llama_server(bindir, gguf, "--reranking", "-b", "512", "-ub", "512", ctx=512) as port:
            jina = post(port, "/v1/rerank", {"query": QUERY, "documents": DOCUMENTS, "top_n": len(DOCUMENTS)})
            tei = post(port, "/rerank", {"query": QUERY, "texts": DOCUMENTS, "return_text": True})
            prompts = [template.replace("{query}", QUERY).replace("{document}", d) for d in DOCUMENTS]
            server_ids = [post(port, "/tokenize", {"content": p, "add_special": False, "parse_special": True})["tokens"] for p in prompts]
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    cls = transformers.Qwen3VLForConditionalGeneration if folder.name == "qwen3-vl-reranker" else transformers.Qwen3ForCausalLM
    model = cls.from_pretrained(folder, dtype=torch.float32).eval()
    yes, no = tok.convert_tokens_to_ids("yes"), tok.convert_tokens_to_ids("no")
    ids = [tok(p, add_special_tokens=False)["input_ids"] for p in prompts]
    with torch.no_grad():
        scores = [float(torch.softmax(model(torch.tensor([i])).logits[0, -1, [yes, no]], dim=0)[0]) for i in ids]
    out = {"query": QUERY, "documents": DOCUMENTS, "llama_server_v1_rerank": jina, "llama_server_tei_rerank": tei,
           "llama_server_ids": server_ids, "transformers_scores": scores, "transformers_ids": ids}
    (HERE / f"{folder.name}.scores.json").write_text(json.dumps(out, indent=1) + "\n")
    print("wrote", folder.name)


if __name__ == "__main__":
    main()
