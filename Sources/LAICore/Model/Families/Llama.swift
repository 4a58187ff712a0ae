// Llama: llama (Llama 1–3.x, Mistral, SmolLM, Mixtral-style experts) and Granite, adjacent-pair RoPE.

/// Llama: pre-RMSNorm blocks, SwiGLU or a mixture of experts, Llama 3 `rope_freqs` picked up by the model.
enum LlamaFamily: DecoderFamily {
    static let architectures = ["llama", "mistral"]
    static var neoxRope: Bool { false }
}

/// Granite: Llama blocks with scale multipliers on the embedding, each residual branch, Q·K and the logits.
enum GraniteFamily: DecoderFamily {
    static let architectures = ["granite"]
    static var neoxRope: Bool { false }

    static func configure(_ c: inout DecoderConfig, _ file: GGUFFile) throws {
        let m = file.metadata, a = c.architecture
        c.embeddingScale = Float(m.double("\(a).embedding_scale") ?? 1)
        c.residualScale = Float(m.double("\(a).residual_scale") ?? 1)
        c.logitScale = Float(m.double("\(a).logit_scale") ?? 1)
        if let s = m.double("\(a).attention.scale"), s != 0 { c.attentionScale = Float(s) }
    }
}
