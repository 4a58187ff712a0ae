#!/usr/bin/env python3
# Tiny random-weight GGUF models, one per llama.cpp architecture family, for lai's
# forward-pass conformance tests against llama.cpp (see README.md beside this file).
#
# Requires: numpy, gguf==0.19.0 (PyPI; the same gguf-py version llama.cpp 0c1e570 vendors).
# No torch. Deterministic: every tensor comes from numpy.random.default_rng(seed) with a
# fixed per-model seed, tensors are drawn and written in a fixed order, so each run
# writes byte-identical files (their sha256 are in <name>.json).
#
# usage: python3 make_tiny_models.py OUT_DIR [NAME ...]
#   OUT_DIR  folder for the .gguf files (e.g. ~/.cache/lai/tiny); never the repository
#   NAME     only these models (default: all)
#
# Vocabularies: the tokenizer metadata (every `tokenizer.ggml.*` key) is copied from
# llama.cpp's test vocabularies in shared/vocab: ggml-vocab-llama-spm.gguf (SentencePiece,
# 32000 tokens) or ggml-vocab-gpt-2.gguf (BPE, 50257 tokens), and n_vocab = that size.
# (The Qwen2 vocabulary, 151936 tokens, would make each F32 embedding matrix ~39 MB; the
# forward pass does not depend on which vocabulary is attached.)
#
# Weights: all F32 (general.file_type 0 = ALL_F32). Norm weights 1 + N(0, 0.1^2),
# biases N(0, 0.02^2), matrices N(0, std^2) with std chosen so logits are O(1..5).

import os
import sys
import math

import numpy as np
import gguf

try:
    from importlib.metadata import version as _pkg_version
    if _pkg_version("gguf") != "0.19.0":
        print("warning: made with gguf==0.19.0, found " + _pkg_version("gguf") + "; bytes may differ", file=sys.stderr)
except Exception:
    pass

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "vocab"))
if not os.path.isdir(VOCAB_DIR):
    VOCAB_DIR = os.environ.get("LAI_SHARED_VOCAB", "/work/shared/vocab")

VOCABS = {
    "spm": "ggml-vocab-llama-spm.gguf",
    "bpe": "ggml-vocab-gpt-2.gguf",
}

# Fixed prompts (24 ids): the tokenization of "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～"
# from shared/vocab/*.out (test 33), truncated; SentencePiece with BOS (1) first.
PROMPTS = {
    "spm": [1, 15043, 29892, 343, 29915, 497, 29991, 1128, 526, 366, 29871, 243, 162, 155,
            132, 1577, 30672, 31522, 30505, 11548, 31041, 30732, 29896, 29941],
    "bpe": [15496, 11, 331, 6, 439, 0, 1374, 389, 345, 30325, 223, 5633, 22755, 239,
            46349, 111, 28839, 101, 18040, 32432, 98, 43291, 1485, 1415],
}

_vocab_cache = {}


def load_vocab(kind):
    if kind not in _vocab_cache:
        r = gguf.GGUFReader(os.path.join(VOCAB_DIR, VOCABS[kind]))
        kvs = []
        n_vocab = None
        for key, field in r.fields.items():
            if not key.startswith("tokenizer.ggml."):
                continue
            types = list(field.types)
            val = field.contents()
            if types[0] == gguf.GGUFValueType.ARRAY:
                kvs.append((key, list(val), types[0], types[1]))
                if key == "tokenizer.ggml.tokens":
                    n_vocab = len(val)
            else:
                kvs.append((key, val, types[0], None))
        _vocab_cache[kind] = (kvs, n_vocab)
    return _vocab_cache[kind]


