// TextEmbedder: what the knowledge base needs from an embedding model (implemented by `Embedder`).

/// Turns texts into L2-normalized vectors of `dimension` floats.
package protocol TextEmbedder: AnyObject {
    var dimension: Int { get }
    var modelName: String { get }          // recorded in vector stores
    var maxTokens: Int { get }
    /// Task prefixes the model was trained with (nomic-embed-text: "search_query: ", "search_document: ");
    /// the store records them so queries get the prefix its documents' model wants.
    var queryPrefix: String { get }
    var documentPrefix: String { get }
    func countTokens(_ text: String) -> Int
    func embed(_ texts: [String]) throws -> [[Float]]   // L2-normalized
}

extension TextEmbedder {
    package var queryPrefix: String { "" }
    package var documentPrefix: String { "" }
}
