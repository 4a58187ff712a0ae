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

    /// --rerank: the fused candidates (all of this small knowledge base's chunks at --rerank-depth 100) reordered by the
    /// reranker, best first; the k kept are `lai rerank`'s best k of those chunks (the tiny random XLM-RoBERTa reranker,
    /// whose scores are checked against llama-server's in RerankerTests). An embedder as --rerank is refused.
    @Test func askReranksWithACrossEncoder() throws {
        let home = try CLI.tempDir(); defer { try? FileManager.default.removeItem(at: home) }
        let env = KB.env(home)
        #expect(try CLI.run(["index", KB.corpus, "--kb", "docs"], env: env).status == 0)
        let q = try CLI.run(["quantize", CLI.repoRoot.appendingPathComponent("Tests/Fixtures/hfconvert/xlm-roberta-reranker").path,
                             CLI.repoRoot.appendingPathComponent("Tests/Fixtures/hfconvert/xlm-roberta").path, "--type", "f32", "-o", home.path])
        try #require(q.status == 0, "\(q.stderr)")
        let reranker = home.appendingPathComponent("xlm-roberta-reranker-F32.gguf").path
        let question = "What are the moons of Mars called?"
        let all = try #require(try KB.json(try CLI.run(["ask", "--kb", "docs", "--retrieve-only", "--json", "-k", "100", question], env: env).stdout)["sources"] as? [[String: Any]])
        let texts = all.compactMap { $0["text"] as? String }
        try #require(texts.count == all.count && texts.count > 3 && texts.count < 100)
        let r = try CLI.run(["ask", "--kb", "docs", "--retrieve-only", "--json", "-k", "3", "--rerank", reranker, "--rerank-depth", "100", question], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let sources = try #require(try KB.json(r.stdout)["sources"] as? [[String: Any]])
        let scores = sources.compactMap { $0["rerank_score"] as? Double }
        #expect(sources.count == 3 && scores.count == 3 && scores == scores.sorted(by: >), "\(sources)")
        let ranked = try CLI.run(["rerank", "--json", "--top", "3", reranker, question] + texts)
        let best = try #require(try KB.json(ranked.stdout)["results"] as? [[String: Any]])
        #expect(sources.compactMap { $0["text"] as? String } == best.compactMap { ($0["document"] as? [String: Any])?["text"] as? String })
        for (s, b) in zip(scores, best.compactMap { $0["relevance_score"] as? Double }) { #expect(abs(s - b) < 1e-6) }
        let text = try CLI.run(["ask", "--kb", "docs", "--retrieve-only", "-k", "2", "--rerank", reranker, question], env: env)
        #expect(text.stdout.split(separator: "\n")[0].contains("  rerank "), "\(text.stdout)")
        let notReranker = try CLI.run(["ask", "--kb", "docs", "--retrieve-only", "--rerank", home.appendingPathComponent("xlm-roberta-F32.gguf").path, question], env: env)
        #expect(notReranker.status != 0 && notReranker.stderr.contains("not a reranker"), "\(notReranker.stderr)")
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
        // No stray files: only segments, MANIFEST (and each generation's MANIFEST-NNNNNN) and LOCK.
        let names = try FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent("kb/default").path)
        #expect(names.allSatisfy { $0.hasPrefix("seg-") || $0.hasPrefix("MANIFEST") || $0 == "LOCK" } && !names.contains { $0.contains("lai-tmp") }, "\(names)")
    }
}

