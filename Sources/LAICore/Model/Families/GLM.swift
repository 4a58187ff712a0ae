// GLM-4 (glm4: GLM-4-0414, GLM-Z1): Q/K/V biases, partial adjacent-pair RoPE (half of each head rotates),
// fused gate+up ffn_up, norms both before and after attention and the MLP.
// ChatGLM (chatglm: ChatGLM3-6B, GLM-4-9B-chat and its -hf GlmForCausalLM form): the same without the post norms,
// Q/K/V fused (attn_qkv with a bias) or separate.

enum GLM4Family: DecoderFamily {
    static let architectures = ["glm4"]
    static var neoxRope: Bool { false }

    static func layer(_ i: Int, _ w: WeightLoader, _ c: DecoderConfig) throws -> DecoderLayer {
        let E = c.embedding
        let ffn = try StandardBlocks.gatedOrFused(i, w, c)
        var l = DecoderLayer(attentionNorm: try w.norm(.attnNorm, i, E, kind: .rms, eps: c.normEps),
                             attention: try StandardBlocks.attention(i, w, c),
                             feedForwardNorm: try w.norm(.ffnNorm, i, E, kind: .rms, eps: c.normEps), feedForward: .dense(ffn))
        l.attentionPostNorm = try w.norm(.attnPostNorm, i, E, kind: .rms, eps: c.normEps)
        l.feedForwardPostNorm = try w.norm(.ffnPostNorm, i, E, kind: .rms, eps: c.normEps)
        return l
    }
}

enum ChatGLMFamily: DecoderFamily {
    static let architectures = ["chatglm"]
    static var neoxRope: Bool { false }

    static func layer(_ i: Int, _ w: WeightLoader, _ c: DecoderConfig) throws -> DecoderLayer {
        let E = c.embedding
        return DecoderLayer(attentionNorm: try w.norm(.attnNorm, i, E, kind: .rms, eps: c.normEps),
                            attention: try StandardBlocks.attention(i, w, c),
                            feedForwardNorm: try w.norm(.ffnNorm, i, E, kind: .rms, eps: c.normEps),
                            feedForward: .dense(try StandardBlocks.gatedOrFused(i, w, c)))
    }
}
