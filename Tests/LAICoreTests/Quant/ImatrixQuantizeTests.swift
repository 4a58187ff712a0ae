// ImatrixQuantizeTests: quantizing SmolLM2's F16 with llama.cpp's imatrix, against llama-quantize --imatrix.
//
// Tests/Fixtures/imatrix holds llama-imatrix's file for SmolLM2-135M-Instruct Q4_1 on ../shared/ref/ppl-text.txt
// (2 chunks of 512) and the digests of llama-quantize --imatrix's outputs from the F16 file `make
// derived-models` makes (scripts/imatrix-compare.sh made both): every tensor of blocks 0–1 per type, and the
// whole file for the types whose mix lai's policy reproduces.
import Foundation
import LAICore
import Testing

enum ImatrixRef {
    static let dir = Fixtures.repoRoot.appendingPathComponent("Tests/Fixtures/imatrix")
    static let imatrix = dir.appendingPathComponent("smollm2-ppl-2x512.imatrix.gguf").path
    /// quant-digests.json: `imatrix_file` (the path llama-quantize recorded) and per type the whole-file
    /// sha256 and, per tensor of blocks 0–1, the type and sha256 of its data.
    static let digests: (file: String, types: [String: (sha: String, tensors: [String: (type: String, sha: String)])]) = {
        guard let data = try? Data(contentsOf: dir.appendingPathComponent("quant-digests.json")),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let files = obj["files"] as? [String: [String: Any]] else { return ("", [:]) }
        var out: [String: (sha: String, tensors: [String: (type: String, sha: String)])] = [:]
        for (type, f) in files {
            var ts: [String: (type: String, sha: String)] = [:]
            for (name, info) in f["tensors"] as? [String: [String: String]] ?? [:] { ts[name] = (info["type"] ?? "", info["sha256"] ?? "") }
            out[type] = (f["sha256"] as? String ?? "", ts)
        }
        return (obj["imatrix_file"] as? String ?? "", out)
    }()
}

