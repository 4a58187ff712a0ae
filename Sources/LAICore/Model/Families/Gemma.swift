// Gemma: gemma, gemma2 and gemma3 — √n_embd embedding scale, GeGLU, Q scaled before the product, post-norms
// (2, 3), sliding-window layers (2: every other, 3: five of six with their own RoPE base), softcapping (2).
// gemma-embedding (EmbeddingGemma) is gemma3's stack run bidirectionally, with a symmetric window.
import Foundation

enum GemmaFamily: DecoderFamily {
    static let architectures = ["gemma", "gemma2", "gemma3", "gemma-embedding"]

    static func configure(_ c: inout DecoderConfig, _ file: GGUFFile) throws {
        let m = file.metadata, a = c.architecture
        c.embeddingScale = Float(c.embedding).squareRoot()
        c.scalesQuery = true
        c.attentionScale = 1 / Float(c.headDim).squareRoot()
        guard a != "gemma" else { return }
        let window = m.int("\(a).attention.sliding_window") ?? 0
        let pattern = m.int("\(a).attention.sliding_window_pattern") ?? (a == "gemma2" ? 2 : 6)
        if window > 0 { c.setSlidingWindow(window, pattern: pattern) }
        c.finalLogitSoftcap = Float(m.double("\(a).final_logit_softcapping") ?? 0)
        if a == "gemma-embedding" { c.causal = false }
        if a == "gemma2" {
            c.attentionSoftcap = Float(m.double("\(a).attn_logit_softcapping") ?? 0)
            if c.layers == 46 { c.attentionScale = 1 / Float(c.embedding / c.heads).squareRoot() }  // 27B
        } else if window > 0 {
            var local = c.rope
            local.base = Float(m.double("\(a).rope.freq_base_swa") ?? 10000)
            local.freqScale = 1
            c.ropeLocal = local
            if c.layers == 62 { c.attentionScale = 1 / Float(c.embedding / c.heads).squareRoot() }  // 27B
        }
    }

    static func layer(_ i: Int, _ w: WeightLoader, _ c: DecoderConfig) throws -> DecoderLayer {
        let E = c.embedding
        var a = try StandardBlocks.attention(i, w, c)
        try StandardBlocks.headNorms(&a, i, w, c)
        var l = DecoderLayer(attentionNorm: try w.norm(.attnNorm, i, E, kind: .rms, eps: c.normEps), attention: a,
                             feedForwardNorm: try w.norm(.ffnNorm, i, E, kind: .rms, eps: c.normEps),
                             feedForward: .dense(try StandardBlocks.gated(i, w, c, .gelu)))
        l.attentionPostNorm = try w.optionalNorm(.attnPostNorm, i, E, kind: .rms, eps: c.normEps)
        l.feedForwardPostNorm = try w.optionalNorm(.ffnPostNorm, i, E, kind: .rms, eps: c.normEps)
        return l
    }
}
