// OLMo 2: no pre-norms; RMSNorm over the whole Q and K projections; norms after attention and after the MLP.

enum OLMo2Family: DecoderFamily {
    static let architectures = ["olmo2"]

    static func layer(_ i: Int, _ w: WeightLoader, _ c: DecoderConfig) throws -> DecoderLayer {
        let E = c.embedding
        var a = try StandardBlocks.attention(i, w, c)
        a.qNorm = try w.norm(.attnQNorm, i, c.qDim, kind: .rms, eps: c.normEps)
        a.kNorm = try w.norm(.attnKNorm, i, c.kvDim, kind: .rms, eps: c.normEps)
        var l = DecoderLayer(attentionNorm: nil, attention: a, feedForwardNorm: nil,
                             feedForward: .dense(try StandardBlocks.gated(i, w, c, .silu)))
        l.attentionPostNorm = try w.norm(.attnPostNorm, i, E, kind: .rms, eps: c.normEps)
        l.feedForwardPostNorm = try w.norm(.ffnPostNorm, i, E, kind: .rms, eps: c.normEps)
        return l
    }
}
