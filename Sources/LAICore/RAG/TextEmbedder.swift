// TextEmbedder: what the knowledge base needs from an embedding model (implemented by `Embedder`).

/// Turns texts into L2-normalized vectors of `dimension` floats.
package protocol TextEmbedder: AnyObject {
    var dimension: Int { get }
    var modelName: String { get }          // recorded in vector stores
    var maxTokens: Int { get }
    func countTokens(_ text: String) -> Int
    func embed(_ texts: [String]) throws -> [[Float]]   // L2-normalized
}