class Model:
    def __init__(self, name, arch, vocab, seed):
        self.name, self.arch, self.vocab = name, arch, vocab
        self.rng = np.random.default_rng(seed)
        self.kv = []        # (key, value, GGUFValueType[, array element type])
        self.tensors = []   # (name, np.ndarray float32), numpy shape = reversed ggml ne
        kvs, self.n_vocab = load_vocab(vocab)
        self.tok_kvs = kvs

    # --- metadata
    def u32(self, key, v):
        self.kv.append((key.format(arch=self.arch), int(v), gguf.GGUFValueType.UINT32))

    def f32(self, key, v):
        self.kv.append((key.format(arch=self.arch), float(v), gguf.GGUFValueType.FLOAT32))

    def boolean(self, key, v):
        self.kv.append((key.format(arch=self.arch), bool(v), gguf.GGUFValueType.BOOL))

    def i32s(self, key, v):
        self.kv.append((key.format(arch=self.arch), [int(x) for x in v], gguf.GGUFValueType.ARRAY, gguf.GGUFValueType.INT32))

    def string(self, key, v):
        self.kv.append((key.format(arch=self.arch), str(v), gguf.GGUFValueType.STRING))

    # --- tensors (shape given in numpy order: rows = output features, cols = input features)
    def mat(self, name, shape, std):
        self.tensors.append((name, (self.rng.standard_normal(shape, dtype=np.float32) * np.float32(std)).astype(np.float32)))

    def norm(self, name, n, spread=0.1):
        self.tensors.append((name, (np.float32(1.0) + self.rng.standard_normal(n, dtype=np.float32) * np.float32(spread)).astype(np.float32)))

    def bias(self, name, n, std=0.02):
        self.tensors.append((name, (self.rng.standard_normal(n, dtype=np.float32) * np.float32(std)).astype(np.float32)))

    def const(self, name, arr):
        self.tensors.append((name, np.asarray(arr, dtype=np.float32)))

    def write(self, out_dir):
        path = os.path.join(out_dir, self.name + ".gguf")
        w = gguf.GGUFWriter(path, self.arch)
        # no general.name: llama.cpp's vocab loader keys tokenizer quirks off the model name
        # (a name containing "phi3" makes it look up "<|endoftext|>", absent from the SPM vocab)
        w.add_file_type(0)  # ALL_F32
        for key, val, vt, *st in self.kv:
            w.add_key_value(key, val, vt, sub_type=st[0] if st else None)
        for key, val, vt, st in self.tok_kvs:
            w.add_key_value(key, val, vt, sub_type=st)
        for name, arr in self.tensors:
            w.add_tensor(name, arr)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        return path


def common(m, n_ctx, n_embd, n_layer, n_head, n_head_kv, n_ff, head_dim=None, rope_base=None,
           rms_eps=None, ln_eps=None):
    m.u32("{arch}.context_length", n_ctx)
    m.u32("{arch}.embedding_length", n_embd)
    m.u32("{arch}.block_count", n_layer)
    m.u32("{arch}.feed_forward_length", n_ff)
    m.u32("{arch}.attention.head_count", n_head)
    m.u32("{arch}.attention.head_count_kv", n_head_kv)
    if head_dim is not None:
        m.u32("{arch}.attention.key_length", head_dim)
        m.u32("{arch}.attention.value_length", head_dim)
    if rope_base is not None:
        m.f32("{arch}.rope.freq_base", rope_base)
    if rms_eps is not None:
        m.f32("{arch}.attention.layer_norm_rms_epsilon", rms_eps)
    if ln_eps is not None:
        m.f32("{arch}.attention.layer_norm_epsilon", ln_eps)
    m.u32("{arch}.vocab_size", m.n_vocab)


def embd(m, n_embd, std=0.1):
    m.mat("token_embd.weight", (m.n_vocab, n_embd), std)


def head(m, n_embd, tied, out_std=0.25):
    m.norm("output_norm.weight", n_embd)
    if not tied:
        m.mat("output.weight", (m.n_vocab, n_embd), out_std)


def attn_sep(m, i, n_embd, n_head, n_head_kv, hd, bias=False):
    s_in = 1.0 / math.sqrt(n_embd)
    m.mat(f"blk.{i}.attn_q.weight", (n_head * hd, n_embd), s_in)
    m.mat(f"blk.{i}.attn_k.weight", (n_head_kv * hd, n_embd), s_in)
    m.mat(f"blk.{i}.attn_v.weight", (n_head_kv * hd, n_embd), s_in)
    if bias:
        m.bias(f"blk.{i}.attn_q.bias", n_head * hd, 0.1)
        m.bias(f"blk.{i}.attn_k.bias", n_head_kv * hd, 0.1)
        m.bias(f"blk.{i}.attn_v.bias", n_head_kv * hd, 0.1)
    m.mat(f"blk.{i}.attn_output.weight", (n_embd, n_head * hd), 1.0 / math.sqrt(n_head * hd))


def ffn_glu(m, i, n_embd, n_ff):
    m.mat(f"blk.{i}.ffn_gate.weight", (n_ff, n_embd), 1.0 / math.sqrt(n_embd))
    m.mat(f"blk.{i}.ffn_up.weight", (n_ff, n_embd), 1.0 / math.sqrt(n_embd))
    m.mat(f"blk.{i}.ffn_down.weight", (n_embd, n_ff), 1.0 / math.sqrt(n_ff))


def moe(m, i, n_embd, n_expert, n_ff_exp):
    m.mat(f"blk.{i}.ffn_gate_inp.weight", (n_expert, n_embd), 0.5)
    m.mat(f"blk.{i}.ffn_gate_exps.weight", (n_expert, n_ff_exp, n_embd), 1.0 / math.sqrt(n_embd))
    m.mat(f"blk.{i}.ffn_up_exps.weight", (n_expert, n_ff_exp, n_embd), 1.0 / math.sqrt(n_embd))
    m.mat(f"blk.{i}.ffn_down_exps.weight", (n_expert, n_embd, n_ff_exp), 1.0 / math.sqrt(n_ff_exp))


# ---------------------------------------------------------------- families

