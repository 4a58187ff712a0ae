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
    /// The model's "rerank" prompt template (`tokenizer.chat_template.rerank`, Qwen3-Reranker's), nil when it has none.
    package let rerankTemplate: String?
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
        rerankTemplate = file.metadata.string("tokenizer.chat_template.rerank")
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
        return try run(encoded.map(\.ids), pooling: pooling, normalize: normalize)
    }

    /// Pooled hidden states of token sequences (validated, each ≤ maxTokens), in the order given.
    private func run(_ encoded: [[Int32]], pooling: Pooling, normalize: Bool) throws -> [[Float]] {
        let E = dimension
        var out = [[Float]](repeating: [], count: encoded.count)
        switch backend {
        case let .bert(encoder):
            // Shortest first, packed greedily into batches of ≤ capacity tokens.
            let order = encoded.indices.sorted { encoded[$0].count < encoded[$1].count }
            var batches: [Range<Int>] = []   // ranges of `order`
            var start = 0
            while start < order.count {
                var end = start, tokens = 0
                while end < order.count, tokens + encoded[order[end]].count <= encoder.capacity {
                    tokens += encoded[order[end]].count
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
                let ws = workers, next = TaskCounter(), done = TaskCounter(), total = encoded.count
                let progress = self.progress
                BertEncoder.withSingleThreadedBLAS {
                    encoder.pool.parallelFor(threads) { slot in
                        while true {
                            let b = next.claim()
                            if b >= batches.count { return }
                            let r = batches[b]
                            ws[slot].encode(r.map { encoded[order[$0]] }, pooling: pooling, normalize: normalize,
                                            into: buffer + r.lowerBound * E, manageBLASThreads: false)
                            let d = done.add(r.count)
                            if slot == 0 { progress?(d, total) }
                        }
                    }
                }
            } else {
                for r in batches {
                    encoder.encode(r.map { encoded[order[$0]] }, pooling: pooling, normalize: normalize, into: buffer + r.lowerBound * E)
                    progress?(r.upperBound, encoded.count)
                }
            }
            for (j, i) in order.enumerated() { out[i] = Array(UnsafeBufferPointer(start: buffer + j * E, count: E)) }
        case let .decoder(session):
            // Last-token pooling on a causal model runs the tokens every sequence shares (a reranker's template and
            // query) once: the cache keeps them between sequences.
            let shared = pooling == .last && session.model.config.causal && encoded.count > 1 ? Self.sharedPrefix(encoded) : 0
            defer { if shared > 0 { session.reset() } }
            for (i, e) in encoded.enumerated() {
                var v = try session.pooledHiddenState(e, last: pooling != .mean, reusing: i > 0 ? shared : 0, keepCache: shared > 0)
                if normalize { v.withUnsafeMutableBufferPointer { Pooling.l2Normalize($0.baseAddress!, E) } }
                out[i] = v
                progress?(i + 1, encoded.count)
            }
        }
        return out
    }

    /// The length of the longest prefix all sequences share, less than the shortest (each keeps a token to run).
    static func sharedPrefix(_ sequences: [[Int32]]) -> Int {
        guard let first = sequences.first else { return 0 }
        var n = sequences.map { $0.count - 1 }.min() ?? 0
        for s in sequences.dropFirst() {
            var i = 0
            while i < n && s[i] == first[i] { i += 1 }
            n = i
        }
        return max(n, 0)
    }

    /// The classification head when the model is a reranker (a BERT-family cross-encoder or Qwen3-Reranker), else nil.
    package var classifier: ClassifierHead? {
        switch backend {
        case let .bert(e): e.model.classifier
        case let .decoder(s): s.model.classifier
        }
    }


    /// (query, document) as one sequence, as llama-server's /rerank builds it: BOS query EOS SEP document EOS,
    /// each special as the vocabulary adds them (<s> q </s></s> d </s> for XLM-RoBERTa, [CLS] q [SEP] d [SEP]
    /// for BERT). A pair longer than `maxTokens` loses the document's tail, then the query's.
    /// A model with a "rerank" template (Qwen3-Reranker) gets the template with {query} and {document} filled in,
    /// tokenized with special tokens and without BOS (llama-server's format_prompt_rerank); a pair longer than
    /// `maxTokens` loses the document's tail.
    package func pairTokens(query: String, document: String) -> (ids: [Int32], fullCount: Int) {
        if let template = rerankTemplate {
            func render(_ doc: String) -> [Int32] {
                tokenizer.encode(template.replacingOccurrences(of: "{query}", with: query).replacingOccurrences(of: "{document}", with: doc),
                                 addSpecial: false, parseSpecial: true)
            }
            let ids = render(document)
            guard ids.count > maxTokens else { return (ids, ids.count) }
            // Cut the document's tokens by the overflow and render again (a cut can merge differently at the edge).
            var d = tokenizer.encode(document, addSpecial: false)
            var cut = ids
            while cut.count > maxTokens && !d.isEmpty {
                d.removeLast(min(d.count, cut.count - maxTokens))
                cut = render(tokenizer.decode(d))
            }
            if cut.count > maxTokens { cut.removeLast(cut.count - maxTokens) }
            return (cut, ids.count)
        }
        var q = tokenizer.encode(query, addSpecial: false), d = tokenizer.encode(document, addSpecial: false)
        let close = tokenizer.eos ?? tokenizer.sep
        var head: [Int32] = [], middle: [Int32] = [], tail: [Int32] = []
        if tokenizer.addBOS, let b = tokenizer.bos { head.append(b) }
        if tokenizer.addEOS, let e = close { middle.append(e); tail.append(e) }
        if tokenizer.addSep, let s = tokenizer.sep { middle.append(s) }
        let specials = head.count + middle.count + tail.count, full = specials + q.count + d.count
        if full > maxTokens {
            let room = max(maxTokens - specials, 0)
            d.removeLast(max(0, d.count - max(room - q.count, 0)))
            q.removeLast(max(0, q.count - room))
        }
        return (head + q + middle + d + tail, full)
    }

    /// The classification head's outputs for each (query, document) pair, in document order; the first output is
    /// the relevance score of a reranker (a raw logit, as llama-server's /rerank returns it). Throws for a model
    /// without a head.
    package func classify(query: String, documents: [String]) throws -> [[Float]] {
        guard let head = classifier, head.outputs > 0 else {
            throw ModelError.invalid(path: path, message: "not a reranker: the model has no classification head (cls.output.weight or cls.weight); rerankers are cross-encoders such as bge-reranker-v2-m3, or Qwen3-Reranker")
        }
        if documents.isEmpty { return [] }
        var encoded: [[Int32]] = []
        for (i, doc) in documents.enumerated() {
            let p = pairTokens(query: query, document: doc)
            if p.fullCount > maxTokens {
                guard truncate else { throw EmbedError.tooLong(index: i, tokens: p.fullCount, limit: maxTokens) }
                onTruncate(i, p.fullCount)
            }
            let vocab = tokenizer.vocabularySize
            guard !p.ids.isEmpty, p.ids.allSatisfy({ $0 >= 0 && Int($0) < vocab }) else {
                throw ModelError.invalid(path: path, message: "document \(i) produced no tokens or a token id outside the vocabulary")
            }
            encoded.append(p.ids)
        }
        lastTokenCount = encoded.reduce(0) { $0 + $1.count }
        // llama.cpp's rank pooling reads the first token's hidden state (an encoder's) or, with causal attention,
        // the last token's after the output norm (a decoder's), unnormalized.
        var pooling = Pooling.cls
        if case let .decoder(s) = backend {
            guard s.model.config.causal else {
                throw ModelError.invalid(path: path, message: "a bidirectional decoder cannot rerank (llama.cpp's rank pooling reads its first token; lai does not)")
            }
            pooling = .last
        }
        return try run(encoded, pooling: pooling, normalize: false).map { h in h.withUnsafeBufferPointer { head.apply($0.baseAddress!) } }
    }

    /// Relevance scores of `documents` for `query` (the head's first output), in document order.
    package func rerank(query: String, documents: [String]) throws -> [Float] {
        try classify(query: query, documents: documents).map { $0[0] }
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
