// CLI tests for `lai embed`: formats, input sources, empty lines, invalid UTF-8, truncation and errors.
import Foundation
import Testing

@Suite(.serialized) struct EmbedCommandTests {
    /// The all-MiniLM-L6-v2 Hugging Face folder (converted once into the cache by the first run).
    static var miniLM: String { CLI.cache.appendingPathComponent("minilm").path }
    static var available: Bool { FileManager.default.fileExists(atPath: miniLM + "/model.safetensors") }

    static func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    static func ndjson(_ s: String) throws -> [[String: Any]] {
        try s.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    @Test func ndjsonIsTheDefault() throws {
        guard Self.available else { Issue.record("missing \(Self.miniLM)"); return }
        let r = try CLI.run(["embed", Self.miniLM, "A man is eating food.", "A man is eating a piece of bread."])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try Self.ndjson(r.stdout)
        #expect(rows.count == 2)
        #expect(rows.map { $0["index"] as? Int } == [0, 1])
        #expect(rows[1]["text"] as? String == "A man is eating a piece of bread.")
        let a = try #require(rows[0]["embedding"] as? [Double]), b = try #require(rows[1]["embedding"] as? [Double])
        #expect(a.count == 384 && abs(Self.norm(a) - 1) < 1e-5)
        let cos = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(abs(cos - 0.7553) < 5e-4)
    }

    @Test func jsonAndTsv() throws {
        guard Self.available else { Issue.record("missing \(Self.miniLM)"); return }
        let j = try CLI.run(["embed", "--format", "json", Self.miniLM, "one", "two \"quoted\"\ttab"])
        #expect(j.status == 0, "\(j.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        #expect(obj["model"] as? String == "minilm" && obj["dimension"] as? Int == 384)
        let data = try #require(obj["data"] as? [[String: Any]])
        #expect(data.count == 2 && data[1]["text"] as? String == "two \"quoted\"\ttab")
        let t = try CLI.run(["embed", "--format", "tsv", Self.miniLM, "one", "two"])
        let lines = t.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let cols = lines[1].split(separator: "\t")
        #expect(cols.count == 385 && cols[0] == "1" && Double(cols[1]) != nil)
    }

    /// stdin: one text per line; empty and blank lines are skipped, `index` is the 0-based line number.
    @Test func stdinLinesSkipEmptyOnes() throws {
        guard Self.available else { Issue.record("missing \(Self.miniLM)"); return }
        let r = try CLI.run(["embed", Self.miniLM], stdin: "first\n\n   \r\nfourth\r\n")
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try Self.ndjson(r.stdout)
        #expect(rows.map { $0["index"] as? Int } == [0, 3])
        #expect(rows.map { $0["text"] as? String } == ["first", "fourth"])
        // An empty argument is embedded as the empty text.
        let e = try CLI.run(["embed", Self.miniLM, ""])
        let empty = try Self.ndjson(e.stdout)
        #expect(e.status == 0 && empty.count == 1)
    }

    @Test func fileWithInvalidUTF8WarnsAndReplaces() throws {
        guard Self.available else { Issue.record("missing \(Self.miniLM)"); return }
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("texts.txt")
        try Data([0x6f, 0x6b, 0x0a, 0x62, 0x61, 0x64, 0xff, 0x0a]).write(to: f)
        let r = try CLI.run(["embed", "--file", f.path, Self.miniLM])
        #expect(r.status == 0)
        #expect(r.stderr.contains("line 2 is not valid UTF-8"))
        let rows = try Self.ndjson(r.stdout)
        #expect(rows.map { $0["text"] as? String } == ["ok", "bad\u{FFFD}"])
    }

    @Test func truncationWarnsOrFails() throws {
        guard Self.available else { Issue.record("missing \(Self.miniLM)"); return }
        let long = String(repeating: "word ", count: 600)
        let r = try CLI.run(["embed", Self.miniLM, "short", long])
        #expect(r.status == 0)
        #expect(r.stderr == "lai: warning: text 1 has 602 tokens; truncated to the model's 256\n")
        let strict = try CLI.run(["embed", "--no-truncate", Self.miniLM, "short", long])
        #expect(strict.status == 1 && strict.stdout.isEmpty)
        #expect(strict.stderr == "lai: text 1 has 602 tokens, more than the model's 256 (allow truncation to cut it)\n")
    }

    /// --task puts the model's task prefix before each text: nomic-embed-text's "search_query: " and
    /// "search_document: " (from the table of known models; its GGUF does not record them).
    @Test func taskPrefixes() throws {
        let nomic = CLI.cache.appendingPathComponent("nomic/nomic-embed-text-v1.5.f16.gguf").path
        guard FileManager.default.fileExists(atPath: nomic) else { Issue.record("missing \(nomic) (make models)"); return }
        let q = try CLI.run(["embed", nomic, "--task", "query", "--format", "tsv", "What is a vector database?"])
        let p = try CLI.run(["embed", nomic, "--format", "tsv", "search_query: What is a vector database?"])
        #expect(q.status == 0 && !q.stdout.isEmpty && q.stdout == p.stdout, "\(q.stderr)")
        let d = try CLI.run(["embed", nomic, "--task", "document", "--format", "tsv", "What is a vector database?"])
        let pd = try CLI.run(["embed", nomic, "--format", "tsv", "search_document: What is a vector database?"])
        #expect(d.stdout == pd.stdout && d.stdout != q.stdout)
        guard Self.available else { Issue.record("missing \(Self.miniLM)"); return }
        let m = try CLI.run(["embed", Self.miniLM, "--task", "query", "--format", "tsv", "x"])
        #expect(m.status == 0 && m.stderr == "lai: note: minilm has no query prefix; texts are embedded as given\n", "\(m.stderr)")
    }

    @Test func noNormalizeVerboseAndErrors() throws {
        guard Self.available else { Issue.record("missing \(Self.miniLM)"); return }
        let r = try CLI.run(["embed", "--no-normalize", "--verbose", "--batch", "600", Self.miniLM, "Hello, World!"])
        #expect(r.status == 0)
        let v = try #require(try Self.ndjson(r.stdout).first?["embedding"] as? [Double])
        #expect(abs(Self.norm(v) - 1) > 0.01)
        #expect(r.stderr.contains("texts/s") && r.stderr.contains("tokens/s"))
        let missing = try CLI.run(["embed", "/nonexistent/m.gguf", "x"])
        #expect(missing.status == 1 && missing.stderr == "lai: /nonexistent/m.gguf: cannot open: No such file or directory\n")
        let bad = try CLI.run(["embed", "--pooling", "max", Self.miniLM, "x"])
        #expect(bad.status == 64)
    }

    @Test func benchReportsThroughput() throws {
        guard Self.available else { Issue.record("missing \(Self.miniLM)"); return }
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("bench.txt")
        try (0..<50).map { "Sentence number \($0) about local models." }.joined(separator: "\n").write(to: f, atomically: true, encoding: .utf8)
        let r = try CLI.run(["embed", "--bench", f.path, Self.miniLM])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("50 texts, ") && r.stdout.contains("texts/s"))
    }
}
