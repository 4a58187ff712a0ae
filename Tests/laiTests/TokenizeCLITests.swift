// CLI tests for `lai tokenize`: output formats, stdin, flags and errors, checked against llama-tokenize's ids.
import Foundation
import Testing

@Suite struct TokenizeCommandTests {
    static var vocab: String {
        CLI.repoRoot.deletingLastPathComponent().appendingPathComponent("shared/vocab/ggml-vocab-llama-spm.gguf").path
    }

    @Test func idsMatchLlamaTokenize() throws {
        let r = try CLI.run(["tokenize", "--ids", "--parse-special", CLI.smolLM2, "<|im_start|>user\nhi<|im_end|>"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "[1, 4093, 198, 6004, 2]\n")
        let plain = try CLI.run(["tokenize", "--ids", CLI.smolLM2, "<|im_start|>user\nhi<|im_end|>"])
        #expect(plain.stdout == "[44, 108, 306, 79, 3738, 108, 46, 4093, 198, 6004, 44, 108, 306, 79, 486, 108, 46]\n")
    }

    @Test func defaultListsIdAndPiece() throws {
        let r = try CLI.run(["tokenize", CLI.smolLM2, "Hello world"])
        #expect(r.status == 0)
        #expect(r.stdout == " 19556 -> 'Hello'\n   905 -> ' world'\n")
    }

    @Test func readsStdinAndHonoursNoBos() throws {
        let withBOS = try CLI.run(["tokenize", "--ids", Self.vocab], stdin: "Hello world")
        #expect(withBOS.status == 0, "\(withBOS.stderr)")
        #expect(withBOS.stdout.hasPrefix("[1, "))
        let noBOS = try CLI.run(["tokenize", "--ids", "--no-bos", Self.vocab], stdin: "Hello world")
        #expect(!noBOS.stdout.hasPrefix("[1, "))
        #expect(withBOS.stdout == "[1, " + noBOS.stdout.dropFirst())
    }

    @Test func jsonIsParseable() throws {
        let r = try CLI.run(["tokenize", "--json", CLI.smolLM2, "Hello world"])
        #expect(r.status == 0)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["ids"] as? [Int] == [19556, 905])
        #expect(obj["pieces"] as? [String] == ["Hello", " world"])
    }

    @Test func badFilesAreOneLineErrors() throws {
        let r = try CLI.run(["tokenize", "/nonexistent/v.gguf", "x"])
        #expect(r.status == 1)
        #expect(r.stderr == "lai: /nonexistent/v.gguf: cannot open: No such file or directory\n")
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let txt = dir.appendingPathComponent("v.gguf")
        try Data("hello".utf8).write(to: txt)
        let t = try CLI.run(["tokenize", txt.path, "x"])
        #expect(t.status == 1 && t.stderr.hasPrefix("lai: \(txt.path): not a GGUF file"))
    }
}