/// Checkpoints, generations (history, ask --at, rollback, retention) and encryption at rest, through the CLI.
@Suite(.serialized) struct KnowledgeBaseVersionsCLITests {
    static func spawn(_ args: [String], env: [String: String]) throws -> Process {
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// Killed with SIGKILL at random moments (checkpoints every few milliseconds here), then run to the end:
    /// the knowledge base equals one built without interruption.
    @Test func killedIndexResumesToTheUninterruptedResult() throws {
        let home = try CLI.tempDir(); defer { try? FileManager.default.removeItem(at: home) }
        let corpus = home.appendingPathComponent("big")
        try KB.bigCorpus(corpus, files: 300)
        let env = KB.env(home)
        #expect(try CLI.run(["index", corpus.path, "--kb", "whole", "--quiet"], env: env).status == 0)
        let whole = try CLI.run(["index", "--kb", "whole", "--dump"], env: env)
        #expect(whole.status == 0 && whole.stdout.split(separator: "\n").count > 300)
        var rng = SystemRandomNumberGenerator()
        var progress: [Int] = []
        for round in 0..<6 {
            let p = try Self.spawn(["index", corpus.path, "--kb", "killed", "--quiet", "--commit-seconds", "0.01", "--commit-every", "1000000"], env: env)
            usleep(UInt32.random(in: 10_000...500_000, using: &rng))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            guard FileManager.default.fileExists(atPath: home.appendingPathComponent("kb/killed/MANIFEST").path) else { continue }
            let v = try CLI.run(["index", "--kb", "killed", "--verify"], env: env)
            #expect(v.status == 0, "round \(round): \(v.stderr)")
            progress.append(try CLI.run(["index", "--kb", "killed", "--dump"], env: env).stdout.split(separator: "\n").count)
        }
        print("chunks committed after each kill: \(progress)")
        let r = try CLI.run(["index", corpus.path, "--kb", "killed", "--quiet"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try CLI.run(["index", "--kb", "killed", "--dump"], env: env).stdout == whole.stdout)
        #expect(try CLI.run(["index", corpus.path, "--kb", "killed"], env: env).stdout.contains("300 unchanged"))
    }

    /// Ctrl-C while MiniLM embeds (OpenBLAS threads busy): the batch in hand is committed, one line says what
    /// was kept, exit 130, and no "BLAS : Bad memory unallocation!" (what exit() from the handler printed).
    @Test func interruptCommitsAndExitsCleanly() throws {
        try #require(FileManager.default.fileExists(atPath: CLI.cache.appendingPathComponent("minilm/model.safetensors").path),
                     "missing the MiniLM folder (make models)")
        let home = try CLI.tempDir(); defer { try? FileManager.default.removeItem(at: home) }
        let corpus = home.appendingPathComponent("big")
        try KB.bigCorpus(corpus, files: 200)
        var env = ProcessInfo.processInfo.environment
        env["LAI_HOME"] = home.path
        env["LAI_TEST_EMBEDDER"] = nil
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["index", corpus.path, "--quiet"]
        p.environment = env
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice; p.standardError = err
        try p.run()
        // Until the first checkpoint (so the model is loaded and embedding), then Ctrl-C.
        let manifest = home.appendingPathComponent("kb/default/MANIFEST-000001").path
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: manifest) && p.isRunning { usleep(100_000) }
        kill(p.processIdentifier, SIGINT)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(!stderr.contains("BLAS"), "\(stderr)")
        if p.terminationStatus == 130 {
            #expect(stderr.contains("lai: interrupted; default keeps the ") && stderr.contains("index again to continue"), "\(stderr)")
        } else {
            Issue.record("indexing ended before the interrupt (status \(p.terminationStatus)): \(stderr)")
        }
        let v = try CLI.run(["index", "--verify"], env: ["LAI_HOME": home.path])
        #expect(v.status == 0, "\(v.stderr)")
    }

