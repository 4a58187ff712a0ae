// Mistral 3 (Mistral Small 3.x, Ministral 3 text models): Llama blocks with optional biases, YaRN, and
// Llama 4's attention temperature on long contexts.

enum Mistral3Family: DecoderFamily {
    static let architectures = ["mistral3"]
    static var neoxRope: Bool { false }

    static func configure(_ c: inout DecoderConfig, _ file: GGUFFile) throws {
        let m = file.metadata, a = c.architecture
        if m.string("\(a).rope.scaling.type") == "yarn", let factor = m.double("\(a).rope.scaling.factor"), factor > 0 {
            // Mistral 3 reads YaRN's beta and log-multiplier keys (most families use llama.cpp's defaults)
            var r = RopeParameters(dims: c.rope.dims, neox: false, base: c.rope.base)
            r.attnFactor = Float(m.double("\(a).rope.scaling.attn_factor") ?? 1)
            r.enableYaRN(factor: Float(factor), originalContext: m.int("\(a).rope.scaling.original_context_length") ?? c.trainedContext,
                         betaFast: Float(m.double("\(a).rope.scaling.yarn_beta_fast") ?? 32),
                         betaSlow: Float(m.double("\(a).rope.scaling.yarn_beta_slow") ?? 1),
                         logMultiplier: Float(m.double("\(a).rope.scaling.yarn_log_multiplier") ?? 0))
            c.rope = r
        }
        if let s = m.double("\(a).attention.temperature_scale"), s != 0 {
            c.attentionTemperatureScale = Float(s)
            c.attentionTemperatureFloor = m.int("\(a).rope.scaling.original_context_length") ?? c.trainedContext
        }
    }
}
