// VectorError: failures of the vector store, reported as "path: what is wrong".

/// Errors from creating, opening, searching and writing a vector store.
package enum VectorError: Error, CustomStringConvertible, Equatable {
    case notAStore(path: String)
    case corrupt(path: String, reason: String)
    case checksumMismatch(path: String)
    case missingFile(path: String)
    case locked(path: String, holder: String)
    case dimensionMismatch(path: String, expected: Int, got: Int)
    case modelMismatch(path: String, store: String, requested: String)
    case noGeneration(path: String, generation: Int, current: Int)
    case keyRequired(path: String)
    case wrongKey(path: String)
    case invalid(String)

    package var description: String {
        switch self {
        case let .notAStore(path): return "\(path): not a lai vector store (no MANIFEST)"
        case let .corrupt(path, reason): return "\(path): corrupt: \(reason)"
        case let .checksumMismatch(path): return "\(path): checksum mismatch: the file is damaged (re-index, or restore it from a backup)"
        case let .missingFile(path): return "\(path): missing: the manifest lists it but it is not there"
        case let .locked(path, holder): return "\(path): another lai process (\(holder)) is writing this store; try again when it finishes"
        case let .dimensionMismatch(path, e, g): return "\(path): vectors have \(e) dimensions, got \(g)"
        case let .modelMismatch(path, s, r):
            return "\(path): built with the embedding model '\(s)', not '\(r)'; use --embed-model \(s), or remove the knowledge base and index again"
        case let .noGeneration(path, g, cur):
            return "\(path): no generation \(g) (the current one is \(cur); lai index --history lists those kept)"
        case let .keyRequired(path): return "\(path): the knowledge base is encrypted; set LAI_KB_KEY or pass --key-file"
        case let .wrongKey(path): return "\(path): cannot decrypt: the key (LAI_KB_KEY or --key-file) is not this knowledge base's"
        case let .invalid(what): return what
        }
    }
}
