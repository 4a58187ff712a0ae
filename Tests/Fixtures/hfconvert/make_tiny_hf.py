#!/usr/bin/env python3
"""Tiny random Hugging Face checkpoints (transformers, seeded) of the families lai converts, and what
llama.cpp's convert_hf_to_gguf.py makes of them: per-tensor sha256 digests and the metadata, as JSON.

  make_tiny_hf.py OUT_DIR CONVERTER_DIR [NAME...]
      writes OUT_DIR/<name>/ (the checkpoint, unless it exists) and OUT_DIR/<name>.<outtype>.json for outtype
      f32 and f16 (and bf16, q8_0 for the families with a tokenizer). The committed fixtures were made with OUT_DIR = Tests/Fixtures/hfconvert, torch 2.15 CPU,
      transformers 4.57.6 and the converter of llama-cpp-python 0.3.36's vendored llama.cpp.

llama and gemma3 carry a tiny SentencePiece tokenizer.model (trained here on this file's text, 300 pieces for
320 embedding rows, so the converter pads) with a tokenizer_config.json (added token, chat template, add_bos);
the JSON then holds the tokenizer keys too (arrays as sha256 of their elements: strings joined by NUL, numbers as
little-endian 4-byte values). The others have no tokenizer; for them the converter's set_vocab is a no-op.
Needs torch, transformers==4.57.6 (the converter's pin), safetensors, numpy.
"""
import hashlib, json, os, subprocess, sys
from pathlib import Path

import torch
import transformers

FAMILIES = {
    # name: (config class, model class, config kwargs, save dtype, shard size)
    "llama": ("LlamaConfig", "LlamaForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-5, rope_theta=500000.0,
        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 64},
        tie_word_embeddings=True), torch.float32, None),
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=512, rms_norm_eps=1e-6, rope_theta=1000000.0,
        tie_word_embeddings=False), torch.bfloat16, None),
    "qwen3": ("Qwen3Config", "Qwen3ForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, head_dim=32, max_position_embeddings=512, rms_norm_eps=1e-6, rope_theta=1000000.0,
        tie_word_embeddings=True), torch.float16, "60KB"),
    "gemma3": ("Gemma3TextConfig", "Gemma3ForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=1, head_dim=32, max_position_embeddings=1024, rms_norm_eps=1e-6, sliding_window=128,
        rope_theta=1000000.0, rope_local_base_freq=10000.0, query_pre_attn_scalar=32), torch.float32, None),
    "gemma2": ("Gemma2Config", "Gemma2ForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, head_dim=32, max_position_embeddings=1024, rms_norm_eps=1e-6, sliding_window=128,
        rope_theta=10000.0, attn_logit_softcapping=50.0, final_logit_softcapping=30.0, query_pre_attn_scalar=32),
        torch.float32, None),
    "gemma": ("GemmaConfig", "GemmaForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, head_dim=32, max_position_embeddings=1024, rms_norm_eps=1e-6), torch.float16, None),
    "mixtral": ("MixtralConfig", "MixtralForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=512, rms_norm_eps=1e-5, rope_theta=1000000.0,
        num_local_experts=4, num_experts_per_tok=2, tie_word_embeddings=False), torch.bfloat16, None),
    "qwen2moe": ("Qwen2MoeConfig", "Qwen2MoeForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=512, rms_norm_eps=1e-6, rope_theta=1000000.0,
        num_experts=4, num_experts_per_tok=2, decoder_sparse_step=1, moe_intermediate_size=32,
        shared_expert_intermediate_size=48, norm_topk_prob=False, tie_word_embeddings=False), torch.float32, "100KB"),
    "qwen3moe": ("Qwen3MoeConfig", "Qwen3MoeForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, head_dim=32, max_position_embeddings=512, rms_norm_eps=1e-6, rope_theta=1000000.0,
        num_experts=4, num_experts_per_tok=2, decoder_sparse_step=1, moe_intermediate_size=32, norm_topk_prob=True,
        tie_word_embeddings=False), torch.float16, None),
    "phi3": ("Phi3Config", "Phi3ForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=256, original_max_position_embeddings=256, rms_norm_eps=1e-5,
        rope_theta=10000.0, bos_token_id=1, eos_token_id=2, pad_token_id=0, tie_word_embeddings=False),
        torch.bfloat16, None),
    "phi3-longrope": ("Phi3Config", "Phi3ForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=4, max_position_embeddings=1024, original_max_position_embeddings=128, rms_norm_eps=1e-5,
        rope_theta=10000.0, bos_token_id=1, eos_token_id=2, pad_token_id=0, tie_word_embeddings=False,
        rope_scaling={"type": "longrope", "short_factor": [1.0, 1.0, 1.05, 1.1, 1.25, 1.5, 1.75, 2.0],
                      "long_factor": [1.0, 1.5, 2.25, 3.5, 5.0, 7.5, 10.0, 16.0]}), torch.float32, None),
    "olmo2": ("Olmo2Config", "Olmo2ForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=512, rms_norm_eps=1e-6, rope_theta=500000.0,
        pad_token_id=0, bos_token_id=None, eos_token_id=2, tie_word_embeddings=False), torch.float16, None),
    "granite": ("GraniteConfig", "GraniteForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=512, rms_norm_eps=1e-5, rope_theta=10000000.0,
        embedding_multiplier=12.0, residual_multiplier=0.22, attention_multiplier=0.015625, logits_scaling=8.0,
        tie_word_embeddings=True), torch.bfloat16, None),
}


