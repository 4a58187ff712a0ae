// EmbeddingGemmaTests: EmbeddingGemma-300M (GGUF architecture gemma-embedding: gemma3 blocks run bidirectionally with
// a symmetric sliding window, mean pooling, two sentence-transformers Dense layers) against llama.cpp's llama-embedding
// (Tests/Fixtures/embed/embeddinggemma-300m.json, made by scripts/embeddinggemma-reference.py; llama.cpp's vectors
// agree with sentence-transformers' to cosine 0.99999997).
import Foundation
import LAICore
import Testing

struct EmbeddingGemmaReference {
    let tool: String
    let sentences: [String]
    let embeddings: [[Float]]

    static let url = Fixtures.repoRoot.appendingPathComponent("Tests/Fixtures/embed/embeddinggemma-300m.json")
    /// EmbeddingGemma with its Dense layers: LAI_EMBEDDINGGEMMA names a GGUF (e.g. from convert_hf_to_gguf.py
    /// --sentence-transformers-dense-modules), else lai converts the folder `make embeddinggemma` fetches with
    /// `--sentence-transformers-dense-modules` once per test run (into the model cache, beside the folder).
    /// The path, or why lai's conversion failed (a failure, not a skip).
    static let conversion: Result<String, Error> = Result {
        if let m = ProcessInfo.processInfo.environment["LAI_EMBEDDINGGEMMA"], !m.isEmpty { return m }
        let folder = Fixtures.cache.appendingPathComponent("embeddinggemma-300m")
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) else { return "" }
        let out = Fixtures.cache.appendingPathComponent("converted/embeddinggemma-300m-dense-F32.gguf").path
        try? FileManager.default.createDirectory(at: Fixtures.cache.appendingPathComponent("converted"), withIntermediateDirectories: true)
        _ = try ModelQuantizer.run(input: folder.path, output: out, target: .f32, threads: 2, denseModules: true)
        return out
    }
    static var model: String { (try? conversion.get()) ?? "" }

    static let shared: EmbeddingGemmaReference? = {
        guard let d = try? Data(contentsOf: url), let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any],
              let s = o["sentences"] as? [String], let e = o["embeddings"] as? [[Double]] else { return nil }
        return EmbeddingGemmaReference(tool: o["tool"] as? String ?? "", sentences: s, embeddings: e.map { $0.map(Float.init) })
    }()

    /// A GGUF is named, or the folder is there to convert (a failed conversion then fails the tests).
    static var available: Bool {
        if case .failure = conversion { return true }
        return !model.isEmpty && FileManager.default.fileExists(atPath: model)
    }
}

@Suite(.serialized) struct EmbeddingGemmaTests {
    @Test(.enabled(if: EmbeddingGemmaReference.available, "needs EmbeddingGemma-300M (make embeddinggemma) or LAI_EMBEDDINGGEMMA=<a GGUF of it with its Dense layers>"))
    func matchesLlamaEmbedding() throws {
        let ref = try #require(EmbeddingGemmaReference.shared, "Tests/Fixtures/embed/embeddinggemma-300m.json is missing or malformed")
        let e = try Embedder(path: try EmbeddingGemmaReference.conversion.get())
        #expect(e.dimension == 768 && e.pooling == .mean)
        let vectors = try e.embed(ref.sentences)
        var worst = 1.0
        for (i, (v, r)) in zip(vectors, ref.embeddings).enumerated() {
            let c = EmbedFixtures.cosine(v, r)
            worst = min(worst, c)
            #expect(c >= 0.9999, "sentence \(i) \(ref.sentences[i].debugDescription): cosine \(c)")
        }
        print(String(format: "gemma-embedding vs %@: min cosine %.7f over %d sentences", ref.tool, worst, vectors.count))
    }

    /// A bidirectional model cannot generate: lai run's loader says so instead of producing noise.
    @Test(.enabled(if: EmbeddingGemmaReference.available, "needs EmbeddingGemma-300M (see matchesLlamaEmbedding)"))
    func refusesGeneration() throws {
        let path = try EmbeddingGemmaReference.conversion.get()
        #expect { try LanguageModel(path: path) } throws: { "\($0)".contains("is an embedding model (bidirectional attention): use lai embed") }
    }
}
