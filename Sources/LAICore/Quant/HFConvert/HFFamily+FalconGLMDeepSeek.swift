// Falcon, GLM-4, ChatGLM and DeepSeek-V2/V3 as convert_hf_to_gguf.py converts them (conversion/falcon.py
// FalconModel, glm.py Glm4Model, chatglm.py ChatGLMModel, deepseek.py DeepseekV2Model).
import Foundation

extension HFFamily {
    // MARK: falcon

    /// FalconConfig's defaults (only when AutoConfig knows the folder: model_type "falcon").
    @Sendable static func falconDefaults(_ c: [String: Any]) -> [String: Any] {
        guard c["model_type"] as? String == "falcon" else { return [:] }
        let heads = (c["num_attention_heads"] as? Int) ?? 71
        return ["vocab_size": 65024, "hidden_size": 4544, "num_hidden_layers": 32, "num_attention_heads": 71,
                "layer_norm_epsilon": 1e-5, "num_kv_heads": heads, "new_decoder_architecture": false, "multi_query": true,
                "parallel_attn": true, "bias": false, "max_position_embeddings": 2048, "tie_word_embeddings": true]
    }

    /// Query and key/value heads of a Falcon config. A Falcon-7B-style config (multi-query, old decoder layout)
    /// has one key/value head whatever AutoConfig's num_kv_heads says (it copies num_attention_heads there, and
    /// the converter then fails on the fused tensor's shape); otherwise num_kv_heads / n_head_kv, else 1.
    static func falconHeads(_ c: HFContext) throws -> (heads: Int, kvHeads: Int) {
        guard let heads = c.int("num_attention_heads", "n_head") else {
            throw HFModelError.invalid(path: c.folder.appendingPathComponent("config.json").path, message: "no integer 'num_attention_heads'")
        }
        if c.hparams["new_decoder_architecture"] as? Bool == false, c.hparams["multi_query"] as? Bool == true { return (heads, 1) }
        return (heads, c.int("num_kv_heads", "n_head_kv") ?? 1)
    }

    /// FalconModel: parallel attention and MLP over LayerNorms, fused query_key_value regrouped (the "jploski"
    /// layout), its own short key list (context length 2048 as the converter writes it: not in config.json).
    static let falcon = HFFamily(
        arch: "falcon", architectures: ["FalconForCausalLM", "RWForCausalLM"],
        defaults: falconDefaults,
        rename: tableRenamer(top: ["word_embeddings": "token_embd", "ln_f": "output_norm", "lm_head": "output"], block: [
            "input_layernorm": "attn_norm", "ln_mlp": "attn_norm", "ln_attn": "attn_norm_2",  // (gguf-py's names: 40B's ln_attn is attn_norm_2)
            "self_attention.query_key_value": "attn_qkv", "self_attention.dense": "attn_output",
            "mlp.dense_h_to_4h": "ffn_up", "mlp.dense_4h_to_h": "ffn_down",
        ], prefix: "transformer.", layers: "h.", skip: { _ in false }),
        transforms: { hf, _, c in
            guard hf.contains("query_key_value") else { return [] }
            let (heads, kv) = try falconHeads(c)
            return [.falconQKV(heads: heads, kvHeads: kv, headDim: try c.require("hidden_size") / max(heads, 1))]
        },
        extraTensors: { _ in [] },
        parameters: { c, w in
            let (heads, kv) = try falconHeads(c)
            let hidden = try c.require("hidden_size")
            guard let eps = c.double("layer_norm_epsilon") else {
                throw HFModelError.invalid(path: c.folder.appendingPathComponent("config.json").path, message: "no number 'layer_norm_epsilon'")
            }
            w.u32("{arch}.context_length", 2048)
            w.string("{arch}.tensor_data_layout", "jploski")
            w.u32("{arch}.embedding_length", hidden)
            w.u32("{arch}.feed_forward_length", 4 * hidden)
            w.u32("{arch}.block_count", c.blockCount)
            w.u32("{arch}.attention.head_count", heads)
            w.u32("{arch}.attention.head_count_kv", kv)
            w.f32("{arch}.attention.layer_norm_epsilon", eps)
            w.set("general.file_type", .uint32(UInt32(w.fileType ?? 0)))
        },
        vocabulary: { c, w in try gpt2Vocabulary(c, &w) })

