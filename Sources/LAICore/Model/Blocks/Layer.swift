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
    /// Qwen2-MoE's shared expert, weighted by sigmoid(sharedGate · x).
    package var shared: DenseFeedForward? = nil
    package var sharedGate: UnsafePointer<Float>? = nil
}

package enum FeedForward: @unchecked Sendable {
    case dense(DenseFeedForward)
    case experts(MixtureOfExperts)
}

/// One block: x ← x + post(attn(pre(x))); x ← x + post(ffn(pre(x))); or, when `parallel`, both branches from
/// the same normalized input (Falcon, GPT-J).
package struct DecoderLayer: @unchecked Sendable {
    package var attentionNorm: Norm?
    package var attention: AttentionWeights
    package var attentionPostNorm: Norm? = nil
    package var feedForwardNorm: Norm?
    package var feedForward: FeedForward
    package var feedForwardPostNorm: Norm? = nil
    package var parallel = false

    package init(attentionNorm: Norm?, attention: AttentionWeights, feedForwardNorm: Norm?, feedForward: FeedForward) {
        self.attentionNorm = attentionNorm; self.attention = attention
        self.feedForwardNorm = feedForwardNorm; self.feedForward = feedForward
    }
}
