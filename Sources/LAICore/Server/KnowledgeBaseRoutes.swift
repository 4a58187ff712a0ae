// KnowledgeBaseRoutes: lai's own /lai/v1/retrieve (ranked sources) and /lai/v1/ask (a streamed answer from a chat
// model grounded in those sources, then the sources), over the knowledge bases `lai index` builds.
import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// Embedders for knowledge-base questions, by path (the model the base was indexed with).
final class KnowledgeBaseEmbedders: Sendable {
    private let cache = Mutex<[String: (Embedder, NSLock)]>([:])
    func get(_ path: String) throws -> (Embedder, NSLock) {
        try cache.withLock { c in
            if let e = c[path] { return e }
            let e = (try Embedder(path: path), NSLock())
            c[path] = e
            return e
        }
    }
}

extension LAIServer {
    func addKnowledgeBaseRoutes(to router: Router<ServeContext>) {
        router.post("/lai/v1/retrieve") { req, ctx in
            let b = try await self.body(req)
            let sources = try await self.retrieve(b, ctx)
            return LAIServer.json(.object([("sources", .array(sources.enumerated().map { LAIServer.sourceJSON($1, n: $0 + 1) }))]))
        }
        router.post("/lai/v1/ask") { req, ctx in try await self.ask(self.body(req), ctx) }
    }

    static func sourceJSON(_ c: RetrievedChunk, n: Int) -> JSON {
        let r = c.record
        return .object([("n", .int(n)), ("path", .string(r.path)), ("lines", .string("\(r.lineRange.lowerBound)-\(r.lineRange.upperBound)")),
                        ("title", .string(r.title)), ("score", .double(c.score))]
                        + (c.rerankScore.map { [("rerank_score", JSON.float($0))] } ?? []) + [("text", .string(r.text))])
    }

    /// The k best chunks of knowledge base `kb` for `question` (the embedder given by `embed_model`, a path, else
    /// the demo MiniLM the knowledge base is indexed with by default).
    /// With `rerank` (a reranker in the store), the best `rerank_depth` (default 20) fused candidates are reordered by
    /// it and the k best kept, as `lai ask --rerank`.
    func retrieve(_ b: RequestBody, _ ctx: ServeContext) async throws -> [RetrievedChunk] {
        let question = try b.string("question") ?? b.string("query") ?? ""
        guard !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw APIError.badRequest("field 'question' is required") }
        let k = try b.int("k") ?? 5
        guard (1...100).contains(k) else { throw APIError.badRequest("field 'k' must be between 1 and 100") }
        guard let rerankName = try b.string("rerank") else { return try await retrieve(b, question: question, k: k) }
        let depth = try b.int("rerank_depth") ?? 20
        guard (1...1000).contains(depth) else { throw APIError.badRequest("field 'rerank_depth' must be between 1 and 1000") }
        let candidates = try await retrieve(b, question: question, k: max(k, depth))
        let ranked: [RankedDocument]
        do {
            (ranked, _) = try await rank(rerankName, ctx, query: question, documents: candidates.map(\.record.text), top: k)
        } catch let e as APIError where e.status == 400 {
            throw APIError.badRequest("field 'rerank': \(e.message)")
        }
        return ranked.map { var c = candidates[$0.index]; c.rerankScore = $0.score; return c }
    }

    private func retrieve(_ b: RequestBody, question: String, k: Int) async throws -> [RetrievedChunk] {
        let name = try b.string("kb") ?? KnowledgeBase.defaultName
        let dir: String
        if let d = config.knowledgeBases[name] { dir = d } else {
            do { dir = try KnowledgeBase.directory(name) } catch { throw APIError.badRequest("\(error)") }
        }
        guard VectorStore.exists(at: dir) else { throw APIError(404, "no knowledge base '\(name)' (index files with: lai index PATH --kb \(name))") }
        let embedPath = try b.string("embed_model") ?? config.knowledgeBaseEmbedder
        let embedders = kbEmbedders
        return try await withCheckedThrowingContinuation { cont in
            DispatchQueue.global().async {
                do {
                    let (e, lock) = try embedders.get(embedPath)
                    lock.lock(); defer { lock.unlock() }
                    // Encrypted knowledge bases: the server's own LAI_KB_KEY (never a request field).
                    var key: StoreKey?
                    if let k = ProcessInfo.processInfo.environment["LAI_KB_KEY"], !k.isEmpty { key = try StoreKey.parse(k, source: "LAI_KB_KEY") }
                    let store = try VectorStore(path: dir, key: key)
                    cont.resume(returning: try Retriever(store: store, embedder: e).retrieve(question, k: k))
                } catch let e as APIError { cont.resume(throwing: e) } catch {
                    cont.resume(throwing: APIError(500, "knowledge base '\(name)': \(error)"))
                }
            }
        }
    }

    func ask(_ b: RequestBody, _ ctx: ServeContext) async throws -> Response {
        let start = Date()
        let requested = try b.requiredString("model")
        let streaming = try b.bool("stream") ?? true
        let question = try b.string("question") ?? ""
        let sources = try await retrieve(b, ctx)
        let (model, _) = try await acquire(requested, ctx)
        let options = try b.object("options")
        return try await complete(model, requested: requested, keep: nil, ctx: ctx, streaming: streaming, start: start, load: 0,
                                  contentType: "application/x-ndjson", plan: {
            var (params, numCtx) = try Completions.ollamaOptions(options, defaults: model.defaults)
            if options?.json["temperature"] == nil { params.temperature = 0.2 }
            if params.numPredict < 0 { params.numPredict = 512 }
            // Drop the weakest sources until the question, the sources and the answer fit.
            var used = sources
            while true {
                let msg = GroundedPrompt.userMessage(question: question, sources: used.map {
                    PromptSource(label: GroundedPrompt.label($0.record) + ($0.record.title.isEmpty ? "" : " (\($0.record.title))"), text: $0.record.text)
                })
                let msgs = [ChatMessage(role: "system", content: GroundedPrompt.system), ChatMessage(role: "user", content: msg)]
                do { return try Completions.chatPlan(model, messages: msgs, parameters: params, numCtx: numCtx) } catch {
                    guard !used.isEmpty else { throw error }
                    used.removeLast()
                }
            }
        }, piece: { text in
            JSON.object([("response", .string(text)), ("done", .bool(false))]).serialized() + "\n"
        }, final: { r, _, total in
            var o: [(String, JSON)] = [("done", .bool(true)), ("done_reason", .string(LAIServer.ollamaDoneReason(r.stats.doneReason)))]
            if !streaming { o.insert(("response", .string(r.text)), at: 0) }
            o.append(("sources", .array(sources.enumerated().map { LAIServer.sourceJSON($1, n: $0 + 1) })))
            o += LAIServer.timings(r.stats, total: total, load: 0)
            return JSON.object(o).serialized() + (streaming ? "\n" : "")
        })
    }
}