@Suite struct ImatrixQuantizeTests {
    /// Each tensor of blocks 0–1, quantized to the type llama-quantize gave it with that tensor's imatrix
    /// weights, has llama-quantize's bytes: the weighted quantizers on real weights, per type.
    @Test(arguments: ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K_M", "Q5_K_M", "Q6_K"])
    func tensorsMatchLlamaQuantize(type: String) throws {
        let ref = try #require(ImatrixRef.digests.types[type], "no digests for \(type) in Tests/Fixtures/imatrix/quant-digests.json")
        #expect(ref.tensors.count >= 18)
        let weights = try QuantImatrix(path: ImatrixRef.imatrix).weights
        let f16 = try GGUFFile(path: Fixtures.smolLM2F16)
        for (name, r) in ref.tensors.sorted(by: { $0.key < $1.key }) {
            let t = try #require(f16.tensor(named: name))
            let target = try #require(GGMLType.allCases.first { $0.name == r.type }, "\(r.type)")
            if target == t.type { continue }   // norms stay F32
            let n = target.rowBytes(t.shape[0])! * t.rowCount
            var out = [UInt8](repeating: 0, count: n)
            let w = weights[name] ?? []
            try w.withUnsafeBufferPointer { wp in
                try out.withUnsafeMutableBytes { o in
                    try ModelQuantizer.convert(src: f16.data(t).baseAddress!, from: t.type, to: o.baseAddress!, as: target,
                                               rowLength: t.shape[0], rows: t.rowCount, threads: 2,
                                               weights: wp.isEmpty ? nil : wp.baseAddress, rowsPerWeights: t.shape[1])
                }
            }
            #expect(SHA256.hash(out).hex == r.sha, "\(type): \(name) as \(r.type)")
        }
    }

    /// The whole Q4_0 file equals llama-quantize --imatrix's: the weighted Q4_0/Q4_1, the imatrix rule that gives
    /// the first ffn_down layers Q4_1, and the quantize.imatrix.* keys.
    @Test func wholeFileMatchesLlamaQuantize() throws {
        let ref = try #require(ImatrixRef.digests.types["Q4_0"])
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var im = try QuantImatrix(path: ImatrixRef.imatrix)
        im.file = ImatrixRef.digests.file   // the path llama-quantize was given
        let out = dir.appendingPathComponent("q4_0.gguf").path
        let r = try ModelQuantizer.run(input: Fixtures.smolLM2F16, output: out, target: .q4_0, threads: 2, imatrix: im)
        #expect(r.imatrixMissing == ["token_embd.weight"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(SHA256.hash(Array(bytes)).hex == ref.sha)
        let f = try GGUFFile(path: out)
        #expect(f.metadata.string("quantize.imatrix.file") == ImatrixRef.digests.file)
        #expect(f.metadata.int("quantize.imatrix.entries_count") == 210)
        #expect(f.metadata.int("quantize.imatrix.chunks_count") == 2)
        #expect(f.tensor(named: "blk.2.ffn_down.weight")?.type == .q4_1 && f.tensor(named: "blk.3.ffn_down.weight")?.type == .q4_0)
    }

    /// llama.cpp gives the ffn_down of the first eighth of the layers Q5_K in IQ4_NL/IQ4_XS files only without an
    /// importance matrix; with one they keep the file's type (found by comparing whole files with llama-quantize
    /// --imatrix: these 3 of 272 tensors were the only difference).
    @Test(arguments: [QuantTarget.iq4_xs, .iq4_nl])
    func iq4KeepsItsTypeInEarlyFfnDownWithAnImatrix(target: QuantTarget) throws {
        let f16 = try GGUFFile(path: Fixtures.smolLM2F16)
        func types(_ imatrix: Bool) throws -> [String: GGMLType] {
            let plan = try ModelQuantizer.plan(f16, target: target, pure: false, allowRequantize: false, hasImatrix: imatrix).entries
            return Dictionary(uniqueKeysWithValues: plan.map { ($0.tensor.name, $0.newType) })
        }
        let with = try types(true), without = try types(false)
        for i in 0..<3 {
            #expect(without["blk.\(i).ffn_down.weight"] == .q5_K)
            #expect(with["blk.\(i).ffn_down.weight"] == target.defaultType)
        }
        #expect(with["blk.3.ffn_down.weight"] == without["blk.3.ffn_down.weight"])
    }

    /// An entry whose length does not fit the tensor stops the conversion before anything is written.
    @Test func mismatchedEntryIsAnError() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var im = try QuantImatrix(path: ImatrixRef.imatrix)
        im.weights["blk.0.attn_q.weight"] = [1, 2, 3]
        let out = dir.appendingPathComponent("bad.gguf").path
        do {
            _ = try ModelQuantizer.run(input: Fixtures.smolLM2F16, output: out, target: .q4_K_M, threads: 2, imatrix: im)
            Issue.record("accepted a mismatched imatrix entry")
        } catch {
            #expect("\(error)".hasPrefix("imatrix size 3 is different from tensor size 576 for blk.0.attn_q.weight"))
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}

/// lai imatrix beside llama-imatrix on the same model and text.
@Suite struct ImatrixComputationTests {
    /// SmolLM2 Q4_1 on the first 2 chunks of 512 tokens of ppl-text.txt: the same entries as llama-imatrix's
    /// file, the same counts, sums within 1e-4 relative (measured: 1.0e-5; different kernels, same arithmetic otherwise).
    @Test func matchesLlamaImatrix() throws {
        let lm = try LanguageModel(path: Fixtures.smolLM2)
        let text = try String(contentsOf: Fixtures.ref.appendingPathComponent("ppl-text.txt"), encoding: .utf8)
        let tokens = lm.tokenizer.encode(text, addSpecial: true, parseSpecial: false)
        let session = DecoderSession(model: lm.model, contextSize: 512, batchCapacity: 512)
        let collector = ImatrixCollector(file: lm.model.file)
        let r = try ImatrixComputation.run(session: session, tokens: tokens, context: 512, chunks: 2,
                                           bos: lm.tokenizer.addBOS ? lm.tokenizer.bos : nil, collector: collector)
        #expect(r.chunks == 2)
        let ours = collector.importanceMatrix(datasets: ["ppl-text.txt"], chunkSize: 512)
        let theirs = try ImportanceMatrix(path: ImatrixRef.imatrix)
        #expect(ours.chunkCount == theirs.chunkCount && ours.chunkSize == theirs.chunkSize)
        #expect(ours.entries.keys.sorted() == theirs.entries.keys.sorted())
        var worst: Float = 0, worstName = ""
        for (name, e) in theirs.entries {
            let o = try #require(ours.entries[name], "\(name)")
            #expect(o.counts == e.counts, "\(name)")
            #expect(o.sums.count == e.sums.count, "\(name)")
            for (a, b) in zip(o.sums, e.sums) {
                let rel = abs(a - b) / max(abs(b), 1e-30)
                if rel > worst { worst = rel; worstName = name }
            }
        }
        #expect(worst < 1e-4, "max relative difference \(worst) in \(worstName)")
    }
}
