// StoreError: what can go wrong with model names, the model store, Modelfiles and registries.

/// Errors of the model store, one line each: "what: what is wrong".
package enum StoreError: Error, CustomStringConvertible, Equatable {
    case invalidName(String, reason: String)
    case notFound(String)
    case blobMissing(model: String, digest: String)
    case digestMismatch(what: String, expected: String, actual: String)
    case sizeMismatch(what: String, expected: Int, actual: Int)
    case badManifest(String, reason: String)
    case modelfile(line: Int, reason: String)
    case unsupported(String)
    case http(url: String, status: Int, message: String)
    case network(url: String, reason: String)
    case insecure(String)
    case noModelLayer(String)
    case exists(String)

    package var description: String {
        switch self {
        case let .invalidName(n, reason): return "invalid model name '\(n)': \(reason)"
        case let .notFound(n): return "model '\(n)' not found; try `lai pull \(n)` or `lai list`"
        case let .blobMissing(m, d): return "model '\(m)': blob \(d) is missing from the store; pull or create it again"
        case let .digestMismatch(w, e, a): return "\(w): sha256 mismatch (expected \(e), got \(a)); the download was discarded"
        case let .sizeMismatch(w, e, a): return "\(w): size mismatch (expected \(e) bytes, got \(a))"
        case let .badManifest(w, reason): return "\(w): bad manifest: \(reason)"
        case let .modelfile(line, reason): return "Modelfile line \(line): \(reason)"
        case let .unsupported(s): return s
        case let .http(url, status, message): return "\(url): HTTP \(status)\(message.isEmpty ? "" : ": " + message)"
        case let .network(url, reason): return "\(url): \(reason)"
        case let .insecure(n): return "\(n): the registry speaks plain http; pass --insecure to allow it"
        case let .noModelLayer(n): return "model '\(n)' has no model layer (application/vnd.ollama.image.model)"
        case let .exists(n): return "\(n): already exists"
        }
    }
}
