// Phi-3: fused attn_qkv and gate+up tensors, LongRoPE (short/long factor tensors picked by context size, attn_factor).
import Foundation

enum Phi3Family: DecoderFamily {
    static let architectures = ["phi3"]

    static func configure(_ c: inout DecoderConfig, _ file: GGUFFile) throws {
        c.scalesQuery = true
        c.attentionScale = 1 / Float(c.headDim).squareRoot()
        // llama.cpp disables Phi's sliding window (its converters fill it wrongly), so full attention everywhere
    }

    static func layer(_ i: Int, _ w: WeightLoader, _ c: DecoderConfig) throws -> DecoderLayer {
        let E = c.embedding
        let a = try StandardBlocks.attention(i, w, c)
        let ffn = try StandardBlocks.gatedOrFused(i, w, c)
        return DecoderLayer(attentionNorm: try w.norm(.attnNorm, i, E, kind: .rms, eps: c.normEps), attention: a,
                            feedForwardNorm: try w.norm(.ffnNorm, i, E, kind: .rms, eps: c.normEps), feedForward: .dense(ffn))
    }
}
