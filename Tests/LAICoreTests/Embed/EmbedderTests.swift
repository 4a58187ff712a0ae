// EmbedderTests: all-MiniLM-L6-v2 embeddings against the float64 numpy reference (../shared/ref/minilm-embeddings.json),
// from F32/F16/Q8_0 GGUFs made by lai's quantizer and from the safetensors folder; batching, truncation, decoder pooling.
import Foundation
import LAICore
import Testing

/// The reference sentences, Hugging Face token ids and mean-pooled, L2-normalized embeddings.
struct EmbedReference {
    let sentences: [String]
    let tokenIDs: [[Int32]]
    let embeddings: [[Float]]

    static let shared: EmbedReference? = {
        guard let d = try? Data(contentsOf: Fixtures.ref.appendingPathComponent("minilm-embeddings.json")),
              let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any],
              let s = o["sentences"] as? [String], let t = o["token_ids"] as? [[Int]], let e = o["embeddings"] as? [[Double]] else { return nil }
        return EmbedReference(sentences: s, tokenIDs: t.map { $0.map(Int32.init) }, embeddings: e.map { $0.map(Float.init) })
    }()
}

enum EmbedFixtures {
    /// A GGUF of the MiniLM folder converted by lai's quantizer, cached as `<cache>/converted/minilm-test-<TYPE>.gguf`.
    static func gguf(_ target: QuantTarget) throws -> String {
        let dir = Fixtures.cache.appendingPathComponent("converted")
        let path = dir.appendingPathComponent("minilm-test-\(target.name).gguf").path
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            _ = try ModelQuantizer.run(input: Fixtures.miniLM.path, output: path, target: target, threads: 2)
        }
        return path
    }

    static var available: Bool {
        EmbedReference.shared != nil && FileManager.default.fileExists(atPath: Fixtures.miniLM.appendingPathComponent("model.safetensors").path)
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in 0..<min(a.count, b.count) { ab += Double(a[i]) * Double(b[i]); aa += Double(a[i]) * Double(a[i]); bb += Double(b[i]) * Double(b[i]) }
        return ab / (aa * bb).squareRoot()
    }

    static func maxDiff(_ a: [[Float]], _ b: [[Float]]) -> Float {
        var m: Float = 0
        for (x, y) in zip(a, b) { for (u, v) in zip(x, y) { m = max(m, abs(u - v)) } }
        return m
    }
}

@Suite(.serialized) struct EmbedderTests {
    /// Token ids identical to Hugging Face's and cosine ≥ 0.9999 for every reference sentence.
    func checkAgainstReference(_ e: Embedder, label: String, minCosine: Double) throws -> Double {
        let ref = try #require(EmbedReference.shared)
        for (s, ids) in zip(ref.sentences, ref.tokenIDs) {
            #expect(e.tokens(s).ids == ids, "\(label): token ids of \(s.debugDescription)")
            #expect(e.countTokens(s) == ids.count)
        }
        let vectors = try e.embed(ref.sentences)
        #expect(vectors.count == ref.sentences.count)
        var worst = 1.0
        for (i, (v, r)) in zip(vectors, ref.embeddings).enumerated() {
            #expect(v.count == 384)
            let c = EmbedFixtures.cosine(v, r)
            worst = min(worst, c)
            #expect(c >= minCosine, "\(label): sentence \(i) cosine \(c)")
        }
        print("\(label): OK, min cosine = \(worst)")
        return worst
    }

    @Test(arguments: [QuantTarget.f32, .f16])
    func matchesReference(_ target: QuantTarget) throws {
        guard EmbedFixtures.available else { Issue.record("missing MiniLM or the reference"); return }
        let e = try Embedder(path: try EmbedFixtures.gguf(target))
        #expect(e.dimension == 384 && e.maxTokens == 512 && e.pooling == .mean)
        _ = try checkAgainstReference(e, label: "GGUF \(target.name)", minCosine: 0.9999)
    }

