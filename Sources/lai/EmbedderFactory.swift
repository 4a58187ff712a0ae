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

/// Loads the embedding model `name`: a GGUF file, a Hugging Face folder, or a store name.
/// `LAI_TEST_EMBEDDER=hash` selects the deterministic hashing embedder (tests; no model needed).
func makeEmbedder(_ name: String) throws -> TextEmbedder {
    if ProcessInfo.processInfo.environment["LAI_TEST_EMBEDDER"] == "hash" { return HashingEmbedder() }
    return try Embedder(path: try ModelResolution.modelPath(name))
}
