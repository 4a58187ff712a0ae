// RerankRoutes: llama-server's reranking endpoints (/v1/rerank, /rerank and their /reranking aliases) for
// reranker models (cross-encoders, Qwen3-Reranker): Jina's request and response shape (Cohere's clients read it too), or Hugging Face
// TEI's when the body has "texts" instead of "documents".
import Foundation
import Hummingbird

extension LAIServer {
    func addRerankRoutes(to router: Router<ServeContext>) {
        for path in ["/v1/rerank", "/v1/reranking", "/rerank", "/reranking"] {
            router.post(RouterPath(stringLiteral: path)) { req, ctx in try await self.rerank(self.body(req), ctx) }
        }
    }

    func rerank(_ b: RequestBody, _ ctx: ServeContext) async throws -> Response {
        let requested = try b.requiredString("model")
        guard let query = try b.string("query") else { throw APIError.badRequest("field 'query' is required") }
        let tei = b.has("texts")
        let field = tei ? "texts" : "documents"
        guard let items = try b.array(field), !items.isEmpty else { throw APIError.badRequest("field '\(field)' must be a non-empty array") }
        // Jina and Cohere accept {"text": ...} objects as documents too.
        let documents: [String] = try items.enumerated().map { i, d in
            if let s = d.stringValue { return s }
            if case .object = d, let s = d["text"]?.stringValue { return s }
            throw APIError.badRequest("field '\(field)[\(i)]' must be a string or an object with a 'text' string")
        }
        let top = try b.int("top_n") ?? documents.count
        guard top > 0 else { throw APIError.badRequest("field 'top_n' must be positive") }
        let truncate = try b.bool("truncate") ?? true
        let returnText = try b.bool(tei ? "return_text" : "return_documents") ?? false
        let (ranked, tokens) = try await rank(requested, ctx, query: query, documents: documents, top: top, truncate: truncate)
        let results: [JSON] = ranked.map { r in
            var o: [(String, JSON)] = [("index", .int(r.index)), (tei ? "score" : "relevance_score", JSON.float(r.score))]
            if returnText { o.append(tei ? ("text", .string(documents[r.index])) : ("document", .object([("text", .string(documents[r.index]))]))) }
            return .object(o)
        }
        if tei { return LAIServer.json(.array(results)) }
        return LAIServer.json(.object([("model", .string(requested)), ("object", .string("list")),
                                       ("usage", .object([("prompt_tokens", .int(tokens)), ("total_tokens", .int(tokens))])),
                                       ("results", .array(results))]))
    }

    /// `documents` ranked for `query` by the store's reranker `requested` (loaded on demand, used under its lock,
    /// released after), best first, `top` kept; with the prompt tokens it read (audited and counted here).
    /// 400 for a model without a classification head, and for a pair over the context when `truncate` is false.
    func rank(_ requested: String, _ ctx: ServeContext, query: String, documents: [String], top: Int,
              truncate: Bool = true) async throws -> ([RankedDocument], Int) {
        let (model, _) = try await acquire(requested, ctx)
        let ranked: [RankedDocument], tokens: Int
        do {
            guard case let .embedding(e, lock) = model.kind else {
                throw APIError.badRequest("'\(model.name)' is not a reranker (it is a \(model.summary.architecture ?? "chat") model)")
            }
            guard e.classifier != nil else {
                throw APIError.badRequest("'\(model.name)' is not a reranker: it has no classification head (it embeds; use /v1/embeddings)")
            }
            (ranked, tokens) = documents.isEmpty ? ([], 0) : try await withCheckedThrowingContinuation { cont in
                DispatchQueue.global().async {
                    lock.lock(); defer { lock.unlock() }
                    e.onTruncate = { _, _ in }
                    do {
                        if !truncate {
                            for (i, d) in documents.enumerated() {
                                let n = e.pairTokens(query: query, document: d).fullCount
                                if n > e.maxTokens { throw APIError.badRequest("document \(i) and the query have \(n) tokens, more than the model's context (\(e.maxTokens)); allow truncation or shorten it") }
                            }
                        }
                        let r = try e.rank(query: query, documents: documents, top: top)
                        cont.resume(returning: (r, e.lastTokenCount))
                    } catch let error as APIError {
                        cont.resume(throwing: error)
                    } catch {
                        cont.resume(throwing: APIError.badRequest("\(error)"))
                    }
                }
            }
            await manager.release(model)
        } catch {
            await manager.release(model)
            throw error
        }
        ctx.audit.update { $0.promptTokens = tokens }
        metrics.tokens(model: model.name, prompt: tokens, generated: 0)
        return (ranked, tokens)
    }
}