    /// TextModel.set_vocab (`_set_vocab_gpt2`) when the folder has a tokenizer.json; without tokenizer files the
    /// model is written without a vocabulary, as for the other families.
    static func gpt2Vocabulary(_ c: HFContext, _ w: inout HFMetadataWriter, extraIDs: (([String: Int]) throws -> [(String, Int)])? = nil) throws {
        guard FileManager.default.fileExists(atPath: c.folder.appendingPathComponent("tokenizer.json").path) else { return }
        var ids: [(String, Int)] = []
        if let extraIDs {
            var added: [String: Int] = [:]
            let tj = try HFCheckpoint.json(c.folder, "tokenizer.json") ?? [:]
            for a in (tj["added_tokens"] as? [[String: Any]]) ?? [] {
                if let s = a["content"] as? String, let id = a["id"] as? Int { added[s] = id }
            }
            ids = try extraIDs(added)
        }
        try HFBPEVocab.write(c, &w, extraIDs: ids)
    }

    // MARK: glm4

    /// Glm4Model (GLM-4-0414): separate Q/K/V with biases, norms after attention and MLP too, fused gate_up_proj
    /// kept as ffn_up, partial rotary (rope.dimension_count = head_dim · partial_rotary_factor).
    static let glm4 = HFFamily(
        arch: "glm4", architectures: ["Glm4ForCausalLM"],
        defaults: { _ in
            ["vocab_size": 151552, "hidden_size": 4096, "intermediate_size": 13696, "num_hidden_layers": 40,
             "num_attention_heads": 32, "num_key_value_heads": 2, "partial_rotary_factor": 0.5, "head_dim": 128,
             "max_position_embeddings": 131072, "rms_norm_eps": 1.5625e-07, "rope_theta": 10000.0, "attention_bias": true,
             "tie_word_embeddings": false]
        },
        rename: tableRenamer(top: decoderTop, block: decoderBlock.merging([
            "post_self_attn_layernorm": "post_attention_norm", "mlp.gate_up_proj": "ffn_up", "post_mlp_layernorm": "post_ffw_norm",
        ]) { $1 }, skip: { _ in false }),
        transforms: { _, _, c in
            if c.ropeParameters["mrope_section"] != nil {
                throw HFModelError.invalid(path: c.folder.appendingPathComponent("config.json").path, message: "GLM-4 with M-RoPE (mrope_section) is not converted by lai")
            }
            return []
        },
        extraTensors: { _ in [] },
        parameters: { c, w in
            try textParameters(c, &w)
            let factor = (c.ropeParameters["partial_rotary_factor"] as? NSNumber)?.doubleValue ?? 0.5
            w.u32("{arch}.rope.dimension_count", Int(Double(try c.headDim()) * factor))
        },
        vocabulary: { c, w in
            // Glm4Model.set_vocab: GPT-2 BPE, then eos, eot, unk, bos from its added tokens.
            try gpt2Vocabulary(c, &w) { added in
                guard let end = added["<|endoftext|>"], let user = added["<|user|>"] else {
                    throw HFModelError.invalid(path: c.folder.appendingPathComponent("tokenizer.json").path,
                                               message: "GLM-4's added tokens <|endoftext|> and <|user|> are missing")
                }
                return [("eos", end), ("eot", user), ("unk", end), ("bos", end)]
            }
        })

    // MARK: chatglm

