// Tokenizer speed: 1 MB of English text through SmolLM2's byte-level BPE on one core (prints MB/s).
import Foundation
import LAICore
import Testing

@Suite struct TokenizerSpeedTests {
    @Test func oneMegabyteOfEnglish() throws {
        let tok = try Tokenizer(gguf: try GGUFFile(path: Fixtures.smolLM2))
        let base = try String(contentsOf: Fixtures.ref.appendingPathComponent("ppl-text.txt"), encoding: .utf8)
        var text = ""
        while text.utf8.count < 1_000_000 { text += base + "\n" }
        let mb = Double(text.utf8.count) / 1e6
        _ = tok.encode(String(text.prefix(10_000)))   // warm the tables
        let t0 = Date()
        let ids = tok.encode(text, addSpecial: false)
        let dt = Date().timeIntervalSince(t0)
        print(String(format: "tokenizer speed: %.2f MB in %.3f s = %.1f MB/s, %d tokens", mb, dt, mb / dt, ids.count))
        #expect(tok.decode(ids) == text)
        // Speed is reported (make bench), not asserted: a timed test flakes on a busy machine.
    }
}

extension TokenizerSpeedTests {
    /// Qwen2's pattern has no hand-written splitter in llama.cpp, so it runs through the regex engine.
    @Test func regexEnginePreTokenizerSpeed() throws {
        let tok = try Tokenizer(gguf: try GGUFFile(path: Fixtures.vocab.appendingPathComponent("ggml-vocab-qwen2.gguf").path))
        let base = try String(contentsOf: Fixtures.ref.appendingPathComponent("ppl-text.txt"), encoding: .utf8)
        var text = ""
        while text.utf8.count < 1_000_000 { text += base + "\n" }
        let t0 = Date()
        let ids = tok.encode(text, addSpecial: false)
        let dt = Date().timeIntervalSince(t0)
        print(String(format: "qwen2 (regex engine) speed: %.1f MB/s, %d tokens", Double(text.utf8.count) / 1e6 / dt, ids.count))
        #expect(tok.decode(ids) == text)
    }
}