def build(out: Path, name: str):
    cfg_cls, model_cls, kw, dtype, shard = FAMILIES[name]
    torch.manual_seed(1234)
    config = getattr(transformers, cfg_cls)(**kw)
    model = getattr(transformers, model_cls)(config)
    with torch.no_grad():
        for n, p in model.named_parameters():
            # Random norms too (a fresh model's are all ones or zeros, which would hide transform mistakes).
            p.copy_(torch.randn_like(p) * 0.5)
    model = model.to(dtype)
    d = out / name
    model.save_pretrained(d, safe_serialization=True, **({"max_shard_size": shard} if shard else {}))
    gen = d / "generation_config.json"
    if gen.exists():
        gen.unlink()  # sampling keys from it are model-card metadata, not converted here


SP_FAMILIES = ("llama", "gemma3")


def add_tokenizer(d: Path):
    import sentencepiece as spm
    if (d / "tokenizer.model").exists():
        return
    (d / "tokenizer.json").unlink(missing_ok=True)
    text = Path(__file__).read_text().splitlines()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(text), model_prefix=str(d / "sp"), vocab_size=300,
                                   model_type="bpe", num_threads=1, normalization_rule_name="identity", user_defined_symbols=["<tool>"],
                                   control_symbols=["<start_of_turn>", "<end_of_turn>"], bos_id=1, eos_id=2, unk_id=0, pad_id=3)
    (d / "sp.model").rename(d / "tokenizer.model")
    (d / "sp.vocab").unlink()
    with open(d / "tokenizer_config.json", "w") as f:
        json.dump({"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
                   "unk_token": "<unk>", "pad_token": "<pad>",
                   "added_tokens_decoder": {"4": {"content": "<start_of_turn>", "special": True},
                                            "6": {"content": "<tool>", "special": False}},
                   "chat_template": "{% for m in messages %}<start_of_turn>{{ m['role'] }}\n{{ m['content'] }}<end_of_turn>\n{% endfor %}"}, f)


def array_digest(v):
    if v and isinstance(v[0], str):
        return hashlib.sha256(b"\0".join(x.encode() for x in v)).hexdigest()
    import numpy as np
    return hashlib.sha256(np.asarray(v, dtype=np.float32 if isinstance(v[0], float) else np.int32).tobytes()).hexdigest()


def digests(gguf_path: Path, converter: Path):
    sys.path.insert(0, str(converter / "gguf-py"))
    import gguf
    r = gguf.GGUFReader(gguf_path)
    meta = {}
    for f in r.fields.values():
        if f.name.startswith("GGUF."):
            continue
        v = f.contents()
        if isinstance(v, list):
            meta[f.name] = {"type": f.types[0].name, "elements": f.types[-1].name, "count": len(v), "sha256": array_digest(v)}
        else:
            meta[f.name] = {"type": f.types[0].name, "value": v}
    tensors = [{"name": t.name, "type": t.tensor_type.name, "shape": [int(x) for x in t.shape],
                "sha256": hashlib.sha256(t.data.tobytes()).hexdigest()} for t in r.tensors]
    return {"metadata": meta, "keys": list(meta.keys()), "tensors": tensors}


def convert(d: Path, outtype: str, converter: Path, dest: Path):
    if (d / "tokenizer.model").exists():
        subprocess.run([sys.executable, str(converter / "convert_hf_to_gguf.py"), str(d), "--outtype", outtype, "--outfile", str(dest)],
                       check=True, stdout=subprocess.DEVNULL)
        return
    # set_vocab disabled: no tokenizer in this checkpoint.
    code = ("import sys; sys.argv=sys.argv[1:]; sys.path.insert(0, %r);"
            "import conversion.base as b; pm = b.TextModel.prepare_metadata;"
            "b.TextModel.prepare_metadata = lambda self, vocab_only: (setattr(self, 'set_vocab', lambda: None), pm(self, vocab_only));"
            "import runpy; runpy.run_path(%r, run_name='__main__')") % (str(converter), str(converter / "convert_hf_to_gguf.py"))
    subprocess.run([sys.executable, "-c", code, "convert", str(d), "--outtype", outtype, "--outfile", str(dest)],
                   check=True, stdout=subprocess.DEVNULL)


def main():
    out, converter = Path(sys.argv[1]), Path(sys.argv[2])
    names = sys.argv[3:] or list(FAMILIES)
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        if not (out / name / "config.json").exists():  # an existing checkpoint is only converted again
            build(out, name)
        if name in SP_FAMILIES:
            add_tokenizer(out / name)
        for outtype in ("f32", "f16") + (("bf16", "q8_0") if name in SP_FAMILIES else ()):
            g = out / f"{name}.{outtype}.gguf"
            convert(out / name, outtype, converter, g)
            with open(out / f"{name}.{outtype}.json", "w") as f:
                json.dump(digests(g, converter), f, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))
            g.unlink()
        print("built", name)


if __name__ == "__main__":
    main()
