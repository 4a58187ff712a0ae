// GGUF reader: facts read from the real SmolLM2 file and the llama.cpp vocab files, and precise errors.
import Foundation
import Testing
import LAICore

@Suite struct GGUFReaderTests {
    @Test func smolLM2MetadataMatchesLlamaCppFacts() throws {
        let f = try GGUFFile(path: Fixtures.smolLM2)
        let m = f.metadata
        // Facts as stated in ../shared/ref/LLAMACPP.md (llama.cpp's own reading of this file).
        #expect(f.version == 3)
        #expect(m.architecture == "llama")
        #expect(m.int("llama.block_count") == 30)
        #expect(m.int("llama.embedding_length") == 576)
        #expect(m.int("llama.feed_forward_length") == 1536)
        #expect(m.int("llama.attention.head_count") == 9)
        #expect(m.int("llama.attention.head_count_kv") == 3)
        #expect(m.double("llama.rope.freq_base") == 100000)
        #expect(m.double("llama.attention.layer_norm_rms_epsilon").map { abs($0 - 1e-5) < 1e-9 } == true)
        #expect(m.bool("tokenizer.ggml.add_bos_token") == false)
        #expect(m.string("tokenizer.ggml.pre") == "smollm")
        #expect(m.array("tokenizer.ggml.tokens")?.count == 49152)
        #expect(m.array("tokenizer.ggml.merges")?.count == 48900)
        #expect(f.tensors.count == 272)
        #expect(f.tensor(named: "output.weight") == nil)  // tied embeddings
        var byType: [GGMLType: Int] = [:]
        for t in f.tensors { byType[t.type, default: 0] += 1 }
        #expect(byType == [.f32: 61, .q4_1: 210, .q8_0: 1])
        #expect(f.tensor(named: "token_embd.weight")?.type == .q8_0)
        #expect(f.tensor(named: "token_embd.weight")?.shape == [576, 49152])
        // llama-bench: params = 134.52 M
        #expect(ModelSummary(f).parameters == 134_515_008)
        // The last tensor ends within alignment padding of the end of the file.
        let end = f.tensors.map { f.dataOffset + $0.offset + $0.byteCount }.max()!
        #expect(end <= f.fileSize && f.fileSize - end < f.alignment)
    }

    @Test func tokensAreViewedInPlace() throws {
        let f = try GGUFFile(path: Fixtures.smolLM2)
        let tokens = try #require(f.metadata.array("tokenizer.ggml.tokens"))
        #expect(tokens.mappedBytes != nil)
        let s = tokens.strings
        #expect(s[0] == "<|endoftext|>" && s[1] == "<|im_start|>" && s[2] == "<|im_end|>")
        #expect(f.metadata.array("tokenizer.ggml.token_type")?.ints.prefix(3) == [3, 3, 3])
    }

    @Test(arguments: Fixtures.vocabFiles)
    func vocabFilesOpen(path: String) throws {
        let f = try GGUFFile(path: path)
        #expect(f.metadata.array("tokenizer.ggml.tokens").map { $0.count > 1000 } == true)
        #expect(f.metadata.string("tokenizer.ggml.model") != nil)
    }

    @Test func typeTableMatchesGGMLBlockLayouts() {
        // sizeof(block_*) from ggml-common.h, written out from the struct fields.
        #expect(GGMLType.q4_0.bytesPerBlock == 2 + 16)
        #expect(GGMLType.q4_1.bytesPerBlock == 2 * 2 + 16)
        #expect(GGMLType.q5_0.bytesPerBlock == 2 + 4 + 16)
        #expect(GGMLType.q5_1.bytesPerBlock == 2 * 2 + 4 + 16)
        #expect(GGMLType.q8_0.bytesPerBlock == 2 + 32)
        #expect(GGMLType.q2_K.bytesPerBlock == 256 / 16 + 256 / 4 + 2 * 2)
        #expect(GGMLType.q3_K.bytesPerBlock == 256 / 8 + 256 / 4 + 12 + 2)
        #expect(GGMLType.q4_K.bytesPerBlock == 2 * 2 + 12 + 256 / 2)
        #expect(GGMLType.q5_K.bytesPerBlock == 2 * 2 + 12 + 256 / 8 + 256 / 2)
        #expect(GGMLType.q6_K.bytesPerBlock == 256 / 2 + 256 / 4 + 256 / 16 + 2)
        #expect(GGMLType.q8_K.bytesPerBlock == 4 + 256 + 16 * 2)
        for t in GGMLType.allCases { #expect(GGMLType(name: t.name) == t) }
        #expect(GGMLType(rawValue: 31) == nil && GGMLType.removedName(31) == "Q4_0_4_4")
    }
}

/// Builds small GGUF byte strings by hand, to test the reader's checks one at a time.
struct GGUFBytes {
    var bytes: [UInt8] = []
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    mutating func str(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
    mutating func header(version: UInt32 = 3, tensors: UInt64, kv: UInt64) {
        bytes += Array("GGUF".utf8); u32(version); u64(tensors); u64(kv)
    }
    mutating func pad(_ a: Int = 32) { while bytes.count % a != 0 { bytes.append(0) } }

    func open(_ name: String = "test.gguf") throws -> GGUFFile {
        try GGUFFile(file: MappedFile(bytes: bytes, name: name))
    }
}

@Suite struct GGUFReaderErrorTests {
    func error(_ b: GGUFBytes) -> String {
        do { _ = try b.open(); return "no error" } catch { return "\(error)" }
    }

    @Test func badMagic() {
        var b = GGUFBytes(); b.bytes = Array("GGML".utf8) + [0, 0, 0, 0]
        #expect(error(b) == "test.gguf: not a GGUF file (no 'GGUF' magic at the start)")
    }