def llama3_rope_factors(base, dim, factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0, old_context_len=8192):
    # as convert_hf_to_gguf.py (conversion/llama.py) computes rope_freqs for rope_type "llama3"
    freqs = np.float32(1.0) / (np.float32(base) ** (np.arange(0, dim, 2, dtype=np.float32) / np.float32(dim)))
    low_freq_wavelen = old_context_len / low_freq_factor
    high_freq_wavelen = old_context_len / high_freq_factor
    out = []
    for freq in freqs:
        wavelen = 2 * math.pi / float(freq)
        if wavelen < high_freq_wavelen:
            out.append(1.0)
        elif wavelen > low_freq_wavelen:
            out.append(factor)
        else:
            smooth = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


def make_llama3rope():
    m = Model("llama3rope", "llama", "spm", 1001)
    E, L, H, KV, F, HD = 64, 2, 4, 2, 128, 16
    common(m, 131072, E, L, H, KV, F, head_dim=HD, rope_base=500000.0, rms_eps=1e-5)
    m.u32("{arch}.rope.dimension_count", HD)
    embd(m, E)
    head(m, E, tied=False)
    m.const("rope_freqs.weight", llama3_rope_factors(500000.0, HD))
    for i in range(L):
        m.norm(f"blk.{i}.attn_norm.weight", E)
        attn_sep(m, i, E, H, KV, HD)
        m.norm(f"blk.{i}.ffn_norm.weight", E)
        ffn_glu(m, i, E, F)
    return m


def make_qwen3():
    m = Model("qwen3", "qwen3", "bpe", 1002)
    E, L, H, KV, F, HD = 64, 2, 4, 2, 128, 32   # head_dim 32 != n_embd/n_head (16)
    common(m, 40960, E, L, H, KV, F, head_dim=HD, rope_base=1000000.0, rms_eps=1e-6)
    embd(m, E, std=0.25)
    head(m, E, tied=True)
    for i in range(L):
        m.norm(f"blk.{i}.attn_norm.weight", E)
        attn_sep(m, i, E, H, KV, HD)
        m.norm(f"blk.{i}.attn_q_norm.weight", HD)
        m.norm(f"blk.{i}.attn_k_norm.weight", HD)
        m.norm(f"blk.{i}.ffn_norm.weight", E)
        ffn_glu(m, i, E, F)
    return m


def make_gemma3():
    m = Model("gemma3", "gemma3", "spm", 1003)
    E, L, H, KV, F, HD = 64, 6, 4, 1, 128, 32
    common(m, 32768, E, L, H, KV, F, head_dim=HD, rope_base=1000000.0, rms_eps=1e-6)
    m.u32("{arch}.attention.sliding_window", 8)
    m.f32("{arch}.rope.freq_base_swa", 10000.0)
    # GGUF norm weights are used as-is (the HF->GGUF converter already added Gemma's +1)
    embd(m, E, std=0.1)    # scaled by sqrt(n_embd) = 8 in the graph
    head(m, E, tied=True)
    for i in range(L):
        m.norm(f"blk.{i}.attn_norm.weight", E)
        attn_sep(m, i, E, H, KV, HD)
        m.norm(f"blk.{i}.attn_q_norm.weight", HD)
        m.norm(f"blk.{i}.attn_k_norm.weight", HD)
        m.norm(f"blk.{i}.post_attention_norm.weight", E)
        m.norm(f"blk.{i}.ffn_norm.weight", E)
        ffn_glu(m, i, E, F)
        m.norm(f"blk.{i}.post_ffw_norm.weight", E)
    return m


def make_mixtral():
    m = Model("mixtral", "llama", "spm", 1004)
    E, L, H, KV, F, HD, NE, NU = 64, 2, 4, 2, 96, 16, 4, 2
    common(m, 32768, E, L, H, KV, F, head_dim=HD, rope_base=1000000.0, rms_eps=1e-5)
    m.u32("{arch}.rope.dimension_count", HD)
    m.u32("{arch}.expert_count", NE)
    m.u32("{arch}.expert_used_count", NU)
    embd(m, E)
    head(m, E, tied=False)
    for i in range(L):
        m.norm(f"blk.{i}.attn_norm.weight", E)
        attn_sep(m, i, E, H, KV, HD)
        m.norm(f"blk.{i}.ffn_norm.weight", E)
        moe(m, i, E, NE, F)
    return m


