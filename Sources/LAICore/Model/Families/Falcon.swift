// Falcon: attention and a GELU MLP in parallel from LayerNorm'd input (Falcon-40B: a second norm for attention),
// fused QKV, multi-query attention. The Falcon-40B layout (a second norm for attention) is refused.

enum FalconFamily: DecoderFamily {
    static let architectures = ["falcon"]

    static func configure(_ c: inout DecoderConfig, _ file: GGUFFile) throws { c.normKind = .layer }

    static func layer(_ i: Int, _ w: WeightLoader, _ c: DecoderConfig) throws -> DecoderLayer {
        let E = c.embedding, ff = c.feedForward
        let norm = try w.norm(.attnNorm, i, E, kind: .layer, eps: c.normEps)
        // Falcon-40B feeds attention from a second norm (attn_norm_2); not wired up yet
        guard w.file.tensor(named: "blk.\(i).attn_norm_2.weight") == nil else {
            throw ModelError.invalid(path: w.file.path, message: "Falcon-40B layout (attn_norm_2) is not supported yet")
        }
        var mlp = DenseFeedForward(gate: nil, up: try w.matrix(.ffnUp, i, rows: ff, cols: E), down: try w.matrix(.ffnDown, i, rows: E, cols: ff), activation: .gelu)
        mlp.upBias = try w.optionalVector(.ffnUp, i, bias: true, ff)
        mlp.downBias = try w.optionalVector(.ffnDown, i, bias: true, E)
        var l = DecoderLayer(attentionNorm: norm, attention: try StandardBlocks.attention(i, w, c), feedForwardNorm: norm, feedForward: .dense(mlp))
        l.parallel = true
        return l
    }
}
