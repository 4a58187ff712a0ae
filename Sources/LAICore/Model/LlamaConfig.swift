// LlamaConfig: the hyperparameters of a llama-family decoder (llama, qwen2), read from GGUF metadata.
import Foundation

package struct LlamaConfig: Sendable {
    package var architecture: String
    package var embedding: Int        // n_embd
    package var layers: Int           // n_layer
    package var heads: Int            // n_head
    package var kvHeads: Int          // n_head_kv
    package var headDim: Int          // n_embd / n_head unless key_length says otherwise
    package var feedForward: Int      // n_ff
    package var vocabulary: Int
    package var trainedContext: Int
    package var rmsEps: Float
    package var ropeBase: Float
    package var ropeFreqScale: Float  // 1 / linear scaling factor
    package var ropeDims: Int
    package var ropeNeox: Bool        // qwen2: NeoX pairing; llama: adjacent pairs
    package var kvDim: Int { kvHeads * headDim }
    package var qDim: Int { heads * headDim }

    package static let architectures = ["llama", "qwen2"]

    package init(_ f: GGUFFile) throws {
        let m = f.metadata
        guard let arch = m.architecture else { throw ModelError.missingKey(path: f.path, key: "general.architecture") }
        guard Self.architectures.contains(arch) else { throw ModelError.unsupportedArchitecture(path: f.path, arch: arch) }
        func req(_ k: String) throws -> Int {
            guard let v = m.int("\(arch).\(k)"), v > 0 else { throw ModelError.missingKey(path: f.path, key: "\(arch).\(k)") }
            return v
        }
        architecture = arch
        embedding = try req("embedding_length")
        layers = try req("block_count")
        heads = try req("attention.head_count")
        kvHeads = m.int("\(arch).attention.head_count_kv") ?? heads
        headDim = m.int("\(arch).attention.key_length") ?? embedding / heads
        feedForward = try req("feed_forward_length")
        trainedContext = try req("context_length")
        vocabulary = m.array("tokenizer.ggml.tokens")?.count ?? m.int("\(arch).vocab_size") ?? 0
        rmsEps = Float(m.double("\(arch).attention.layer_norm_rms_epsilon") ?? 1e-5)
        ropeBase = Float(m.double("\(arch).rope.freq_base") ?? 10000)
        ropeDims = m.int("\(arch).rope.dimension_count") ?? headDim
        ropeNeox = arch == "qwen2"
        ropeFreqScale = 1
        if let type = m.string("\(arch).rope.scaling.type"), type != "none" {
            guard type == "linear", let factor = m.double("\(arch).rope.scaling.factor"), factor > 0 else {
                throw ModelError.invalid(path: f.path, message: "RoPE scaling '\(type)' is not supported yet")
            }
            ropeFreqScale = Float(1 / factor)
        }
        guard heads % kvHeads == 0, ropeDims <= headDim, ropeDims % 2 == 0, vocabulary > 0 else {
            throw ModelError.invalid(path: f.path, message: "inconsistent attention metadata (heads \(heads), kv heads \(kvHeads), head dim \(headDim))")
        }
    }
}