    @Test func historyAskAtRollbackAndRetention() throws {
        let home = try CLI.tempDir(); defer { try? FileManager.default.removeItem(at: home) }
        let corpus = home.appendingPathComponent("corpus")
        try FileManager.default.copyItem(atPath: KB.corpus, toPath: corpus.path)
        let env = KB.env(home)
        #expect(try CLI.run(["index", corpus.path, "--quiet"], env: env).status == 0)
        try "# Tea\n\nThe kettle for green tea is set to 61 degrees in the new office.\n".write(to: corpus.appendingPathComponent("tea.md"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: corpus.appendingPathComponent("sourdough.md"))
        #expect(try CLI.run(["index", corpus.path, "--quiet"], env: env).status == 0)
        var h = try CLI.run(["index", "--history"], env: env)
        #expect(h.status == 0, "\(h.stderr)")
        let rows = h.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        // Generation 0 (created), 1 (10 files added), 2 (1 changed, 1 removed).
        #expect(rows.count == 3, "\(h.stdout)")
        #expect(rows.count == 3 && rows[1][2] == "index" && rows[1][3] == "+10" && rows[2][4] == "~1" && rows[2][5] == "-1", "\(h.stdout)")
        func top(_ q: String, _ extra: [String] = []) throws -> String {
            let a = try CLI.run(["ask", "--retrieve-only", "--json", "-k", "1"] + extra + [q], env: env)
            #expect(a.status == 0, "\(a.stderr)")
            return ((try KB.json(a.stdout)["sources"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
        }
        #expect(try top("green tea water temperature").contains("61 degrees"))
        #expect(try !top("green tea water temperature", ["--at", "1"]).contains("61 degrees"))
        #expect(try top("sourdough starter feeding", ["--at", "1"]).lowercased().contains("starter"))
        let bad = try CLI.run(["ask", "--retrieve-only", "--at", "9", "x"], env: env)
        #expect(bad.status == 1 && bad.stderr.contains("no generation 9 (the current one is 2"), "\(bad.stderr)")

        var r = try CLI.run(["index", "--rollback", "1"], env: env)
        #expect(r.status == 0 && r.stdout.contains("generation 1 restored as generation 3"), "\(r.stdout)\(r.stderr)")
        #expect(try !top("green tea water temperature").contains("61 degrees"))
        h = try CLI.run(["index", "--history"], env: env)
        #expect(h.stdout.contains("rollback 1"), "\(h.stdout)")
        // Indexing again after the rollback brings the edits back as a new generation.
        r = try CLI.run(["index", corpus.path], env: env)
        #expect(r.stdout.contains("1 changed") && r.stdout.contains("1 removed"), "\(r.stdout)")
        #expect(try top("green tea water temperature").contains("61 degrees"))

        // Retention: compaction keeps the newest 2 generations; older ones and their files go.
        r = try CLI.run(["index", "--compact", "--keep", "2"], env: env)
        #expect(r.status == 0 && r.stdout.contains("2 generations kept"), "\(r.stdout)\(r.stderr)")
        h = try CLI.run(["index", "--history"], env: env)
        #expect(h.stdout.split(separator: "\n").count == 3, "\(h.stdout)")
        let old = try CLI.run(["ask", "--retrieve-only", "--at", "1", "x"], env: env)
        #expect(old.status == 1 && old.stderr.contains("no generation 1"), "\(old.stderr)")
        #expect(try CLI.run(["index", "--verify"], env: env).status == 0)
        #expect(try top("green tea water temperature", ["--at", "4"]).contains("61 degrees"))
    }

    /// SIGKILL at random moments of indexing, compaction and rollback: the last committed generation always
    /// opens and verifies. LAI_KB_KILL_ROUNDS sets the number of kills (default 24).
    @Test func killsDuringIndexCompactAndRollback() throws {
        let home = try CLI.tempDir(); defer { try? FileManager.default.removeItem(at: home) }
        let corpus = home.appendingPathComponent("big")
        try KB.bigCorpus(corpus, files: 200)
        let env = KB.env(home)
        #expect(try CLI.run(["index", corpus.path, "--quiet"], env: env).status == 0)
        let rounds = Int(ProcessInfo.processInfo.environment["LAI_KB_KILL_ROUNDS"] ?? "") ?? 24
        var rng = SystemRandomNumberGenerator()
        var done: [String: Int] = [:]
        for round in 0..<rounds {
            let gens = try CLI.run(["index", "--history"], env: env).stdout.split(separator: "\n").dropFirst().compactMap { Int($0.split(separator: " ").first ?? "") }
            let args: [String]
            switch round % 3 {
            case 0:
                for f in stride(from: round % 7, to: 200, by: 5) {
                    try "# Edited \(round)\n\nnew text \(round) word\(f)\n".write(to: corpus.appendingPathComponent("doc\(f).md"), atomically: false, encoding: .utf8)
                }
                args = ["index", corpus.path, "--quiet", "--commit-seconds", "0.01"]
            case 1: args = ["index", "--compact", "--keep", "6"]
            default: args = ["index", "--rollback", String(gens.dropLast().randomElement(using: &rng) ?? 0)]
            }
            let p = try Self.spawn(args, env: env)
            usleep(UInt32.random(in: 0...250_000, using: &rng))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            if p.terminationReason == .exit { done[args[1], default: 0] += 1 }
            let v = try CLI.run(["index", "--verify"], env: env)
            #expect(v.status == 0, "round \(round) (\(args.joined(separator: " "))): \(v.stderr)")
            let a = try CLI.run(["ask", "--retrieve-only", "--json", "word5 word12"], env: env)
            #expect(a.status == 0, "round \(round): \(a.stderr)")
            // Every kept generation still opens.
            let hist = try CLI.run(["index", "--history"], env: env)
            #expect(hist.status == 0, "round \(round): \(hist.stderr)")
            if let g = hist.stdout.split(separator: "\n").dropFirst().first.flatMap({ Int($0.split(separator: " ").first ?? "") }) {
                let at = try CLI.run(["ask", "--retrieve-only", "--at", String(g), "word5"], env: env)
                #expect(at.status == 0, "round \(round): generation \(g): \(at.stderr)")
            }
        }
        print("\(rounds) kills; finished before the kill: \(done)")
        #expect(try CLI.run(["index", corpus.path, "--quiet"], env: env).status == 0)
        // No stray files: segments, generation manifests, MANIFEST and LOCK.
        let names = try FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent("kb/default").path)
        #expect(names.allSatisfy { $0.hasPrefix("seg-") || $0.hasPrefix("MANIFEST") || $0 == "LOCK" } && !names.contains { $0.contains("lai-tmp") }, "\(names)")
    }

    /// --encrypt: no chunk text and no vector bytes anywhere in the directory; the right key answers like the
    /// plain knowledge base, a wrong or missing key is a one-line error naming it.
    @Test func encryptedKnowledgeBase() throws {
        let home = try CLI.tempDir(); defer { try? FileManager.default.removeItem(at: home) }
        let keyHex = String(repeating: "3f1a", count: 16)
        var env = KB.env(home)
        // A second copy of the corpus, indexed into both after the first (more encrypted files: edits, a compaction).
        let corpus = home.appendingPathComponent("corpus")
        try FileManager.default.copyItem(atPath: KB.corpus, toPath: corpus.path)
        #expect(try CLI.run(["index", KB.corpus, "--kb", "plain", "--quiet"], env: env).status == 0)
        #expect(try CLI.run(["index", corpus.path, "--kb", "plain", "--quiet"], env: env).status == 0)
        var r = try CLI.run(["index", KB.corpus, "--kb", "secret", "--encrypt"], env: env)
        #expect(r.status == 1 && r.stderr.contains("--encrypt needs a key"), "\(r.stderr)")
        env["LAI_KB_KEY"] = keyHex
        r = try CLI.run(["index", KB.corpus, "--kb", "secret", "--encrypt", "--quiet"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try CLI.run(["index", corpus.path, "--kb", "secret", "--quiet"], env: env).status == 0)
        #expect(try CLI.run(["index", "--kb", "secret", "--compact"], env: env).status == 0)
        #expect(try CLI.run(["index", "--kb", "secret", "--verify"], env: env).status == 0)

        // Plaintext scan: chunk texts (every 24-byte window of every chunk) and vector rows (from the plain store).
        let plainDir = home.appendingPathComponent("kb/plain"), secretDir = home.appendingPathComponent("kb/secret")
        var needles: [[UInt8]] = []
        let texts = try CLI.run(["ask", "--kb", "plain", "--retrieve-only", "--json", "-k", "100", "the a of and"], env: env)
        for s in (try KB.json(texts.stdout)["sources"] as? [[String: Any]]) ?? [] {
            let t = Array(((s["text"] as? String) ?? "").utf8)
            for i in stride(from: 0, to: max(0, t.count - 24), by: 12) { needles.append(Array(t[i..<(i + 24)])) }
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: plainDir.path) where name.hasSuffix(".vec") {
            let d = [UInt8](try Data(contentsOf: plainDir.appendingPathComponent(name)))
            // 384 f32 per row, rows at 64 + i * 1536: 32 bytes from the start and the middle of each row.
            var off = 64
            while off + 1536 <= d.count { needles.append(Array(d[off..<(off + 32)])); needles.append(Array(d[(off + 768)..<(off + 800)])); off += 1536 }
        }
        needles = needles.filter { $0.contains { $0 != 0 } }
        #expect(needles.count > 200)
        /// Files of `dir` holding any needle.
        func holders(_ dir: URL) throws -> [String] {
            var found: [String] = []
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
                let d = [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
                for n in needles where d.count >= n.count {
                    if (0...(d.count - n.count)).contains(where: { d[$0] == n[0] && Array(d[$0..<($0 + n.count)]) == n }) { found.append(name); break }
                }
            }
            return found
        }
        let leaks = try holders(secretDir)
        #expect(leaks.isEmpty, "plaintext found in \(leaks)")
        // The scan itself works: it finds them in the plain knowledge base's vector files.
        #expect(try holders(plainDir).contains { $0.hasSuffix(".vec") })

        // Same answers as the plain knowledge base.
        for q in ["What are the moons of Mars called?", "Which firewall ports are open?"] {
            let a = try CLI.run(["ask", "--kb", "plain", "--retrieve-only", "--json", q], env: env)
            let b = try CLI.run(["ask", "--kb", "secret", "--retrieve-only", "--json", q], env: env)
            #expect(b.status == 0, "\(b.stderr)")
            let ta = (try KB.json(a.stdout)["sources"] as? [[String: Any]])?.map { $0["text"] as? String ?? "" }
            let tb = (try KB.json(b.stdout)["sources"] as? [[String: Any]])?.map { $0["text"] as? String ?? "" }
            #expect(ta == tb)
        }
        // Wrong key, missing key, a key file inside the knowledge base.
        var wrong = env; wrong["LAI_KB_KEY"] = String(repeating: "00", count: 32)
        r = try CLI.run(["ask", "--kb", "secret", "--retrieve-only", "x"], env: wrong)
        #expect(r.status == 1 && r.stderr == "lai: \(secretDir.path): cannot decrypt: the key (LAI_KB_KEY or --key-file) is not this knowledge base's\n", "\(r.stderr)")
        var none = env; none["LAI_KB_KEY"] = ""
        r = try CLI.run(["ask", "--kb", "secret", "--retrieve-only", "x"], env: none)
        #expect(r.status == 1 && r.stderr == "lai: \(secretDir.path): the knowledge base is encrypted; set LAI_KB_KEY or pass --key-file\n", "\(r.stderr)")
        r = try CLI.run(["index", KB.corpus, "--kb", "secret"], env: none)
        #expect(r.status == 1 && r.stderr.contains("is encrypted"), "\(r.stderr)")
        r = try CLI.run(["index", "--list"], env: none)
        #expect(r.stdout.contains("secret") && r.stdout.contains("encrypted (set LAI_KB_KEY"), "\(r.stdout)")
        let inside = secretDir.appendingPathComponent("key.txt")
        try keyHex.write(to: inside, atomically: true, encoding: .utf8)
        r = try CLI.run(["ask", "--kb", "secret", "--retrieve-only", "--key-file", inside.path, "x"], env: none)
        #expect(r.status == 1 && r.stderr.contains("the key file is inside the knowledge base"), "\(r.stderr)")
        try FileManager.default.removeItem(at: inside)
        let outside = home.appendingPathComponent("kb.key")
        try "Pxo/Gj8aPxo/Gj8aPxo/Gj8aPxo/Gj8aPxo/Gj8aPxo=\n".write(to: outside, atomically: true, encoding: .utf8)  // the same key, base64
        r = try CLI.run(["ask", "--kb", "secret", "--retrieve-only", "--key-file", outside.path, "moons of Mars"], env: none)
        #expect(r.status == 0 && r.stdout.contains("astronomy.html"), "\(r.stdout)\(r.stderr)")
        // --encrypt on an existing plain knowledge base is refused.
        r = try CLI.run(["index", KB.corpus, "--kb", "plain", "--encrypt"], env: env)
        #expect(r.status == 1 && r.stderr.contains("not encrypted; encryption applies to new knowledge bases"), "\(r.stderr)")
        #expect(try CLI.run(["index", "--rm", "secret"], env: none).status == 0)
    }
}
