// ModelManager: which models `lai serve` holds in memory — loaded on first use (or --preload), kept for their
// keep_alive after the last request, evicted least-recently-used beyond --max-loaded or the memory limit.
import Foundation

/// Settings of the server's models.
package struct ModelOptions: Sendable {
    package var store = ModelStore.default()
    /// Slots per chat model (--parallel) and requests that may wait for one (--max-queue).
    package var parallel = 4
    package var maxQueue = 16
    /// Context cells per slot (--ctx-size): the largest num_ctx a request gets without a reload.
    package var slotContext = 4096
    /// How long an idle model stays loaded (Ollama's default 5 minutes); nil: forever.
    package var keepAlive: TimeInterval? = 300
    package var maxLoaded = 3
    /// Bytes that loaded models (weights and KV caches) may take; nil: no limit.
    package var memoryLimit: Int?
    package var useKernels = true
    package var observer = EngineObserver()
    package init() {}
}

/// A model in memory: a chat model with its engine, or an embedding model.
package final class LoadedModel: @unchecked Sendable {
    package enum Kind {
        case chat(LanguageModel, InferenceEngine, ChatFormatter)
        case embedding(Embedder, NSLock)
    }

    /// The name requests use (`smollm2:135m`) and the full store name.
    package let name: String
    package let resolved: ResolvedModel
    package let digest: String
    package let kind: Kind
    package let summary: ModelSummary
    /// Sampling defaults of the store entry (Modelfile PARAMETER lines).
    package let defaults: SamplingParameters
    package let sizeBytes: Int
    package let loadSeconds: Double
    package let contextLength: Int
    /// The chat template in use (the Modelfile's TEMPLATE, else the model's own): it decides the tool-call syntax.
    package var templateSource: String? {
        guard case let .chat(lm, _, formatter) = kind else { return nil }
        return formatter.template?.source ?? resolved.template ?? lm.chatTemplateSource
    }
    // Guarded by the manager's actor.
    var expiresAt: Date?
    var active = 0
    var lastUse = Date()

    init(name: String, resolved: ResolvedModel, digest: String, options: ModelOptions) throws {
        let t0 = Date()
        self.name = name
        self.resolved = resolved
        self.digest = digest
        let file = try GGUFFile(path: resolved.ggufPath)
        summary = ModelSummary(file)
        var p = SamplingParameters()
        for (k, vs) in resolved.parameters.sorted(by: { $0.key < $1.key }) where k != "num_ctx" {
            for v in vs { try p.set(k, v) }
        }
        defaults = p
        let arch = file.metadata.string("general.architecture") ?? ""
        // A decoder with a rank head (Qwen3-Reranker) serves /v1/rerank, as llama-server --reranking does; one whose
        // file names a pooling (Qwen3-Embedding: the converter writes it from sentence-transformers' modules.json,
        // which chat models do not have) serves embeddings, as Ollama's embedding models.
        if Architectures.encoders.contains(arch) || summary.isReranker || (summary.poolingType ?? 0) > 0 {
            let e = try Embedder(path: resolved.ggufPath)
            kind = .embedding(e, NSLock())
            sizeBytes = file.file.count
            contextLength = e.maxTokens
        } else {
            let lm = try LanguageModel(path: resolved.ggufPath)
            let engine = InferenceEngine(lm: lm, slots: options.parallel, slotContext: options.slotContext,
                                         maxQueue: options.maxQueue, useKernels: options.useKernels, observer: options.observer)
            kind = .chat(lm, engine, lm.chatFormatter(overrideTemplate: resolved.template))
            sizeBytes = lm.file.file.count + engine.kvCacheBytes
            contextLength = engine.slotContext
        }
        loadSeconds = Date().timeIntervalSince(t0)
    }

    package var isEmbedding: Bool { if case .embedding = kind { true } else { false } }

    var isIdle: Bool {
        switch kind {
        case let .chat(_, engine, _): active == 0 && engine.isIdle
        case .embedding: active == 0
        }
    }

    func unload() {
        if case let .chat(_, engine, _) = kind { engine.shutdown() }
    }
}