    @Test func matchesReferenceFromSafetensorsFolder() throws {
        guard EmbedFixtures.available else { Issue.record("missing MiniLM or the reference"); return }
        let e = try Embedder(path: Fixtures.miniLM.path)
        #expect(e.modelName == "minilm")
        _ = try checkAgainstReference(e, label: "safetensors folder", minCosine: 0.9999)
        // The converted file is reused, not rewritten.
        let converted = try Embedder.convertedGGUF(folder: Fixtures.miniLM.path, threads: 2)
        let before = try FileManager.default.attributesOfItem(atPath: converted)[.modificationDate] as? Date
        _ = try Embedder(path: Fixtures.miniLM.path)
        #expect(try FileManager.default.attributesOfItem(atPath: converted)[.modificationDate] as? Date == before)
    }

    /// Q8_0 both ways: weights expanded to f32 for BLAS (default) and MatMul's q8_0×q8_0 kernels.
    @Test func q8_0Cosine() throws {
        guard EmbedFixtures.available else { Issue.record("missing MiniLM or the reference"); return }
        let ref = try #require(EmbedReference.shared)
        let path = try EmbedFixtures.gguf(.q8_0)
        let e = try Embedder(path: path)
        let blas = try checkAgainstReference(e, label: "GGUF Q8_0 (f32 BLAS)", minCosine: 0.999)
        let model = try BertModel(file: GGUFFile(path: path), quantizedKernels: true)
        let enc = BertEncoder(model: model)
        var out = [Float](repeating: 0, count: ref.tokenIDs.count * 384)
        out.withUnsafeMutableBufferPointer { enc.encode(ref.tokenIDs, pooling: .mean, normalize: true, into: $0.baseAddress!) }
        var worst = 1.0
        for (i, r) in ref.embeddings.enumerated() { worst = min(worst, EmbedFixtures.cosine(Array(out[(i * 384)..<((i + 1) * 384)]), r)) }
        print("GGUF Q8_0 (q8_0 kernels): min cosine = \(worst); f32 BLAS: \(blas)")
        #expect(worst >= 0.999)
    }

    @Test func sentencePairCosine() throws {
        guard EmbedFixtures.available else { Issue.record("missing MiniLM or the reference"); return }
        let e = try Embedder(path: try EmbedFixtures.gguf(.f32))
        let v = try e.embed(["A man is eating food.", "A man is eating a piece of bread."])
        let c = EmbedFixtures.cosine(v[0], v[1])
        print("cos(eating food, piece of bread) = \(c)")
        #expect(abs(c - 0.7553) < 5e-4)
    }

    /// Packing many texts per forward (and splitting them over several batches) gives the vectors of one at a time.
    @Test func batchingMatchesOneAtATime() throws {
        guard EmbedFixtures.available else { Issue.record("missing MiniLM or the reference"); return }
        let ref = try #require(EmbedReference.shared)
        let e = try Embedder(path: try EmbedFixtures.gguf(.f32))
        let texts = ref.sentences + ref.sentences.map { $0 + " " + $0 } + ref.sentences.reversed()
        let single = try texts.map { try e.embed([$0])[0] }
        let batched = try e.embed(texts)
        let d1 = EmbedFixtures.maxDiff(single, batched)
        e.batchTokens = 512   // several forward passes
        let small = try e.embed(texts)
        let d2 = EmbedFixtures.maxDiff(single, small)
        // Enough texts for many batches: whole batches run on separate threads.
        let many = try e.embed(Array(repeating: texts, count: 12).flatMap { $0 })
        let d3 = EmbedFixtures.maxDiff(Array(repeating: single, count: 12).flatMap { $0 }, many)
        print("batching: OK, maxdiff = \(d1) (one batch), \(d2) (512-token batches), \(d3) (\(many.count) texts, batch per thread)")
        #expect(d1 <= 1e-5 && d2 <= 1e-5 && d3 <= 1e-5)
        #expect(try e.embed([]).isEmpty)
    }

