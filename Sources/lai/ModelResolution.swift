// ModelResolution: turns the MODEL argument (a GGUF path or a store name) into a file and its settings.
import Foundation
import LAICore

/// A model to load plus the settings a store entry carries (Modelfile SYSTEM, TEMPLATE, PARAMETER).
struct ResolvedModelArgument {
    var path: String
    var system: String?
    var template: String?
    var parameters: [(String, String)] = []
    var messages: [ChatMessage] = []
}

enum ModelResolution {
    /// A path to a GGUF file, or a store name (`smollm2:135m`) whose Modelfile settings come along.
    static func resolve(_ arg: String) throws -> ResolvedModelArgument {
        let r = try ModelLocator.resolve(arg)
        var out = ResolvedModelArgument(path: r.ggufPath, system: r.system, template: r.template)
        for (k, vs) in r.parameters.sorted(by: { $0.key < $1.key }) { for v in vs { out.parameters.append((k, v)) } }
        out.messages = r.messages.map { ChatMessage(role: $0.role, content: $0.content) }
        return out
    }

    /// An encoder's path (`lai embed`, `lai rerank`, `--embed-model`, `--rerank`): a GGUF file or Hugging Face folder
    /// as given, else a store name's GGUF.
    static func modelPath(_ arg: String) throws -> String {
        FileManager.default.fileExists(atPath: arg) ? arg : try resolve(arg).path
    }

    /// Sampling parameters: Ollama's defaults, then the store entry's PARAMETER lines.
    static func parameters(for r: ResolvedModelArgument) throws -> SamplingParameters {
        var p = SamplingParameters()
        for (k, v) in r.parameters where k != "num_ctx" { try p.set(k, v) }
        return p
    }
}
