// Hostile or inconsistent model metadata: every case is a one-line error naming the file, never a crash.
import Foundation
import LAICore
import Testing

@Suite struct HostileModelTests {
    static let cases: [(String, [String: GGUFValue], String)] = [
        ("zero KV heads", ["llama.attention.head_count_kv": .uint32(0)], "inconsistent attention metadata"),
        ("heads not a multiple of KV heads", ["llama.attention.head_count_kv": .uint32(3)], "inconsistent attention metadata"),
        ("zero key length", ["llama.attention.key_length": .uint32(0)], "inconsistent attention metadata"),
        ("negative RoPE dims", ["llama.rope.dimension_count": .int32(-2)], "inconsistent attention metadata"),
        ("odd RoPE dims", ["llama.rope.dimension_count": .uint32(7)], "inconsistent attention metadata"),
        ("unknown RoPE scaling", ["llama.rope.scaling.type": .string("su")], "RoPE scaling 'su' is not supported"),
        ("experts without tensors", ["llama.expert_count": .uint32(4), "llama.expert_used_count": .uint32(2)], "tensor 'blk.0.ffn_gate_exps.weight' is missing"),
        ("more experts used than exist", ["llama.expert_count": .uint32(2), "llama.expert_used_count": .uint32(3)], "inconsistent expert metadata"),
        ("wrong embedding length", ["llama.embedding_length": .uint32(48)], "has shape"),
        ("no block count", ["llama.block_count": .uint32(0)], "llama.block_count"),
    ]

    @Test(arguments: 0..<cases.count)
    func oneLineError(_ i: Int) throws {
        let (what, md, message) = Self.cases[i]
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (path, _) = try TinyModelTests.writeModel(arch: "llama", dir: dir, seed: 9, metadata: md)
        do {
            let m = try DecoderModel(path: path)
            _ = try DecoderSession(model: m, contextSize: 8).evaluate([1, 2])
            Issue.record("\(what): loaded without an error")
        } catch {
            let text = String(describing: error)
            #expect(text.hasPrefix(path + ":") && text.contains(message) && !text.contains("\n"), "\(what): \(text)")
        }
    }
}
