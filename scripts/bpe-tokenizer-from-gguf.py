#!/usr/bin/env python3
"""Rebuilds a Hugging Face BPE tokenizer (tokenizer.json + tokenizer_config.json) from a GGUF file's
tokenizer.ggml.* keys, as the model's publisher ships it. The HF->GGUF converter tests use it: no real
tokenizer.json is available offline, so the Qwen2.5 and SmolLM2 ones are reconstructed from the GGUF files lai
already caches.

  bpe-tokenizer-from-gguf.py GGUF OUT_DIR [--merge-pairs]

Needs only the standard library, numpy and gguf (gguf-py). Output is deterministic (same bytes every run).

What comes from the GGUF: the vocabulary (tokenizer.ggml.tokens: GPT-2 byte-level strings, kept verbatim), the
merges (written as "a b" strings, the format tokenizers < 0.20 writes and both Qwen2.5 and SmolLM2 ship;
--merge-pairs writes the newer [a, b] lists instead), the added tokens (every CONTROL or USER_DEFINED token:
normalized/lstrip/rstrip/single_word false; special = true for CONTROL, false for USER_DEFINED), bos/eos/pad/unk
from their ids, add_bos_token/add_eos_token where the GGUF has them, model_max_length from
<arch>.context_length and the chat template. UNUSED tokens ([PADn], the converter's padding up to the config's
vocab_size) are left out. Added tokens sitting after the last NORMAL token (Qwen2.5's <|endoftext|>...) are kept
out of model.vocab, as Qwen ships them; ones inside the range (SmolLM2's ids 0-16) are in it.

What comes from the publisher (PROFILES below, keyed by tokenizer.ggml.pre): normalizer, pre-tokenizer,
post-processor, decoder, the BPE model flags, and the tokenizer_config.json details a GGUF does not keep
(tokenizer_class, additional_special_tokens, Qwen2.5's bos_token null, its <|fim_*|>/<|repo_name|>/<|file_sep|>
being special: false, which the converter still types CONTROL because they look special).

Checked faithful: transformers' AutoTokenizer on OUT_DIR encodes llama.cpp's chktxt to the hash that
convert_hf_to_gguf.py maps to the GGUF's pre (qwen2: e636dc30..., smollm: 855059429...), and for Qwen2.5 gives
llama.cpp's ids on ggml-vocab-qwen2.gguf.inp/.out.
"""
import json, os, sys

import gguf

QWEN2_REGEX = ("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
               "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+")


def byte_level(add_prefix_space, trim_offsets, use_regex):
    return {"type": "ByteLevel", "add_prefix_space": add_prefix_space, "trim_offsets": trim_offsets, "use_regex": use_regex}


PROFILES = {
    # Qwen/Qwen2.5-* (and Qwen1.5/Qwen2): tokenizer.json and tokenizer_config.json as on the Hub.
    "qwen2": {
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN2_REGEX}, "behavior": "Isolated", "invert": False},
            byte_level(False, False, False)]},
        "post_processor": byte_level(False, False, False),
        "decoder": byte_level(False, False, False),
        "model": {"continuing_subword_prefix": "", "end_of_word_suffix": "", "ignore_merges": False},
        "not_special": ["<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"],
        "config": {"add_prefix_space": False, "bos_token": None, "clean_up_tokenization_spaces": False,
                   "errors": "replace", "split_special_tokens": False, "tokenizer_class": "Qwen2Tokenizer",
                   "unk_token": None},
        # every special added token but <|endoftext|>
        "additional_special_tokens": lambda special: [t for t in special if t != "<|endoftext|>"],
    },
    # HuggingFaceTB/SmolLM-* and SmolLM2-* (StarCoder-style vocabulary).
    "smollm": {
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True}, byte_level(False, True, True)]},
        "post_processor": byte_level(True, False, True),
        "decoder": byte_level(True, True, True),
        "model": {"continuing_subword_prefix": None, "end_of_word_suffix": None, "ignore_merges": False},
        "not_special": [],
        "config": {"add_prefix_space": False, "clean_up_tokenization_spaces": False, "tokenizer_class": "GPT2Tokenizer",
                   "vocab_size": None},  # None: filled with the vocabulary size
        "additional_special_tokens": lambda special: ["<|im_start|>", "<|im_end|>"],
    },
}