    @Test func emptyAndTinyFiles() {
        #expect(error(GGUFBytes()) == "test.gguf: truncated: file ends inside the magic number (offset 0, file size 0)")
        var b = GGUFBytes(); b.header(tensors: 0, kv: 0); b.bytes.removeLast(3)
        #expect(error(b).hasPrefix("test.gguf: truncated: file ends inside the metadata count"))
    }

    @Test func versions() {
        var b = GGUFBytes(); b.header(version: 1, tensors: 0, kv: 0)
        #expect(error(b) == "test.gguf: GGUF version 1 is not supported (lai reads versions 2 and 3)")
        var c = GGUFBytes(); c.header(version: UInt32(3).byteSwapped, tensors: 0, kv: 0)
        #expect(error(c) == "test.gguf: big-endian GGUF files are not supported")
        var d = GGUFBytes(); d.header(version: 2, tensors: 0, kv: 0)
        #expect(error(d) == "no error")
    }

    @Test func hugeCountsAreRejectedBeforeAllocating() {
        var b = GGUFBytes(); b.header(tensors: 0, kv: UInt64.max)
        #expect(error(b).contains("claims 18446744073709551615 metadata entries"))
        var c = GGUFBytes(); c.header(tensors: 1 << 60, kv: 0)
        #expect(error(c).contains("tensors, more than the file can hold"))
        var d = GGUFBytes(); d.header(tensors: 0, kv: 1); d.str("k"); d.u32(8); d.u64(1 << 40); d.bytes += [0, 0, 0, 0]
        #expect(error(d) == "test.gguf: metadata 'k' has length 1099511627776 but only 4 bytes remain (offset 37)")
        var e = GGUFBytes(); e.header(tensors: 0, kv: 1); e.str("arr"); e.u32(9); e.u32(4); e.u64(1 << 62)
        e.bytes += [UInt8](repeating: 0, count: 16)
        #expect(error(e).contains("claims 4611686018427387904 elements"))
    }

    @Test func alignmentMustBeAPowerOfTwo() {
        var b = GGUFBytes(); b.header(tensors: 0, kv: 1); b.str("general.alignment"); b.u32(4); b.u32(48)
        #expect(error(b) == "test.gguf: general.alignment 48 is not a power of 2")
        var c = GGUFBytes(); c.header(tensors: 0, kv: 1); c.str("general.alignment"); c.u32(10); c.u64(64)
        #expect(error(c) == "test.gguf: general.alignment must be a u32, found u64")
    }

    @Test func invalidValueTypeAndDuplicateKey() {
        var b = GGUFBytes(); b.header(tensors: 0, kv: 1); b.str("x"); b.u32(13); b.u32(0)
        #expect(error(b) == "test.gguf: metadata key 'x' has unknown value type 13")
        var c = GGUFBytes(); c.header(tensors: 0, kv: 2); c.str("x"); c.u32(4); c.u32(1); c.str("x"); c.u32(4); c.u32(2)
        #expect(error(c) == "test.gguf: duplicate metadata key 'x'")
    }

    @Test func deeplyNestedArraysAreRejected() {
        var b = GGUFBytes(); b.header(tensors: 0, kv: 1); b.str("deep"); b.u32(9)
        for _ in 0..<100 { b.u32(9); b.u64(1) }
        #expect(error(b).contains("nests arrays deeper than 8 levels"))
    }

    func oneTensor(type: UInt32 = 0, dims: [UInt64] = [4, 2], offset: UInt64 = 0, dataBytes: Int = 32) -> GGUFBytes {
        var b = GGUFBytes(); b.header(tensors: 1, kv: 0)
        b.str("blk.3.ffn_up.weight"); b.u32(UInt32(dims.count)); for d in dims { b.u64(d) }
        b.u32(type); b.u64(offset); b.pad()
        b.bytes += [UInt8](repeating: 0, count: dataBytes)
        return b
    }

    @Test func tensorChecks() throws {
        #expect(error(oneTensor()) == "no error")
        let f = try oneTensor().open()
        #expect(f.tensors[0].byteCount == 32 && f.dataOffset == 96)
        #expect(error(oneTensor(dataBytes: 31)) == "test.gguf: tensor 'blk.3.ffn_up.weight' extends past end of file (offset 96, 32 bytes, file size 127)")
        #expect(error(oneTensor(type: 99)) == "test.gguf: tensor 'blk.3.ffn_up.weight' has unknown ggml type id 99")
        #expect(error(oneTensor(type: 31)) == "test.gguf: tensor 'blk.3.ffn_up.weight' has type Q4_0_4_4 (id 31), which ggml no longer supports")
        #expect(error(oneTensor(type: 2, dims: [33, 1])) == "test.gguf: tensor 'blk.3.ffn_up.weight': row of 33 elements is not a multiple of the Q4_0 block size 32")
        #expect(error(oneTensor(dims: [4, 0])) == "test.gguf: tensor 'blk.3.ffn_up.weight' has dimension 1 of size 0")
        #expect(error(oneTensor(dims: [1 << 32, 1 << 32])).contains("dimension product overflows"))
        #expect(error(oneTensor(dims: [1, 1, 1, 1, 1])).contains("has 5 dimensions"))
        #expect(error(oneTensor(offset: 8)) == "test.gguf: tensor 'blk.3.ffn_up.weight' offset 8 is not a multiple of the alignment 32")
        #expect(error(oneTensor(offset: UInt64.max - 31)).contains("extends past end of file"))
        #expect(error(oneTensor(offset: 1 << 62)).contains("extends past end of file"))
    }
}
