// Qwen3EmbeddingTests: Qwen3-Embedding's layout (a qwen3 decoder with last-token pooling; every text ends with
// <|endoftext|>), made by Tests/Fixtures/hfconvert/make_bpe_folders.py (qwen3-embedding, built by `make hf-bpe`),
// against llama-server's /v1/embeddings on the converter's GGUF (Tests/Fixtures/rerank/make_rerank_fixture.py).
import Foundation
import LAICore
import Testing

@Suite struct Qwen3EmbeddingTests {
    static var folder: URL { Fixtures.cache.appendingPathComponent("hf-bpe/qwen3-embedding") }

    /// Token ids equal llama-server's (EOS appended), vectors within 1e-4 of its normalized embeddings (cosine ≥
    /// 0.99999); the texts sharing the query instruction run it once (the last-token path's shared prefix) and still
    /// give llama-server's vectors; the folder's sentence-transformers prompt and the GGUF's name give the query prefix.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: folder.appendingPathComponent("tokenizer.json").path),
                   "needs the BPE tokenizer folders (make hf-bpe, part of make models)"))
    func matchesLlamaServer() throws {
        let url = Fixtures.repoRoot.appendingPathComponent("Tests/Fixtures/rerank/qwen3-embedding.embeddings.json")
        let ref = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let texts = try #require(ref["texts"] as? [String])
        let want = try #require(ref["embeddings"] as? [[Double]])
        let ids = try #require(ref["llama_server_ids"] as? [[Int]]).map { $0.map(Int32.init) }
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("qwen3-embedding.gguf").path
        _ = try ModelQuantizer.run(input: Self.folder.path, output: out, target: .f32, threads: 2)
        let e = try Embedder(path: out)
        #expect(e.pooling == .last)
        #expect(texts.map { e.tokens($0).ids } == ids)
        let got = try e.embed(texts)
        for (i, (g, w)) in zip(got, want).enumerated() {
            let worst = zip(g, w).map { abs(Double($0) - $1) }.max() ?? .infinity
            let cos = zip(g, w).reduce(0.0) { $0 + Double($1.0) * $1.1 }
            #expect(worst <= 1e-4 && cos >= 0.99999, "text \(i): max |Δ| \(worst), cosine \(cos)")
        }
        // The two queries share the instruction: together or alone, the same vectors.
        let queries = Array(texts.suffix(2))
        let alone = try queries.map { try e.embed([$0])[0] }
        #expect(try e.embed(queries) == alone)
        let prompt = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:"
        #expect(e.queryPrefix == prompt, "from the known-model table by general.name")
        #expect(try Embedder(path: Self.folder.path).queryPrefix == prompt, "from config_sentence_transformers.json")
    }
}