    /// ChatGLM3-6B / GLM-4-9B-chat's own (remote-code) layout: `transformer.` names, fused query_key_value.
    static let chatglmRenamer = tableRenamer(top: ["embedding.word_embeddings": "token_embd", "encoder.final_layernorm": "output_norm",
                                                   "output_layer": "output"], block: [
        "input_layernorm": "attn_norm", "self_attention.query_key_value": "attn_qkv", "self_attention.dense": "attn_output",
        "post_attention_layernorm": "ffn_norm", "mlp.dense_h_to_4h": "ffn_up", "mlp.dense_4h_to_h": "ffn_down",
    ], prefix: "transformer.", layers: "encoder.layers.", skip: { $0.hasSuffix(".rotary_pos_emb.inv_freq") })
    /// GLM-4-9B-chat-hf (GlmForCausalLM): llama names with the fused gate_up_proj kept as ffn_up.
    static let glmHFRenamer = tableRenamer(top: decoderTop, block: decoderBlock.merging(["mlp.gate_up_proj": "ffn_up"]) { $1 },
                                           skip: { _ in false })

    /// ChatGLMModel (arch chatglm): RMSNorm pre-norms only, SwiGLU over the fused gate|up, rotary on
    /// rope_dim · partial_rotary_factor (0.5) dims, where rope_dim is attention_dim or hidden_size / heads (the
    /// converter ignores head_dim), freq_base 10000 · rope_ratio; its own key list (context_length = seq_length,
    /// else hidden_size; epsilon = layernorm_epsilon, else 1e-5), add_bos_token false.
    static let chatglm = HFFamily(
        arch: "chatglm", architectures: ["GlmForCausalLM", "ChatGLMModel", "ChatGLMForConditionalGeneration"],
        defaults: { c in
            // GlmConfig's (model_type "glm"); the remote-code ChatGLMConfig is not loaded (config.json as written)
            guard c["model_type"] as? String == "glm" else { return [:] }
            return ["vocab_size": 151552, "hidden_size": 4096, "intermediate_size": 13696, "num_hidden_layers": 40,
                    "num_attention_heads": 32, "num_key_value_heads": 2, "partial_rotary_factor": 0.5, "head_dim": 128,
                    "max_position_embeddings": 131072, "rms_norm_eps": 1.5625e-07, "rope_theta": 10000.0,
                    "attention_bias": true, "tie_word_embeddings": false]
        },
        rename: { hf, c in hf.hasPrefix("transformer.") ? try chatglmRenamer(hf, c) : try glmHFRenamer(hf, c) },
        transforms: { _, _, _ in [] },
        extraTensors: { _ in [] },
        parameters: { c, w in
            let path = c.folder.appendingPathComponent("config.json").path
            guard let embed = c.int("hidden_size", "n_embed") else { throw HFModelError.invalid(path: path, message: "no integer 'hidden_size'") }
            guard let heads = c.int("n_head", "num_attention_heads") else { throw HFModelError.invalid(path: path, message: "no integer 'num_attention_heads'") }
            w.u32("{arch}.context_length", c.int("seq_length") ?? embed)
            w.u32("{arch}.embedding_length", embed)
            w.u32("{arch}.feed_forward_length", c.int("ffn_hidden_size", "intermediate_size") ?? 4 * embed)
            w.u32("{arch}.block_count", c.blockCount)
            w.u32("{arch}.attention.head_count", heads)
            w.u32("{arch}.attention.head_count_kv", c.int("multi_query_group_num", "num_key_value_heads") ?? heads)
            w.f32("{arch}.attention.layer_norm_rms_epsilon", c.double("layernorm_epsilon") ?? 1e-5)
            w.set("general.file_type", .uint32(UInt32(w.fileType ?? 0)))
            let ropeDim = try c.int("attention_dim") ?? (try c.require("hidden_size") / max(try c.require("num_attention_heads"), 1))
            let factor = (c.ropeParameters["partial_rotary_factor"] as? NSNumber)?.doubleValue ?? 0.5
            w.u32("{arch}.rope.dimension_count", Int(Double(ropeDim) * factor))
            w.bool("tokenizer.ggml.add_bos_token", false)
            w.f32("{arch}.rope.freq_base", 10000 * (c.double("rope_ratio") ?? 1))
        },
        vocabulary: { c, w in
            let path = c.folder.appendingPathComponent("config.json").path
            if (c.hparams["_name_or_path"] as? String)?.contains("THUDM/chatglm3-6b") == true {
                throw HFModelError.invalid(path: path, message: "ChatGLM3-6B's tokenizer is remote code (tokenization_chatglm.py); lai does not convert it")
            }
            let fm = FileManager.default
            if !fm.fileExists(atPath: c.folder.appendingPathComponent("tokenizer.json").path),
               fm.fileExists(atPath: c.folder.appendingPathComponent("tokenizer.model").path) {
                throw HFModelError.invalid(path: c.folder.appendingPathComponent("tokenizer.model").path,
                                           message: "GLM's tiktoken tokenizer is remote code; lai converts the -hf checkpoints (tokenizer.json)")
            }
            // ChatGLMModel.set_vocab: GPT-2 BPE, then eos, eot, unk from its added tokens.
            try gpt2Vocabulary(c, &w) { added in
                guard let end = added["<|endoftext|>"], let user = added["<|user|>"] else {
                    throw HFModelError.invalid(path: c.folder.appendingPathComponent("tokenizer.json").path,
                                               message: "GLM's added tokens <|endoftext|> and <|user|> are missing")
                }
                return [("eos", end), ("eot", user), ("unk", end)]
            }
        })

