// lai index/ask --store milvus://: a real Milvus 2.3.5 server (the PyPI wheel `milvus`, `make milvus-venv`)
// against lai's own knowledge base indexed the same way.
import Foundation
import Testing

/// A Milvus server of its own (free port, temporary data directory) for one test suite.
final class MilvusServer {
    static var binary: String {
        ProcessInfo.processInfo.environment["LAI_MILVUS_SERVER"] ?? CLI.cache.appendingPathComponent("milvus-venv/bin/milvus-server").path
    }
    let port: Int
    let data: URL
    private let process = Process()

    init() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "no Milvus server at \(Self.binary): run `make milvus-venv`")
        port = try Self.freePort()
        data = try CLI.tempDir()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--data", data.path, "--proxy-port", String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(180)
        while Date() < deadline {
            if let r = try? CLI.run(["index", "--rm", "milvus://127.0.0.1:\(port)/lai_probe"]), r.stderr.contains("no such collection") { return }
            usleep(500_000)
        }
        stop()
        Issue.record("the Milvus server on port \(port) did not answer within 180 s")
        throw CancellationError()
    }

    func address(_ collection: String) -> String { "milvus://127.0.0.1:\(port)/\(collection)" }

    func stop() {
        guard process.isRunning else { return }
        // Foundation starts the wrapper as a process group leader; the group holds the milvus binary it starts too.
        let pid = process.processIdentifier
        let target = getpgid(pid) == pid ? -pid : pid
        kill(target, SIGINT)
        for _ in 0..<150 where process.isRunning { usleep(100_000) }
        kill(target, SIGKILL)
        for _ in 0..<50 where process.isRunning { usleep(100_000) }
        try? FileManager.default.removeItem(at: data)
    }

    deinit { stop() }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        a.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: a.sin_port))
    }
}

