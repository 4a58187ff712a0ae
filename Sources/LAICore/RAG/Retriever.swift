// Retriever: hybrid retrieval — vector search (exact, or through HNSW graphs on large stores) plus BM25 keyword search, fused by reciprocal rank.

/// One retrieved chunk with its fused score and the ranks that produced it.
package struct RetrievedChunk: Sendable {
    package var row: Int
    package var record: VectorRecord
    /// Reciprocal-rank-fusion score: the sum of 1 / (60 + rank) over the two rankings (rank from 1).
    package var score: Double
    package var vectorRank: Int?
    package var keywordRank: Int?
    /// Cosine (or dot) similarity with the question, when the vector search found it.
    package var similarity: Float?
    /// The reranker's score of (question, chunk), when a reranker ordered the results.
    package var rerankScore: Float?
}

package struct Retriever {
    package let store: any ChunkReader
    package let embedder: TextEmbedder
    /// How many hits each ranking contributes before fusion.
    package var candidates = 50
    /// RRF's constant (Cormack et al. 2009 use 60).
    package var rrfK = 60.0
    /// Exact scan or graph search (by default graphs above `SearchOptions.defaultThreshold` live rows).
    package var search = SearchOptions()
    /// A reranker (cross-encoder or Qwen3-Reranker) that reorders the best fused candidates (`lai ask --rerank`): it reads the question and each
    /// chunk together, which ranks better than either retriever alone, at one model pass per candidate.
    package var reranker: Embedder?
    /// How many fused candidates the reranker scores (at least k).
    package var rerankDepth = 20

    package init(store: any ChunkReader, embedder: TextEmbedder) throws {
        guard embedder.modelName == store.model else {
            throw VectorError.modelMismatch(path: store.location, store: store.model, requested: embedder.modelName)
        }
        guard embedder.dimension == store.dimension else {
            throw VectorError.dimensionMismatch(path: store.location, expected: store.dimension, got: embedder.dimension)
        }
        self.store = store; self.embedder = embedder
    }

    /// The `k` best chunks for `question`, best first.
    package func retrieve(_ question: String, k: Int) throws -> [RetrievedChunk] {
        guard k > 0, store.count > 0 else { return [] }
        let n = max(candidates, k)
        // The prefix the store's documents were embedded for (nomic: "search_query: ").
        guard let q = try embedder.embed([store.queryPrefix + question]).first else { return [] }
        let vec = try store.search(q, k: n, options: search)
        let kw = try store.keywordSearch(question, k: n)
        // Fuse by row, then fetch the text of the k that are returned (one request for a remote store).
        var fused: [Int: (score: Double, vectorRank: Int?, keywordRank: Int?, similarity: Float?)] = [:]
        for (i, h) in vec.enumerated() { fused[h.row] = (1 / (rrfK + Double(i + 1)), i + 1, nil, h.score) }
        for (i, h) in kw.enumerated() {
            let add = 1 / (rrfK + Double(i + 1))
            if fused[h.row] != nil { fused[h.row]?.score += add; fused[h.row]?.keywordRank = i + 1 } else { fused[h.row] = (add, nil, i + 1, nil) }
        }
        let top = fused.sorted { $0.value.score > $1.value.score || ($0.value.score == $1.value.score && $0.key < $1.key) }
            .prefix(reranker == nil ? k : max(k, rerankDepth))
        let records = try store.records(top.map(\.key))
        let chunks = try top.map { row, f in
            guard let r = records[row] else { throw VectorError.invalid("\(store.location): chunk \(row) was found but has no record") }
            return RetrievedChunk(row: row, record: r, score: f.score, vectorRank: f.vectorRank, keywordRank: f.keywordRank, similarity: f.similarity)
        }
        guard let reranker, !chunks.isEmpty else { return chunks }
        // Best reranker score first; ties keep the fused order.
        let ranked = try reranker.rank(query: question, documents: chunks.map(\.record.text), top: k)
        return ranked.map { var c = chunks[$0.index]; c.rerankScore = $0.score; return c }
    }
}