    /// Not a timed test: prints the median latency of one short query (the knowledge base's search path).
    @Test func queryLatency() throws {
        guard EmbedFixtures.available else { Issue.record("missing MiniLM or the reference"); return }
        let e = try Embedder(path: try EmbedFixtures.gguf(.f32))
        let first = try e.embed(["What is the capital of France?"])[0]
        var times: [Double] = []
        for _ in 0..<20 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let v = try e.embed(["What is the capital of France?"])[0]
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            #expect(v == first)
        }
        times.sort()
        print("query latency (9 tokens, \(ThreadPool.shared.threadCount) threads): median \(times[10]) ms, min \(times[0]) ms")
    }

    @Test func longTextsAreTruncatedWithAWarningOrRejected() throws {
        guard EmbedFixtures.available else { Issue.record("missing MiniLM or the reference"); return }
        let path = try EmbedFixtures.gguf(.f32)
        let e = try Embedder(path: path)
        let long = String(repeating: "word ", count: 700)
        var warnings: [(Int, Int)] = []
        e.onTruncate = { warnings.append(($0, $1)) }
        let v = try e.embed(["short", long])
        #expect(v.count == 2 && v[1].count == 384)
        #expect(warnings.count == 1 && warnings.first?.0 == 1 && warnings.first?.1 == 702)
        let ids = e.tokens(long).ids
        #expect(ids.count == 512 && ids.first == 101 && ids.last == 102)
        let strict = try Embedder(path: path, truncate: false)
        #expect(throws: EmbedError.self) { try strict.embed(["short", long]) }
        do { _ = try strict.embed(["short", long]) } catch {
            #expect("\(error)" == "text 1 has 702 tokens, more than the model's 512 (allow truncation to cut it)")
        }
    }

    /// sentence-transformers cuts all-MiniLM-L6-v2's input at its `max_seq_length` (256, in the folder's
    /// sentence_bert_config.json), not at the model's 512 positions: a longer text's vector equals the one
    /// sentence-transformers gives (Tests/Fixtures/embed/minilm-long-text.json, made with it), and differs
    /// from the 512-token one.
    @Test func maxSeqLengthOfSentenceTransformers() throws {
        guard EmbedFixtures.available else { Issue.record("missing MiniLM or the reference"); return }
        let d = try Data(contentsOf: Fixtures.repoRoot.appendingPathComponent("Tests/Fixtures/embed/minilm-long-text.json"))
        let o = try #require(try JSONSerialization.jsonObject(with: d) as? [String: Any])
        let text = try #require(o["text"] as? String), ref = try #require(o["embedding"] as? [Double]).map(Float.init)
        let count = try #require(o["token_count"] as? Int)
        #expect(o["max_seq_length"] as? Int == 256 && count > 256)
        let folder = try Embedder(path: Fixtures.miniLM.path)
        #expect(folder.maxTokens == 256 && folder.countTokens(text) == count)
        var warned = 0
        folder.onTruncate = { _, _ in warned += 1 }
        let cut = EmbedFixtures.cosine(try folder.embed([text])[0], ref)
        let full = try Embedder(path: try EmbedFixtures.gguf(.f32))   // general.name "minilm": no table entry
        #expect(full.maxTokens == 512)
        let whole = EmbedFixtures.cosine(try full.embed([text])[0], ref)
        print("\(count)-token text vs sentence-transformers: cosine \(cut) cut at 256, \(whole) at 512")
        #expect(cut >= 0.9999 && warned == 1)
        #expect(whole < 0.9995)
    }

    @Test func unnormalizedVectorsKeepTheirLength() throws {
        guard EmbedFixtures.available else { Issue.record("missing MiniLM or the reference"); return }
        let path = try EmbedFixtures.gguf(.f32)
        let raw = try Embedder(path: path, normalize: false).embed(["Hello, World!"])[0]
        let unit = try Embedder(path: path).embed(["Hello, World!"])[0]
        let norm = raw.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(abs(norm - 1) > 0.01)
        #expect(EmbedFixtures.cosine(raw, unit) > 0.99999)
        let cls = try Embedder(path: path)
        cls.pooling = .cls
        #expect(EmbedFixtures.cosine(try cls.embed(["Hello, World!"])[0], unit) < 0.999)
    }

    /// A llama-family decoder embeds too (final hidden state after output_norm, mean or last token).
    @Test func decoderEmbeddings() throws {
        guard FileManager.default.fileExists(atPath: Fixtures.smolLM2) else { Issue.record("missing \(Fixtures.smolLM2)"); return }
        let e = try Embedder(path: Fixtures.smolLM2)
        #expect(e.dimension == 576)
        let texts = ["A man is eating food.", "A man is eating a piece of bread.", "Vector databases store embeddings."]
        let v = try e.embed(texts)
        for x in v { #expect(abs(x.reduce(0) { $0 + Double($1) * Double($1) } - 1) < 1e-4) }
        #expect(EmbedFixtures.maxDiff([try e.embed([texts[1]])[0]], [v[1]]) <= 1e-5)
        e.pooling = .last
        let last = try e.embed(texts)
        #expect(EmbedFixtures.cosine(last[0], v[0]) < 0.999)
        #expect(throws: EmbedError.self) { _ = try Embedder(path: Fixtures.vocab.appendingPathComponent("ggml-vocab-gpt-2.gguf").path) }
    }
}

