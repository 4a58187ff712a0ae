// XLMRobertaEmbeddingTests: a tiny random XLM-RoBERTa (GGUF architecture bert with a Unigram "t5" vocabulary, the
// layout of bge-m3 and multilingual-e5) against llama-server's /v1/embeddings. Tests/Fixtures/ugm holds the converted
// F16 model's weights (xlmr-tiny.weights.gguf, without tokenizer keys) and its vocabulary (ugm-botchan.vocab.gguf);
// put back together they are the file llama-server embedded (make_ugm_fixture.py).
import Foundation
import LAICore
import Testing

@Suite struct XLMRobertaEmbeddingTests {
    static let directory = Fixtures.repoRoot.appendingPathComponent("Tests/Fixtures/ugm")

    /// Writes weights + vocabulary as one GGUF in `dir`.
    static func assemble(in dir: URL) throws -> String {
        let weights = try GGUFFile(path: directory.appendingPathComponent("xlmr-tiny.weights.gguf").path)
        let vocab = try GGUFFile(path: directory.appendingPathComponent("ugm-botchan.vocab.gguf").path)
        var md = weights.metadata
        for (k, v) in vocab.metadata.entries where k.hasPrefix("tokenizer.") { md[k] = v }
        let path = dir.appendingPathComponent("xlmr-tiny.f16.gguf").path
        try withExtendedLifetime(weights) {
            try GGUFWriter.write(path: path, metadata: md, tensors: weights.tensors.map { t in
                GGUFTensorSpec(name: t.name, type: t.type, shape: t.shape, bytes: weights.data(t))
            })
        }
        return path
    }

    @Test(arguments: [Pooling.mean, .cls])
    func embeddingsMatchLlamaServer(_ pooling: Pooling) throws {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent("xlmr-tiny.embeddings.json"))
        let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let texts = try #require(doc["texts"] as? [String])
        let key = pooling == .mean ? "mean" : "cls"
        let want = try #require(doc[key] as? [[Double]])
        #expect(texts.count == 12 && want.count == texts.count)
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let e = try Embedder(path: try Self.assemble(in: dir))
        #expect(e.tokenizer.kind == .ugm)
        e.pooling = pooling
        let got = try e.embed(texts)
        #expect(got.count == texts.count)
        for (i, (g, w)) in zip(got, want).enumerated() {
            #expect(g.count == 32 && w.count == 32)
            var dot = 0.0, ng = 0.0, nw = 0.0
            for (a, b) in zip(g, w) { dot += Double(a) * b; ng += Double(a) * Double(a); nw += b * b }
            let cos = dot / (ng * nw).squareRoot()
            #expect(cos >= 0.9999, "\(key) pooling, text \(i) \(String(reflecting: texts[i])): cosine \(cos)")
        }
    }
}
