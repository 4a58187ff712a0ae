// Architectures: the one registry of model architectures lai runs, by GGUF `general.architecture`.

package enum Architectures {
    /// Decoder families, each a file in Families/. Adding a family: write the file, add it here.
    static let decoderFamilies: [any DecoderFamily.Type] = [
        LlamaFamily.self, GraniteFamily.self, Qwen2Family.self, Qwen2VLFamily.self, Qwen3Family.self, Qwen3VLFamily.self, Qwen3VLMoEFamily.self, Qwen2MoEFamily.self, Qwen3MoEFamily.self,
        GemmaFamily.self, Phi3Family.self, OLMo2Family.self, FalconFamily.self, Mistral3Family.self,
        GLM4Family.self, ChatGLMFamily.self, DeepSeek2Family.self,
    ]

    /// Encoder (embedding-only) architectures, run by BertModel (its list).
    package static var encoders: [String] { BertConfig.architectures }

    package static var decoders: [String] { decoderFamilies.flatMap { $0.architectures } }
    package static var all: [String] { decoders + encoders }

    static func decoderFamily(_ arch: String) -> (any DecoderFamily.Type)? {
        decoderFamilies.first { $0.architectures.contains(arch) }
    }

    package static func isDecoder(_ arch: String) -> Bool { decoderFamily(arch) != nil }
}