/// The SIMD kernels against their scalar twins.
@Suite struct BertKernelTests {
    @Test func expMatchesExpf() {
        var x = (0..<20_000).map { Float(-87 + 175 * Double($0) / 20_000) }
        let want = x.map { expf($0) }
        BertKernels.exp(&x, x.count)
        var worst: Float = 0
        for (a, b) in zip(x, want) { worst = max(worst, abs(a - b) / b) }
        print("exp: OK, max relative error = \(worst)")
        #expect(worst < 5e-7)
    }

    @Test func geluMatchesErf() {
        var x = (0..<4001).map { Float(-10 + 20 * Double($0) / 4000) }
        var y = x
        BertKernels.gelu(&x, x.count)
        BertKernels.geluReference(&y, y.count)
        let d = zip(x, y).map { abs($0 - $1) }.max() ?? 0
        print("gelu: OK, maxdiff = \(d)")
        #expect(d < 2e-6)
    }

    @Test(arguments: [1, 7, 16, 33, 384, 511])
    func softmaxAndLayerNormMatchReference(_ n: Int) {
        var rng = SplitMix64(seed: UInt64(n))
        let x = (0..<n).map { _ in Float.random(in: -8...8, using: &rng) }
        var a = x, b = x
        BertKernels.softmax(&a, n)
        BertKernels.softmaxReference(&b, n)
        #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 })
        let w = (0..<n).map { _ in Float.random(in: 0.5...1.5, using: &rng) }
        let bias = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
        var fast = [Float](repeating: 0, count: n), slow = fast
        BertKernels.layerNorm(&fast, x, w, bias, n, eps: 1e-12)
        Ops.layerNorm(&slow, x, w, bias, n, eps: 1e-12)
        let d = zip(fast, slow).map { abs($0 - $1) }.max() ?? 0
        #expect(d <= 2e-5, "layerNorm maxdiff \(d)")
    }

    @Test func pooling() {
        let rows: [Float] = [1, 2, 3, 4, 5, 6]   // 3 rows of 2
        var out = [Float](repeating: 0, count: 2)
        Pooling.mean.pool(rows, n: 3, dim: 2, stride: 2, into: &out); #expect(out == [3, 4])
        Pooling.cls.pool(rows, n: 3, dim: 2, stride: 2, into: &out); #expect(out == [1, 2])
        Pooling.last.pool(rows, n: 3, dim: 2, stride: 2, into: &out); #expect(out == [5, 6])
        var z: [Float] = [0, 0]
        Pooling.l2Normalize(&z, 2); #expect(z == [0, 0])
        var v: [Float] = [3, 4]
        Pooling.l2Normalize(&v, 2); #expect(v == [0.6, 0.8])
        #expect(Pooling(name: "CLS") == .cls && Pooling(name: "max") == nil && Pooling(ggufValue: 0) == nil)
    }
}
