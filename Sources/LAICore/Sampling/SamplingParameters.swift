// SamplingParameters: how the next token is chosen, with Ollama's defaults and names.

/// Sampling settings. Names and defaults follow Ollama's (`temperature 0.8`, `top_k 40`, `top_p 0.9`,
/// `min_p 0`, `repeat_penalty 1.1`, `repeat_last_n 64`), so Modelfile PARAMETER lines carry over.
package struct SamplingParameters: Sendable, Equatable {
    package var temperature: Float = 0.8
    package var topK = 40
    package var topP: Float = 0.9
    package var minP: Float = 0.0
    package var repeatPenalty: Float = 1.1
    package var repeatLastN = 64
    package var presencePenalty: Float = 0
    package var frequencyPenalty: Float = 0
    /// nil: a random seed per run.
    package var seed: UInt64?
    /// Maximum tokens to generate (-1: until the context is full or the model stops).
    package var numPredict = -1
    package var stop: [String] = []

    package init() {}

    /// Sets a parameter by its Ollama name (`/set parameter NAME VALUE`, Modelfile PARAMETER).
    /// Throws `SamplingError` naming the parameter when the name or the value is not valid.
    package mutating func set(_ name: String, _ value: String) throws {
        func f() throws -> Float {
            guard let v = Float(value), v.isFinite else { throw SamplingError.badValue(name: name, value: value) }
            return v
        }
        func i() throws -> Int {
            guard let v = Int(value) else { throw SamplingError.badValue(name: name, value: value) }
            return v
        }
        switch name {
        case "temperature": temperature = try f()
        case "top_k": topK = try i()
        case "top_p": topP = try f()
        case "min_p": minP = try f()
        case "repeat_penalty": repeatPenalty = try f()
        case "repeat_last_n": repeatLastN = try i()
        case "presence_penalty": presencePenalty = try f()
        case "frequency_penalty": frequencyPenalty = try f()
        case "seed":
            guard let v = Int64(value) else { throw SamplingError.badValue(name: name, value: value) }
            seed = v < 0 ? nil : UInt64(v)
        case "num_predict": numPredict = try i()
        case "stop": stop.append(value)
        default: throw SamplingError.unknownParameter(name)
        }
    }

    /// The parameters `set` accepts (num_ctx is the session's, handled by `lai run`).
    package static let names = ["temperature", "top_k", "top_p", "min_p", "repeat_penalty", "repeat_last_n",
                                "presence_penalty", "frequency_penalty", "seed", "num_predict", "stop"]
}

package enum SamplingError: Error, CustomStringConvertible {
    case unknownParameter(String)
    case badValue(name: String, value: String)

    package var description: String {
        switch self {
        case let .unknownParameter(n): "unknown parameter '\(n)' (known: \(SamplingParameters.names.joined(separator: ", ")), num_ctx)"
        case let .badValue(n, v): "invalid value '\(v)' for parameter '\(n)'"
        }
    }
}
