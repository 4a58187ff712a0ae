// Falcon: attention and a GELU MLP in parallel from LayerNorm'd input, fused QKV, multi-query attention
// (Falcon-7B); Falcon-40B feeds attention from a second LayerNorm (attn_norm_2, its ln_attn) and the MLP from
// attn_norm (ln_mlp), with grouped key/value heads.

enum FalconFamily: DecoderFamily {
    static let architectures = ["falcon"]

    static func configure(_ c: inout DecoderConfig, _ file: GGUFFile) throws { c.normKind = .layer }

    static func layer(_ i: Int, _ w: WeightLoader, _ c: DecoderConfig) throws -> DecoderLayer {
        let E = c.embedding, ff = c.feedForward
        let norm = try w.norm(.attnNorm, i, E, kind: .layer, eps: c.normEps)
        let attentionNorm = w.has(.attnNorm2, i) ? try w.norm(.attnNorm2, i, E, kind: .layer, eps: c.normEps) : norm
        var mlp = DenseFeedForward(gate: nil, up: try w.matrix(.ffnUp, i, rows: ff, cols: E), down: try w.matrix(.ffnDown, i, rows: E, cols: ff), activation: .gelu)
        mlp.upBias = try w.optionalVector(.ffnUp, i, bias: true, ff)
        mlp.downBias = try w.optionalVector(.ffnDown, i, bias: true, E)
        var l = DecoderLayer(attentionNorm: attentionNorm, attention: try StandardBlocks.attention(i, w, c), feedForwardNorm: norm, feedForward: .dense(mlp))
        l.parallel = true
        return l
    }
}
