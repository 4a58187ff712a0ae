// Mistral 3 (Mistral Small 3.x, Ministral 3 text models): Llama blocks with optional biases, YaRN, and
// Llama 4's attention temperature on long contexts.

enum Mistral3Family: DecoderFamily {
    static let architectures = ["mistral3"]
    static var neoxRope: Bool { false }

    static func configure(_ c: inout DecoderConfig, _ file: GGUFFile) throws {
        let m = file.metadata, a = c.architecture
        if let s = m.double("\(a).attention.temperature_scale"), s != 0 {
            c.attentionTemperatureScale = Float(s)
            c.attentionTemperatureFloor = m.int("\(a).rope.scaling.original_context_length") ?? c.trainedContext
        }
    }
}
