// QuantTypeMixTests: every llama.cpp file type lai writes, on SmolLM2's F16, against llama-quantize's files.
import Foundation
import LAICore
import Testing

@Suite struct QuantTypeMixTests {
    /// One row of `Tests/Fixtures/quant-types-smollm2.json` (made by scripts/quant-type-references.py with
    /// llama-quantize 0c1e570 from the F16 that `make derived-models` writes).
    struct Reference: Decodable {
        let type: String
        let file_type: Int?
        let sha256: String?
        let tensor_types: String?
        let refused: String?
    }

    static let references: [Reference] = {
        let url = Fixtures.repoRoot.appendingPathComponent("Tests/Fixtures/quant-types-smollm2.json")
        struct File: Decodable { let types: [Reference] }
        guard let d = try? Data(contentsOf: url), let f = try? JSONDecoder().decode(File.self, from: d) else { return [] }
        return f.types
    }()

    static func reference(_ type: String) -> Reference? { references.first { $0.type == type } }

    /// The per-tensor types of each mix equal llama-quantize's, tensor for tensor (the policy alone: instant).
    @Test(arguments: ["Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K",
                      "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0"])
    func tensorTypesMatchLlamaQuantize(_ name: String) throws {
        guard FileManager.default.fileExists(atPath: Fixtures.smolLM2F16), let ref = Self.reference(name), let want = ref.tensor_types else {
            Issue.record("missing \(Fixtures.smolLM2F16) (make derived-models) or the \(name) reference"); return
        }
        let file = try GGUFFile(path: Fixtures.smolLM2F16)
        let target = try #require(QuantTarget(name: name))
        let (entries, _) = try ModelQuantizer.plan(file, target: target, pure: false, allowRequantize: false)
        #expect(entries.map(\.newType.name).joined(separator: " ") == want)
        #expect(target.fileType == ref.file_type)
    }

    /// Whole files byte-identical to llama-quantize's: the new quantizers on real weights, the mixes, metadata
    /// and layout. SmolLM2's rows of 576 make most K-quant and IQ4_XS tensors fall back to 32-blocks (IQ4_XS's
    /// file is 180 IQ4_NL tensors), ffn_down (rows of 1536) carries the 256-block types (Q2_K, Q3_K, Q4_K,
    /// Q5_K, IQ4_XS, TQ1_0, TQ2_0). The other mixes differ only in the types the plan test checks.
    @Test(arguments: ["Q2_K", "Q3_K_M", "IQ4_XS", "TQ1_0", "TQ2_0"])
    func filesMatchLlamaQuantize(_ name: String) throws {
        guard FileManager.default.fileExists(atPath: Fixtures.smolLM2F16), let want = Self.reference(name)?.sha256 else {
            Issue.record("missing \(Fixtures.smolLM2F16) (make derived-models) or the \(name) reference"); return
        }
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("\(name).gguf").path
        let target = try #require(QuantTarget(name: name))
        _ = try ModelQuantizer.run(input: Fixtures.smolLM2F16, output: out, target: target, threads: 2)
        let mapped = try MappedFile(path: out)
        #expect(SHA256.hash(UnsafeRawBufferPointer(start: mapped.base, count: mapped.count)).hex == want)
    }

