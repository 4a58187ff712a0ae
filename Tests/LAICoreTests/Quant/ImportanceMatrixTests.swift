// ImportanceMatrixTests: imatrix files (GGUF and legacy .dat) written and read back, llama-quantize's
// conversion to weights, and one-line errors (never a crash) for truncated or garbage files.
import Foundation
import LAICore
import Testing

@Suite struct ImportanceMatrixTests {
    /// A dense entry (4 columns, 1024 tokens) and an expert entry (3 columns × 4 experts, expert 2 unused).
    static func sample() -> ImportanceMatrix {
        var m = ImportanceMatrix()
        m.datasets = ["some text.txt"]
        m.chunkCount = 2
        m.chunkSize = 512
        m.hasMetadata = true
        m.entries["blk.0.attn_q.weight"] = ImatrixEntry(sums: [1, 2, 3, 4096], counts: [1024])
        m.entries["blk.0.ffn_up_exps.weight"] = ImatrixEntry(sums: [3, 6, 9, 1, 1, 1, 5, 5, 5, 0.5, 1.5, 2.5], counts: [3, 1, 0, 5])
        return m
    }

    @Test func ggufRoundTripAndLayout() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.gguf").path
        try Self.sample().write(path: path)
        let f = try GGUFFile(path: path)
        // llama-imatrix's layout: keys in its order, tensors sorted by name, trailing dimensions of 1 dropped.
        #expect(f.metadata.keys == ["general.type", "imatrix.datasets", "imatrix.chunk_count", "imatrix.chunk_size"])
        #expect(f.metadata.string("general.type") == "imatrix")
        #expect(f.tensors.map(\.name) == ["blk.0.attn_q.weight.in_sum2", "blk.0.attn_q.weight.counts",
                                          "blk.0.ffn_up_exps.weight.in_sum2", "blk.0.ffn_up_exps.weight.counts"])
        #expect(f.tensors.map(\.shape) == [[4], [1], [3, 4], [1, 4]])
        let back = try ImportanceMatrix(path: path)
        #expect(back.entries == Self.sample().entries)
        #expect(back.datasets == ["some text.txt"] && back.chunkCount == 2 && back.chunkSize == 512)
        #expect(back.hasMetadata && !back.isLegacy)
    }

    /// llama-quantize's load_imatrix: sums / count per expert, 1 for an expert that saw nothing.
    @Test func quantizationWeightsDividePerExpert() throws {
        let w = try Self.sample().quantizationWeights(path: "x")
        #expect(w["blk.0.attn_q.weight"] == [Float(1) / 1024, Float(2) / 1024, Float(3) / 1024, 4])
        #expect(w["blk.0.ffn_up_exps.weight"] == [1, 2, 3, 1, 1, 1, 1, 1, 1, 0.1, 0.3, 0.5])
    }

    @Test func legacyRoundTrip() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.dat").path
        try Self.sample().write(path: path)
        let back = try ImportanceMatrix(path: path)
        #expect(back.isLegacy && back.chunkCount == 2 && back.datasets == ["some text.txt"])
        // ncall = ⌈max count / chunk size⌉ = 2 (dense) and 1 (experts); values are averages × ncall.
        #expect(back.entries["blk.0.attn_q.weight"]?.counts == [2])
        #expect(back.entries["blk.0.ffn_up_exps.weight"]?.counts == [1])
        let a = try Self.sample().quantizationWeights(path: "a"), b = try back.quantizationWeights(path: "b")
        for (name, wa) in a {
            let wb = try #require(b[name])
            // the unused expert is stored as 1 in legacy files too
            #expect(zip(wa, wb).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($0)) }, "\(name): \(wa) vs \(wb)")
        }
    }

    @Test func ggufWithoutMetadataIsRefusedForQuantization() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bare.gguf").path
        let spec = [Float](repeating: 1, count: 4), one: [Float] = [8]
        try spec.withUnsafeBytes { s in
            try one.withUnsafeBytes { c in
                try GGUFWriter.write(path: path, metadata: GGUFMetadata(), tensors: [
                    GGUFTensorSpec(name: "blk.0.attn_q.weight.in_sum2", type: .f32, shape: [4], bytes: s),
                    GGUFTensorSpec(name: "blk.0.attn_q.weight.counts", type: .f32, shape: [1], bytes: c),
                ])
            }
        }
        let m = try ImportanceMatrix(path: path)
        #expect(!m.hasMetadata)
        #expect(throws: ImatrixError.self) { try QuantImatrix(path: path) }
        do { _ = try QuantImatrix(path: path) } catch { #expect("\(error)".hasPrefix(path + ": missing imatrix metadata")) }
    }

    @Test func unpairedSumsAreAnError() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("unpaired.gguf").path
        let s: [Float] = [1, 2]
        try s.withUnsafeBytes { b in
            try GGUFWriter.write(path: path, metadata: GGUFMetadata(), tensors: [GGUFTensorSpec(name: "blk.3.ffn_down.weight.in_sum2", type: .f32, shape: [2], bytes: b)])
        }
        do {
            _ = try ImportanceMatrix(path: path)
            Issue.record("accepted sums without counts")
        } catch {
            #expect("\(error)" == "\(path): tensor 'blk.3.ffn_down.weight': .counts is missing (sums and counts come in pairs)")
        }
    }

    /// Every prefix of a GGUF and a legacy file, and seeded garbage: read or a one-line error naming the file.
    @Test func truncatedAndGarbageFilesFailCleanly() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var originals: [[UInt8]] = []
        for ext in ["gguf", "dat"] {
            let p = dir.appendingPathComponent("full.\(ext)").path
            try Self.sample().write(path: p)
            originals.append(Array(try Data(contentsOf: URL(fileURLWithPath: p))))
        }
        var cases: [[UInt8]] = []
        for full in originals {
            for n in 0..<full.count { cases.append(Array(full.prefix(n))) }
            // flipped bytes throughout
            var rng = SplitMix64(seed: UInt64(full.count))
            for _ in 0..<64 {
                var b = full
                for _ in 0..<4 { b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
                cases.append(b)
            }
        }
        var rng = SplitMix64(seed: 7)
        for n in [1, 3, 4, 8, 17, 100, 1000] { cases.append((0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }) }
        let path = dir.appendingPathComponent("case.imatrix").path
        for bytes in cases {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let m = try ImportanceMatrix(path: path)
                _ = try? m.quantizationWeights(path: path)
            } catch {
                let line = "\(error)"
                #expect(line.hasPrefix(path + ":") && !line.contains("\n"), "\(bytes.count) bytes: \(line)")
            }
        }
    }

    @Test func collectorNameParsing() {
        #expect(ImatrixCollector.parseForTests("blk.0.attn_q.weight") == ("blk.0.attn_q.weight", nil, false))
        #expect(ImatrixCollector.parseForTests("blk.1.ffn_up_exps.weight[7]") == ("blk.1.ffn_up_exps.weight", 7, false))
        #expect(ImatrixCollector.parseForTests("blk.2.attn_qkv.weight[0..<576]") == ("blk.2.attn_qkv.weight", nil, false))
        #expect(ImatrixCollector.parseForTests("blk.2.attn_qkv.weight[576..<768]") == ("blk.2.attn_qkv.weight", nil, true))
    }
}
