#!/usr/bin/env python3
"""Tiny random Hugging Face checkpoints (transformers, seeded) of the families lai converts, and what
llama.cpp's convert_hf_to_gguf.py makes of them: per-tensor sha256 digests and the metadata, as JSON.

  make_tiny_hf.py OUT_DIR CONVERTER_DIR [NAME...]
      writes OUT_DIR/<name>/ (the checkpoint, unless it exists) and OUT_DIR/<name>.<outtype>.json for outtype
      f32 and f16 (and bf16, q8_0 for the families with a tokenizer). The committed fixtures were made with OUT_DIR = Tests/Fixtures/hfconvert, torch 2.15 CPU,
      transformers 4.57.6 and the converter of llama-cpp-python 0.3.36's vendored llama.cpp; falcon, falcon40b,
      glm4, deepseek2, deepseek2-qlora and nomic-bert with torch 2.13.0 CPU, safetensors 0.8.0, numpy 2.2.6,
      tokenizers 0.22.2 (glm and chatglm too).

Families: llama, qwen2, qwen3, gemma3, gemma2, gemma, mixtral, qwen2moe, qwen3moe, phi3, phi3-longrope, olmo2,
granite; falcon (Falcon-7B layout: multi-query, parallel attention), falcon40b (Falcon-40B layout: grouped
query_key_value, which the converter regroups, ln_attn + ln_mlp), glm4 (GLM-4-0414 dense), glm (GLM-4-9B-chat-hf's
GlmForCausalLM, arch chatglm), chatglm (GLM-4-9B-chat's own remote-code ChatGLMModel layout, written by hand like
nomic-bert: transformer.encoder.layers.N, fused query_key_value with a bias, the rotary inv_freq buffer), deepseek2 (DeepSeek-V2-Lite
layout: MLA without q_lora, a dense first layer, routed + shared experts, YaRN; sharded so the experts span shards),
deepseek2-qlora (the same with q_lora_rank, the V2/V3 q_a_proj/q_a_layernorm/q_b_proj layout) and nomic-bert
(nomic-embed-text-v1.5's NomicBertModel: remote code, so written by hand with numpy + safetensors under the real
checkpoint's tensor names and config.json keys, plus its sentence-transformers modules.json / 1_Pooling).
llama-fp8 (the llama checkpoint re-saved as a fine-grained FP8 release: float8_e4m3fn linear weights with 32 × 48
block scales), qwen3moe-fused (the qwen3moe checkpoint re-saved in transformers 5's fused-expert layout), ministral3 (Ministral 3's text model: transformers 4.57.6 has no Ministral3ForCausalLM, which came with transformers
5, so written by hand like chatglm; the converter reads its config.json as written).

llama and gemma3 carry a tiny SentencePiece tokenizer.model (trained here on this file's text, 300 pieces for
320 embedding rows, so the converter pads) with a tokenizer_config.json (added token, chat template, add_bos);
the JSON then holds the tokenizer keys too (arrays as sha256 of their elements: strings joined by NUL, numbers as
little-endian 4-byte values). nomic-bert carries a tiny lower-case WordPiece vocabulary (vocab.txt, tokenizer.json,
tokenizer_config.json, special_tokens_map.json; 314 tokens for 320 rows), converted with its tokenizer keys too;
as the converter cannot recognize a tiny vocabulary's pre-tokenizer hash, it is told the name it gives the real
model's (see WPM_FAMILIES). The others have no tokenizer; for them the converter's set_vocab is a no-op.
Needs torch, transformers==4.57.6 (the converter's pin), safetensors, numpy (sentencepiece, tokenizers for the
tokenizers).
"""
import copy, hashlib, json, os, subprocess, sys
from pathlib import Path

import torch
import transformers

# DeepSeek-V2-Lite's config.json values where they matter (n_group/topk_group 1, greedy top-k, softmax scoring,
# beta_fast/beta_slow written as integers, which transformers warns about and the converter writes as floats).
# DeepseekV2Config saves head_dim = qk_rope_head_dim, so the converter writes attention.key_length/value_length twice
# (8, then kv_lora_rank + qk_rope_head_dim and kv_lora_rank: "Duplicated key name ... overwriting"); the keys keep the
# place of the first write.
DEEPSEEK2 = dict(
    vocab_size=320, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
    num_key_value_heads=4, q_lora_rank=None, kv_lora_rank=32, qk_nope_head_dim=16, qk_rope_head_dim=8, v_head_dim=12,
    n_routed_experts=4, num_experts_per_tok=2, moe_intermediate_size=32, n_shared_experts=2, first_k_dense_replace=1,
    topk_method="greedy", n_group=1, topk_group=1, norm_topk_prob=False, routed_scaling_factor=1.0,
    scoring_func="softmax", max_position_embeddings=2560, rms_norm_eps=1e-6, rope_theta=10000.0,
    rope_scaling={"type": "yarn", "factor": 40.0, "original_max_position_embeddings": 64, "mscale": 0.707,
                  "mscale_all_dim": 0.707, "beta_fast": 32, "beta_slow": 1},
    tie_word_embeddings=False)

