// NomicBertTests: nomic-embed-text-v1.5 (GGUF architecture nomic-bert: RoPE, fused attn_qkv, SwiGLU) against
// llama.cpp's llama-embedding (../shared/ref/real/nomic-embed-text-v1.5.json, mean pooling, L2-normalized).
import Foundation
import LAICore
import Testing

struct NomicReference {
    let tool: String
    let sentences: [String]
    let embeddings: [[Float]]
    let firstSentenceIDs: [Int32]

    static let url = Fixtures.ref.appendingPathComponent("real/nomic-embed-text-v1.5.json")
    static var model: String { Fixtures.cache.appendingPathComponent("nomic/nomic-embed-text-v1.5.f16.gguf").path }

    static let shared: NomicReference? = {
        guard let d = try? Data(contentsOf: url), let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any],
              let s = o["sentences"] as? [String], let e = o["embeddings"] as? [[Double]] else { return nil }
        // first_sentence_ids is stored as the text of a JSON array.
        let idsValue = o["first_sentence_ids"]
        let ids: [Int]? = (idsValue as? [Int]) ?? (idsValue as? String).flatMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [Int]
        }
        guard let ids else { return nil }
        return NomicReference(tool: o["tool"] as? String ?? "", sentences: s, embeddings: e.map { $0.map(Float.init) },
                              firstSentenceIDs: ids.map(Int32.init))
    }()

    static var available: Bool { shared != nil && FileManager.default.fileExists(atPath: model) }
}

@Suite(.serialized) struct NomicBertTests {
    @Test(.enabled(if: NomicReference.available,
                   "needs ~/.cache/lai/nomic/nomic-embed-text-v1.5.f16.gguf (make models) and ../shared/ref/real/nomic-embed-text-v1.5.json"))
    func matchesLlamaEmbedding() throws {
        let ref = try #require(NomicReference.shared)
        let loadStart = Date()
        let e = try Embedder(path: NomicReference.model)
        let loaded = Date().timeIntervalSince(loadStart)
        #expect(e.dimension == 768 && e.maxTokens == 2048 && e.pooling == .mean)
        #expect(e.tokens(ref.sentences[0]).ids == ref.firstSentenceIDs, "token ids of \(ref.sentences[0].debugDescription)")

        let start = Date()
        let vectors = try e.embed(ref.sentences)
        let seconds = Date().timeIntervalSince(start)
        #expect(vectors.count == ref.sentences.count)
        var worst = 1.0, sum = 0.0
        for (i, (v, r)) in zip(vectors, ref.embeddings).enumerated() {
            #expect(v.count == 768)
            let c = EmbedFixtures.cosine(v, r)
            worst = min(worst, c)
            sum += c
            #expect(c >= 0.9999, "sentence \(i) \(ref.sentences[i].debugDescription): cosine \(c)")
        }
        print(String(format: "nomic-bert vs %@: min cosine %.7f, mean %.7f over %d sentences (%d tokens); load %.2f s, embed %.3f s",
                     ref.tool, worst, sum / Double(vectors.count), vectors.count, e.lastTokenCount, loaded, seconds))
    }

    /// Packing texts into one batch or embedding them one by one gives the same vectors (positions restart per text).
    @Test(.enabled(if: NomicReference.available, "needs the nomic-embed-text-v1.5 GGUF and its reference"))
    func batchedEqualsOneByOne() throws {
        let ref = try #require(NomicReference.shared)
        let e = try Embedder(path: NomicReference.model)
        let texts = Array(ref.sentences.prefix(4))
        let together = try e.embed(texts)
        for (i, t) in texts.enumerated() {
            let alone = try e.embed([t])[0]
            #expect(EmbedFixtures.cosine(alone, together[i]) > 0.999999, "text \(i)")
        }
    }
}