package actor ModelManager {
    package let options: ModelOptions
    private var loaded: [String: LoadedModel] = [:]
    private var loading: [String: Task<LoadedModel, any Error>] = [:]
    private var draining = false

    package init(options: ModelOptions) { self.options = options }

    /// The store name a request means: `smollm2` is `smollm2:latest`; shown without the default host and namespace.
    package nonisolated func canonicalName(_ requested: String) throws -> ModelName {
        guard !requested.isEmpty else { throw APIError.badRequest("field 'model' is required") }
        do { return try ModelName(parsing: requested) } catch {
            throw APIError.badRequest("invalid model name '\(requested)': \(error)")
        }
    }

    /// The loaded model `requested`, loading it first if needed; counts as one active user until `release`.
    package func acquire(_ requested: String) async throws -> LoadedModel {
        if draining { throw APIError(503, "the server is shutting down") }
        let name = try canonicalName(requested)
        let key = name.description
        if let m = loaded[key] {
            m.active += 1; m.lastUse = Date(); m.expiresAt = nil
            return m
        }
        let task: Task<LoadedModel, any Error>
        if let t = loading[key] {
            task = t
        } else {
            let store = options.store, opts = options
            task = Task.detached {
                let resolved: ResolvedModel
                do { resolved = try store.resolve(name) } catch StoreError.notFound { throw APIError.modelNotFound(requested) }
                let digest = (try? store.manifestBytes(name)).map { "sha256:" + BlobHasher.hex($0) } ?? ""
                do { return try LoadedModel(name: key, resolved: resolved, digest: digest, options: opts) } catch {
                    throw APIError(500, "could not load model '\(requested)': \(error)")
                }
            }
            loading[key] = task
        }
        let m: LoadedModel
        do { m = try await task.value } catch { loading[key] = nil; throw error }
        loading[key] = nil
        if let existing = loaded[key] { existing.active += 1; existing.lastUse = Date(); return existing }
        makeRoom(for: m)
        loaded[key] = m
        m.active += 1; m.lastUse = Date()
        return m
    }

    /// Ends one use; the model stays loaded for `keepAlive` (the request's, else the server's) after its last use.
    package func release(_ m: LoadedModel, keepAlive: TimeInterval?? = .none) {
        m.active -= 1
        m.lastUse = Date()
        let k: TimeInterval? = keepAlive ?? options.keepAlive
        if let k {
            m.expiresAt = Date().addingTimeInterval(max(0, k))
            if k <= 0 { sweep() }
        } else {
            m.expiresAt = nil
        }
    }

    /// Unloads models whose keep_alive has passed and that nothing uses.
    package func sweep() {
        let now = Date()
        for (k, m) in loaded where m.isIdle {
            if let e = m.expiresAt, e <= now { loaded[k] = nil; m.unload() }
        }
    }

    /// Unloads `requested` now if it is loaded and idle (keep_alive 0 on an empty request).
    package func unload(_ requested: String) throws {
        let key = try canonicalName(requested).description
        if let m = loaded[key], m.isIdle { loaded[key] = nil; m.unload() }
    }

    package func running() -> [LoadedModel] { loaded.values.sorted { $0.name < $1.name } }

    /// Frees space for `m`: idle models go least recently used first while the count or memory limit is exceeded.
    private func makeRoom(for m: LoadedModel) {
        func over() -> Bool {
            if loaded.count + 1 > max(1, options.maxLoaded) { return true }
            if let limit = options.memoryLimit, loaded.values.reduce(m.sizeBytes, { $0 + $1.sizeBytes }) > limit { return true }
            return false
        }
        while over() {
            guard let victim = loaded.values.filter(\.isIdle).min(by: { $0.lastUse < $1.lastUse }) else { return }
            loaded[victim.name] = nil
            victim.unload()
        }
    }

    /// Stop admitting; engines finish what they run.
    package func drain() {
        draining = true
        for m in loaded.values { if case let .chat(_, e, _) = m.kind { e.drain() } }
    }

    package func unloadAll() {
        for m in loaded.values { m.unload() }
        loaded.removeAll()
    }
}