FAMILIES = {
    # name: (config class, model class, config kwargs, save dtype, shard size)
    "llama": ("LlamaConfig", "LlamaForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-5, rope_theta=500000.0,
        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 64},
        tie_word_embeddings=True), torch.float32, None),
    # llama with only a tokenizer.json that is SentencePiece in Hugging Face form (byte-fallback BPE, Sequence
    # decoder: what LlamaTokenizerFast makes of a tokenizer.model), which the converter reads with LlamaHfVocab.
    "llama-hf": ("LlamaConfig", "LlamaForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-5, rope_theta=10000.0,
        tie_word_embeddings=False), torch.float16, None),
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
    # Multimodal checkpoints, of which the converter's text pass keeps the language model: Gemma 3 4B-27B's
    # Gemma3ForConditionalGeneration (a SigLIP tower and projector, tied embeddings; BF16 as Google ships it) and
    # Mistral Small 3.1's / Ministral 3's Mistral3ForConditionalGeneration (a Pixtral tower and patch merger).
    "gemma3-vl": ("Gemma3Config", "Gemma3ForConditionalGeneration", dict(
        text_config=dict(vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=1, head_dim=32, max_position_embeddings=1024, rms_norm_eps=1e-6, sliding_window=128,
                         rope_theta=1000000.0, rope_local_base_freq=10000.0, query_pre_attn_scalar=32),
        vision_config=dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2, image_size=28,
                           patch_size=14),
        mm_tokens_per_image=4, boi_token_index=300, eoi_token_index=301, image_token_index=302), torch.bfloat16, None),
    "mistral3-vl": ("Mistral3Config", "Mistral3ForConditionalGeneration", dict(
        text_config=dict(model_type="mistral", vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=1024,
                         rms_norm_eps=1e-5, rope_theta=1000000000.0, sliding_window=None),
        vision_config=dict(model_type="pixtral", hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                           num_attention_heads=2, image_size=28, patch_size=14, head_dim=8),
        spatial_merge_size=2, image_token_index=10), torch.bfloat16, None),
    # LLaVA (llava-hf/llava-1.5-7b-hf's LlavaForConditionalGeneration: a CLIP tower, a two-layer projector, Llama).
    "llava": ("LlavaConfig", "LlavaForConditionalGeneration", dict(
        text_config=dict(model_type="llama", vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=1024, rms_norm_eps=1e-5),
        vision_config=dict(model_type="clip_vision_model", hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                           num_attention_heads=2, image_size=28, patch_size=14, projection_dim=16),
        image_token_index=300), torch.float16, None),
    # Qwen2-VL and Qwen2.5-VL (arch qwen2vl: the language model with M-RoPE sections; the vision tower is dropped).
    "qwen2vl": ("Qwen2VLConfig", "Qwen2VLForConditionalGeneration", dict(
        text_config=dict(vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, max_position_embeddings=1024, rms_norm_eps=1e-6, rope_theta=1000000.0,
                         rope_scaling={"type": "mrope", "mrope_section": [2, 3, 3]}),
        vision_config=dict(depth=1, embed_dim=16, hidden_size=64, num_heads=2, mlp_ratio=2, patch_size=14,
                           spatial_merge_size=2, temporal_patch_size=2)), torch.bfloat16, None),
    "qwen25vl": ("Qwen2_5_VLConfig", "Qwen2_5_VLForConditionalGeneration", dict(
        text_config=dict(vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, max_position_embeddings=1024, rms_norm_eps=1e-6, rope_theta=1000000.0,
                         tie_word_embeddings=True, rope_scaling={"type": "mrope", "mrope_section": [2, 3, 3]}),
        vision_config=dict(depth=2, hidden_size=16, intermediate_size=32, num_heads=2, out_hidden_size=64, patch_size=14,
                           spatial_merge_size=2, temporal_patch_size=2, window_size=56, fullatt_block_indexes=[1])),
        torch.bfloat16, None),
    # Qwen3-VL (arch qwen3vl: qwen3 with interleaved M-RoPE; n_deepstack_layers from the vision tower's indexes).
    "qwen3vl": ("Qwen3VLConfig", "Qwen3VLForConditionalGeneration", dict(
        text_config=dict(vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, head_dim=32, max_position_embeddings=1024, rms_norm_eps=1e-6,
                         rope_theta=5000000.0, tie_word_embeddings=True,
                         rope_scaling={"rope_type": "default", "mrope_section": [6, 5, 5], "mrope_interleaved": True}),
        vision_config=dict(depth=2, hidden_size=16, intermediate_size=32, num_heads=2, out_hidden_size=64, patch_size=14,
                           spatial_merge_size=2, temporal_patch_size=2, num_position_embeddings=16, deepstack_visual_indexes=[0])),
        torch.bfloat16, None),
    # Qwen3-VL-MoE (arch qwen3vlmoe): its experts fused and transposed (gate_up_proj [E, n_embd, 2·ff]).
    "qwen3vlmoe": ("Qwen3VLMoeConfig", "Qwen3VLMoeForConditionalGeneration", dict(
        text_config=dict(vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, head_dim=32, max_position_embeddings=1024, rms_norm_eps=1e-6,
                         rope_theta=5000000.0, moe_intermediate_size=48, num_experts=4, num_experts_per_tok=2,
                         rope_scaling={"rope_type": "default", "mrope_section": [6, 5, 5], "mrope_interleaved": True}),
        vision_config=dict(depth=2, hidden_size=16, intermediate_size=32, num_heads=2, out_hidden_size=64, patch_size=14,
                           spatial_merge_size=2, temporal_patch_size=2, num_position_embeddings=16, deepstack_visual_indexes=[0])),
        torch.bfloat16, None),
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
    # Phi-3 with its SentencePiece tokenizer (Phi3MiniModel.set_vocab, not the shared SentencePiece reader):
    # added tokens past the pieces from added_tokens.json, tokenizer_config's added_tokens_decoder and
    # tokenizer.json's added_tokens (see add_phi3_added_tokens).
    "phi3-spm": ("Phi3Config", "Phi3ForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=256, original_max_position_embeddings=256, rms_norm_eps=1e-5,
        rope_theta=10000.0, bos_token_id=1, eos_token_id=2, pad_token_id=0, tie_word_embeddings=False),
        torch.float16, None),
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
    # Falcon-7B layout: multi-query, one input_layernorm, parallel attention + MLP. num_kv_heads=1 although the
    # multi-query model ignores it: FalconConfig fills num_kv_heads = num_attention_heads when it is not given (into
    # the saved config.json, and also when the converter reads a config.json without it through AutoConfig), and
    # the converter then views query_key_value as 4 kv groups and refuses ("shape '[4, 3, 16, 64]' is invalid").
    "falcon": ("FalconConfig", "FalconForCausalLM", dict(
        vocab_size=320, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_kv_heads=1,
        new_decoder_architecture=False, multi_query=True, parallel_attn=True, bias=False, alibi=False,
        layer_norm_epsilon=1e-5, max_position_embeddings=2048), torch.bfloat16, None),
    # Falcon-40B layout: grouped query_key_value (per kv group: n_head/n_kv query heads, one k, one v), ln_attn
    # and ln_mlp; the converter regroups it to q|k|v ("jploski" tensor_data_layout).
    "falcon40b": ("FalconConfig", "FalconForCausalLM", dict(
        vocab_size=320, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_kv_heads=2,
        new_decoder_architecture=True, parallel_attn=True, bias=False, alibi=False, layer_norm_epsilon=1e-5,
        max_position_embeddings=2048), torch.float32, None),
    # GLM-4-0414 dense: fused gate_up_proj, post-attention/post-MLP norms, q/k/v biases, partial RoPE.
    # pad/eos ids inside the tiny vocabulary (Glm4Config's defaults are GLM's 151329...).
    "glm4": ("Glm4Config", "Glm4ForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, head_dim=16, partial_rotary_factor=0.5, attention_bias=True,
        max_position_embeddings=512, rms_norm_eps=1e-5, rope_theta=10000.0, pad_token_id=0, eos_token_id=[1, 2],
        tie_word_embeddings=False), torch.float16, None),
    # GLM-4-9B-chat-hf (GlmForCausalLM, converted as arch chatglm): like GLM-4-0414 without the post norms. The
    # converter ignores head_dim and rms_norm_eps (rope dims from hidden_size / heads, epsilon from
    # layernorm_epsilon or 1e-5) and writes context_length = hidden_size (no seq_length): kept as it writes them.
    "glm": ("GlmConfig", "GlmForCausalLM", dict(
        vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, head_dim=16, partial_rotary_factor=0.5, attention_bias=True,
        max_position_embeddings=512, rms_norm_eps=1e-5, rope_theta=10000.0, pad_token_id=0, eos_token_id=[1, 2],
        tie_word_embeddings=False), torch.bfloat16, None),
    # DeepSeek-V2-Lite-like: MLA without q compression (q_proj), kv_a_proj_with_mqa/kv_a_layernorm/kv_b_proj, one
    # dense leading layer, then routed + shared experts (per-expert tensors, spread over the shards), YaRN.
    "deepseek2": ("DeepseekV2Config", "DeepseekV2ForCausalLM", DEEPSEEK2, torch.float32, "100KB"),
    # The V2/V3 full attention layout: q_a_proj, q_a_layernorm, q_b_proj.
    "deepseek2-qlora": ("DeepseekV2Config", "DeepseekV2ForCausalLM", dict(DEEPSEEK2, q_lora_rank=24),
                        torch.bfloat16, None),
}

