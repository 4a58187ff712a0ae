// Qwen: qwen2 (Qwen2/2.5, DeepSeek-R1 distills), qwen3 (per-head QK-norm) and their mixtures of experts.

enum Qwen2Family: DecoderFamily {
    static let architectures = ["qwen2"]
}

/// Qwen2-VL / Qwen2.5-VL's language model: Qwen2 blocks with M-RoPE (`rope.dimension_sections`: the rotary pairs
/// split among temporal, height and width positions). lai runs text only, where all three positions are the token's
/// position, so every pair turns by it as in NeoX RoPE; the sections are checked, then need nothing more.
enum Qwen2VLFamily: DecoderFamily {
    static let architectures = ["qwen2vl"]
    static func configure(_ c: inout DecoderConfig, _ file: GGUFFile) throws { try checkRopeSections(c, file) }

    /// `rope.dimension_sections`: 4 non-negative counts of rotary pairs, together at most half the rotated dims.
    static func checkRopeSections(_ c: DecoderConfig, _ file: GGUFFile) throws {
        let key = "\(c.architecture).rope.dimension_sections"
        guard let sections = file.metadata.array(key)?.ints, sections.count == 4, sections.allSatisfy({ $0 >= 0 }),
              sections.reduce(0, +) <= c.rope.dims / 2 else {
            throw ModelError.invalid(path: file.path, message: "\(key) must be 4 non-negative counts of rotary pairs (at most \(c.rope.dims / 2) in all)")
        }
    }
}

/// Qwen3-VL's language model (and its MoE): Qwen3 blocks with interleaved M-RoPE (same turn for text, as above) and
/// deepstack layers, which add image features to the first `n_deepstack_layers` outputs: zeros for text tokens.
enum Qwen3VLFamily: DecoderFamily {
    static let architectures = ["qwen3vl"]
    static func configure(_ c: inout DecoderConfig, _ file: GGUFFile) throws { try Qwen2VLFamily.checkRopeSections(c, file) }
}

enum Qwen3VLMoEFamily: DecoderFamily {
    static let architectures = ["qwen3vlmoe"]
    static func configure(_ c: inout DecoderConfig, _ file: GGUFFile) throws {
        try Qwen3MoEFamily.configure(&c, file)
        try Qwen2VLFamily.checkRopeSections(c, file)
    }
}

/// Qwen3: Qwen2 blocks plus per-head RMSNorm of Q and K before RoPE (loaded by the standard block).
enum Qwen3Family: DecoderFamily {
    static let architectures = ["qwen3"]
}

/// Qwen3-MoE: Qwen3 attention, experts with renormalized top-k weights.
enum Qwen3MoEFamily: DecoderFamily {
    static let architectures = ["qwen3moe"]
    static func configure(_ c: inout DecoderConfig, _ file: GGUFFile) throws { c.normalizeExpertWeights = true }
}

/// Qwen2-MoE: experts without renormalization, plus a shared expert gated by sigmoid(w · x).
enum Qwen2MoEFamily: DecoderFamily {
    static let architectures = ["qwen2moe"]
    static func configure(_ c: inout DecoderConfig, _ file: GGUFFile) throws { c.normalizeExpertWeights = false }

    static func layer(_ i: Int, _ w: WeightLoader, _ c: DecoderConfig) throws -> DecoderLayer {
        var l = try StandardBlocks.preNormLayer(i, w, c)
        guard case var .experts(moe) = l.feedForward else { return l }
        let E = c.embedding, ff = c.sharedExpertFeedForward > 0 ? c.sharedExpertFeedForward : c.feedForward
        if w.has(.ffnUpShared, i) {
            moe.shared = DenseFeedForward(gate: try w.matrix(.ffnGateShared, i, rows: ff, cols: E), up: try w.matrix(.ffnUpShared, i, rows: ff, cols: E),
                                          down: try w.matrix(.ffnDownShared, i, rows: E, cols: ff), activation: .silu)
            moe.sharedGate = try w.vector(.ffnSharedGate, i, E)
        }
        l.feedForward = .experts(moe)
        return l
    }
}