@Suite(.serialized) struct MilvusCLITests {
    /// Index, ask, edit and re-index, remove: the Milvus knowledge base holds what lai's own does and answers alike.
    @Test func indexAskIncrementalAndRemove() throws {
        let server = try MilvusServer()
        defer { server.stop() }
        let home = try CLI.tempDir(); defer { try? FileManager.default.removeItem(at: home) }
        let corpus = home.appendingPathComponent("corpus")
        try FileManager.default.copyItem(atPath: KB.corpus, toPath: corpus.path)
        let env = KB.env(home)
        let milvus = server.address("lai_test")

        func both(_ args: [String]) throws -> (local: CommandResult, milvus: CommandResult) {
            let l = try CLI.run(args, env: env), m = try CLI.run(args + ["--store", milvus], env: env)
            #expect(l.status == 0, "\(l.stderr)")
            #expect(m.status == 0, "\(m.stderr)")
            return (l, m)
        }
        /// path, byte range and text hash of every chunk (the local dump also has a vector hash).
        func dumps() throws -> (local: [String], milvus: [String]) {
            let (l, m) = try both(["index", "--dump"])
            return (l.stdout.split(separator: "\n").map { $0.split(separator: "\t").prefix(3).joined(separator: "\t") },
                    m.stdout.split(separator: "\n").map(String.init))
        }
        func top(_ q: String) throws -> (local: [String], milvus: [String]) {
            let (l, m) = try both(["ask", "--retrieve-only", "--json", "-k", "3", q])
            func texts(_ s: String) throws -> [String] { ((try KB.json(s)["sources"] as? [[String: Any]]) ?? []).map { $0["text"] as? String ?? "" } }
            return (try texts(l.stdout), try texts(m.stdout))
        }

        var (l, m) = try both(["index", corpus.path, "--quiet"])
        #expect(m.stdout.contains("10 added") && m.stdout.contains(milvus), "\(m.stdout)")
        var d = try dumps()
        #expect(d.milvus.count > 10 && d.milvus == d.local, "\(d)")
        for q in ["What are the moons of Mars called?", "Which firewall ports are open?", "green tea water temperature"] {
            let t = try top(q)
            #expect(t.milvus.first == t.local.first && Set(t.milvus) == Set(t.local), "\(q): \(t)")
        }

        // A second writer on this machine gets the lock message; readers are not blocked.
        let locks = home.appendingPathComponent("locks")
        let lockDir = try #require(try FileManager.default.contentsOfDirectory(atPath: locks.path).first { $0.hasPrefix("milvus-") })
        let fd = open(locks.appendingPathComponent(lockDir + "/LOCK").path, O_RDWR)
        #expect(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        _ = ftruncate(fd, 0); _ = pwrite(fd, "pid 4242\n", 9, 0)
        let second = try CLI.run(["index", corpus.path, "--store", milvus], env: env)
        #expect(second.status == 1 && second.stderr.contains("\(milvus): another lai process (pid 4242) is writing"), "\(second.stderr)")
        #expect(try CLI.run(["ask", "--retrieve-only", "--store", milvus, "tea"], env: env).status == 0)
        close(fd)

        // An edit and a removal: one changed, one removed, the rest unchanged — and the same chunks as lai's own.
        try "# Tea\n\nThe kettle for green tea is set to 61 degrees in the new office.\n".write(to: corpus.appendingPathComponent("tea.md"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: corpus.appendingPathComponent("sourdough.md"))
        (l, m) = try both(["index", corpus.path, "--quiet"])
        #expect(m.stdout.contains("1 changed") && m.stdout.contains("1 removed") && m.stdout.contains("8 unchanged"), "\(m.stdout)")
        d = try dumps()
        #expect(d.milvus == d.local && !d.milvus.contains { $0.contains("sourdough") }, "\(d)")
        #expect(try top("green tea water temperature").milvus.first?.contains("61 degrees") == true)
        (l, m) = try both(["index", corpus.path, "--quiet"])
        #expect(m.stdout.contains("9 unchanged"), "\(m.stdout)")
        _ = l

        // Errors are one line naming the address (a usage error adds ArgumentParser's usage lines); nothing crashes.
        for (args, message) in [(["ask", "--retrieve-only", "--store", server.address("missing"), "x"], "no such collection"),
                                (["ask", "--retrieve-only", "--store", "milvus://127.0.0.1:\(server.port)/9bad", "x"], "collection name"),
                                (["ask", "--retrieve-only", "--store", "milvus://127.0.0.1:1/kb", "x"], "milvus://127.0.0.1:1/kb"),
                                (["index", "--history", "--store", milvus], "--store milvus:// takes PATHs")] {
            let r = try CLI.run(args, env: env)
            #expect(r.status != 0 && r.stderr.split(separator: "\n").first?.contains(message) == true, "\(args): \(r.stderr)")
        }

        // --rm drops the collection.
        let rm = try CLI.run(["index", "--rm", milvus], env: env)
        #expect(rm.status == 0, "\(rm.stderr)")
        let gone = try CLI.run(["ask", "--retrieve-only", "--store", milvus, "x"], env: env)
        #expect(gone.status == 1 && gone.stderr.contains("no such collection"), "\(gone.stderr)")

        // Killed with SIGKILL at random moments (commits every few milliseconds), with 150 files edited before
        // each run so that every run has inserts and deletes to make; then run to the end: the collection
        // holds exactly the chunks of a local index of the final files, and a further run changes nothing.
        let big = home.appendingPathComponent("big")
        try KB.bigCorpus(big, files: 300)
        let killed = server.address("lai_killed")
        var rng = SystemRandomNumberGenerator()
        var progress: [Int] = []
        for round in 0..<4 {
            for f in (round * 75)..<(round * 75 + 150) {
                let file = big.appendingPathComponent("doc\(f % 300).md")
                try (try String(contentsOf: file, encoding: .utf8) + "Edited in round \(round).\n").write(to: file, atomically: true, encoding: .utf8)
            }
            let p = try KnowledgeBaseVersionsCLITests.spawn(["index", big.path, "--store", killed, "--quiet", "--commit-seconds", "0.01"], env: env)
            // The first run waits a few seconds for the new collection to load.
            usleep(UInt32.random(in: round == 0 ? 2_500_000...4_500_000 : 200_000...1_500_000, using: &rng))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let d = try CLI.run(["index", "--dump", "--store", killed], env: env)
            progress.append(d.status == 0 ? d.stdout.split(separator: "\n").count : -1)
        }
        print("Milvus chunks after each kill: \(progress)")
        let r = try CLI.run(["index", big.path, "--store", killed, "--quiet"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try CLI.run(["index", big.path, "--kb", "whole", "--quiet"], env: env).status == 0)
        let whole = try CLI.run(["index", "--kb", "whole", "--dump"], env: env).stdout.split(separator: "\n")
            .map { $0.split(separator: "\t").prefix(3).joined(separator: "\t") }
        let after = try CLI.run(["index", "--dump", "--store", killed], env: env).stdout.split(separator: "\n").map(String.init)
        #expect(after.count == whole.count && after == whole, "\(after.count) chunks in Milvus, \(whole.count) in the local index")
        let again = try CLI.run(["index", big.path, "--store", killed], env: env)
        #expect(again.stdout.contains("300 unchanged"), "\(again.stdout)")

        // Retrieval quality with the real all-MiniLM-L6-v2: the right file in the top 5 as often through Milvus
        // as through lai's own store, on the small corpus (Tests/Fixtures/kb-questions.tsv, the questions
        // RetrievalTests asks) and on the real Swift diagnostics docs with their 35 held-out questions.
        try #require(FileManager.default.fileExists(atPath: CLI.cache.appendingPathComponent("minilm/model.safetensors").path),
                     "missing the MiniLM folder (make models)")
        var real = ProcessInfo.processInfo.environment
        real["LAI_HOME"] = home.path
        real["LAI_TEST_EMBEDDER"] = nil
        let sets = [("kb", KB.corpus, "Tests/Fixtures/kb-questions.tsv", 16, 13),
                    ("swiftdocs", CLI.repoRoot.appendingPathComponent("Tests/Fixtures/swift-diagnostics/docs").path,
                     "Tests/Fixtures/swift-diagnostics/questions.tsv", 35, 34)]
        for (name, corpus, questionFile, count, bar) in sets {
            let address = server.address("lai_minilm_\(name)")
            #expect(try CLI.run(["index", corpus, "--kb", "minilm-\(name)", "--quiet"], env: real).status == 0)
            #expect(try CLI.run(["index", corpus, "--store", address, "--quiet"], env: real).status == 0)
            let questions = try String(contentsOfFile: CLI.repoRoot.appendingPathComponent(questionFile).path, encoding: .utf8)
                .split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
            try #require(questions.count == count, "\(questionFile)")
            var found = (local: 0, milvus: 0)
            for q in questions {
                func paths(_ args: [String]) throws -> [String] {
                    let r = try CLI.run(["ask", "--retrieve-only", "--json", "-k", "5", q[0]] + args, env: real)
                    #expect(r.status == 0, "\(r.stderr)")
                    return ((try KB.json(r.stdout)["sources"] as? [[String: Any]]) ?? []).map { $0["path"] as? String ?? "" }
                }
                if try paths(["--kb", "minilm-\(name)"]).contains(where: { $0.hasSuffix("/" + q[1]) }) { found.local += 1 }
                if try paths(["--store", address]).contains(where: { $0.hasSuffix("/" + q[1]) }) { found.milvus += 1 }
            }
            print("OK, retrieval (minilm, \(name)): right file in top 5 for \(found.local)/\(count) locally, \(found.milvus)/\(count) through Milvus")
            #expect(found.milvus == found.local && found.milvus >= bar)
        }
    }
}
