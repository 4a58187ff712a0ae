// GGUF writer: byte-identical rewrites of real files, every value type, atomic replacement.
import Foundation
import Testing
import LAICore

@Suite struct GGUFWriterTests {
    static func filesEqual(_ a: String, _ b: String) throws -> Bool {
        let x = try MappedFile(path: a), y = try MappedFile(path: b)
        return x.count == y.count && memcmp(x.base, y.base, x.count) == 0
    }

    @Test(arguments: [Fixtures.smolLM2] + Fixtures.vocabFiles)
    func rewriteIsByteIdentical(path: String) throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("copy.gguf").path
        try GGUFWriter.rewrite(try GGUFFile(path: path), to: out)
        #expect(try Self.filesEqual(path, out), "rewrite of \(path) differs")
        // No temporary file is left beside the output.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["copy.gguf"])
    }

    @Test func everyValueTypeRoundTrips() throws {
        var m = GGUFMetadata()
        m["general.architecture"] = .string("llama")
        m["u8"] = .uint8(200); m["i8"] = .int8(-5); m["u16"] = .uint16(65000); m["i16"] = .int16(-300)
        m["u32"] = .uint32(4_000_000_000); m["i32"] = .int32(-7); m["f32"] = .float32(1.5); m["b"] = .bool(true)
        m["s"] = .string("héllo\n✓"); m["u64"] = .uint64(UInt64.max); m["i64"] = .int64(Int64.min); m["f64"] = .float64(-2.25)
        m["strs"] = .array(GGUFArray(strings: ["a", "", "ÿ"]))
        m["nested"] = .array(GGUFArray(.array, [.array(GGUFArray(int32s: [1, 2])), .array(GGUFArray(strings: ["x"]))]))
        m["empty"] = .array(GGUFArray(.float32, []))
        m["general.alignment"] = .uint32(64)
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("all.gguf").path
        let weights: [Float] = (0..<96).map { Float($0) * 0.5 }
        try weights.withUnsafeBytes { w in
            try GGUFWriter.write(path: path, metadata: m, tensors: [
                GGUFTensorSpec(name: "a", type: .f32, shape: [32, 2], bytes: UnsafeRawBufferPointer(rebasing: w[0..<256])),
                GGUFTensorSpec(name: "b", type: .f32, shape: [32], bytes: UnsafeRawBufferPointer(rebasing: w[256..<384])),
            ])
        }
        let f = try GGUFFile(path: path)
        #expect(f.alignment == 64 && f.dataOffset % 64 == 0)
        #expect(f.metadata.keys == m.keys)
        #expect(f.metadata.int("u8") == 200 && f.metadata.int("i8") == -5 && f.metadata.int("u16") == 65000)
        #expect(f.metadata.int("i16") == -300 && f.metadata.int("u32") == 4_000_000_000 && f.metadata.int("i32") == -7)
        #expect(f.metadata.double("f32") == 1.5 && f.metadata.bool("b") == true && f.metadata.string("s") == "héllo\n✓")
        #expect(f.metadata["u64"].flatMap { if case let .uint64(v) = $0 { v } else { nil } } == UInt64.max)
        #expect(f.metadata.int("i64") == Int(Int64.min) && f.metadata.double("f64") == -2.25)
        #expect(f.metadata.array("strs")?.strings == ["a", "", "ÿ"])
        let nested = try #require(f.metadata.array("nested")?.values)
        #expect(nested.count == 2 && nested[0].array?.ints == [1, 2] && nested[1].array?.strings == ["x"])
        #expect(f.metadata.array("empty")?.count == 0 && f.metadata.array("empty")?.elementType == .float32)
        #expect(f.tensors.map(\.name) == ["a", "b"] && f.tensors[1].offset == 256)
        let b = f.data(f.tensors[1])
        #expect((0..<32).map { b.load(fromByteOffset: 4 * $0, as: Float.self) } == Array(weights[64..<96]))
        // Writing the file back gives the same bytes.
        let again = dir.appendingPathComponent("again.gguf").path
        try GGUFWriter.rewrite(f, to: again)
        #expect(try GGUFWriterTests.filesEqual(path, again))
    }

    @Test func failedWriteLeavesTheOldFileAndNoTemporary() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.gguf").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try GGUFWriter.write(path: path, metadata: GGUFMetadata(), tensors: [
                GGUFTensorSpec(name: "t", type: .f32, shape: [8]) { w in try w.write([UInt8](repeating: 1, count: 16)); throw Boom() },
            ])
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["m.gguf"])
    }

    @Test func producerWritingTheWrongSizeIsAnError() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.gguf").path
        #expect(throws: GGUFError.self) {
            try GGUFWriter.write(path: path, metadata: GGUFMetadata(), tensors: [
                GGUFTensorSpec(name: "t", type: .f32, shape: [8]) { try $0.write([UInt8](repeating: 1, count: 12)) },
            ])
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