def make_qwen2moe():
    m = Model("qwen2moe", "qwen2moe", "bpe", 1005)
    E, L, H, KV, F, HD, NE, NU, FE, FS = 64, 2, 4, 2, 128, 16, 4, 2, 64, 96
    common(m, 32768, E, L, H, KV, F, rope_base=1000000.0, rms_eps=1e-6)
    m.u32("{arch}.expert_count", NE)
    m.u32("{arch}.expert_used_count", NU)
    m.u32("{arch}.expert_feed_forward_length", FE)
    m.u32("{arch}.expert_shared_feed_forward_length", FS)
    embd(m, E)
    head(m, E, tied=False)
    for i in range(L):
        m.norm(f"blk.{i}.attn_norm.weight", E)
        attn_sep(m, i, E, H, KV, HD, bias=True)
        m.norm(f"blk.{i}.ffn_norm.weight", E)
        moe(m, i, E, NE, FE)
        m.mat(f"blk.{i}.ffn_gate_inp_shexp.weight", (E,), 0.5)
        m.mat(f"blk.{i}.ffn_gate_shexp.weight", (FS, E), 1.0 / math.sqrt(E))
        m.mat(f"blk.{i}.ffn_up_shexp.weight", (FS, E), 1.0 / math.sqrt(E))
        m.mat(f"blk.{i}.ffn_down_shexp.weight", (E, FS), 1.0 / math.sqrt(FS))
    return m


def make_qwen2vl():
    # Qwen2-VL / Qwen2.5-VL's language model: qwen2 blocks (Q/K/V biases) with M-RoPE sections; for text the
    # temporal, height and width positions are all the token's position, which llama.cpp feeds as such.
    m = Model("qwen2vl", "qwen2vl", "bpe", 1018)
    E, L, H, KV, F, HD = 64, 2, 4, 2, 128, 16
    common(m, 128000, E, L, H, KV, F, rope_base=1000000.0, rms_eps=1e-6)
    m.i32s("{arch}.rope.dimension_sections", [2, 3, 3, 0])
    embd(m, E)
    head(m, E, tied=False)
    for i in range(L):
        m.norm(f"blk.{i}.attn_norm.weight", E)
        attn_sep(m, i, E, H, KV, HD, bias=True)
        m.norm(f"blk.{i}.ffn_norm.weight", E)
        ffn_glu(m, i, E, F)
    return m


def qwen3vl_layout(name, seed, moe_layers):
    # Qwen3-VL's language model: qwen3 blocks (per-head QK-norm, head_dim 32 ≠ n_embd/n_head) with interleaved M-RoPE
    # sections and deepstack layers (for text their inputs are zeros); experts in the MoE variant.
    m = Model(name, name, "bpe", seed)
    E, L, H, KV, F, HD, NE, NU, FE = 64, 2, 4, 2, 128, 32, 4, 2, 64
    common(m, 262144, E, L, H, KV, F, head_dim=HD, rope_base=5000000.0, rms_eps=1e-6)
    m.u32("{arch}.rope.dimension_count", HD)
    m.i32s("{arch}.rope.dimension_sections", [6, 5, 5, 0])
    m.u32("{arch}.n_deepstack_layers", 1)  # fewer than the layers: llama.cpp cannot add one to the last (outputs only)
    if moe_layers:
        m.u32("{arch}.expert_count", NE)
        m.u32("{arch}.expert_used_count", NU)
        m.u32("{arch}.expert_feed_forward_length", FE)
    embd(m, E, std=0.25)
    head(m, E, tied=not moe_layers)
    for i in range(L):
        m.norm(f"blk.{i}.attn_norm.weight", E)
        attn_sep(m, i, E, H, KV, HD)
        m.norm(f"blk.{i}.attn_q_norm.weight", HD)
        m.norm(f"blk.{i}.attn_k_norm.weight", HD)
        m.norm(f"blk.{i}.ffn_norm.weight", E)
        if moe_layers:
            moe(m, i, E, NE, FE)
        else:
            ffn_glu(m, i, E, F)
    return m


def make_qwen3vl():
    return qwen3vl_layout("qwen3vl", 1019, moe_layers=False)


def make_qwen3vlmoe():
    return qwen3vl_layout("qwen3vlmoe", 1020, moe_layers=True)


def make_qwen3moe():
    m = Model("qwen3moe", "qwen3moe", "bpe", 1006)
    E, L, H, KV, F, HD, NE, NU, FE = 64, 2, 4, 2, 128, 32, 4, 2, 64
    common(m, 40960, E, L, H, KV, F, head_dim=HD, rope_base=1000000.0, rms_eps=1e-6)
    m.u32("{arch}.expert_count", NE)
    m.u32("{arch}.expert_used_count", NU)
    m.u32("{arch}.expert_feed_forward_length", FE)
    embd(m, E, std=0.25)
    head(m, E, tied=True)
    for i in range(L):
        m.norm(f"blk.{i}.attn_norm.weight", E)
        attn_sep(m, i, E, H, KV, HD)
        m.norm(f"blk.{i}.attn_q_norm.weight", HD)
        m.norm(f"blk.{i}.attn_k_norm.weight", HD)
        m.norm(f"blk.{i}.ffn_norm.weight", E)
        moe(m, i, E, NE, FE)
    return m


