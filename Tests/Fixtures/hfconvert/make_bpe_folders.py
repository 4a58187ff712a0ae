#!/usr/bin/env python3
"""Checkpoint folders with a real-size BPE tokenizer.json for the HF->GGUF converter tests, and what llama.cpp's
convert_hf_to_gguf.py makes of them.

  make_bpe_folders.py folders QWEN2_TOKENIZER_DIR SMOLLM_TOKENIZER_DIR DEST
      (standard library only) writes DEST/qwen2-bpe/ and DEST/llama-bpe/:
      qwen2-bpe = the committed tiny checkpoint qwen2/ (config.json, model.safetensors) with config.json's
                  vocab_size set to 151936 and bos_token_id 151643 / eos_token_id 151645 added (Qwen2.5's own
                  config.json values: Qwen2.5's tokenizer_config.json has bos_token null, so the converter takes
                  the BOS id from config.json), plus the Qwen2.5 tokenizer.json / tokenizer_config.json;
      llama-bpe = the committed llama/ checkpoint (config.json, model.safetensors; not its SentencePiece files)
                  with vocab_size 49152, plus the SmolLM2 tokenizer files.
      The embedding matrices keep their 320 rows; the converter only asserts max token id < vocab_size.
      qwen3-reranker = Qwen3-Reranker-0.6B's layout (a tied Qwen3ForCausalLM whose README opens "# Qwen3-Reranker",
                  which is how the converter recognizes a reranker) in small: the committed qwen3/ checkpoint's
                  shards merged into one model.safetensors with embed_tokens tiled to 151936 rows (row i = row
                  i mod 320, so the "yes" and "no" rows the converter picks exist), vocab_size 151936, the Qwen2.5
                  tokenizer plus Qwen3's four added tokens (<tool_response>, </tool_response>, <think>, </think>).
      qwen3-embedding = Qwen3-Embedding-0.6B's layout made the same way of qwen3/ (no README): modules.json with
                  last-token pooling and Normalize, config_sentence_transformers.json's query prompt, and
                  tokenizer.json's TemplateProcessing that appends <|endoftext|> (so add_eos_token is true).
      glm4-bpe, glm-bpe = the committed glm4/ (Glm4ForCausalLM, arch glm4) and glm/ (GlmForCausalLM, arch chatglm)
                  checkpoints with GLM-4's tokenizer in outline on Qwen's vocabulary (glm_tokenizer: its added
                  tokens, EOS, no BOS, template) and GLM-4-0414's list-valued eos_token_id.
      qwen3-vl-reranker = the same made of the committed qwen3vl/ checkpoint (Qwen3-VL-Reranker's layout: a
                  Qwen3VLForConditionalGeneration whose README opens "# Qwen3-VL-Reranker"; text_config.vocab_size
                  151936).

  make_bpe_folders.py reference DEST CONVERTER_DIR OUT_DIR [NAME...]
      (converter environment) converts DEST/qwen2-bpe, DEST/llama-bpe and DEST/qwen3-reranker with CONVERTER_DIR/convert_hf_to_gguf.py
      --outtype f32 and writes OUT_DIR/<name>.f32.json (the rerankers also .f16.json) with make_tiny_hf.py's
      digests() (tensor sha256s and all metadata, arrays as sha256 of their elements).

The tokenizer dirs come from scripts/bpe-tokenizer-from-gguf.py run on the cached GGUF files:
qwen2.5-coder-0.5b-instruct-q4_k_m.gguf (pre qwen2) and SmolLM2-135M-Instruct.Q4_1.gguf (pre smollm).
The committed qwen2-bpe.f32.json and llama-bpe.f32.json were made with OUT_DIR = Tests/Fixtures/hfconvert, the
converter of llama-cpp-python 0.3.36's vendored llama.cpp (its gguf-py on sys.path), torch 2.13.0 CPU,
transformers 4.57.6, tokenizers 0.22.2, numpy 2.2.6, sentencepiece 0.2.3, protobuf 4.25.9.
"""
import json, shutil, struct, subprocess, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