    /// Q2_K_S needs an importance matrix; without one llama-quantize refuses, and so does lai, before writing.
    @Test func q2KSRefusesWithoutImportanceMatrix() throws {
        guard FileManager.default.fileExists(atPath: Fixtures.smolLM2F16) else {
            Issue.record("missing \(Fixtures.smolLM2F16) (make derived-models)"); return
        }
        #expect(Self.reference("Q2_K_S")?.refused != nil, "llama-quantize refuses Q2_K_S too")
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("Q2_K_S.gguf").path
        #expect {
            try ModelQuantizer.run(input: Fixtures.smolLM2F16, output: out, target: .q2_K_S, threads: 2)
        } throws: { e in
            "\(e)".hasSuffix("Q2_K_S needs an importance matrix (tensor 'blk.3.ffn_down.weight' would be Q2_K); llama-quantize refuses it without one too")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// llama-quantize's names, case-insensitive, with its aliases Q3_K/Q4_K/Q5_K for the _M mixes.
    @Test func namesAndAliases() {
        #expect(QuantTarget(name: "q4_k") == .q4_K_M)
        #expect(QuantTarget(name: "Q3_K") == .q3_K_M)
        #expect(QuantTarget(name: "Q5_K") == .q5_K_M)
        #expect(QuantTarget(name: "iq4_xs") == .iq4_xs)
        #expect(QuantTarget(name: "Q2_K_S") == .q2_K_S)
        #expect(QuantTarget(name: "q9_9") == nil)
        let fileTypes: [(QuantTarget, Int)] = [(.q2_K, 10), (.q3_K_S, 11), (.q3_K_M, 12), (.q3_K_L, 13), (.q4_K_S, 14),
                                               (.q4_K_M, 15), (.q5_K_S, 16), (.q5_K_M, 17), (.q6_K, 18), (.q2_K_S, 21),
                                               (.iq4_nl, 25), (.iq4_xs, 30), (.tq1_0, 36), (.tq2_0, 37)]
        for (t, n) in fileTypes { #expect(t.fileType == n, "\(t.name)") }
    }

    /// The mix rules that SmolLM2 (n_gqa 3, tied embeddings) does not reach: n_gqa ≥ 4 (Qwen2.5: 14/2 heads)
    /// raises attn_v, and 8 experts raise attn_v/attn_k to Q8_0 and attn_output to Q5_K.
    @Test func groupedQueryAndExpertRules() {
        func plan(_ target: QuantTarget, kv: Int, experts: Int) -> [String: GGMLType] {
            var md = GGUFMetadata()
            md["general.architecture"] = .string("llama")
            md["llama.block_count"] = .uint32(8)
            md["llama.attention.head_count"] = .uint32(16)
            md["llama.attention.head_count_kv"] = .uint32(UInt32(kv))
            if experts > 0 { md["llama.expert_count"] = .uint32(UInt32(experts)) }
            var names = ["output.weight", "token_embd.weight"]
            for l in 0..<8 { names += ["blk.\(l).attn_v.weight", "blk.\(l).attn_k.weight", "blk.\(l).attn_output.weight", "blk.\(l).ffn_down.weight"] }
            var p = QuantPolicy(target: target, pure: false, metadata: md, tensorNames: names)
            var out: [String: GGMLType] = [:]
            for i in QuantPolicy.order(names) { out[names[i]] = p.type(name: names[i], shape: [512, 512], current: .f16) }
            return out
        }
        #expect(plan(.q2_K, kv: 4, experts: 0)["blk.3.attn_v.weight"] == .q4_K)   // n_gqa 4
        #expect(plan(.q2_K, kv: 8, experts: 0)["blk.3.attn_v.weight"] == .q3_K)   // n_gqa 2
        #expect(plan(.iq4_xs, kv: 4, experts: 0)["blk.3.attn_v.weight"] == .q5_K)
        #expect(plan(.iq4_xs, kv: 8, experts: 0)["blk.3.attn_v.weight"] == .iq4_xs)
        #expect(plan(.iq4_xs, kv: 8, experts: 0)["blk.0.ffn_down.weight"] == .q5_K)  // first eighth, no imatrix
        #expect(plan(.iq4_xs, kv: 8, experts: 0)["token_embd.weight"] == .iq4_xs)    // untied: default type
        #expect(plan(.iq4_xs, kv: 8, experts: 0)["output.weight"] == .q6_K)
        let moe = plan(.q4_K_M, kv: 8, experts: 8)
        #expect(moe["blk.3.attn_v.weight"] == .q8_0)
        #expect(moe["blk.3.attn_k.weight"] == .q8_0)
        #expect(moe["blk.3.attn_output.weight"] == .q5_K)
        #expect(plan(.q3_K_M, kv: 8, experts: 0)["blk.1.attn_v.weight"] == .q5_K)  // first two attn_v
        #expect(plan(.q3_K_M, kv: 8, experts: 0)["blk.2.attn_v.weight"] == .q4_K)
        #expect(plan(.tq1_0, kv: 8, experts: 0)["token_embd.weight"] == .q4_K)
    }
}
