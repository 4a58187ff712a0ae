// ModelResolution: turns the MODEL argument (a GGUF path or a store name) into a file and its settings.
import Foundation
import LAICore

/// A model to load plus the settings a store entry carries (Modelfile SYSTEM, TEMPLATE, PARAMETER).
struct ResolvedModelArgument {
    var path: String
    var system: String?
    var template: String?
    var parameters: [(String, String)] = []
}

enum ModelResolution {
    static func resolve(_ arg: String) throws -> ResolvedModelArgument {
        ResolvedModelArgument(path: arg)
    }

    /// Sampling parameters: Ollama's defaults, then the store entry's PARAMETER lines.
    static func parameters(for r: ResolvedModelArgument) throws -> SamplingParameters {
        var p = SamplingParameters()
        for (k, v) in r.parameters where k != "num_ctx" { try p.set(k, v) }
        return p
    }
}
