#!/usr/bin/env python3
"""Reference vectors for EmbeddingGemma-300M from llama.cpp (Tests/Fixtures/embed/embeddinggemma-300m.json).

Usage: embeddinggemma-reference.py HF_FOLDER LLAMA_CPP_SOURCE LLAMA_BUILD_BIN OUT.json [CONVERTED.gguf]
Converts the Hugging Face folder with llama.cpp's convert_hf_to_gguf.py (--outtype f32, with the
sentence-transformers Dense layers) and embeds each sentence with llama-embedding (mean pooling, L2-normalized).
Needs a Python with torch, transformers, sentencepiece and numpy (not in CI: the JSON it writes is committed).
"""
import json, os, subprocess, sys, tempfile

folder, src, bindir, out = sys.argv[1:5]
SENTENCES = [
    "task: search result | query: What is the capital of France?",
    "title: none | text: Paris is the capital and most populous city of France.",
    "title: none | text: The Eiffel Tower was completed in 1889.",
    "task: search result | query: how do I reset my password",
    "title: none | text: To reset your password, open Settings, choose Security and click Reset.",
    "task: clustering | query: Stock markets fell sharply on Monday after the announcement.",
    "task: classification | query: I absolutely loved this movie, the acting was superb!",
    "title: none | text: A man is eating food.",
    "title: none | text: A man is eating a piece of bread.",
    "title: none | text: 私有化部署可以保证数据安全，并且降低长期成本。",
    "title: none | text: Größe, Straße und Übermaß sind deutsche Wörter.",
    "task: search result | query: SELECT * FROM users WHERE id = 42;",
    "title: none | text: The mitochondria is the powerhouse of the cell, producing ATP through oxidative phosphorylation.",
    "title: none | text: emoji test 🦙🚀 end",
    "task: search result | query: what does HNSW stand for",
    "title: none | text: Hierarchical Navigable Small World graphs are a popular approximate nearest neighbour index.",
]
with tempfile.TemporaryDirectory() as tmp:
    gguf = sys.argv[5] if len(sys.argv) > 5 else os.path.join(tmp, "embeddinggemma-300m-f32.gguf")
    env = dict(os.environ, PYTHONPATH=os.path.join(src, "gguf-py"))
    if len(sys.argv) <= 5:
        subprocess.run([sys.executable, os.path.join(src, "convert_hf_to_gguf.py"), folder, "--outtype", "f32",
                    "--sentence-transformers-dense-modules", "--outfile", gguf], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    commit = subprocess.run([os.path.join(bindir, "llama-embedding"), "--version"], capture_output=True, text=True)
    version = (commit.stderr + commit.stdout).split("(")[-1].split(")")[0] if "(" in commit.stderr + commit.stdout else "?"
    vectors, first_ids = [], None
    for s in SENTENCES:
        r = subprocess.run([os.path.join(bindir, "llama-embedding"), "-m", gguf, "-p", s, "--pooling", "mean",
                            "--embd-normalize", "2", "--embd-output-format", "json", "-t", "2", "-c", "2048",
                            "-b", "2048", "-ub", "2048"], capture_output=True, text=True, check=True)
        data = json.loads(r.stdout[r.stdout.index("{"):])
        vectors.append([round(x, 7) for x in data["data"][0]["embedding"]])
    tok = subprocess.run([os.path.join(bindir, "llama-tokenize"), "-m", gguf, "-p", SENTENCES[0], "--ids", "--log-disable"],
                         capture_output=True, text=True) if os.path.exists(os.path.join(bindir, "llama-tokenize")) else None
    if tok and tok.returncode == 0:
        first_ids = json.loads(tok.stdout.strip().splitlines()[-1])
json.dump({"model": "embeddinggemma-300m (convert_hf_to_gguf.py --outtype f32 --sentence-transformers-dense-modules)",
           "tool": f"llama-embedding {version} --pooling mean --embd-normalize 2",
           "sentences": SENTENCES, "embeddings": vectors, "first_sentence_ids": first_ids},
          open(out, "w"), ensure_ascii=False)
print(f"wrote {out}: {len(vectors)} vectors of {len(vectors[0])}")
