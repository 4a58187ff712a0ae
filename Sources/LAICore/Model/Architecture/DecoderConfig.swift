// DecoderConfig: the hyper-parameters of a decoder-only transformer, read from GGUF metadata (`<arch>.*` keys).
import Foundation

/// Everything the decoder runtime needs to know about a model's shape and its per-family arithmetic.
/// `init` reads the keys every family shares; a family's `configure` sets the rest.
package struct DecoderConfig: Sendable {
    package var architecture: String
    package var embedding: Int        // n_embd
    package var layers: Int           // n_layer
    package var heads: Int            // n_head
    package var kvHeads: Int          // n_head_kv
    package var headDim: Int          // key_length, else n_embd / n_head
    package var feedForward: Int      // n_ff (0 when every layer is a mixture of experts)
    package var vocabulary: Int
    package var trainedContext: Int
    package var normEps: Float
    package var normKind: NormKind = .rms
    package var rope: RopeParameters
    /// RoPE of sliding-window layers when it differs (Gemma 3's rope.freq_base_swa).
    package var ropeLocal: RopeParameters?
    /// Multiplies Q·K (1/sqrt(head dim) unless the family says otherwise).
    package var attentionScale: Float
    /// Scale Q itself before the product (Gemma, Phi-3), as llama.cpp does, so f16 rounding matches.
    package var scalesQuery = false
    /// Llama 4 / Mistral 3 attention temperature: Q × (log(⌊pos / floor⌋ + 1) · scale + 1); 0 = off.
    package var attentionTemperatureScale: Float = 0
    package var attentionTemperatureFloor = 0
    /// Attention-score and final-logit softcapping (Gemma 2): s → cap·tanh(s/cap); 0 = none.
    package var attentionSoftcap: Float = 0
    package var finalLogitSoftcap: Float = 0
    /// Embedding rows × this (Gemma √n_embd, Granite embedding_scale).
    package var embeddingScale: Float = 1
    /// Each residual branch × this (Granite).
    package var residualScale: Float = 1
    /// Logits ÷ this (Granite).
    package var logitScale: Float = 1
    /// Sliding-window attention: window size (0 = none) and which layers use it.
    package var slidingWindow = 0
    package var slidingLayers: [Bool] = []
    /// Causal attention (every generator). False for bidirectional encoders built from decoder blocks
    /// (EmbeddingGemma): each token sees the whole text, or with a window, ±window/2 positions around it.
    package var causal = true
    /// Mixture of experts: experts per layer, experts per token, their n_ff, the shared expert's n_ff.
    package var experts = 0
    package var expertsUsed = 0
    package var expertFeedForward = 0
    package var sharedExpertFeedForward = 0
    /// Renormalize the chosen experts' softmax weights to sum to 1 (Mixtral, Qwen3-MoE; not Qwen2-MoE).
    package var normalizeExpertWeights = true

    package var kvDim: Int { kvHeads * headDim }
    package var qDim: Int { heads * headDim }
    package var largestFeedForward: Int { max(feedForward, expertFeedForward, sharedExpertFeedForward) }

    /// Reads the common keys of `arch`; `neox` is the family's RoPE pairing.
    package init(_ f: GGUFFile, architecture arch: String, neox: Bool) throws {
        let m = f.metadata
        func req(_ k: String) throws -> Int {
            guard let v = m.int("\(arch).\(k)"), v > 0 else { throw ModelError.missingKey(path: f.path, key: "\(arch).\(k)") }
            return v
        }
        architecture = arch
        embedding = try req("embedding_length")
        layers = try req("block_count")
        heads = try req("attention.head_count")
        kvHeads = m.int("\(arch).attention.head_count_kv") ?? heads
        headDim = m.int("\(arch).attention.key_length") ?? embedding / heads
        feedForward = m.int("\(arch).feed_forward_length") ?? 0
        trainedContext = try req("context_length")
        vocabulary = m.array("tokenizer.ggml.tokens")?.count ?? m.int("\(arch).vocab_size") ?? 0
        normEps = Float(m.double("\(arch).attention.layer_norm_rms_epsilon") ?? m.double("\(arch).attention.layer_norm_epsilon") ?? 1e-5)
        rope = RopeParameters(dims: m.int("\(arch).rope.dimension_count") ?? headDim, neox: neox,
                              base: Float(m.double("\(arch).rope.freq_base") ?? 10000))
        attentionScale = 1 / Float(headDim).squareRoot()
        experts = m.int("\(arch).expert_count") ?? 0
        expertsUsed = m.int("\(arch).expert_used_count") ?? 0
        expertFeedForward = m.int("\(arch).expert_feed_forward_length") ?? feedForward
        sharedExpertFeedForward = m.int("\(arch).expert_shared_feed_forward_length") ?? 0
        slidingLayers = [Bool](repeating: false, count: layers)

        if let v = m.int("\(arch).attention.value_length"), v != headDim, m.int("\(arch).attention.key_length_mla") == nil {
            throw ModelError.invalid(path: f.path, message: "value_length \(v) differs from key_length \(headDim), which lai does not support")
        }
        guard kvHeads > 0, headDim > 0, heads % kvHeads == 0, rope.dims >= 0, rope.dims <= headDim, rope.dims % 2 == 0, vocabulary > 0 else {
            throw ModelError.invalid(path: f.path, message: "inconsistent attention metadata (heads \(heads), kv heads \(kvHeads), head dim \(headDim), rope dims \(rope.dims))")
        }
        guard feedForward > 0 || experts > 0 else { throw ModelError.missingKey(path: f.path, key: "\(arch).feed_forward_length") }
        if experts > 0 {
            guard expertsUsed > 0, expertsUsed <= experts, expertFeedForward > 0 else {
                throw ModelError.invalid(path: f.path, message: "inconsistent expert metadata (\(experts) experts, \(expertsUsed) used, n_ff \(expertFeedForward))")
            }
        }

        // RoPE scaling (rope.scaling.type, or the older rope.scale_linear)
        let type = m.string("\(arch).rope.scaling.type") ?? (m.double("\(arch).rope.scale_linear") != nil ? "linear" : "none")
        let factor = Float(m.double("\(arch).rope.scaling.factor") ?? m.double("\(arch).rope.scale_linear") ?? 1)
        rope.attnFactor = Float(m.double("\(arch).rope.scaling.attn_factor") ?? 1)
        switch type {
        case "none": break
        case "linear":
            guard factor > 0 else { throw ModelError.invalid(path: f.path, message: "\(arch).rope.scaling.factor must be positive") }
            rope.freqScale = 1 / factor
        case "yarn":
            guard factor > 0 else { throw ModelError.invalid(path: f.path, message: "\(arch).rope.scaling.factor must be positive") }
            // llama.cpp's defaults; the beta and log-multiplier keys are read only by the families that use them
            rope.enableYaRN(factor: factor, originalContext: m.int("\(arch).rope.scaling.original_context_length") ?? trainedContext,
                            betaFast: 32, betaSlow: 1, logMultiplier: 0)
        case "longrope":
            break  // factors are tensors (rope_factors_short/long), chosen by context size in the model
        default:
            throw ModelError.invalid(path: f.path, message: "RoPE scaling '\(type)' is not supported (none, linear, yarn, longrope)")
        }
    }

    /// Marks sliding-window layers as llama.cpp's set_swa_pattern(n): layer i is local iff i % n < n - 1.
    package mutating func setSlidingWindow(_ window: Int, pattern n: Int) {
        slidingWindow = window
        slidingLayers = (0..<layers).map { window > 0 && n > 1 && $0 % n < n - 1 }
    }
}