FOLDERS = {
    # name: (committed checkpoint, tokenizer argument index, config.json changes)
    "qwen2-bpe": ("qwen2", 0, {"vocab_size": 151936, "bos_token_id": 151643, "eos_token_id": 151645}),
    "llama-bpe": ("llama", 1, {"vocab_size": 49152}),
    "qwen3-reranker": ("qwen3", 0, {"vocab_size": 151936, "bos_token_id": 151643, "eos_token_id": 151645}),
    # vocab_size goes to text_config: Qwen3VLConfig keeps the language model's keys there
    "qwen3-vl-reranker": ("qwen3vl", 0, {"text_config.vocab_size": 151936}),
    "qwen3-embedding": ("qwen3", 0, {"vocab_size": 151936, "bos_token_id": 151643, "eos_token_id": 151643}),
    # GLM-4-0414's config.json: eos_token_id a list (<|endoftext|>, <|user|>, <|observation|>), pad <|endoftext|>
    "glm4-bpe": ("glm4", 0, {"vocab_size": 151936, "eos_token_id": [151643, 151671, 151673], "pad_token_id": 151643}),
    "glm-bpe": ("glm", 0, {"vocab_size": 151936, "eos_token_id": [151643, 151671, 151673], "pad_token_id": 151643}),
}
RERANKERS = {"qwen3-reranker": "Qwen3-Reranker-0.6B", "qwen3-vl-reranker": "Qwen3-VL-Reranker-2B"}
# GLM-4's added tokens (GLM-4-9B-0414's ids 151330-151338), here after Qwen's: 151665-151673, all special.
GLM_ADDED = ["[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>", "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>"]
GLM_TEMPLATE = ("[gMASK]<sop>{%- for m in messages %}<|{{ m.role }}|>\n{{ m.content }}{%- endfor %}"
                "{%- if add_generation_prompt %}<|assistant|>\n{%- endif %}")
QWEN3_ADDED = ["<tool_response>", "</tool_response>", "<think>", "</think>"]  # ids 151665-151668, not special


def read_safetensors(path: Path):
    b = path.read_bytes()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    header.pop("__metadata__", None)
    return {k: (v["dtype"], v["shape"], b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]]) for k, v in header.items()}


def write_safetensors(path: Path, tensors: dict):
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for k, (dtype, shape, data) in tensors.items():
        header[k] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for _, _, data in tensors.values():
            f.write(data)


def reranker_weights(src: Path, d: Path, vocab: int):
    """The shards of src merged (in the index's order) into d/model.safetensors, embed_tokens tiled to vocab rows."""
    if (src / "model.safetensors.index.json").exists():
        index = json.loads((src / "model.safetensors.index.json").read_text())["weight_map"]
    else:
        index = {k: "model.safetensors" for k in read_safetensors(src / "model.safetensors")}
    shards = {f: read_safetensors(src / f) for f in sorted(set(index.values()))}
    tensors = {}
    for name in sorted(index):
        dtype, shape, data = shards[index[name]][name]
        if name.endswith("embed_tokens.weight"):
            rows, row = shape[0], len(data) // shape[0]
            data = b"".join(data[(i % rows) * row:(i % rows + 1) * row] for i in range(vocab))
            shape = [vocab, shape[1]]
        tensors[name] = (dtype, shape, data)
    write_safetensors(d / "model.safetensors", tensors)


def qwen3_embedding_files(d: Path):
    """Qwen3-Embedding-0.6B's sentence-transformers files (last-token pooling, normalize, the query prompt) and its
    tokenizer.json post-processor, which appends <|endoftext|> to every text."""
    (d / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}], indent=2))
    (d / "1_Pooling").mkdir(exist_ok=True)
    (d / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": 64, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": False,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": True, "include_prompt": True}, indent=2))
    (d / "config_sentence_transformers.json").write_text(json.dumps({
        "prompts": {"query": "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:",
                    "document": ""}, "default_prompt_name": None, "similarity_fn_name": "cosine"}, indent=2))
    tj = json.loads((d / "tokenizer.json").read_text())
    eot = {"id": "<|endoftext|>", "type_id": 0}
    tj["post_processor"] = {"type": "TemplateProcessing",
                            "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": eot}],
                            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": eot},
                                     {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "<|endoftext|>", "type_id": 1}}],
                            "special_tokens": {"<|endoftext|>": {"id": "<|endoftext|>", "ids": [151643], "tokens": ["<|endoftext|>"]}}}
    (d / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False))


