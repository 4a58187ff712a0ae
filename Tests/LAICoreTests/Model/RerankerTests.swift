// RerankerTests: cross-encoder rerankers (BERT-family GGUFs with a classification head, llama.cpp's rank pooling)
// against llama-server's /v1/rerank and transformers. The tiny random checkpoints are Tests/Fixtures/hfconvert's
// xlm-roberta-reranker (bge-reranker-v2-m3's XLMRobertaForSequenceClassification layout) and bert-reranker (a
// BertForSequenceClassification cross-encoder); Tests/Fixtures/rerank/*.scores.json hold llama-server's responses
// for a query and six documents and, for XLM-RoBERTa, transformers' logits and token ids (make_rerank_fixture.py).
import Foundation
import LAICore
import Testing

@Suite struct RerankerTests {
    struct Reference {
        let query: String
        let documents: [String]
        let llamaScores: [Double]        // by document index
        let llamaOrder: [Int]
        let llamaTokens: Int
        let transformersLogits: [Double]?
        let transformersIds: [[Int32]]?
    }

    static func reference(_ name: String) throws -> Reference {
        let url = Fixtures.repoRoot.appendingPathComponent("Tests/Fixtures/rerank/\(name).scores.json")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let server = try #require(doc["llama_server_v1_rerank"] as? [String: Any])
        let results = try #require(server["results"] as? [[String: Any]])
        let docs = try #require(doc["documents"] as? [String])
        var scores = [Double](repeating: .nan, count: docs.count)
        for r in results { scores[try #require(r["index"] as? Int)] = try #require(r["relevance_score"] as? Double) }
        let usage = try #require(server["usage"] as? [String: Any])
        return Reference(query: try #require(doc["query"] as? String), documents: docs, llamaScores: scores,
                         llamaOrder: results.map { $0["index"] as! Int }, llamaTokens: try #require(usage["prompt_tokens"] as? Int),
                         transformersLogits: doc["transformers_logits"] as? [Double],
                         transformersIds: (doc["transformers_ids"] as? [[Int]])?.map { $0.map(Int32.init) })
    }

    /// The HF folder converted by lai (F32), opened as an embedder.
    static func reranker(_ name: String, in dir: URL) throws -> Embedder {
        let out = dir.appendingPathComponent("\(name).gguf").path
        _ = try ModelQuantizer.run(input: Fixtures.repoRoot.appendingPathComponent("Tests/Fixtures/hfconvert/\(name)").path,
                                   output: out, target: .f32, threads: 2)
        return try Embedder(path: out, normalize: false)
    }

    /// Scores within 2e-3 of llama-server's (its own flash-attention on/off spread on this fixture is 9e-4), the same
    /// order, the same token count (so the pairs were built alike); XLM-RoBERTa also within 1e-4 of transformers with
    /// identical token ids.
    @Test(arguments: ["xlm-roberta-reranker", "bert-reranker"])
    func scoresMatchLlamaServer(name: String) throws {
        let ref = try Self.reference(name)
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let e = try Self.reranker(name, in: dir)
        let head = try #require(e.classifier)
        #expect(head.outputs == 1 && head.labels == ["LABEL_0"])
        #expect((head.dense != nil) == (name == "xlm-roberta-reranker"), "RoBERTa's head has a dense layer, BERT's (as converted) only the projection")
        let scores = try e.rerank(query: ref.query, documents: ref.documents)
        #expect(e.lastTokenCount == ref.llamaTokens)
        let worst = zip(scores, ref.llamaScores).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(worst <= 2e-3, "max |Δscore| vs llama-server \(worst)")
        #expect(try e.rank(query: ref.query, documents: ref.documents).map(\.index) == ref.llamaOrder)
        if let logits = ref.transformersLogits, let ids = ref.transformersIds {
            let worstHF = zip(scores, logits).map { abs(Double($0) - $1) }.max() ?? .infinity
            #expect(worstHF <= 5e-4, "max |Δscore| vs transformers \(worstHF)")
            #expect(ref.documents.map { e.pairTokens(query: ref.query, document: $0).ids } == ids)
        }
    }

    static var bpeFolders: URL { Fixtures.cache.appendingPathComponent("hf-bpe") }

    /// Qwen3-Reranker-0.6B's layout (a decoder: make_bpe_folders.py qwen3-reranker, converted here by lai): each
    /// prompt is the converter's "rerank" template filled in — token ids equal llama-server's /tokenize and
    /// transformers' — and the score, softmax(yes, no)[0] at the last token, is within 1e-4 of llama-server's
    /// /v1/rerank and within 5e-4 of transformers' Qwen3ForCausalLM (llama.cpp and lai keep K/V in f16; llama-server
    /// itself is 1.6e-4 from transformers here), in the same order with the same token count. The same for
    /// Qwen3-VL-Reranker's layout (arch qwen3vl, text prompts; transformers' Qwen3VLForConditionalGeneration).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: bpeFolders.appendingPathComponent("qwen3-vl-reranker/tokenizer.json").path),
                   "needs the BPE tokenizer folders (make hf-bpe, part of make models)"),
          arguments: ["qwen3-reranker", "qwen3-vl-reranker"])
    func qwen3RerankerMatchesLlamaServerAndTransformers(name: String) throws {
        let ref = try Self.reference(name)
        let url = Fixtures.repoRoot.appendingPathComponent("Tests/Fixtures/rerank/\(name).scores.json")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let serverIds = try #require(doc["llama_server_ids"] as? [[Int]]).map { $0.map(Int32.init) }
        let hfScores = try #require(doc["transformers_scores"] as? [Double])
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("\(name).gguf").path
        _ = try ModelQuantizer.run(input: Self.bpeFolders.appendingPathComponent(name).path, output: out, target: .f32, threads: 2)
        let e = try Embedder(path: out, normalize: false)
        let head = try #require(e.classifier)
        #expect(head.outputs == 2 && head.labels == ["yes", "no"] && head.softmax)
        #expect(e.rerankTemplate?.contains("{document}") == true)
        #expect(ref.documents.map { e.pairTokens(query: ref.query, document: $0).ids } == serverIds)
        #expect(ref.transformersIds == serverIds)
        let scores = try e.rerank(query: ref.query, documents: ref.documents)
        #expect(e.lastTokenCount == ref.llamaTokens)
        let worst = zip(scores, ref.llamaScores).map { abs(Double($0) - $1) }.max() ?? .infinity
        let worstHF = zip(scores, hfScores).map { abs(Double($0) - $1) }.max() ?? .infinity
        #expect(worst <= 1e-4, "max |Δscore| vs llama-server \(worst)")
        #expect(worstHF <= 5e-4, "max |Δscore| vs transformers \(worstHF)")
        #expect(try e.rank(query: ref.query, documents: ref.documents).map(\.index) == ref.llamaOrder)
        // Together, the prompts' shared tokens (template and query) run once; alone, each runs whole: the same
        // scores, bit for bit — short documents (the fixture's: fewer rows than a flash-attention tile after the
        // shared part) and long ones (reused).
        let long = [String](repeating: "Botchan was a boy who was always getting into trouble. ", count: 12).joined()
        for docs in [ref.documents, [long, "trouble " + long, long + " The end.", "I'm sure you don't know. " + long]] {
            let together = try e.rerank(query: ref.query, documents: docs)
            let alone = try docs.map { try e.rerank(query: ref.query, documents: [$0])[0] }
            #expect(alone == together, "scores with the shared prefix run once \(together) vs one by one \(alone)")
        }
        // A long document is cut so the whole prompt fits, the template's end kept.
        let longer = String(repeating: "Botchan was a boy who was always getting into trouble. ", count: 400)
        let p = e.pairTokens(query: ref.query, document: longer)
        #expect(p.fullCount > e.maxTokens && p.ids.count <= e.maxTokens && p.ids.count > e.maxTokens - 16)
        #expect(Array(p.ids.suffix(5)) == Array(serverIds[0].suffix(5)), "the prompt still ends with the assistant turn")
    }

