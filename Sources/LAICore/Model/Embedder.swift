// Embedder: texts → vectors with a BERT-family encoder (or, as a fallback, a llama-family decoder),
// the API the knowledge base codes against. Many texts per call: sorted by length and packed into batches.
import Foundation

// `TextEmbedder`, the protocol this implements, lives in RAG/TextEmbedder.swift.

/// Why texts could not be embedded.
package enum EmbedError: Error, CustomStringConvertible {
    /// Text `index` (0-based, in the array given to `embed`) is longer than the model's context.
    case tooLong(index: Int, tokens: Int, limit: Int)
    case unsupportedModel(path: String, arch: String)

    package var description: String {
        switch self {
        case let .tooLong(i, n, limit): "text \(i) has \(n) tokens, more than the model's \(limit) (allow truncation to cut it)"
        case let .unsupportedModel(p, a): "\(p): '\(a)' models cannot embed (lai embeds with \(Architectures.all.joined(separator: ", ")))"
        }
    }
}

package final class Embedder: TextEmbedder {
    package let path: String
    package let modelName: String
    package let dimension: Int
    /// Most tokens embedded per text: the model's context, or sentence-transformers' `max_seq_length` when
    /// smaller (all-MiniLM-L6-v2: 256 of 512), so long texts get the vectors sentence-transformers gives.
    package let maxTokens: Int
    /// The model's task prefixes for search queries and indexed documents ("" when it needs none).
    package let queryPrefix: String
    package let documentPrefix: String
    package let normalize: Bool
    package let truncate: Bool
    package let tokenizer: Tokenizer
    /// Pooling of the hidden states; defaults to the model's `*.pooling_type` (mean when absent).
    package var pooling: Pooling
    /// Called once per text cut to `maxTokens` (index in the `embed` call, its full token count).
    /// The default prints one warning line on stderr.
    package var onTruncate: (_ index: Int, _ tokens: Int) -> Void
    /// Called after each forward pass with (texts done, texts in this call).
    package var progress: ((Int, Int) -> Void)?
    /// Tokens in the last `embed` call (after truncation), for throughput reports.
    package private(set) var lastTokenCount = 0
    private var backend: Backend
    /// Single-threaded encoders, one per pool thread, for inputs of many batches (made on first use).
    private var workers: [BertEncoder] = []

    private enum Backend {
        case bert(BertEncoder)
        case decoder(DecoderSession)
    }

    /// Opens a GGUF file (bert, nomic-bert, gemma-embedding, or any decoder as a fallback) or a Hugging Face BERT folder; a folder is
    /// converted once to F32 GGUF under `$LAI_CACHE/converted/` (default `~/.cache/lai/converted/`) and
    /// that file is reused while it is newer than the folder's files.
    package init(path: String, normalize: Bool = true, truncate: Bool = true, pool: ThreadPool = .shared) throws {
        let file: GGUFFile
        let isFolder = SafetensorsModel.isModelFolder(path)
        if isFolder {
            file = try GGUFFile(path: Self.convertedGGUF(folder: path, threads: pool.threadCount))
        } else {
            file = try GGUFFile(path: path)
        }
        // A folder's sentence-transformers configs win; the table of known models fills what they leave out.
        var conventions = EmbeddingConventions.known(name: file.metadata.string("general.name") ?? (path as NSString).lastPathComponent)
        if isFolder, let c = try EmbeddingConventions.read(folder: path) {
            if let n = c.maxSequenceLength { conventions.maxSequenceLength = n }
            if !c.queryPrefix.isEmpty || !c.documentPrefix.isEmpty { (conventions.queryPrefix, conventions.documentPrefix) = (c.queryPrefix, c.documentPrefix) }
        }
        queryPrefix = conventions.queryPrefix
        documentPrefix = conventions.documentPrefix
        self.path = path
        modelName = (path as NSString).lastPathComponent
        self.normalize = normalize
        self.truncate = truncate
        tokenizer = try Tokenizer(gguf: file)
        let arch = file.metadata.architecture ?? ""
        switch arch {
        case _ where BertConfig.architectures.contains(arch):
            // LAI_EMBED_KERNELS=1: block-quantized weights through MatMul's kernels instead of f32 BLAS.
            let model = try BertModel(file: file, quantizedKernels: ProcessInfo.processInfo.environment["LAI_EMBED_KERNELS"] == "1")
            guard tokenizer.vocabularySize <= model.config.vocabulary else {
                throw ModelError.invalid(path: file.path, message: "the vocabulary is larger than token_embd")
            }
            backend = .bert(BertEncoder(model: model, capacity: 2048, pool: pool))
            dimension = model.config.embedding
            maxTokens = min(model.config.context, conventions.maxSequenceLength ?? .max)
            pooling = model.config.pooling
        case _ where Architectures.isDecoder(arch):
            let model = try DecoderModel(file: file)
            let context = min(model.config.trainedContext, 4096)
            // A bidirectional model (EmbeddingGemma) needs the whole text in one batch.
            let session = DecoderSession(model: model, contextSize: context, batchCapacity: model.config.causal ? 512 : context, pool: pool)
            backend = .decoder(session)
            dimension = model.poolingProjections.last?.rows ?? model.config.embedding
            maxTokens = session.contextSize
            pooling = Pooling(ggufValue: file.metadata.int("\(arch).pooling_type") ?? 1) ?? .mean
        default:
            throw EmbedError.unsupportedModel(path: file.path, arch: arch)
        }
        let limit = maxTokens
        onTruncate = { i, n in
            FileHandle.standardError.write(Data("lai: warning: text \(i) has \(n) tokens; truncated to the model's \(limit)\n".utf8))
        }
    }

    /// Tokens per forward pass for encoder models (at least the context length).
    package var batchTokens: Int {
        get { if case let .bert(e) = backend { return e.capacity }; return maxTokens }
        set {
            if case let .bert(e) = backend, newValue != e.capacity {
                backend = .bert(BertEncoder(model: e.model, capacity: newValue, pool: e.pool))
                workers = []
            }
        }
    }

    /// Token count of `text` as embedded (with [CLS]/[SEP] or BOS as the vocabulary asks), before truncation.
    package func countTokens(_ text: String) -> Int { encode(text).count }

    /// The tokenizer's ids with the vocabulary's special tokens ([CLS] … [SEP] for BERT).
    private func encode(_ text: String) -> [Int32] { tokenizer.encode(text) }

    /// The token ids `embed` feeds the model for `text`, cut to `maxTokens` (keeping a final [SEP]/EOS).
    package func tokens(_ text: String) -> (ids: [Int32], fullCount: Int) {
        var ids = encode(text)
        let full = ids.count
        if ids.isEmpty, let b = tokenizer.bos { ids = [b] }  // a vocabulary that adds nothing: never an empty sequence
        if ids.count > maxTokens {
            let last = ids[ids.count - 1]
            let keepLast = last == tokenizer.sep || last == tokenizer.eos
            ids.removeLast(ids.count - maxTokens)
            if keepLast { ids[maxTokens - 1] = last }
        }
        return (ids, full)
    }

    /// Embeds `texts` (any number). Vectors come back in the order given.
    package func embed(_ texts: [String]) throws -> [[Float]] {
        if texts.isEmpty { return [] }
        let pool: ThreadPool
        switch backend { case let .bert(e): pool = e.pool; case let .decoder(s): pool = s.pool }
        // Tokenize in parallel.
        var encoded = [(ids: [Int32], fullCount: Int)](repeating: ([], 0), count: texts.count)
        encoded.withUnsafeMutableBufferPointer { buf in
            let b = buf
            pool.parallelRanges(texts.count, minChunk: 8) { r in for i in r { b[i] = self.tokens(texts[i]) } }
        }
        for (i, e) in encoded.enumerated() where e.fullCount > maxTokens {
            guard truncate else { throw EmbedError.tooLong(index: i, tokens: e.fullCount, limit: maxTokens) }
            onTruncate(i, e.fullCount)
        }
        let vocab = tokenizer.vocabularySize
        for (i, e) in encoded.enumerated() where e.ids.isEmpty || e.ids.contains(where: { $0 < 0 || Int($0) >= vocab }) {
            throw ModelError.invalid(path: path, message: e.ids.isEmpty ? "text \(i) has no tokens (the vocabulary adds no [CLS]/BOS)"
                                                                        : "text \(i) produced a token id outside the vocabulary")
        }
        lastTokenCount = encoded.reduce(0) { $0 + $1.ids.count }
        let E = dimension
        var out = [[Float]](repeating: [], count: texts.count)
        switch backend {
        case let .bert(encoder):
            // Shortest first, packed greedily into batches of ≤ capacity tokens.
            let order = encoded.indices.sorted { encoded[$0].ids.count < encoded[$1].ids.count }
            var batches: [Range<Int>] = []   // ranges of `order`
            var start = 0
            while start < order.count {
                var end = start, tokens = 0
                while end < order.count, tokens + encoded[order[end]].ids.count <= encoder.capacity {
                    tokens += encoded[order[end]].ids.count
                    end += 1
                }
                batches.append(start..<end)
                start = end
            }
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: order.count * E)   // (sorted text, E)
            defer { buffer.deallocate() }
            let threads = encoder.pool.threadCount
            if threads > 1 && batches.count >= 2 * threads {
                // Many batches: one whole batch per thread at a time (single-threaded encoders, no barriers
                // inside a pass), claimed from a counter; only slot 0 reports progress.
                if workers.count != threads || workers.first?.capacity != encoder.capacity {
                    workers = (0..<threads).map { _ in BertEncoder(model: encoder.model, capacity: encoder.capacity, pool: ThreadPool(threads: 1)) }
                }
                let ws = workers, next = TaskCounter(), done = TaskCounter(), total = texts.count
                let pooling = self.pooling, normalize = self.normalize, progress = self.progress
                BertEncoder.withSingleThreadedBLAS {
                    encoder.pool.parallelFor(threads) { slot in
                        while true {
                            let b = next.claim()
                            if b >= batches.count { return }
                            let r = batches[b]
                            ws[slot].encode(r.map { encoded[order[$0]].ids }, pooling: pooling, normalize: normalize,
                                            into: buffer + r.lowerBound * E, manageBLASThreads: false)
                            let d = done.add(r.count)
                            if slot == 0 { progress?(d, total) }
                        }
                    }
                }
            } else {
                for r in batches {
                    encoder.encode(r.map { encoded[order[$0]].ids }, pooling: pooling, normalize: normalize, into: buffer + r.lowerBound * E)
                    progress?(r.upperBound, texts.count)
                }
            }
            for (j, i) in order.enumerated() { out[i] = Array(UnsafeBufferPointer(start: buffer + j * E, count: E)) }
        case let .decoder(session):
            for (i, e) in encoded.enumerated() {
                var v = try session.pooledHiddenState(e.ids, last: pooling != .mean)
                if normalize { v.withUnsafeMutableBufferPointer { Pooling.l2Normalize($0.baseAddress!, E) } }
                out[i] = v
                progress?(i + 1, texts.count)
            }
        }
        return out
    }

    /// The F32 GGUF converted from a Hugging Face folder, made if missing or older than the folder's files.
    package static func convertedGGUF(folder: String, threads: Int) throws -> String {
        let fm = FileManager.default
        let base: String
        if let c = ProcessInfo.processInfo.environment["LAI_CACHE"], !c.isEmpty {
            base = c
        } else {
            base = fm.homeDirectoryForCurrentUser.appendingPathComponent(".cache/lai").path
        }
        let dir = (base as NSString).appendingPathComponent("converted")
        let name = (URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent)
        let out = (dir as NSString).appendingPathComponent("\(name)-F32.gguf")
        func mtime(_ p: String) -> Date? { (try? fm.attributesOfItem(atPath: p))?[.modificationDate] as? Date }
        if let made = mtime(out) {
            let inputs = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).map { (folder as NSString).appendingPathComponent($0) }
            let newest = inputs.compactMap(mtime).max() ?? .distantPast
            if made >= newest { return out }
        }
        do {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw ModelError.invalid(path: dir, message: "cannot create the conversion cache: \(error.localizedDescription)")
        }
        _ = try ModelQuantizer.run(input: folder, output: out, target: .f32, threads: threads)
        return out
    }
}