# Families without a transformers class (remote code): written by hand, see build_nomic_bert.
HAND_FAMILIES = ("nomic-bert", "xlm-roberta", "chatglm", "ministral3", "qwen3moe-fused", "llama-fp8", "xlm-roberta-reranker",
                 "bert-reranker")
# xlm-roberta: Tests/Fixtures/ugm/make_ugm_fixture.py's WORK_DIR/hf (a tiny XLMRobertaModel whose tokenizer is the
# sentencepiece sdist's 1000-piece Unigram botchan model) with its tokenizer.json cut down to what the converter reads
# beside sentencepiece.bpe.model (added tokens and the RobertaProcessing post-processor; no vocab, no charsmap copy).


def build(out: Path, name: str):
    cfg_cls, model_cls, kw, dtype, shard = FAMILIES[name]
    torch.manual_seed(1234)
    config = getattr(transformers, cfg_cls)(**copy.deepcopy(kw))
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


# nomic-embed-text-v1.5's config.json (NomicBertModel is remote code, so no transformers class): its keys and values,
# with the sizes made tiny (n_embd 64, n_head 4, n_inner 96, n_layer 2, vocab_size 320). The converter reads
# architectures, n_layer, n_positions + max_trained_positions (8192/2048 -> context 2048), n_embd, n_inner, n_head,
# rotary_emb_base, layer_norm_epsilon, type_vocab_size, vocab_size, moe_every_n_layers (absent: not the MoE model),
# asserts activation_function, causal, qkv_proj_bias, mlp_fc1_bias, mlp_fc2_bias, prenorm and the rotary_emb_* keys,
# and takes general.name/version/organization/basename from _name_or_path.
NOMIC_BERT_CONFIG = {
    "_name_or_path": "nomic-ai/nomic-bert-2048", "activation_function": "swiglu", "architectures": ["NomicBertModel"],
    "attn_pdrop": 0.0,
    "auto_map": {"AutoConfig": "nomic-ai/nomic-bert-2048--configuration_hf_nomic_bert.NomicBertConfig",
                 "AutoModel": "nomic-ai/nomic-bert-2048--modeling_hf_nomic_bert.NomicBertModel",
                 "AutoModelForMaskedLM": "nomic-ai/nomic-bert-2048--modeling_hf_nomic_bert.NomicBertForPreTraining"},
    "bos_token_id": None, "causal": False, "dense_seq_output": True, "embd_pdrop": 0.0, "eos_token_id": None,
    "fused_bias_fc": True, "fused_dropout_add_ln": True, "initializer_range": 0.02, "layer_norm_epsilon": 1e-12,
    "max_trained_positions": 2048, "mlp_fc1_bias": False, "mlp_fc2_bias": False, "model_type": "nomic_bert",
    "n_embd": 64, "n_head": 4, "n_inner": 96, "n_layer": 2, "n_positions": 8192, "pad_vocab_size_multiple": 64,
    "parallel_block": False, "parallel_block_tied_norm": False, "prenorm": False, "qkv_proj_bias": False,
    "reorder_and_upcast_attn": False, "resid_pdrop": 0.0, "rotary_emb_base": 1000, "rotary_emb_fraction": 1.0,
    "rotary_emb_interleaved": False, "rotary_emb_scale_base": None, "rotary_scaling_factor": None,
    "scale_attn_by_inverse_layer_idx": False, "scale_attn_weights": True, "summary_activation": None,
    "summary_first_dropout": 0.0, "summary_proj_to_labels": True, "summary_type": "cls_index",
    "summary_use_proj": True, "torch_dtype": "float32", "transformers_version": "4.37.2", "type_vocab_size": 2,
    "use_cache": True, "use_flash_attn": True, "use_rms_norm": False, "use_xentropy": True, "vocab_size": 320,
}


