// Knowledge base CLI: `lai index` and `lai ask` end to end with the hashing test embedder
// (LAI_TEST_EMBEDDER=hash), including a writer killed with SIGKILL at random moments.
import Foundation
import Testing

enum KB {
    static let corpus = CLI.repoRoot.appendingPathComponent("Tests/Fixtures/kb").path

    static func env(_ home: URL) -> [String: String] { ["LAI_HOME": home.path, "LAI_TEST_EMBEDDER": "hash"] }

    /// A generated corpus of `files` Markdown files, each with a few sections.
    static func bigCorpus(_ dir: URL, files: Int) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for f in 0..<files {
            var s = "# Document \(f)\n\n"
            for sec in 0..<6 {
                s += "## Section \(sec)\n\n" + (0..<60).map { "word\(($0 * 7 + f * 13 + sec) % 997)" }.joined(separator: " ") + ".\n\n"
            }
            try s.write(to: dir.appendingPathComponent("doc\(f).md"), atomically: false, encoding: .utf8)
        }
    }

    static func json(_ s: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])
    }
}

@Suite(.serialized) struct KnowledgeBaseCLITests {
    @Test func indexListAskRemove() throws {
        let home = try CLI.tempDir(); defer { try? FileManager.default.removeItem(at: home) }
        let env = KB.env(home)
        var r = try CLI.run(["index", KB.corpus, "--kb", "docs"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("docs: 11 files: 10 added, 0 changed, 0 unchanged, 0 removed, 1 skipped"), "\(r.stdout)")
        #expect(r.stderr.contains("indexing: 11/11 files") && r.stderr.contains("chunks/s"))
        #expect(r.stderr.contains("skipped \(KB.corpus)/blob.dat: binary file"))

        r = try CLI.run(["index", "--list"], env: env)
        #expect(r.status == 0 && r.stdout.contains("docs") && r.stdout.contains("test-hash-384"), "\(r.stdout)")

        r = try CLI.run(["ask", "--kb", "docs", "--retrieve-only", "--json", "What are the moons of Mars called?"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try KB.json(r.stdout)
        let sources = try #require(obj["sources"] as? [[String: Any]])
        #expect(sources.count == 5 && obj["answer"] == nil)
        #expect((sources[0]["path"] as? String)?.hasSuffix("astronomy.html") == true)
        #expect((sources[0]["text"] as? String)?.contains("Phobos") == true)
        #expect(sources[0]["lines"] as? String == "3-5" && (sources[0]["score"] as? Double ?? 0) > 0)

        r = try CLI.run(["ask", "--kb", "docs", "--retrieve-only", "-k", "2", "Which firewall ports are open?"], env: env)
        #expect(r.status == 0 && r.stdout.hasPrefix("[1] ") && r.stdout.split(separator: "\n")[0].contains("kb/server-setup.md:8-10 (Web server setup > Firewall)  score "), "\(r.stdout)")
        #expect(!r.stdout.contains("[3]"))

        // The question on stdin.
        r = try CLI.run(["ask", "--kb", "docs", "--retrieve-only", "--json"], stdin: "How many days of paid holiday do employees get?", env: env)
        #expect((try #require(KB.json(r.stdout)["sources"] as? [[String: Any]]))[0]["path"] as? String == "\(KB.corpus)/notes/holiday-policy.txt")

        r = try CLI.run(["ask", "--kb", "nope", "--retrieve-only", "x"], env: env)
        #expect(r.status == 1 && r.stderr.contains("no knowledge base 'nope'"), "\(r.stderr)")

        r = try CLI.run(["index", "--rm", "docs"], env: env)
        #expect(r.status == 0 && r.stdout.contains("removed knowledge base 'docs'"))
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent("kb/docs").path))
        r = try CLI.run(["index", "--list"], env: env)
        #expect(r.stdout.contains("no knowledge bases"))
    }

    @Test func incrementalReindex() throws {
        let home = try CLI.tempDir(); defer { try? FileManager.default.removeItem(at: home) }
        let corpus = home.appendingPathComponent("corpus")
        try FileManager.default.copyItem(atPath: KB.corpus, toPath: corpus.path)
        let env = KB.env(home)
        #expect(try CLI.run(["index", corpus.path], env: env).status == 0)
        try "Fresh: the office plants are watered by Sam on Fridays.\n".write(to: corpus.appendingPathComponent("tea.md"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: corpus.appendingPathComponent("sourdough.md"))
        try "# New\n\nThe VPN endpoint is vpn.example.org on port 1194.\n".write(to: corpus.appendingPathComponent("vpn.md"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["index", corpus.path], env: env)
        #expect(r.stdout.contains("default: 11 files: 1 added, 1 changed, 8 unchanged, 1 removed, 1 skipped"), "\(r.stdout)")
        let a = try CLI.run(["ask", "--retrieve-only", "--json", "What is the VPN endpoint port?"], env: env)
        let top = try #require(KB.json(a.stdout)["sources"] as? [[String: Any]])
        #expect((top[0]["path"] as? String)?.hasSuffix("vpn.md") == true)
        #expect(!a.stdout.contains("sourdough.md"))
    }

    @Test func stdinOnlyWithoutKnowledgeBase() throws {
        let home = try CLI.tempDir(); defer { try? FileManager.default.removeItem(at: home) }
        let r = try CLI.run(["ask", "--retrieve-only", "--json", "what did we decide?"], stdin: "We decided to ship on Monday.", env: KB.env(home))
        #expect(r.status == 0, "\(r.stderr)")
        let s = try #require(KB.json(r.stdout)["sources"] as? [[String: Any]])
        #expect(s.count == 1 && s[0]["path"] as? String == "stdin" && s[0]["text"] as? String == "We decided to ship on Monday.")
        let none = try CLI.run(["ask", "what?"], stdin: "", env: KB.env(home))
        #expect(none.status == 1 && none.stderr.contains("no knowledge base"), "\(none.stderr)")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: CLI.smolLM2), "needs the demo model (make models)"))
    func askAnswersWithSmolLM2() throws {
        let home = try CLI.tempDir(); defer { try? FileManager.default.removeItem(at: home) }
        let env = KB.env(home)
        #expect(try CLI.run(["index", KB.corpus], env: env).status == 0)
        var r = try CLI.run(["ask", "What are the moons of Mars called?", "-n", "24", "--temperature", "0"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Sources:\n[1] ") && r.stdout.contains("kb/astronomy.html:3-5 (The planets of the Solar System)\n"), "\(r.stdout)")
        r = try CLI.run(["ask", "--json", "-k", "2", "-n", "16", "--temperature", "0", "What are the moons of Mars called?"], env: env)
        let obj = try KB.json(r.stdout)
        #expect(!(obj["answer"] as? String ?? "").isEmpty && (obj["sources"] as? [Any])?.count == 2, "\(r.stdout)")
        // Piped context plus a question, no knowledge base named: the KB and stdin are both sources.
        r = try CLI.run(["ask", "--json", "-k", "1", "-n", "8", "--temperature", "0", "Who ships on Monday?"], stdin: "Alice ships on Monday.", env: env)
        let s = try #require(KB.json(r.stdout)["sources"] as? [[String: Any]])
        #expect(s.count == 2 && s[0]["path"] as? String == "stdin")
    }

    @Test func secondWriterGetsTheLockMessage() throws {
        let home = try CLI.tempDir(); defer { try? FileManager.default.removeItem(at: home) }
        let env = KB.env(home)
        #expect(try CLI.run(["index", KB.corpus, "--kb", "x"], env: env).status == 0)
        // Another process (this test) holds the writer lock.
        let fd = open(home.appendingPathComponent("kb/x/LOCK").path, O_RDWR)
        #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        _ = ftruncate(fd, 0); _ = pwrite(fd, "pid 4242\n", 9, 0)
        let r = try CLI.run(["index", KB.corpus, "--kb", "x"], env: env)
        #expect(r.status == 1)
        #expect(r.stderr.contains("kb/x: another lai process (pid 4242) is writing this store; try again when it finishes"), "\(r.stderr)")
        // Readers are not blocked.
        #expect(try CLI.run(["ask", "--kb", "x", "--retrieve-only", "tea"], env: env).status == 0)
        close(fd)
        #expect(try CLI.run(["index", KB.corpus, "--kb", "x"], env: env).status == 0)
    }

    @Test func killedWriterLeavesLastCommit() throws {
        let home = try CLI.tempDir(); defer { try? FileManager.default.removeItem(at: home) }
        let corpus = home.appendingPathComponent("big")
        try KB.bigCorpus(corpus, files: 400)
        let env = KB.env(home)
        var rng = SystemRandomNumberGenerator()
        var generations = Set<Int>()
        for round in 0..<10 {
            // Alternate storage and edits so kills land in adds, tombstones and compactions.
            if round % 3 == 2 {
                for f in stride(from: round, to: 400, by: 9) {
                    try "# Edited \(round)\n\nnew text \(round) \(f)\n".write(to: corpus.appendingPathComponent("doc\(f).md"), atomically: false, encoding: .utf8)
                }
            }
            let p = Process()
            p.executableURL = CLI.binary
            p.arguments = ["index", corpus.path, "--commit-every", "40", "--quiet"]
            var e = ProcessInfo.processInfo.environment
            for (k, v) in env { e[k] = v }
            p.environment = e
            p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32.random(in: 20_000...900_000, using: &rng))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let v = try CLI.run(["index", "--verify"], env: env)
            if FileManager.default.fileExists(atPath: home.appendingPathComponent("kb/default/MANIFEST").path) {
                #expect(v.status == 0, "round \(round): \(v.stderr)")
                let a = try CLI.run(["ask", "--retrieve-only", "--json", "word5 word12"], env: env)
                #expect(a.status == 0, "round \(round): \(a.stderr)")
                if let m = try? String(contentsOf: home.appendingPathComponent("kb/default/MANIFEST"), encoding: .utf8),
                   let g = m.range(of: "\"generation\":") {
                    generations.insert(Int(m[g.upperBound...].prefix { $0.isNumber }) ?? -1)
                }
            }
        }
        // The killed runs made progress that survived, and a full run completes from there.
        #expect(generations.count >= 2, "\(generations)")
        let r = try CLI.run(["index", corpus.path], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try CLI.run(["index", "--verify"], env: env).status == 0)
        let again = try CLI.run(["index", corpus.path], env: env)
        #expect(again.stdout.contains("400 unchanged"), "\(again.stdout)")
        // No stray files: only the manifest's segments, MANIFEST and LOCK.
        let names = try FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent("kb/default").path)
        #expect(names.allSatisfy { $0.hasPrefix("seg-") || $0 == "MANIFEST" || $0 == "LOCK" }, "\(names)")
    }
}