def add_tokens(d: Path, contents, special: bool, config_changes=None):
    """Appends added tokens after Qwen's (ids from 151665) to tokenizer.json and tokenizer_config.json, and applies
    config_changes to tokenizer_config.json (a None value removes the key)."""
    tj = json.loads((d / "tokenizer.json").read_text())
    cfg = json.loads((d / "tokenizer_config.json").read_text())
    for i, content in enumerate(contents, start=151665):
        tj["added_tokens"].append({"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
                                   "normalized": False, "special": special})
        cfg["added_tokens_decoder"][str(i)] = {"content": content, "lstrip": False, "normalized": False, "rstrip": False,
                                               "single_word": False, "special": special}
    for k, v in (config_changes or {}).items():
        if v is None:
            cfg.pop(k, None)
        else:
            cfg[k] = v
    (d / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False))
    (d / "tokenizer_config.json").write_text(json.dumps(cfg, ensure_ascii=False, indent=2))


def add_qwen3_tokens(d: Path):
    add_tokens(d, QWEN3_ADDED, special=False)


def glm_tokenizer(d: Path):
    """GLM-4's tokenizer in outline on Qwen's vocabulary (GLM-4's own is not reachable here): its nine added special
    tokens, <|endoftext|> as EOS and padding, no BOS, its [gMASK]<sop> chat template in short. The converter's
    Glm4Model / ChatGLMModel.set_vocab then sets eos, eot (<|user|>), unk (and for glm4 bos) from the added tokens."""
    add_tokens(d, GLM_ADDED, special=True, config_changes={
        "additional_special_tokens": None, "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "chat_template": GLM_TEMPLATE,
        "tokenizer_class": "PreTrainedTokenizerFast", "padding_side": "left", "model_max_length": 128000})


def folders(tok_dirs, dest: Path):
    for name, (src, ti, changes) in FOLDERS.items():
        d = dest / name
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        config = json.loads((HERE / src / "config.json").read_text())
        for k, v in changes.items():
            if k.startswith("text_config."):
                config["text_config"][k.split(".", 1)[1]] = v
            else:
                config[k] = v
        (d / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        for f in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copyfile(Path(tok_dirs[ti]) / f, d / f)
        if name in RERANKERS:
            reranker_weights(HERE / src, d, 151936)
            add_qwen3_tokens(d)
            (d / "README.md").write_text(f"# {RERANKERS[name]}\n\nA tiny random checkpoint in its layout (lai's test fixture).\n")
        elif name == "qwen3-embedding":
            reranker_weights(HERE / src, d, 151936)
            add_qwen3_tokens(d)
            qwen3_embedding_files(d)
        else:
            shutil.copyfile(HERE / src / "model.safetensors", d / "model.safetensors")
            if name in ("glm4-bpe", "glm-bpe"):
                glm_tokenizer(d)
        print("made", d)


def reference(dest: Path, converter: Path, out: Path, names):
    sys.path.insert(0, str(HERE))
    from make_tiny_hf import digests
    for name in names or FOLDERS:
        for outtype in ("f32", "f16") if name in RERANKERS or name == "qwen3-embedding" else ("f32",):
            g = out / f"{name}.{outtype}.gguf"
            subprocess.run([sys.executable, str(converter / "convert_hf_to_gguf.py"), str(dest / name), "--outtype", outtype,
                            "--outfile", str(g)], check=True, stdout=subprocess.DEVNULL)
            with open(out / f"{name}.{outtype}.json", "w") as f:
                json.dump(digests(g, converter), f, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))
            g.unlink()
            print("wrote", out / f"{name}.{outtype}.json")


def main():
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "folders":
        folders(a[1:3], Path(a[3]))
    elif len(a) >= 4 and a[0] == "reference":
        reference(Path(a[1]), Path(a[2]), Path(a[3]), a[4:])
    else:
        sys.exit(__doc__.split("\n\n")[1] + "\n\n" + __doc__.split("\n\n")[2])


if __name__ == "__main__":
    main()
