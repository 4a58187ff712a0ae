// TokenizerError: why a GGUF vocabulary could not be turned into a tokenizer, as one line naming the file.

/// A missing, malformed or unsupported vocabulary in a GGUF file.
package enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// A required `tokenizer.ggml.*` key is absent or has the wrong type.
    case missingKey(path: String, key: String)
    /// `tokenizer.ggml.model` names a tokenizer lai does not implement (e.g. `rwkv`, `plamo2`).
    case unsupportedModel(path: String, model: String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer llama.cpp does not know either.
    case unsupportedPreTokenizer(path: String, pre: String)
    /// Any other inconsistency, with a message that says what is wrong.
    case invalid(path: String, message: String)

    package var description: String {
        switch self {
        case let .missingKey(path, key):
            return "\(path): vocabulary has no usable '\(key)'"
        case let .unsupportedModel(path, model):
            return "\(path): tokenizer model '\(model)' is not supported (lai supports gpt2, gemma4, llama, bert, t5)"
        case let .unsupportedPreTokenizer(path, pre):
            return "\(path): unknown pre-tokenizer '\(pre)' (tokenizer.ggml.pre)"
        case let .invalid(path, message):
            return "\(path): \(message)"
        }
    }
}
