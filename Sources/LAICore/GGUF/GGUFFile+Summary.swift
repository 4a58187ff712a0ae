// GGUFFile+Summary: the facts `lai show` prints about a model file.

/// What a user wants to know about a model file at a glance.
package struct ModelSummary: Sendable {
    package struct TypeUsage: Sendable { package let type: String; package let tensors: Int; package let bytes: Int }

    package let path: String
    package let fileSize: Int
    package let ggufVersion: Int
    package let name: String?
    package let architecture: String?
    package let parameters: Int
    /// llama.cpp's name of `general.file_type` (`Q4_K - Medium`; llama-bench's "type" column).
    package let fileType: String?
    /// Ollama's name of it (`Q4_K_M`; `lai show`, the API's `quantization_level`).
    package let quantization: String?
    package let types: [TypeUsage]
    package let contextLength: Int?
    package let embeddingLength: Int?
    package let blockCount: Int?
    package let headCount: Int?
    package let headCountKV: Int?
    package let feedForwardLength: Int?
    package let ropeFreqBase: Double?
    package let vocabularySize: Int?
    package let tokenizerModel: String?
    package let tokenizerPre: String?
    package let hasChatTemplate: Bool
    /// Outputs of a classification head (`cls.output` / `cls`: rerankers, sequence classifiers), nil without one.
    package let classifierOutputs: Int?
    /// `<arch>.classifier.output_labels` ([] when absent).
    package let classifierLabels: [String]
    /// `<arch>.pooling_type` (llama.cpp's: 0 none, 1 mean, 2 cls, 3 last, 4 rank), nil when the file names none.
    package let poolingType: Int?
    /// A classifier that scores relevance: one output (cross-encoders) or rank pooling (`pooling_type` 4: Qwen3-Reranker's yes/no head).
    package let isReranker: Bool
    package let license: String?
    package let tensorCount: Int
    package let metadataCount: Int

    package init(_ f: GGUFFile) {
        let m = f.metadata
        path = f.path
        fileSize = f.fileSize
        ggufVersion = Int(f.version)
        name = m.string("general.name")
        architecture = m.architecture
        parameters = f.tensors.reduce(0) { $0 + $1.elementCount }
        fileType = m.int("general.file_type").map { LlamaFileType.name($0) ?? "unknown (\($0))" }
        quantization = m.int("general.file_type").map { LlamaFileType.ollamaName($0) ?? "unknown (\($0))" }
        var usage: [GGMLType: (Int, Int)] = [:]
        for t in f.tensors { usage[t.type, default: (0, 0)].0 += 1; usage[t.type, default: (0, 0)].1 += t.byteCount }
        types = usage.sorted { $0.value.1 > $1.value.1 }.map { TypeUsage(type: $0.key.name, tensors: $0.value.0, bytes: $0.value.1) }
        contextLength = m.arch("context_length")?.int
        embeddingLength = m.arch("embedding_length")?.int
        blockCount = m.arch("block_count")?.int
        // head_count may be a per-layer array in some architectures; report the first layer's value then.
        headCount = m.arch("attention.head_count")?.int ?? m.arch("attention.head_count")?.array?.ints.first
        headCountKV = m.arch("attention.head_count_kv")?.int ?? m.arch("attention.head_count_kv")?.array?.ints.first
        feedForwardLength = m.arch("feed_forward_length")?.int
        ropeFreqBase = m.arch("rope.freq_base")?.double
        vocabularySize = m.array("tokenizer.ggml.tokens")?.count
        tokenizerModel = m.string("tokenizer.ggml.model")
        tokenizerPre = m.string("tokenizer.ggml.pre")
        hasChatTemplate = m.string("tokenizer.chat_template") != nil
        let head = f.tensor(named: "cls.output.weight") ?? f.tensor(named: "cls.weight")
        classifierOutputs = head.map { $0.shape.count == 2 ? $0.shape[1] : 1 }
        classifierLabels = m.arch("classifier.output_labels")?.array?.strings ?? []
        poolingType = m.arch("pooling_type")?.int
        isReranker = classifierOutputs == 1 || (classifierOutputs != nil && poolingType == 4)
        license = m.string("general.license")
        tensorCount = f.tensors.count
        metadataCount = m.count
    }
}
