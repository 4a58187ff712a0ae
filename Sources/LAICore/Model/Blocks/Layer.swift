// Layer: the weights of one decoder block, as the blocks (attention, feed-forward, norms) that make it up.

/// Attention projections. Fused QKV tensors are split into row views, so Q, K and V are always separate here.
package struct AttentionWeights: @unchecked Sendable {
    package var q, k, v, output: WeightMatrix
    package var qBias: UnsafePointer<Float>? = nil
    package var kBias: UnsafePointer<Float>? = nil
    package var vBias: UnsafePointer<Float>? = nil
    package var outputBias: UnsafePointer<Float>? = nil
    /// QK-norm: over each head (count = head dim: Qwen3, Gemma 3) or the whole projection (OLMo 2).
    package var qNorm: Norm? = nil
    package var kNorm: Norm? = nil

    package init(q: WeightMatrix, k: WeightMatrix, v: WeightMatrix, output: WeightMatrix) {
        self.q = q; self.k = k; self.v = v; self.output = output
    }
}

/// Multi-head latent attention (DeepSeek-V2/V3) in llama.cpp's absorbed form: the cache holds one compressed
/// latent (kv_lora_rank) plus the RoPE part per token; Q is projected into the latent space by k_b per head,
/// attention output is expanded back by v_b per head.
package struct LatentAttentionWeights: @unchecked Sendable {
    /// Q directly (V2-Lite), or through a low-rank q_a → norm → q_b.
    package var q: WeightMatrix?
    package var qA: WeightMatrix?
    package var qANorm: Norm?
    package var qB: WeightMatrix?
    /// x → [latent (rank) | k_pe (rope)], and the latent's norm.
    package var kvA: WeightMatrix
    package var kvANorm: Norm
    /// Per head: rank × nope (absorbs q_nope), and v × rank (expands the attention output).
    package var kB: [WeightMatrix]
    package var vB: [WeightMatrix]
    package var output: WeightMatrix
    package var rank, nope, rope, valueDim: Int
}

package enum Activation: Sendable { case silu, gelu }

/// A dense feed-forward network: act(gate·x) × (up·x) when gated (SwiGLU, GeGLU), else act(up·x + b).
package struct DenseFeedForward: @unchecked Sendable {
    package var gate: WeightMatrix?
    package var up, down: WeightMatrix
    package var gateBias: UnsafePointer<Float>? = nil
    package var upBias: UnsafePointer<Float>? = nil
    package var downBias: UnsafePointer<Float>? = nil
    package var activation: Activation

    package init(gate: WeightMatrix?, up: WeightMatrix, down: WeightMatrix, activation: Activation) {
        self.gate = gate; self.up = up; self.down = down; self.activation = activation
    }
}

/// A mixture of experts: a router picks `used` of `experts` per token by softmax probability.
package struct MixtureOfExperts: @unchecked Sendable {
    package var router: WeightMatrix
    package var experts: [DenseFeedForward]
    package var used: Int
    package var normalizeWeights: Bool
    /// Qwen2-MoE's shared expert, weighted by sigmoid(sharedGate · x); DeepSeek's, added as is (no gate).
    package var shared: DenseFeedForward? = nil
    package var sharedGate: UnsafePointer<Float>? = nil
    /// Router probabilities by sigmoid instead of softmax (DeepSeek-V3), a selection-only bias per expert,
    /// and a factor on the chosen weights.
    package var sigmoidGating = false
    package var selectionBias: UnsafePointer<Float>? = nil
    package var weightsScale: Float = 1
}

package enum FeedForward: @unchecked Sendable {
    case dense(DenseFeedForward)
    case experts(MixtureOfExperts)
}

/// One block: x ← x + post(attn(pre(x))); x ← x + post(ffn(pre(x))); or, when `parallel`, both branches from
/// the same normalized input (Falcon, GPT-J).
package struct DecoderLayer: @unchecked Sendable {
    package var attentionNorm: Norm?
    package var attention: AttentionWeights?
    /// Replaces `attention` in DeepSeek-style models.
    package var latentAttention: LatentAttentionWeights? = nil
    package var attentionPostNorm: Norm? = nil
    package var feedForwardNorm: Norm?
    package var feedForward: FeedForward
    package var feedForwardPostNorm: Norm? = nil
    package var parallel = false

    package init(attentionNorm: Norm?, attention: AttentionWeights?, feedForwardNorm: Norm?, feedForward: FeedForward) {
        self.attentionNorm = attentionNorm; self.attention = attention
        self.feedForwardNorm = feedForwardNorm; self.feedForward = feedForward
    }
}