def make_gemma2():
    m = Model("gemma2", "gemma2", "spm", 1007)
    E, L, H, KV, F, HD = 64, 4, 4, 2, 128, 32
    common(m, 8192, E, L, H, KV, F, head_dim=HD, rope_base=10000.0, rms_eps=1e-6)
    m.u32("{arch}.attention.sliding_window", 8)
    # caps far smaller than the real 50 / 30 so that they bite on a tiny random model
    m.f32("{arch}.attn_logit_softcapping", 2.0)
    m.f32("{arch}.final_logit_softcapping", 5.0)
    embd(m, E, std=0.1)    # scaled by sqrt(n_embd) = 8 in the graph
    head(m, E, tied=True)
    for i in range(L):
        m.norm(f"blk.{i}.attn_norm.weight", E)
        attn_sep(m, i, E, H, KV, HD)
        m.norm(f"blk.{i}.post_attention_norm.weight", E)
        m.norm(f"blk.{i}.ffn_norm.weight", E)
        ffn_glu(m, i, E, F)
        m.norm(f"blk.{i}.post_ffw_norm.weight", E)
    return m


def make_phi3():
    m = Model("phi3", "phi3", "spm", 1008)
    E, L, H, KV, F, HD = 64, 2, 4, 2, 128, 16
    n_ctx_train, n_ctx_orig = 131072, 4096
    common(m, n_ctx_train, E, L, H, KV, F, rope_base=10000.0, rms_eps=1e-5)
    m.u32("{arch}.rope.dimension_count", HD)
    m.u32("{arch}.rope.scaling.original_context_length", n_ctx_orig)
    m.u32("{arch}.attention.sliding_window", 0)
    scale = n_ctx_train / n_ctx_orig
    m.f32("{arch}.rope.scaling.attn_factor", math.sqrt(1 + math.log(scale) / math.log(n_ctx_orig)))
    embd(m, E)
    head(m, E, tied=False)
    # LongRoPE factors (n_rot/2 = 8 each): long grows to ~40, short stays near 1
    m.const("rope_factors_long.weight", [1.0, 1.12, 1.5, 2.6, 5.0, 11.0, 23.0, 40.0])
    m.const("rope_factors_short.weight", [1.0, 1.01, 1.03, 1.08, 1.2, 1.45, 1.9, 2.6])
    s_in = 1.0 / math.sqrt(E)
    for i in range(L):
        m.norm(f"blk.{i}.attn_norm.weight", E)
        m.mat(f"blk.{i}.attn_qkv.weight", (H * HD + 2 * KV * HD, E), s_in)   # rows: q | k | v
        m.mat(f"blk.{i}.attn_output.weight", (E, H * HD), 1.0 / math.sqrt(H * HD))
        m.norm(f"blk.{i}.ffn_norm.weight", E)
        m.mat(f"blk.{i}.ffn_up.weight", (2 * F, E), s_in)                     # rows: gate | up
        m.mat(f"blk.{i}.ffn_down.weight", (E, F), 1.0 / math.sqrt(F))
    return m


def make_granite():
    m = Model("granite", "granite", "bpe", 1009)
    E, L, H, KV, F, HD = 64, 2, 4, 2, 128, 16
    common(m, 4096, E, L, H, KV, F, rope_base=10000.0, rms_eps=1e-5)
    m.u32("{arch}.rope.dimension_count", HD)
    m.f32("{arch}.embedding_scale", 12.0)
    m.f32("{arch}.residual_scale", 0.22)
    m.f32("{arch}.attention.scale", 0.125)
    m.f32("{arch}.logit_scale", 4.0)
    embd(m, E, std=0.1)
    # separate output matrix: with tied embeddings and residual_scale 0.22 the tiny model
    # just echoes its last input token
    head(m, E, tied=False, out_std=0.5)
    for i in range(L):
        m.norm(f"blk.{i}.attn_norm.weight", E)
        attn_sep(m, i, E, H, KV, HD)
        m.norm(f"blk.{i}.ffn_norm.weight", E)
        ffn_glu(m, i, E, F)
    return m


def make_olmo2():
    m = Model("olmo2", "olmo2", "bpe", 1010)
    E, L, H, KV, F, HD = 64, 2, 4, 2, 128, 16
    common(m, 4096, E, L, H, KV, F, rope_base=500000.0, rms_eps=1e-6)
    embd(m, E)
    head(m, E, tied=False)
    for i in range(L):
        attn_sep(m, i, E, H, KV, HD)
        m.norm(f"blk.{i}.attn_q_norm.weight", H * HD)
        m.norm(f"blk.{i}.attn_k_norm.weight", KV * HD)
        m.norm(f"blk.{i}.post_attention_norm.weight", E)
        ffn_glu(m, i, E, F)
        m.norm(f"blk.{i}.post_ffw_norm.weight", E)
    return m