    // MARK: deepseek2

    static let deepseekBlock = decoderBlock.merging([
        "self_attn.q_a_proj": "attn_q_a", "self_attn.q_a_layernorm": "attn_q_a_norm", "self_attn.q_b_proj": "attn_q_b",
        "self_attn.kv_a_proj_with_mqa": "attn_kv_a_mqa", "self_attn.kv_a_layernorm": "attn_kv_a_norm",
        "mlp.gate": "ffn_gate_inp", "mlp.gate.e_score_correction": "exp_probs_b",
        "mlp.shared_experts.gate_proj": "ffn_gate_shexp", "mlp.shared_experts.up_proj": "ffn_up_shexp",
        "mlp.shared_experts.down_proj": "ffn_down_shexp",
    ]) { $1 }

    static let deepseekRenamer = tableRenamer(top: decoderTop, block: deepseekBlock, skip: { _ in false })

    /// DeepseekV2Model (V2, V2-Lite, V3): multi-head latent attention stored for the absorbed form — kv_b_proj
    /// split per head into attn_k_b (transposed) and attn_v_b — num_key_value_heads written as 1, leading dense
    /// layers then experts (stacked down, gate, up) with shared experts, MTP layers past num_hidden_layers skipped.
    static let deepseek2: HFFamily = {
        var f = HFFamily(
            arch: "deepseek2", architectures: ["DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM"],
            defaults: { c in
                ["vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
                 "num_attention_heads": 32, "num_key_value_heads": c["num_attention_heads"] ?? 32, "max_position_embeddings": 2048,
                 "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "head_dim": c["qk_rope_head_dim"] ?? 64, "first_k_dense_replace": 0,
                 "kv_lora_rank": 512, "q_lora_rank": 1536, "n_routed_experts": 64, "n_shared_experts": 2,
                 "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "routed_scaling_factor": 1.0, "v_head_dim": 128,
                 "norm_topk_prob": false, "moe_intermediate_size": 1407, "tie_word_embeddings": false]
            },
            rename: { hf, c in
                // Multi-token-prediction layers (past num_hidden_layers) are not written.
                if hf.hasPrefix("model.layers."), let n = Int(hf.dropFirst(13).prefix(while: \.isNumber)), n >= c.blockCount { return nil }
                if c.hparams["tie_word_embeddings"] as? Bool == true, hf == "lm_head.weight" || hf == "model.lm_head.weight" { return nil }
                // (DeepSeek-V3's router bias arrives as e_score_correction.bias: SafetensorsModel.textTensor.)
                return try deepseekRenamer(hf, c)
            },
            transforms: { _, _, _ in [] }, extraTensors: { _ in [] },
            parameters: { c0, w in
                let c = c0.editing { h in
                    h["num_key_value_heads"] = 1  // MLA converts to MQA over the compressed cache
                    if h["rms_norm_eps"] == nil { h["rms_norm_eps"] = 1e-6 }
                }
                try textParameters(c, &w)
                let experts = c.int("n_routed_experts")
                let dense = try c.int("first_k_dense_replace") ?? (experts == nil ? c.require("num_hidden_layers") : 0)
                w.u32("{arch}.leading_dense_block_count", dense)
                let kvRank = c.int("kv_lora_rank") ?? 512
                w.u32("{arch}.vocab_size", try c.require("vocab_size"))
                if let q = c.int("q_lora_rank") { w.u32("{arch}.attention.q_lora_rank", q) }
                let rope = try c.require("qk_rope_head_dim")
                w.u32("{arch}.attention.kv_lora_rank", kvRank)
                w.u32("{arch}.attention.key_length", kvRank + rope)
                w.u32("{arch}.attention.value_length", kvRank)
                w.u32("{arch}.attention.key_length_mla", try c.require("qk_nope_head_dim") + rope)
                w.u32("{arch}.attention.value_length_mla", try c.require("v_head_dim"))
                guard let ff = c.int("moe_intermediate_size", "intermediate_size") else {
                    throw HFModelError.invalid(path: c.folder.appendingPathComponent("config.json").path, message: "no integer 'moe_intermediate_size'")
                }
                w.u32("{arch}.expert_feed_forward_length", ff)
                if let e = experts { w.u32("{arch}.expert_count", e) }
                w.u32("{arch}.expert_shared_count", c.int("n_shared_experts") ?? 0)
                if let s = c.double("routed_scaling_factor") { w.f32("{arch}.expert_weights_scale", s) }
                if c.hparams["norm_topk_prob"] as? Bool == true { w.bool("{arch}.expert_weights_norm", true) }
                w.u32("{arch}.rope.dimension_count", rope)
                if let m = (c.ropeParameters["mscale_all_dim"] as? NSNumber)?.doubleValue { w.f32("{arch}.rope.scaling.yarn_log_multiplier", 0.1 * m) }
            },
            vocabulary: { c, w in try gpt2Vocabulary(c, &w) })
        f.expert = expertMatcher(stem: "mlp.experts")
        f.expertOutputs = qwen2moe.expertOutputs
        f.split = { hf, c in
            guard hf.hasSuffix("kv_b_proj.weight") else { return nil }
            let heads = try c.int("num_key_value_heads") ?? c.require("num_attention_heads")
            let nope = try c.require("qk_nope_head_dim"), v = try c.require("v_head_dim")
            let layer = try layerIndex(hf)
            if layer >= c.blockCount { return [] }  // a multi-token-prediction layer
            let stem = "blk.\(layer)."
            return [HFSplitOutput(name: stem + "attn_k_b.weight", transform: .headSlice(heads: heads, rowsPerHead: nope + v, start: 0, count: nope, transpose: true)),
                    HFSplitOutput(name: stem + "attn_v_b.weight", transform: .headSlice(heads: heads, rowsPerHead: nope + v, start: nope, count: v, transpose: false))]
        }
        return f
    }()

    /// N of `[model.]layers.N.…`.
    static func layerIndex(_ hf: String) throws -> Int {
        var n = Substring(hf)
        if n.hasPrefix("model.") { n = n.dropFirst(6) }
        guard n.hasPrefix("layers."), let i = Int(n.dropFirst(7).prefix(while: \.isNumber)) else {
            throw HFModelError.invalid(path: hf, message: "not a layer's tensor")
        }
        return i
    }
}