    /// A pair longer than the context loses the document's tail first, then the query's; the closing EOS stays.
    @Test func longPairsAreCutFromTheDocument() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let e = try Self.reranker("xlm-roberta-reranker", in: dir)
        let long = String(repeating: "Botchan was a boy who was always getting into trouble. ", count: 20)
        let p = e.pairTokens(query: "trouble", document: long)
        #expect(p.fullCount > e.maxTokens && p.ids.count == e.maxTokens)
        let q = e.tokenizer.encode("trouble", addSpecial: false)
        #expect(Array(p.ids.prefix(q.count + 3)) == [0] + q + [2, 2] && p.ids.last == 2)
        let both = e.pairTokens(query: long, document: long)
        #expect(both.ids.count == e.maxTokens && both.ids.suffix(3) == [2, 2, 2], "the document is emptied, then the query cut")
        var cut: [Int] = []
        e.onTruncate = { i, _ in cut.append(i) }
        #expect(try e.rerank(query: "trouble", documents: ["short", long]).count == 2)
        #expect(cut == [1])
        let strict = try Embedder(path: dir.appendingPathComponent("xlm-roberta-reranker.gguf").path, truncate: false)
        #expect(throws: EmbedError.self) { try strict.rerank(query: "trouble", documents: [long]) }
    }

    /// An embedding model has no head: one line naming the file and what is missing.
    @Test func embeddersAreNotRerankers() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let e = try Self.reranker("xlm-roberta", in: dir)
        #expect(e.classifier == nil)
        do {
            _ = try e.rerank(query: "q", documents: ["d"])
            Issue.record("an embedder reranked")
        } catch {
            let m = "\(error)"
            #expect(m.contains("xlm-roberta.gguf") && m.contains("no classification head") && !m.contains("\n"), "\(m)")
        }
    }

    /// Best first, ties in request order, NaN last, `top` cuts.
    @Test func rankingOrder() {
        let r = RankedDocument.order([0.5, .nan, 2, 0.5, -1])
        #expect(r.map(\.index) == [2, 0, 3, 4, 1])
        #expect(RankedDocument.order([0.5, .nan, 2, 0.5, -1], top: 2).map(\.index) == [2, 0])
        #expect(RankedDocument.order([], top: 3).isEmpty)
    }
}