def falcon_layout(name, seed, KV, norm2):
    # Falcon: parallel attention + GELU MLP from LayerNorms with biases, fused QKV (rows q | k | v), untied output;
    # norm2: the Falcon-40B layout's second LayerNorm (attn_norm_2, its ln_attn) feeding attention
    m = Model(name, "falcon", "bpe", seed)
    E, L, H, F, HD = 64, 2, 4, 256, 16
    common(m, 2048, E, L, H, KV, F, ln_eps=1e-5)
    embd(m, E)
    m.norm("output_norm.weight", E)
    m.bias("output_norm.bias", E, 0.1)
    m.mat("output.weight", (m.n_vocab, E), 0.25)
    s_in = 1.0 / math.sqrt(E)
    for i in range(L):
        m.norm(f"blk.{i}.attn_norm.weight", E)
        m.bias(f"blk.{i}.attn_norm.bias", E, 0.1)
        if norm2:
            m.norm(f"blk.{i}.attn_norm_2.weight", E)
            m.bias(f"blk.{i}.attn_norm_2.bias", E, 0.1)
        m.mat(f"blk.{i}.attn_qkv.weight", (H * HD + 2 * KV * HD, E), s_in)
        m.mat(f"blk.{i}.attn_output.weight", (E, H * HD), 1.0 / math.sqrt(H * HD))
        m.mat(f"blk.{i}.ffn_up.weight", (F, E), s_in)
        m.mat(f"blk.{i}.ffn_down.weight", (E, F), 1.0 / math.sqrt(F))
    return m


def make_falcon():
    # Falcon-7B layout: multi-query attention, one LayerNorm
    return falcon_layout("falcon", 1011, KV=1, norm2=False)


def make_falcon40b():
    # Falcon-40B layout (new_decoder_architecture) as the converter writes it: query_key_value regrouped to
    # q | k | v with 2 kv heads, attention from attn_norm_2 (ln_attn), the MLP from attn_norm (ln_mlp)
    return falcon_layout("falcon40b", 1016, KV=2, norm2=True)


