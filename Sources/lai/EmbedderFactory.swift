// EmbedderFactory: the one place the CLI turns an --embed-model argument into a TextEmbedder.
import Foundation
import LAICore

/// The model cache (`LAI_CACHE`, else ~/.cache/lai).
var laiCache: String {
    if let c = ProcessInfo.processInfo.environment["LAI_CACHE"], !c.isEmpty { return c }
    return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/lai").path
}

/// The demo embedder (all-MiniLM-L6-v2, 384 dimensions).
var defaultEmbedModel: String { laiCache + "/minilm" }

struct EmbedderUnavailable: Error, CustomStringConvertible {
    let name: String
    var description: String {
        "\(name): embedding model support is not merged yet (set LAI_TEST_EMBEDDER=hash to use the test embedder)"
    }
}

/// Loads the embedding model `name` (a GGUF file or a Hugging Face folder).
/// `LAI_TEST_EMBEDDER=hash` selects the deterministic hashing embedder (tests; no model needed).
func makeEmbedder(_ name: String) throws -> TextEmbedder {
    if ProcessInfo.processInfo.environment["LAI_TEST_EMBEDDER"] == "hash" { return HashingEmbedder() }
    guard FileManager.default.fileExists(atPath: name) else { throw RAGError.notFound(path: name) }
    throw EmbedderUnavailable(name: name)
}
