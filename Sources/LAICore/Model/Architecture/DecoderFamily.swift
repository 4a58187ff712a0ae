// DecoderFamily: what a model family file provides — its hyper-parameters and its blocks' weights.

/// One family of decoder architectures (a file in Families/). The runtime assembles the forward pass from the
/// `DecoderLayer`s the family loads; the defaults describe a llama-style pre-norm block.
package protocol DecoderFamily {
    /// GGUF `general.architecture` values this family runs.
    static var architectures: [String] { get }
    /// NeoX RoPE pairing (llama.cpp's LLAMA_ROPE_TYPE_NEOX) rather than adjacent pairs.
    static var neoxRope: Bool { get }
    /// Family-specific hyper-parameters beyond the common keys.
    static func configure(_ c: inout DecoderConfig, _ file: GGUFFile) throws
    /// Block `i`'s weights.
    static func layer(_ i: Int, _ w: WeightLoader, _ c: DecoderConfig) throws -> DecoderLayer
}

extension DecoderFamily {
    package static var neoxRope: Bool { true }
    package static func configure(_ c: inout DecoderConfig, _ file: GGUFFile) throws {}
    package static func layer(_ i: Int, _ w: WeightLoader, _ c: DecoderConfig) throws -> DecoderLayer {
        try StandardBlocks.preNormLayer(i, w, c)
    }
}

/// Loaders for the blocks most families share.
package enum StandardBlocks {
    /// Q, K, V (separate, or split from a fused attn_qkv), their optional biases, and the output projection.
    package static func attention(_ i: Int, _ w: WeightLoader, _ c: DecoderConfig) throws -> AttentionWeights {
        let E = c.embedding, qd = c.qDim, kvd = c.kvDim
        var a: AttentionWeights
        if w.has(.attnQKV, i) {
            let qkv = try w.matrix(.attnQKV, i, rows: qd + 2 * kvd, cols: E)
            a = AttentionWeights(q: qkv.rows(0..<qd), k: qkv.rows(qd..<(qd + kvd)),
                                 v: qkv.rows((qd + kvd)..<(qd + 2 * kvd)),
                                 output: try w.matrix(.attnOutput, i, rows: E, cols: qd))
            if let b = try w.optionalVector(.attnQKV, i, bias: true, qd + 2 * kvd) {
                a.qBias = b; a.kBias = b + qd; a.vBias = b + qd + kvd
            }
        } else {
            a = AttentionWeights(q: try w.matrix(.attnQ, i, rows: qd, cols: E), k: try w.matrix(.attnK, i, rows: kvd, cols: E),
                                 v: try w.matrix(.attnV, i, rows: kvd, cols: E), output: try w.matrix(.attnOutput, i, rows: E, cols: qd))
            a.qBias = try w.optionalVector(.attnQ, i, bias: true, qd)
            a.kBias = try w.optionalVector(.attnK, i, bias: true, kvd)
            a.vBias = try w.optionalVector(.attnV, i, bias: true, kvd)
        }
        a.outputBias = try w.optionalVector(.attnOutput, i, bias: true, E)
        return a
    }

    /// Per-head QK-norm (Qwen3, Gemma 3) when the file has attn_q_norm / attn_k_norm.
    package static func headNorms(_ a: inout AttentionWeights, _ i: Int, _ w: WeightLoader, _ c: DecoderConfig) throws {
        a.qNorm = try w.optionalNorm(.attnQNorm, i, c.headDim, kind: .rms, eps: c.normEps)
        a.kNorm = try w.optionalNorm(.attnKNorm, i, c.headDim, kind: .rms, eps: c.normEps)
    }

    /// gate/up/down (SwiGLU or GeGLU).
    package static func gated(_ i: Int, _ w: WeightLoader, _ c: DecoderConfig, _ act: Activation) throws -> DenseFeedForward {
        let E = c.embedding, ff = c.feedForward
        var d = DenseFeedForward(gate: try w.matrix(.ffnGate, i, rows: ff, cols: E), up: try w.matrix(.ffnUp, i, rows: ff, cols: E),
                                 down: try w.matrix(.ffnDown, i, rows: E, cols: ff), activation: act)
        d.gateBias = try w.optionalVector(.ffnGate, i, bias: true, ff)
        d.upBias = try w.optionalVector(.ffnUp, i, bias: true, ff)
        d.downBias = try w.optionalVector(.ffnDown, i, bias: true, E)
        return d
    }

    /// SwiGLU from separate gate/up tensors, or from one fused ffn_up of 2·n_ff rows, gate first (Phi-3, GLM-4).
    package static func gatedOrFused(_ i: Int, _ w: WeightLoader, _ c: DecoderConfig) throws -> DenseFeedForward {
        if w.has(.ffnGate, i) { return try gated(i, w, c, .silu) }
        let E = c.embedding, ff = c.feedForward
        let up = try w.matrix(.ffnUp, i, rows: 2 * ff, cols: E)
        return DenseFeedForward(gate: up.rows(0..<ff), up: up.rows(ff..<(2 * ff)),
                                down: try w.matrix(.ffnDown, i, rows: E, cols: ff), activation: .silu)
    }

    /// The experts of a mixture (3-D ffn_*_exps tensors) and its router.
    package static func experts(_ i: Int, _ w: WeightLoader, _ c: DecoderConfig) throws -> MixtureOfExperts {
        let E = c.embedding, ff = c.expertFeedForward, n = c.experts
        let gates = try w.experts(.ffnGateExperts, i, count: n, rows: ff, cols: E)
        let ups = try w.experts(.ffnUpExperts, i, count: n, rows: ff, cols: E)
        let downs = try w.experts(.ffnDownExperts, i, count: n, rows: E, cols: ff)
        return MixtureOfExperts(router: try w.matrix(.ffnRouter, i, rows: n, cols: E),
                                experts: (0..<n).map { DenseFeedForward(gate: gates[$0], up: ups[$0], down: downs[$0], activation: .silu) },
                                used: c.expertsUsed, normalizeWeights: c.normalizeExpertWeights)
    }

    /// attn_norm → attention → residual → ffn_norm → SwiGLU (or experts when the model has them) → residual.
    package static func preNormLayer(_ i: Int, _ w: WeightLoader, _ c: DecoderConfig) throws -> DecoderLayer {
        var a = try attention(i, w, c)
        try headNorms(&a, i, w, c)
        let ffn: FeedForward = c.experts > 0 ? .experts(try experts(i, w, c)) : .dense(try gated(i, w, c, .silu))
        return DecoderLayer(attentionNorm: try w.norm(.attnNorm, i, c.embedding, kind: c.normKind, eps: c.normEps), attention: a,
                            feedForwardNorm: try w.norm(.ffnNorm, i, c.embedding, kind: c.normKind, eps: c.normEps), feedForward: ffn)
    }
}
