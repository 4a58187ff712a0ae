// DeepSeek-V2/V3 (deepseek2): multi-head latent attention in its absorbed form, YaRN with DeepSeek's mscale,
// a few dense leading blocks, then mixtures of experts with ungated shared experts (V3: sigmoid router, bias).
import Foundation

enum DeepSeek2Family: DecoderFamily {
    static let architectures = ["deepseek2"]
    static var neoxRope: Bool { false }

    static func configure(_ c: inout DecoderConfig, _ file: GGUFFile) throws {
        let m = file.metadata, a = c.architecture, path = file.path
        guard let kMLA = m.int("\(a).attention.key_length_mla"), let rank = m.int("\(a).attention.kv_lora_rank") else {
            throw ModelError.invalid(path: path, message: "DeepSeek file without \(a).attention.key_length_mla: an older conversion (attn_kv_b); re-convert it with a current llama.cpp")
        }
        guard kMLA > c.rope.dims, (m.int("\(a).attention.value_length_mla") ?? 1) > 0 else {
            throw ModelError.invalid(path: path, message: "key_length_mla \(kMLA) must exceed the RoPE dims \(c.rope.dims)")
        }
        guard c.kvHeads == 1, rank > 0, c.headDim == rank + c.rope.dims else {
            throw ModelError.invalid(path: path, message: "latent attention expects 1 KV head of kv_lora_rank + rope dims (\(rank + c.rope.dims)), not \(c.kvHeads) × \(c.headDim)")
        }
        if (m.int("\(a).expert_group_count") ?? 1) > 1 {
            throw ModelError.invalid(path: path, message: "grouped expert routing (\(a).expert_group_count) is not supported yet")
        }
        c.normalizeExpertWeights = m.bool("\(a).expert_weights_norm") ?? false
        c.sharedExpertFeedForward = (m.int("\(a).expert_shared_count") ?? 0) * c.expertFeedForward
        // YaRN as llama.cpp sets it up for DeepSeek: the file's log multiplier carries the converter's 0.1
        let type = m.string("\(a).rope.scaling.type") ?? "none"
        let logMul = Float(m.double("\(a).rope.scaling.yarn_log_multiplier") ?? 0) / 0.1
        var freqScale: Float = 1
        if type == "yarn" {
            let factor = Float(m.double("\(a).rope.scaling.factor") ?? 1)
            var r = RopeParameters(dims: c.rope.dims, neox: false, base: c.rope.base)
            r.attnFactor = Float(m.double("\(a).rope.scaling.attn_factor") ?? 1)
            r.enableYaRN(factor: factor, originalContext: m.int("\(a).rope.scaling.original_context_length") ?? c.trainedContext,
                         betaFast: 32, betaSlow: 1, logMultiplier: logMul, mscale: logMul != 1 ? logMul : 1)
            c.rope = r
            freqScale = r.freqScale
        }
        // kq_scale = mscale² / sqrt(key_length_mla), mscale from the attn_factor before ggml's own YaRN factor
        let original = c.rope.attnFactor * (1 + 0.1 * logf(1 / freqScale))
        let mscale = original * (1 + 0.1 * logMul * logf(1 / freqScale))
        c.attentionScale = mscale * mscale / Float(kMLA).squareRoot()
    }

    static func layer(_ i: Int, _ w: WeightLoader, _ c: DecoderConfig) throws -> DecoderLayer {
        let m = w.file.metadata, a = c.architecture, E = c.embedding, H = c.heads
        let kMLA = m.int("\(a).attention.key_length_mla")!, vMLA = m.int("\(a).attention.value_length_mla") ?? (c.headDim - c.rope.dims)
        let rope = c.rope.dims, rank = c.headDim - rope, nope = kMLA - rope
        let qRank = m.int("\(a).attention.q_lora_rank") ?? 0
        func perHead(_ t: TensorName, rows: Int, cols: Int) throws -> [WeightMatrix] {
            // ggml shape [cols, rows, heads]: one rows × cols matrix per head
            try w.experts(t, i, count: H, rows: rows, cols: cols)
        }
        var q: WeightMatrix? = nil, qA: WeightMatrix? = nil, qANorm: Norm? = nil, qB: WeightMatrix? = nil
        if qRank > 0 && w.has(.attnQA, i) {
            qA = try w.matrix(.attnQA, i, rows: qRank, cols: E)
            qANorm = try w.norm(.attnQANorm, i, qRank, kind: .rms, eps: c.normEps)
            qB = try w.matrix(.attnQB, i, rows: H * kMLA, cols: qRank)
        } else {
            q = try w.matrix(.attnQ, i, rows: H * kMLA, cols: E)
        }
        let latent = LatentAttentionWeights(
            q: q, qA: qA, qANorm: qANorm, qB: qB,
            kvA: try w.matrix(.attnKVAMQA, i, rows: rank + rope, cols: E),
            kvANorm: try w.norm(.attnKVANorm, i, rank, kind: .rms, eps: c.normEps),
            kB: try perHead(.attnKB, rows: rank, cols: nope), vB: try perHead(.attnVB, rows: vMLA, cols: rank),
            output: try w.matrix(.attnOutput, i, rows: E, cols: H * vMLA), rank: rank, nope: nope, rope: rope, valueDim: vMLA)
        let dense = i < (m.int("\(a).leading_dense_block_count") ?? 0) || c.experts == 0
        let ffn: FeedForward
        if dense {
            ffn = .dense(try StandardBlocks.gated(i, w, c, .silu))
        } else {
            var moe = try StandardBlocks.experts(i, w, c)
            moe.sigmoidGating = (m.int("\(a).expert_gating_func") ?? 1) == 2
            moe.selectionBias = try w.optionalVector(.ffnExpertBias, i, bias: true, c.experts)
            moe.weightsScale = Float(m.double("\(a).expert_weights_scale") ?? 1)
            if c.sharedExpertFeedForward > 0 {
                let ff = c.sharedExpertFeedForward
                moe.shared = DenseFeedForward(gate: try w.matrix(.ffnGateShared, i, rows: ff, cols: E), up: try w.matrix(.ffnUpShared, i, rows: ff, cols: E),
                                              down: try w.matrix(.ffnDownShared, i, rows: E, cols: ff), activation: .silu)
            }
            ffn = .experts(moe)
        }
        var l = DecoderLayer(attentionNorm: try w.norm(.attnNorm, i, E, kind: .rms, eps: c.normEps), attention: nil,
                             feedForwardNorm: try w.norm(.ffnNorm, i, E, kind: .rms, eps: c.normEps), feedForward: ffn)
        l.latentAttention = latent
        return l
    }
}
