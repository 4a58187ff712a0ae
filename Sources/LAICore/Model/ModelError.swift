// ModelError: why a model file cannot be run.

package enum ModelError: Error, CustomStringConvertible {
    case unsupportedArchitecture(path: String, arch: String)
    case missingKey(path: String, key: String)
    case invalid(path: String, message: String)
    case contextFull(limit: Int)

    package var description: String {
        switch self {
        case let .unsupportedArchitecture(p, a): "\(p): unknown model architecture '\(a)' (lai runs llama, qwen2, bert and nomic-bert)"
        case let .missingKey(p, k): "\(p): metadata key '\(k)' is missing"
        case let .invalid(p, m): "\(p): \(m)"
        case let .contextFull(n): "the context window of \(n) tokens is full"
        }
    }
}