NORMAL, CONTROL, USER_DEFINED, UNUSED = 1, 3, 4, 5


def field(r, name, default=None):
    f = r.fields.get(name)
    if f is None:
        return default
    v = f.contents()
    return v.tolist() if hasattr(v, "tolist") else v


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    merge_pairs = "--merge-pairs" in sys.argv[1:]
    if len(args) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    r = gguf.GGUFReader(args[0])
    out = args[1]
    if field(r, "tokenizer.ggml.model") != "gpt2":
        sys.exit("not a BPE (gpt2) vocabulary")
    pre = field(r, "tokenizer.ggml.pre")
    if pre not in PROFILES:
        sys.exit(f"no publisher profile for tokenizer.ggml.pre = {pre!r} (known: {', '.join(PROFILES)})")
    prof = PROFILES[pre]
    tokens = field(r, "tokenizer.ggml.tokens")
    types = field(r, "tokenizer.ggml.token_type")
    merges = field(r, "tokenizer.ggml.merges")
    arch = field(r, "general.architecture")

    last_normal = max(i for i, t in enumerate(types) if t == NORMAL)
    vocab, added = {}, []
    for i, (tok, typ) in enumerate(zip(tokens, types)):
        if typ == UNUSED:
            continue
        if typ in (CONTROL, USER_DEFINED):
            special = typ == CONTROL and tok not in prof["not_special"]
            added.append({"id": i, "content": tok, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": special})
            if i > last_normal:
                continue
        elif typ != NORMAL:
            sys.exit(f"token {i} {tok!r}: unexpected type {typ}")
        vocab[tok] = i
    assert len(vocab) + sum(1 for a in added if a["id"] > last_normal) == sum(1 for t in types if t != UNUSED)

    model = {"type": "BPE", "dropout": None, "unk_token": None}
    model.update({k: prof["model"][k] for k in ("continuing_subword_prefix", "end_of_word_suffix")})
    model.update({"fuse_unk": False, "byte_fallback": False, "ignore_merges": prof["model"]["ignore_merges"],
                  "vocab": vocab, "merges": [m.split(" ") for m in merges] if merge_pairs else merges})
    tokenizer = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
                 "normalizer": prof["normalizer"], "pre_tokenizer": prof["pre_tokenizer"],
                 "post_processor": prof["post_processor"], "decoder": prof["decoder"], "model": model}

    def tok_of(key):
        i = field(r, f"tokenizer.ggml.{key}_token_id")
        return tokens[i] if i is not None else None

    cfg = {}
    for key in ("bos", "eos"):
        v = field(r, f"tokenizer.ggml.add_{key}_token")
        if v is not None:
            cfg[f"add_{key}_token"] = bool(v)
    cfg["added_tokens_decoder"] = {str(a["id"]): {k: a[k] for k in ("content", "lstrip", "normalized", "rstrip", "single_word", "special")}
                                   for a in added}
    cfg["additional_special_tokens"] = prof["additional_special_tokens"]([a["content"] for a in added if a["special"]])
    for key, gkey in (("bos_token", "bos"), ("eos_token", "eos"), ("pad_token", "padding"), ("unk_token", "unknown")):
        cfg[key] = tok_of(gkey)
    ctx = field(r, f"{arch}.context_length")
    if ctx is not None:
        cfg["model_max_length"] = int(ctx)
    tmpl = field(r, "tokenizer.chat_template")
    if tmpl is not None:
        cfg["chat_template"] = tmpl
    for k, v in prof["config"].items():
        cfg[k] = len(vocab) if k == "vocab_size" and v is None else v

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False, indent=2)
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=2, sort_keys=True)
        f.write("\n")
    print(f"{out}: {len(vocab)} vocab entries, {len(added)} added tokens, {len(merges)} merges (pre {pre})")


if __name__ == "__main__":
    main()
