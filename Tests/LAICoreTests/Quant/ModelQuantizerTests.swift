// ModelQuantizerTests: tensor order, the Q4_K_M policy on SmolLM2, output metadata, NaN rejection.
import Foundation
import LAICore
import Testing

@Suite struct ModelQuantizerTests {
    @Test func llamaTensorOrder() {
        let names = ["blk.10.attn_q.weight", "token_embd.weight", "blk.2.ffn_up.weight", "output_norm.weight", "blk.2.attn_k.weight"]
        #expect(QuantPolicy.order(names).map { names[$0] } ==
                ["output_norm.weight", "token_embd.weight", "blk.2.attn_k.weight", "blk.2.ffn_up.weight", "blk.10.attn_q.weight"])
    }

    /// SmolLM2 Q4_K_M as LLAMACPP.md describes it: Q5_0 ×166, Q8_0 ×15, Q4_K ×16, Q6_K ×14, F32 ×61,
    /// 180 fallbacks; the token embedding (tied) is Q8_0.
    @Test func smolLM2Q4KMPlan() throws {
        let file = try GGUFFile(path: Fixtures.smolLM2)
        let f16 = try ModelQuantizer.plan(file, target: .f16, pure: false, allowRequantize: true)
        #expect(f16.entries.filter { $0.newType == .f16 }.count == 211)
        // Plan as if the input were F16: the policy only looks at names and shapes.
        var policy = QuantPolicy(target: .q4_K_M, pure: false, metadata: file.metadata, tensorNames: file.tensors.map(\.name))
        var counts: [GGMLType: Int] = [:]
        var embd: GGMLType?
        for i in QuantPolicy.order(file.tensors.map(\.name)) {
            let t = file.tensors[i]
            let ty = policy.type(name: t.name, shape: t.shape, current: t.type == .f32 ? .f32 : .f16)
            counts[ty, default: 0] += 1
            if t.name == "token_embd.weight" { embd = ty }
        }
        #expect(counts == [.q5_0: 166, .q8_0: 15, .q4_K: 16, .q6_K: 14, .f32: 61])
        #expect(policy.fallbacks.count == 180)
        #expect(embd == .q8_0)
        #expect(throws: ModelQuantizeError.self) { try ModelQuantizer.plan(file, target: .q8_0, pure: false, allowRequantize: false) }
    }

    @Test func outputMetadataMovesFileTypeToTheEnd() throws {
        var md = GGUFMetadata()
        md["general.architecture"] = .string("llama")
        md["general.file_type"] = .uint32(3)
        md["general.quantization_version"] = .uint32(2)
        md["split.count"] = .uint16(1)
        md["llama.block_count"] = .uint32(30)
        let out = ModelQuantizer.outputMetadata(md, target: .q4_K_M)
        #expect(out.keys == ["general.architecture", "llama.block_count", "general.quantization_version", "general.file_type"])
        #expect(out.int("general.file_type") == 15)
    }

    @Test func nanInputFailsWithoutOutput() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var x = QuantRef.randomRow(64 * 4, seed: 5)
        x[2 * 64 + 7] = .nan
        let bytes = x.withUnsafeBytes { Array($0) }
        var md = GGUFMetadata()
        md["general.architecture"] = .string("llama")
        let input = dir.appendingPathComponent("nan.gguf").path
        try GGUFWriter.write(path: input, metadata: md, tensors: [
            GGUFTensorSpec(name: "blk.0.ffn_up.weight", type: .f32, shape: [64, 4]) { try $0.write(bytes) },
        ])
        let output = dir.appendingPathComponent("nan-Q8_0.gguf").path
        #expect {
            try ModelQuantizer.run(input: input, output: output, target: .q8_0, threads: 2)
        } throws: { e in
            "\(e)" == "\(input): tensor 'blk.0.ffn_up.weight' has NaN or infinite values (row 2); refusing to write a broken model"
        }
        #expect(!FileManager.default.fileExists(atPath: output))
        #expect((try FileManager.default.contentsOfDirectory(atPath: dir.path)).filter { $0.contains("lai-tmp") }.isEmpty)
    }
}
