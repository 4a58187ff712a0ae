// TensorName: the GGUF tensor names of llama.cpp's converter (LLM_TENSOR_NAMES), spelled in this one place.

/// A tensor a model may have. Per-layer tensors live under `blk.N.`; every name takes a `.weight` or `.bias` suffix.
package enum TensorName: String, CaseIterable, Sendable {
    // whole model
    case tokenEmbedding = "token_embd"
    case tokenEmbeddingNorm = "token_embd_norm"
    case tokenTypes = "token_types"
    case positionEmbedding = "position_embd"
    case outputNorm = "output_norm"
    case output = "output"
    case ropeFrequencies = "rope_freqs"
    case ropeFactorsShort = "rope_factors_short"
    case ropeFactorsLong = "rope_factors_long"
    /// sentence-transformers Dense projections applied after pooling (EmbeddingGemma: n_embd → 3072 → n_embd).
    case dense2 = "dense_2"
    case dense3 = "dense_3"
    // per layer: attention
    case attnNorm = "attn_norm"
    case attnNorm2 = "attn_norm_2"
    case attnQ = "attn_q"
    case attnK = "attn_k"
    case attnV = "attn_v"
    case attnQKV = "attn_qkv"
    case attnOutput = "attn_output"
    case attnQNorm = "attn_q_norm"
    case attnKNorm = "attn_k_norm"
    case attnPostNorm = "post_attention_norm"
    case attnOutputNorm = "attn_output_norm"
    // per layer: multi-head latent attention (DeepSeek-V2/V3)
    case attnQA = "attn_q_a"
    case attnQANorm = "attn_q_a_norm"
    case attnQB = "attn_q_b"
    case attnKVAMQA = "attn_kv_a_mqa"
    case attnKVANorm = "attn_kv_a_norm"
    case attnKVB = "attn_kv_b"
    case attnKB = "attn_k_b"
    case attnVB = "attn_v_b"
    // per layer: feed-forward
    case ffnNorm = "ffn_norm"
    case ffnPostNorm = "post_ffw_norm"
    case ffnGate = "ffn_gate"
    case ffnUp = "ffn_up"
    case ffnDown = "ffn_down"
    case ffnRouter = "ffn_gate_inp"
    case ffnGateExperts = "ffn_gate_exps"
    case ffnUpExperts = "ffn_up_exps"
    case ffnDownExperts = "ffn_down_exps"
    case ffnSharedGate = "ffn_gate_inp_shexp"
    case ffnGateShared = "ffn_gate_shexp"
    case ffnUpShared = "ffn_up_shexp"
    case ffnDownShared = "ffn_down_shexp"
    case ffnExpertBias = "exp_probs_b"
    case layerOutputNorm = "layer_output_norm"

    /// The full GGUF name: `blk.3.attn_q.weight`, `output_norm.bias`.
    package func name(_ layer: Int? = nil, bias: Bool = false) -> String {
        let suffix = bias ? ".bias" : ".weight"
        if let layer { return "blk.\(layer).\(rawValue)\(suffix)" }
        return rawValue + suffix
    }
}
