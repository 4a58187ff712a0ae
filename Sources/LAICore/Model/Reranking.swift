// Reranking: relevance scores of documents for a query, best first, as llama-server's /rerank orders them.

/// One document's place in a ranking.
package struct RankedDocument: Sendable, Equatable {
    /// The document's 0-based index in the request.
    package var index: Int
    /// The reranker's raw score (a logit: higher is more relevant; llama-server returns the same value).
    package var score: Float
}

extension Embedder {
    /// Scores `documents` for `query` and orders them best first (ties keep request order), keeping `top` of them.
    package func rank(query: String, documents: [String], top: Int? = nil) throws -> [RankedDocument] {
        let scores = try rerank(query: query, documents: documents)
        return RankedDocument.order(scores, top: top)
    }
}

extension RankedDocument {
    /// `scores` by index, best first (NaN last, ties in index order), cut to `top` when given.
    package static func order(_ scores: [Float], top: Int? = nil) -> [RankedDocument] {
        let ranked = scores.enumerated().map { RankedDocument(index: $0.offset, score: $0.element) }.sorted { a, b in
            if a.score.isNaN != b.score.isNaN { return b.score.isNaN }
            return a.score != b.score && !a.score.isNaN ? a.score > b.score : a.index < b.index
        }
        return Array(ranked.prefix(max(0, top ?? ranked.count)))
    }
}