def build_nomic_bert(d: Path):
    """The checkpoint as nomic-embed-text-v1.5 names its tensors (numpy, seeded; float32)."""
    import numpy as np
    from safetensors.numpy import save_file
    c = NOMIC_BERT_CONFIG
    e, ff, nv = c["n_embd"], c["n_inner"], c["vocab_size"]
    shapes = {"embeddings.word_embeddings.weight": (nv, e), "embeddings.token_type_embeddings.weight": (c["type_vocab_size"], e),
              "emb_ln.weight": (e,), "emb_ln.bias": (e,)}
    for i in range(c["n_layer"]):
        p = f"encoder.layers.{i}."
        shapes.update({p + "attn.Wqkv.weight": (3 * e, e), p + "attn.out_proj.weight": (e, e),
                       p + "mlp.fc11.weight": (ff, e), p + "mlp.fc12.weight": (ff, e), p + "mlp.fc2.weight": (e, ff),
                       p + "norm1.weight": (e,), p + "norm1.bias": (e,), p + "norm2.weight": (e,), p + "norm2.bias": (e,)})
    rng = np.random.default_rng(1234)
    tensors = {n: (rng.standard_normal(s, dtype=np.float32) * 0.5).astype(np.float32) for n, s in shapes.items()}
    d.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(d / "model.safetensors"), metadata={"format": "pt"})
    with open(d / "config.json", "w") as f:
        json.dump(c, f, indent=2)
    # sentence-transformers: mean pooling (the converter writes it as the pooling type)
    with open(d / "modules.json", "w") as f:
        json.dump([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                   {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}], f, indent=2)
    (d / "1_Pooling").mkdir(exist_ok=True)
    with open(d / "1_Pooling" / "config.json", "w") as f:
        json.dump({"word_embedding_dimension": e, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
                   "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False}, f, indent=2)


# THUDM/glm-4-9b-chat's config.json (ChatGLMModel is remote code): its keys, sizes made tiny. The converter reads
# hidden_size, num_attention_heads, multi_query_group_num, num_layers, ffn_hidden_size, seq_length, layernorm_epsilon,
# rope_ratio (freq_base 10000 * 500) and padded_vocab_size; the rotary dims are hidden_size / heads / 2.
CHATGLM_CONFIG = {
    "_name_or_path": "THUDM/glm-4-9b-chat", "add_bias_linear": False, "add_qkv_bias": True,
    "apply_query_key_layer_scaling": True, "apply_residual_connection_post_layernorm": False,
    "architectures": ["ChatGLMModel"], "attention_dropout": 0.0, "attention_softmax_in_fp32": True,
    "auto_map": {"AutoConfig": "configuration_chatglm.ChatGLMConfig", "AutoModel": "modeling_chatglm.ChatGLMForConditionalGeneration",
                 "AutoModelForCausalLM": "modeling_chatglm.ChatGLMForConditionalGeneration"},
    "bias_dropout_fusion": True, "classifier_dropout": None, "eos_token_id": [1, 2], "ffn_hidden_size": 96,
    "fp32_residual_connection": False, "hidden_dropout": 0.0, "hidden_size": 64, "kv_channels": 16,
    "layernorm_epsilon": 1.5625e-07, "model_type": "chatglm", "multi_query_attention": True, "multi_query_group_num": 2,
    "num_attention_heads": 4, "num_hidden_layers": 2, "num_layers": 2, "original_rope": True, "pad_token_id": 0,
    "padded_vocab_size": 320, "post_layer_norm": True, "rmsnorm": True, "rope_ratio": 500, "seq_length": 8192,
    "tie_word_embeddings": False, "torch_dtype": "bfloat16", "transformers_version": "4.42.4", "use_cache": True,
}


def random_classifier(d: Path, model):
    """Seeded N(0, 0.5²) parameters (norms included), saved as float32 safetensors."""
    torch.manual_seed(1234)
    with torch.no_grad():
        for _, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    model.save_pretrained(d, safe_serialization=True)


def build_xlm_roberta_reranker(out: Path):
    """bge-reranker-v2-m3's layout in small: XLMRobertaForSequenceClassification (roberta.* tensors, a
    classifier.dense + classifier.out_proj head, one label) with the xlm-roberta fixture's config and tokenizer."""
    import shutil
    src, d = out / "xlm-roberta", out / "xlm-roberta-reranker"
    cfg = transformers.XLMRobertaConfig.from_pretrained(src)
    cfg.architectures, cfg.num_labels = ["XLMRobertaForSequenceClassification"], 1
    random_classifier(d, transformers.XLMRobertaForSequenceClassification(cfg))
    for f in ("sentencepiece.bpe.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(src / f, d / f)


def build_xlm_roberta_tokenizer_json(out: Path):
    """xlm-roberta-tokenizer-json: the tokenizer files transformers writes for the xlm-roberta fixture's
    sentencepiece.bpe.model (XLMRobertaTokenizerFast(vocab_file=...).save_pretrained), without the model file:
    a folder that ships tokenizer.json alone. HFConvertTests puts them beside xlm-roberta's config.json and
    model.safetensors and expects xlm-roberta.*.json, the converter's output with sentencepiece.bpe.model (the
    converter itself raises KeyError 'precompiled_charsmap' on this folder: its tokenizer.json path reads the
    charsmap at the top of the normalizer, where transformers writes a Sequence). No digests of its own."""
    import os, shutil, tempfile
    d = out / "xlm-roberta-tokenizer-json"
    with tempfile.TemporaryDirectory() as tmp:
        transformers.XLMRobertaTokenizerFast(vocab_file=str(out / "xlm-roberta" / "sentencepiece.bpe.model")).save_pretrained(tmp)
        d.mkdir(exist_ok=True)
        for f in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
            shutil.copy(os.path.join(tmp, f), d / f)


def build_bert_reranker(out: Path):
    """A cross-encoder (ms-marco-MiniLM's layout in small): BertForSequenceClassification with the pooler and one
    classifier label, and the tiny lower-case WordPiece vocabulary."""
    d = out / "bert-reranker"
    cfg = transformers.BertConfig(vocab_size=320, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                  intermediate_size=64, max_position_embeddings=64, num_labels=1,
                                  architectures=["BertForSequenceClassification"])
    random_classifier(d, transformers.BertForSequenceClassification(cfg))
    add_wordpiece_tokenizer(d)


def save_random_bf16(d: Path, shapes: dict, config: dict):
    """Seeded N(0, 0.5²) tensors of `shapes` in bfloat16 as d/model.safetensors, and `config` as d/config.json."""
    from safetensors.torch import save_file
    g = torch.Generator().manual_seed(1234)
    tensors = {n: (torch.randn(s, generator=g) * 0.5).to(torch.bfloat16) for n, s in shapes.items()}
    d.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(d / "model.safetensors"), metadata={"format": "pt"})
    with open(d / "config.json", "w") as f:
        json.dump(config, f, indent=2)


def build_chatglm(d: Path):
    """The checkpoint as THUDM/glm-4-9b-chat names its tensors (torch, seeded; bfloat16, with the rotary inv_freq
    buffer the converter drops)."""
    c = CHATGLM_CONFIG
    e, ff, nv, hd = c["hidden_size"], c["ffn_hidden_size"], c["padded_vocab_size"], c["kv_channels"]
    qkv = c["num_attention_heads"] * hd + 2 * c["multi_query_group_num"] * hd
    shapes = {"transformer.embedding.word_embeddings.weight": (nv, e), "transformer.rotary_pos_emb.inv_freq": (hd // 4,)}
    for i in range(c["num_layers"]):
        p = f"transformer.encoder.layers.{i}."
        shapes.update({p + "input_layernorm.weight": (e,), p + "self_attention.query_key_value.weight": (qkv, e),
                       p + "self_attention.query_key_value.bias": (qkv,), p + "self_attention.dense.weight": (e, e),
                       p + "post_attention_layernorm.weight": (e,), p + "mlp.dense_h_to_4h.weight": (2 * ff, e),
                       p + "mlp.dense_4h_to_h.weight": (e, ff)})
    shapes.update({"transformer.encoder.final_layernorm.weight": (e,), "transformer.output_layer.weight": (nv, e)})
    save_random_bf16(d, shapes, c)


# Ministral 3's text model (Ministral3ForCausalLM, model_type ministral3: transformers 5 only, so written by hand):
# llama tensor names, head_dim ≠ hidden_size / heads, YaRN rope_parameters with mscale_all_dim (→ the YaRN log
# multiplier) and llama_4_scaling_beta (→ the attention temperature scale), untied output.
MINISTRAL3_CONFIG = {
    "architectures": ["Ministral3ForCausalLM"], "model_type": "ministral3", "attention_dropout": 0.0, "bos_token_id": 1,
    "eos_token_id": 2, "pad_token_id": 11, "head_dim": 32, "hidden_act": "silu", "hidden_size": 64, "initializer_range": 0.02,
    "intermediate_size": 96, "max_position_embeddings": 262144, "num_attention_heads": 4, "num_hidden_layers": 2,
    "num_key_value_heads": 2, "rms_norm_eps": 1e-05, "sliding_window": None, "tie_word_embeddings": False,
    "rope_parameters": {"rope_type": "yarn", "rope_theta": 1000000.0, "factor": 16.0, "original_max_position_embeddings": 16384,
                        "beta_fast": 32.0, "beta_slow": 1.0, "mscale": 1.0, "mscale_all_dim": 1.0, "llama_4_scaling_beta": 0.1},
    "torch_dtype": "bfloat16", "transformers_version": "5.0.0", "use_cache": True, "vocab_size": 320,
}


def build_ministral3(d: Path):
    """Ministral3ForCausalLM's tensors under llama names (torch, seeded; bfloat16)."""
    c = MINISTRAL3_CONFIG
    e, ff, nv, hd = c["hidden_size"], c["intermediate_size"], c["vocab_size"], c["head_dim"]
    q, kv = c["num_attention_heads"] * hd, c["num_key_value_heads"] * hd
    shapes = {"model.embed_tokens.weight": (nv, e)}
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        shapes.update({p + "input_layernorm.weight": (e,), p + "self_attn.q_proj.weight": (q, e), p + "self_attn.k_proj.weight": (kv, e),
                       p + "self_attn.v_proj.weight": (kv, e), p + "self_attn.o_proj.weight": (e, q),
                       p + "post_attention_layernorm.weight": (e,), p + "mlp.gate_proj.weight": (ff, e),
                       p + "mlp.up_proj.weight": (ff, e), p + "mlp.down_proj.weight": (e, ff)})
    shapes.update({"model.norm.weight": (e,), "lm_head.weight": (nv, e)})
    save_random_bf16(d, shapes, c)


def build_qwen3moe_fused(out: Path):
    """The qwen3moe checkpoint in transformers 5's layout: each layer's experts fused into mlp.experts.gate_up_proj
    [n_expert, 2·n_ff, n_embd] (gate rows, then up rows) and mlp.experts.down_proj [n_expert, n_embd, n_ff], no
    .weight suffix; everything else as qwen3moe (built first if missing)."""
    from safetensors.torch import load_file, save_file
    if not (out / "qwen3moe" / "config.json").exists():
        build(out, "qwen3moe")
    src = load_file(str(out / "qwen3moe" / "model.safetensors"))
    cfg = json.loads((out / "qwen3moe" / "config.json").read_text())
    n = cfg["num_experts"]
    tensors = {}
    for name, t in src.items():
        if ".mlp.experts." not in name:
            tensors[name] = t
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}.mlp.experts."
        gate = [src[f"{p}{e}.gate_proj.weight"] for e in range(n)]
        up = [src[f"{p}{e}.up_proj.weight"] for e in range(n)]
        tensors[p + "gate_up_proj"] = torch.stack([torch.cat([g, u], dim=0) for g, u in zip(gate, up)]).contiguous()
        tensors[p + "down_proj"] = torch.stack([src[f"{p}{e}.down_proj.weight"] for e in range(n)]).contiguous()
    d = out / "qwen3moe-fused"
    d.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(d / "model.safetensors"), metadata={"format": "pt"})
    cfg["transformers_version"] = "5.0.0"
    (d / "config.json").write_text(json.dumps(cfg, indent=2))


def build_llama_fp8(out: Path):
    """The llama checkpoint as a fine-grained FP8 release stores it (DeepSeek-V3 / Qwen3-FP8 style): every linear
    layer's weight float8_e4m3fn with a float32 `weight_scale_inv` per 32 × 48 block (the last column block
    partial), embeddings, norms and lm_head kept; quantization_config quant_method fp8."""
    from safetensors.torch import load_file, save_file
    if not (out / "llama" / "config.json").exists():
        build(out, "llama")
    src = load_file(str(out / "llama" / "model.safetensors"))
    cfg = json.loads((out / "llama" / "config.json").read_text())
    b0, b1 = 32, 48
    tensors = {}
    for name, t in src.items():
        if name.endswith("_proj.weight"):
            rows, cols = t.shape
            nr, nc = (rows + b0 - 1) // b0, (cols + b1 - 1) // b1
            scale = torch.zeros(nr, nc, dtype=torch.float32)
            q = torch.zeros(rows, cols, dtype=torch.float8_e4m3fn)
            for i in range(nr):
                for j in range(nc):
                    blk = t[i * b0:(i + 1) * b0, j * b1:(j + 1) * b1].float()
                    s = blk.abs().max() / 448.0
                    scale[i, j] = s
                    q[i * b0:(i + 1) * b0, j * b1:(j + 1) * b1] = (blk / s).to(torch.float8_e4m3fn)
            tensors[name] = q
            tensors[name + "_scale_inv"] = scale
        else:
            tensors[name] = t
    d = out / "llama-fp8"
    d.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(d / "model.safetensors"), metadata={"format": "pt"})
    cfg["quantization_config"] = {"quant_method": "fp8", "activation_scheme": "dynamic", "fmt": "e4m3", "weight_block_size": [b0, b1]}
    (d / "config.json").write_text(json.dumps(cfg, indent=2))


# A tiny lower-case WordPiece vocabulary (BERT's layout: [PAD], [unused*], [UNK] [CLS] [SEP] [MASK], single characters,
# ## characters, then words and ## suffixes): 314 entries for 320 embedding rows, as nomic-embed-text-v1.5 has 30522
# for 30528, so the converter pads with [PAD314]... (UNUSED).
WORDS = """the of and to in is that for it as was with be by on not he this are or his from at which but have an had they you
were their one all we can her has there been if more when will would who so no she other its may these what them
than some him time into only do new two about also out up first then could our my over like any after just how such
most where me made many before must through back years way well down should because each those people state very
three good world still own see men work long get here between both life being under never day same another know
while last might us great old year off come since against go came right used take few house use during without again
place around however home small found thought went say part once general high upon school every does got united left
number course war until model token text search query document embed vector language data file weight layer tensor
nomic bert hello quick brown fox jumps lazy dog""".split()
SUFFIXES = ["##es", "##al", "##ed", "##ing", "##er", "##ers", "##est", "##ly", "##tion", "##ment", "##ness", "##able"]


def wordpiece_vocab(n: int = 314) -> list[str]:
    import string
    v = ["[PAD]", "[unused0]", "[unused1]", "[unused2]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    v += list(string.punctuation) + list(string.digits) + list(string.ascii_lowercase)
    v += ["##" + ch for ch in string.ascii_lowercase + string.digits] + SUFFIXES
    v += WORDS
    assert len(v) == n and len(set(v)) == n, len(v)
    return v


def add_wordpiece_tokenizer(d: Path):
    """vocab.txt, tokenizer.json (BertTokenizerFast), tokenizer_config.json and special_tokens_map.json, as
    nomic-embed-text-v1.5 has them (lower-casing BertTokenizer, model_max_length 8192)."""
    if (d / "vocab.txt").exists():
        return
    (d / "vocab.txt").write_text("".join(t + "\n" for t in wordpiece_vocab()))
    tok = transformers.BertTokenizerFast(vocab_file=str(d / "vocab.txt"), do_lower_case=True, model_max_length=8192)
    tok.save_pretrained(d)
    cfg = json.loads((d / "tokenizer_config.json").read_text())
    cfg["tokenizer_class"] = "BertTokenizer"
    (d / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2))


SP_FAMILIES = ("llama", "gemma3", "phi3-spm", "gemma", "gemma3-vl")
# Families with a WordPiece tokenizer: the converter's get_vocab_base_pre identifies the pre-tokenizer by hashing
# the token ids of a fixed text, which a tiny vocabulary cannot reproduce, so it is given the name the converter
# finds for the real model (nomic-embed-text-v1.5 has bert-base-uncased's vocabulary: chkhsh 0876d13b..., which
# the converter names "jina-v2-en", the last of its matches for that hash).
WPM_FAMILIES = {"nomic-bert": "jina-v2-en", "bert-reranker": "jina-v2-en"}


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


def add_phi3_added_tokens(d: Path):
    """Phi-3's added tokens: <|endoftext|> (special) and chat markers (<|user|> not special, which Phi-3's reader
    keeps user-defined where the shared one would call it control) in tokenizer_config.json, one more only in
    added_tokens.json, and tokenizer.json's added_tokens (read last by Phi3MiniModel.set_vocab)."""
    cfg = json.loads((d / "tokenizer_config.json").read_text())
    cfg["tokenizer_class"] = "LlamaTokenizer"
    cfg["eos_token"] = "<|endoftext|>"
    cfg["added_tokens_decoder"].update({"310": {"content": "<|endoftext|>", "special": True},
                                        "311": {"content": "<|assistant|>", "special": True},
                                        "312": {"content": "<|user|>", "special": False}})
    (d / "tokenizer_config.json").write_text(json.dumps(cfg))
    (d / "added_tokens.json").write_text(json.dumps({"<|endoftext|>": 310, "<|assistant|>": 311, "<|user|>": 312, "<|end|>": 313}))
    (d / "tokenizer.json").write_text(json.dumps({"version": "1.0", "added_tokens": [
        {"id": 313, "content": "<|end|>", "special": True}, {"id": 314, "content": "<|system|>", "special": False}]}))


def add_llama_hf_tokenizer(d: Path):
    """tokenizer.json, tokenizer_config.json and special_tokens_map.json from LlamaTokenizerFast over the
    SentencePiece model add_tokenizer trains, with two tokens added past its 300 pieces (one special); no
    tokenizer.model is left in the folder."""
    if (d / "tokenizer.json").exists():
        return
    import tempfile
    with tempfile.TemporaryDirectory() as t:
        add_tokenizer(Path(t))
        tok = transformers.LlamaTokenizerFast(vocab_file=str(Path(t) / "tokenizer.model"), bos_token="<s>", eos_token="</s>",
                                              unk_token="<unk>", pad_token="<pad>", legacy=False, from_slow=True)
    tok.add_special_tokens({"additional_special_tokens": ["<|im_start|>"]})
    tok.add_tokens(["<extra_word>"])
    tok.save_pretrained(d)
    (d / "tokenizer.model").unlink(missing_ok=True)


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
    if (d / "tokenizer.model").exists() or d.name in ("llama-hf", "xlm-roberta", "xlm-roberta-reranker"):
        subprocess.run([sys.executable, str(converter / "convert_hf_to_gguf.py"), str(d), "--outtype", outtype, "--outfile", str(dest)],
                       check=True, stdout=subprocess.DEVNULL)
        return
    if d.name in WPM_FAMILIES:
        # the vocabulary is converted; only an unrecognized pre-tokenizer hash is answered with the real model's name
        code = ("import sys; sys.argv=sys.argv[1:]; sys.path.insert(0, %r);"
                "import conversion.base as b; gp = b.TextModel.get_vocab_base_pre\n"
                "def pre(self, tokenizer):\n"
                "    try: return gp(self, tokenizer)\n"
                "    except NotImplementedError: return %r\n"
                "b.TextModel.get_vocab_base_pre = pre\n"
                "import runpy; runpy.run_path(%r, run_name='__main__')") % (str(converter), WPM_FAMILIES[d.name], str(converter / "convert_hf_to_gguf.py"))
        subprocess.run([sys.executable, "-c", code, "convert", str(d), "--outtype", outtype, "--outfile", str(dest)],
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
    names = sys.argv[3:] or list(FAMILIES) + list(HAND_FAMILIES)
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        if name == "xlm-roberta-tokenizer-json":
            build_xlm_roberta_tokenizer_json(out)
            continue
        if not (out / name / "config.json").exists():  # an existing checkpoint is only converted again
            if name == "nomic-bert":
                build_nomic_bert(out / name)
            elif name == "chatglm":
                build_chatglm(out / name)
            elif name == "ministral3":
                build_ministral3(out / name)
            elif name == "qwen3moe-fused":
                build_qwen3moe_fused(out)
            elif name == "llama-fp8":
                build_llama_fp8(out)
            elif name == "xlm-roberta-reranker":
                build_xlm_roberta_reranker(out)
            elif name == "bert-reranker":
                build_bert_reranker(out)
            elif name == "xlm-roberta":
                sys.exit("xlm-roberta: copy make_ugm_fixture.py's WORK_DIR/hf here first (see HAND_FAMILIES)")
            else:
                build(out, name)
        if name in SP_FAMILIES:
            add_tokenizer(out / name)
            if name == "phi3-spm":
                add_phi3_added_tokens(out / name)
        if name == "llama-hf":
            add_llama_hf_tokenizer(out / name)
        if name in WPM_FAMILIES:
            add_wordpiece_tokenizer(out / name)
        tokenizer = name in SP_FAMILIES or name in WPM_FAMILIES or name in ("llama-hf", "xlm-roberta", "xlm-roberta-reranker")
        for outtype in ("f32", "f16") + (("bf16", "q8_0") if tokenizer else ()):
            g = out / f"{name}.{outtype}.gguf"
            convert(out / name, outtype, converter, g)
            with open(out / f"{name}.{outtype}.json", "w") as f:
                json.dump(digests(g, converter), f, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))
            g.unlink()
        print("built", name)


if __name__ == "__main__":
    main()