def make_chatglm():
    # ChatGLM3 / GLM-4-9B-chat layout (arch chatglm, conversion/chatglm.py): fused query_key_value with a bias
    # (add_qkv_bias) as attn_qkv, multi-query groups 2 (GQA 4/2), no attn_output bias, RMSNorm pre-norms only,
    # fused dense_h_to_4h as ffn_up (2*n_ff rows: gate | up, SwiGLU), rotary on half of each head
    # (rope.dimension_count = head_dim/2) with normal (adjacent-pair) RoPE, base 10000 * rope_ratio 5, untied
    m = Model("chatglm", "chatglm", "bpe", 1017)
    E, L, H, KV, F, HD = 64, 2, 4, 2, 128, 16
    common(m, 8192, E, L, H, KV, F, rope_base=50000.0, rms_eps=1e-5)
    m.u32("{arch}.rope.dimension_count", HD // 2)
    embd(m, E)
    head(m, E, tied=False)
    s_in = 1.0 / math.sqrt(E)
    for i in range(L):
        m.norm(f"blk.{i}.attn_norm.weight", E)
        m.mat(f"blk.{i}.attn_qkv.weight", (H * HD + 2 * KV * HD, E), s_in)   # rows: q | k | v
        m.bias(f"blk.{i}.attn_qkv.bias", H * HD + 2 * KV * HD, 0.1)
        m.mat(f"blk.{i}.attn_output.weight", (E, H * HD), 1.0 / math.sqrt(H * HD))
        m.norm(f"blk.{i}.ffn_norm.weight", E)
        m.mat(f"blk.{i}.ffn_up.weight", (2 * F, E), s_in)      # rows: gate | up
        m.mat(f"blk.{i}.ffn_down.weight", (E, F), 1.0 / math.sqrt(F))
    return m


def make_glm4():
    # GLM-4-0414 dense layout (Glm4ForCausalLM as conversion/glm.py writes it): separate q/k/v with
    # biases (attention_bias), no o_proj bias, post-attention and post-MLP RMSNorms, fused gate_up_proj
    # as ffn_up (2*n_ff rows: gate | up), partial rotary 0.5 (rope.dimension_count = head_dim/2),
    # rope type NORM (adjacent pairs) because use_mrope is false, untied output
    m = Model("glm4", "glm4", "bpe", 1012)
    E, L, H, KV, F, HD = 64, 2, 4, 2, 128, 16
    common(m, 32768, E, L, H, KV, F, head_dim=HD, rope_base=10000.0, rms_eps=1e-5)
    m.u32("{arch}.rope.dimension_count", HD // 2)
    embd(m, E)
    head(m, E, tied=False)
    for i in range(L):
        m.norm(f"blk.{i}.attn_norm.weight", E)
        attn_sep(m, i, E, H, KV, HD, bias=True)
        m.norm(f"blk.{i}.post_attention_norm.weight", E)
        m.norm(f"blk.{i}.ffn_norm.weight", E)
        m.mat(f"blk.{i}.ffn_up.weight", (2 * F, E), 1.0 / math.sqrt(E))      # rows: gate | up
        m.mat(f"blk.{i}.ffn_down.weight", (E, F), 1.0 / math.sqrt(F))
        m.norm(f"blk.{i}.post_ffw_norm.weight", E)
    return m


def make_deepseek2():
    # DeepSeek-V2-Lite-like layout (DeepseekV2ForCausalLM as conversion/deepseek.py writes it): multi-head
    # latent attention stored for the absorbed form (attn_kv_a_mqa, attn_kv_a_norm, attn_k_b, attn_v_b; the
    # HF kv_b_proj is split and k_b transposed by the converter), no q LoRA (attn_q directly), one leading
    # dense layer then MoE with softmax gating (no renorm) and shared experts, YaRN RoPE (factor 40,
    # mscale_all_dim 0.707) of type NORM on the trailing qk_rope dims, untied output.
    m = Model("deepseek2", "deepseek2", "bpe", 1013)
    E, L, H, F = 64, 2, 4, 128
    R, NOPE, ROPE, V = 32, 16, 8, 12          # kv_lora_rank, qk_nope/qk_rope/v head dims (Lite: 512, 128/64/128)
    NE, NU, FE, NS = 4, 2, 32, 2               # experts, used, expert n_ff, shared experts (Lite: 64, 6, 1408, 2)
    # the converter sets num_key_value_heads = 1 (MLA is MQA over the compressed cache)
    common(m, 163840, E, L, H, 1, F, rope_base=10000.0, rms_eps=1e-6)
    m.u32("{arch}.leading_dense_block_count", 1)
    # llama.cpp reads q_lora_rank unless n_layer is 26/27 (V2-Lite's 27 layers have none); 0 = no q LoRA
    m.u32("{arch}.attention.q_lora_rank", 0)
    m.u32("{arch}.attention.kv_lora_rank", R)
    m.u32("{arch}.attention.key_length", R + ROPE)
    m.u32("{arch}.attention.value_length", R)
    m.u32("{arch}.attention.key_length_mla", NOPE + ROPE)
    m.u32("{arch}.attention.value_length_mla", V)
    m.u32("{arch}.expert_feed_forward_length", FE)
    m.u32("{arch}.expert_count", NE)
    m.u32("{arch}.expert_shared_count", NS)
    m.f32("{arch}.expert_weights_scale", 1.0)     # routed_scaling_factor (V2-Lite 1.0: no effect)
    m.u32("{arch}.expert_used_count", NU)
    m.u32("{arch}.rope.dimension_count", ROPE)
    m.string("{arch}.rope.scaling.type", "yarn")
    m.f32("{arch}.rope.scaling.factor", 40.0)
    m.u32("{arch}.rope.scaling.original_context_length", 4096)
    m.f32("{arch}.rope.scaling.yarn_beta_fast", 32.0)
    m.f32("{arch}.rope.scaling.yarn_beta_slow", 1.0)
    m.f32("{arch}.rope.scaling.yarn_log_multiplier", 0.1 * 0.707)   # 0.1 * mscale_all_dim, as the converter writes it
    embd(m, E)
    head(m, E, tied=False)
    s_in = 1.0 / math.sqrt(E)
    for i in range(L):
        m.norm(f"blk.{i}.attn_norm.weight", E)
        m.norm(f"blk.{i}.attn_kv_a_norm.weight", R)
        m.mat(f"blk.{i}.attn_q.weight", (H * (NOPE + ROPE), E), s_in)             # per head: nope | rope
        m.mat(f"blk.{i}.attn_kv_a_mqa.weight", (R + ROPE, E), s_in)              # rows: compressed kv | k_rope
        m.mat(f"blk.{i}.attn_k_b.weight", (H, R, NOPE), 1.0 / math.sqrt(R))     # ne {nope, rank, n_head}
        m.mat(f"blk.{i}.attn_v_b.weight", (H, V, R), 1.0 / math.sqrt(R))        # ne {rank, v, n_head}
        m.mat(f"blk.{i}.attn_output.weight", (E, H * V), 1.0 / math.sqrt(H * V))
        m.norm(f"blk.{i}.ffn_norm.weight", E)
        if i < 1:
            ffn_glu(m, i, E, F)
        else:
            moe(m, i, E, NE, FE)
            m.mat(f"blk.{i}.ffn_gate_shexp.weight", (NS * FE, E), s_in)
            m.mat(f"blk.{i}.ffn_up_shexp.weight", (NS * FE, E), s_in)
            m.mat(f"blk.{i}.ffn_down_shexp.weight", (E, NS * FE), 1.0 / math.sqrt(NS * FE))
    return m


def make_mistral3():
    # Ministral 3 / Mistral Small 3.x text layout (Ministral3ForCausalLM as conversion/mistral3.py writes it: the
    # llama tensors under arch mistral3), head_dim 32 != n_embd/n_head (key_length, as the real models' 128),
    # YaRN RoPE of type NORM (adjacent pairs) and Llama-4-style attention temperature scaling of Q
    # (attention.temperature_scale = llama_4_scaling_beta; llama.cpp floors positions by n_ctx_orig_yarn).
    # original_context_length 8 so that the prompt (positions 0..23) crosses the floor boundaries 8 and 16;
    # yarn_beta_fast/slow 0.5/0.125 (real models: 32/1) so that the YaRN ramp has an extrapolated, a blended
    # and an interpolated part at this tiny n_ctx_orig (corr dims [1, 5] of 16 pairs; 32/1 would give [0, 1]);
    # yarn_log_multiplier 0.5 (real models: mscale_all_dim 1.0, where the rotation magnitude is exactly 1) so
    # that llama.cpp's magnitude gm(f,1)/gm(f,0.5) = 1.0648 is pinned. Optional biases llama.cpp loads for
    # mistral3 (none in real checkpoints; transformers' Ministral3 has no bias): attn_output and ffn_up/gate/down.
    m = Model("mistral3", "mistral3", "spm", 1014)
    E, L, H, KV, F, HD = 64, 2, 4, 2, 128, 32
    common(m, 32768, E, L, H, KV, F, head_dim=HD, rope_base=10000.0, rms_eps=1e-5)
    m.u32("{arch}.rope.dimension_count", HD)
    m.string("{arch}.rope.scaling.type", "yarn")
    m.f32("{arch}.rope.scaling.factor", 4.0)
    m.u32("{arch}.rope.scaling.original_context_length", 8)
    m.f32("{arch}.rope.scaling.yarn_beta_fast", 0.5)
    m.f32("{arch}.rope.scaling.yarn_beta_slow", 0.125)
    m.f32("{arch}.rope.scaling.yarn_log_multiplier", 0.5)
    m.f32("{arch}.attention.temperature_scale", 0.1)
    embd(m, E)
    head(m, E, tied=False)
    s_in = 1.0 / math.sqrt(E)
    for i in range(L):
        m.norm(f"blk.{i}.attn_norm.weight", E)
        attn_sep(m, i, E, H, KV, HD)
        m.bias(f"blk.{i}.attn_output.bias", E, 0.1)
        m.norm(f"blk.{i}.ffn_norm.weight", E)
        ffn_glu(m, i, E, F)
        m.bias(f"blk.{i}.ffn_gate.bias", F, 0.1)
        m.bias(f"blk.{i}.ffn_up.bias", F, 0.1)
        m.bias(f"blk.{i}.ffn_down.bias", E, 0.1)
    return m


def make_gemma():
    # Gemma 1 (GemmaForCausalLM as conversion/gemma.py GemmaModel writes it): llama tensor names, RMSNorm with the
    # +1 already folded into the stored weights, GeGLU (gelu-tanh gate), embeddings x sqrt(n_embd), tied output, NeoX
    # RoPE with the default base 10000 (the converter writes no rope key), no softcaps, no sliding window, Q scaled
    # by 1/sqrt(head_dim). Multi-query like Gemma 2B (1 KV head), head_dim 32 != n_embd/n_head (16) via key_length,
    # as the real models' 256 (7B: 3072/16 = 192).
    m = Model("gemma", "gemma", "spm", 1015)
    E, L, H, KV, F, HD = 64, 3, 4, 1, 128, 32
    common(m, 8192, E, L, H, KV, F, head_dim=HD, rms_eps=1e-6)
    embd(m, E, std=0.1)    # scaled by sqrt(n_embd) = 8 in the graph
    head(m, E, tied=True)
    for i in range(L):
        m.norm(f"blk.{i}.attn_norm.weight", E)
        attn_sep(m, i, E, H, KV, HD)
        m.norm(f"blk.{i}.ffn_norm.weight", E)
        ffn_glu(m, i, E, F)
    return m


FAMILIES = {
    "llama3rope": make_llama3rope,
    "qwen3": make_qwen3,
    "gemma3": make_gemma3,
    "mixtral": make_mixtral,
    "qwen2moe": make_qwen2moe,
    "qwen3moe": make_qwen3moe,
    "gemma2": make_gemma2,
    "phi3": make_phi3,
    "granite": make_granite,
    "olmo2": make_olmo2,
    "falcon": make_falcon,
    "glm4": make_glm4,
    "deepseek2": make_deepseek2,
    "mistral3": make_mistral3,
    "gemma": make_gemma,
    "falcon40b": make_falcon40b,
    "chatglm": make_chatglm,
    "qwen2vl": make_qwen2vl,
    "qwen3vl": make_qwen3vl,
    "qwen3vlmoe": make_qwen3vlmoe,
}


def main():
    if len(sys.argv) < 2:
        print(__doc__ or "usage: make_tiny_models.py OUT_DIR [NAME ...]")
        sys.exit(1)
    out_dir = os.path.expanduser(sys.argv[1])
    os.makedirs(out_dir, exist_ok=True)
    names = sys.argv[2:] or list(FAMILIES)
    for name in names:
        m = FAMILIES[name]()
        path = m.write(out_dir)
        print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
