// Store CLI tests: lai create/list/show/cp/rm/pull/push against real servers started on loopback —
// Debian's docker-registry (push, pull, re-pull, a corrupted blob) and Tests/Fixtures/blobserver.py
// (Range resume after a kill, retries, servers without Range, proxies, URL and registry errors).
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A process started for a test, stopped when the value goes away.
final class TestServer {
    let process = Process()
    let port: Int
    let log: URL?

    /// Starts `blobserver.py --root ROOT ARGS…` and reads the port it prints.
    init(root: URL, log: URL? = nil, args: [String] = []) throws {
        self.log = log
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", CLI.repoRoot.appendingPathComponent("Tests/Fixtures/blobserver.py").path, "--root", root.path]
            + (log.map { ["--log", $0.path] } ?? []) + args
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let p = Int(line) else { throw CLIError("blobserver.py did not start: '\(line)'") }
        port = p
    }

    /// Starts `docker-registry serve` with a temporary config on a free port and waits until it answers.
    init(registryData: URL) throws {
        log = nil
        port = try TestServer.freePort()
        let config = registryData.appendingPathComponent("config.yml")
        try """
            version: 0.1
            log:
              level: error
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: \(registryData.path)/data
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:\(port)
            """.write(to: config, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: TestServer.registryBinary)
        process.arguments = ["serve", config.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 where !TestServer.canConnect(port) { usleep(50_000) }
        guard TestServer.canConnect(port) else { throw CLIError("docker-registry did not start on port \(port)") }
    }

    // SIGKILL: a child may inherit SIGTERM as ignored from the test runner.
    deinit { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }

    var logLines: [String] {
        guard let log, let s = try? String(contentsOf: log, encoding: .utf8) else { return [] }
        return s.split(separator: "\n").map(String.init)
    }

    static let registryBinary = "/usr/bin/docker-registry"
    static var hasRegistry: Bool { FileManager.default.isExecutableFile(atPath: registryBinary) }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw CLIError("no free port") }
        return Int(UInt16(bigEndian: a.sin_port))
    }

    static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ s: String) { description = s }
}

/// A temporary model store and the environment that points lai at it.
struct TempStore {
    let dir: URL
    var root: URL { dir.appendingPathComponent("models") }
    var env: [String: String] {
        ["LAI_MODELS": root.path, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
         "LAI_PULL_RETRY_MS": "20", "LAI_PULL_ATTEMPTS": "3"]
    }

    init() throws { dir = try CLI.tempDir() }
    func cleanup() { try? FileManager.default.removeItem(at: dir) }

    @discardableResult
    func lai(_ args: [String], env extra: [String: String] = [:]) throws -> CommandResult {
        try CLI.run(args, env: env.merging(extra) { $1 })
    }

    /// Files under blobs/ (names only).
    var blobs: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: root.path + "/blobs")) ?? []).sorted() }

    /// Every file in the store except the lock, as relative paths: the "state" a failed command must not change.
    var snapshot: [String] {
        let e = FileManager.default.enumerator(atPath: root.path)
        var out: [String] = []
        while let p = e?.nextObject() as? String { if p != ".lock" { out.append(p) } }
        return out.sorted()
    }

    /// A Modelfile for SmolLM2: the shipped one with FROM pointing at the test cache.
    func smolModelfile() throws -> URL {
        let shipped = try String(contentsOf: CLI.repoRoot.appendingPathComponent("Modelfiles/smollm2.Modelfile"), encoding: .utf8)
        let text = shipped.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("FROM ") ? "FROM \(CLI.smolLM2)" : String($0) }.joined(separator: "\n")
        let u = dir.appendingPathComponent("smollm2.Modelfile")
        try text.write(to: u, atomically: true, encoding: .utf8)
        return u
    }
}

let smolHex = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
let smolSize = 98_362_432
let vocabGGUF = CLI.repoRoot.deletingLastPathComponent().appendingPathComponent("shared/vocab/ggml-vocab-llama-bpe.gguf").path

func json(_ s: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any], "not JSON: \(s)")
}

@Suite struct StoreCLITests {
    @Test func createListShowCopyRemove() throws {
        let s = try TempStore()
        defer { s.cleanup() }
        let c = try s.lai(["create", "smollm2:135m", "-f", s.smolModelfile().path])
        #expect(c.status == 0, "\(c.stderr)")
        #expect(c.stdout.isEmpty && c.stderr.hasSuffix("success\n"))

        let l = try s.lai(["list"])
        #expect(l.stdout.hasPrefix("NAME "))
        #expect(l.stdout.contains("smollm2:135m    ") && l.stdout.contains("93.8 MiB"), "\(l.stdout)")
        let lj = try #require(try JSONSerialization.jsonObject(with: Data(try s.lai(["list", "--json"]).stdout.utf8)) as? [[String: Any]])
        let id = try #require(lj.first?["id"] as? String)
        #expect(lj.count == 1 && id.count == 12 && (lj[0]["size"] as? Int ?? 0) > 98_362_432)

        #expect(try s.lai(["show", "smollm2:135m"]).stdout.contains("architecture           llama"))
        let p = try s.lai(["show", "--parameters", "smollm2:135m"]).stdout
        #expect(p == "num_ctx 4096\nstop <|im_start|>\nstop <|im_end|>\ntemperature 0.2\ntop_p 0.9\n")
        #expect(try s.lai(["show", "--system", "smollm2:135m"]).stdout == "You are a helpful AI assistant named SmolLM, trained by Hugging Face\n")
        #expect(try s.lai(["show", "--template", "smollm2:135m"]).status == 0)  // no TEMPLATE: the GGUF's own applies

        // `show --modelfile` recreates the same model: same layers, same manifest, same ID.
        let mf = s.dir.appendingPathComponent("roundtrip.Modelfile")
        try s.lai(["show", "--modelfile", "smollm2:135m"]).stdout.write(to: mf, atomically: true, encoding: .utf8)
        #expect(try s.lai(["create", "again", "-f", mf.path]).status == 0)
        #expect(try s.lai(["list"]).stdout.components(separatedBy: id).count == 3)

        let cp = try s.lai(["cp", "smollm2:135m", "me/smol:v1"])
        #expect(cp.status == 0 && cp.stdout == "copied 'smollm2:135m' to 'me/smol:v1'\n")
        let before = s.blobs
        let bad = try s.lai(["rm", "smollm2:135m", "nothere"])
        #expect(bad.status == 1 && bad.stderr == "lai: model 'nothere' not found; try `lai pull nothere` or `lai list`\n")
        #expect(try s.lai(["list"]).stdout.contains("smollm2:135m"))
        let rm = try s.lai(["rm", "smollm2:135m", "again"])
        #expect(rm.status == 0 && rm.stdout == "deleted 'smollm2:135m'\ndeleted 'again:latest'\n")
        #expect(s.blobs == before)
        #expect(try s.lai(["rm", "me/smol:v1"]).status == 0)
        #expect(s.blobs.isEmpty)
        #expect(try s.lai(["list"]).stdout == "NAME    ID    SIZE    MODIFIED\n")
    }

    @Test func createErrors() throws {
        let s = try TempStore()
        defer { s.cleanup() }
        let mf = s.dir.appendingPathComponent("Modelfile")
        try "FROM \(CLI.smolLM2)\nADAPTER ./lora.gguf\n".write(to: mf, atomically: true, encoding: .utf8)
        let a = try s.lai(["create", "x", "-f", mf.path])
        #expect(a.status == 1 && a.stderr.hasPrefix("lai: Modelfile: ADAPTER is not supported"))
        try "FROM ./missing.gguf\n".write(to: mf, atomically: true, encoding: .utf8)
        let m = try s.lai(["create", "x", "-f", mf.path])
        #expect(m.status == 1 && m.stderr == "lai: \(s.dir.path)/./missing.gguf: cannot open: No such file or directory\n")
        try "FROM nosuchmodel\n".write(to: mf, atomically: true, encoding: .utf8)
        #expect(try s.lai(["create", "x", "-f", mf.path]).stderr == "lai: model 'nosuchmodel:latest' not found; try `lai pull nosuchmodel:latest` or `lai list`\n")
        try "FROM \(CLI.smolLM2)\nPARAMETER temprature 1\n".write(to: mf, atomically: true, encoding: .utf8)
        #expect(try s.lai(["create", "x", "-f", mf.path]).stderr == "lai: \(mf.path): Modelfile line 2: unknown parameter 'temprature'\n")
        #expect(s.snapshot.filter { $0.hasPrefix("manifests/") && $0.split(separator: "/").count == 5 }.isEmpty)
    }

    /// `lai create -q` (as `ollama create -q`): the stored model blob is byte-identical to `lai quantize`'s file of
    /// the same type (itself byte-identical to llama-quantize's, see QuantizeTests); a quantized base is refused.
    @Test func createQuantizes() throws {
        let f16 = CLI.cache.appendingPathComponent("smollm2/SmolLM2-135M-Instruct.Q4_1-F16.gguf").path
        let q4KM = CLI.cache.appendingPathComponent("smollm2/SmolLM2-135M-Instruct.Q4_1-F16-Q4_K_M.gguf").path
        try #require(FileManager.default.fileExists(atPath: q4KM), "the derived SmolLM2 models are missing: run `make derived-models`")
        let s = try TempStore()
        defer { s.cleanup() }
        let mf = s.dir.appendingPathComponent("Modelfile")
        try "FROM \(f16)\nPARAMETER temperature 0\n".write(to: mf, atomically: true, encoding: .utf8)
        let r = try s.lai(["create", "smol:q4", "-f", mf.path, "-q", "Q4_K_M"])
        #expect(r.status == 0 && r.stderr.contains("quantizing F16 model to Q4_K_M"), "\(r.stderr)")
        let sum = Process()
        sum.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        sum.arguments = [q4KM]
        let out = Pipe()
        sum.standardOutput = out
        try sum.run()
        let want = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64)
        sum.waitUntilExit()
        #expect(s.blobs.contains("sha256-\(want)"), "the stored model is not lai quantize's Q4_K_M file")
        #expect(try s.lai(["show", "smol:q4"]).stdout.contains("Q4_K_M"))
        #expect(s.blobs.filter { $0.hasPrefix(".") }.isEmpty, "a temporary file was left in blobs/")
        let bad = try s.lai(["create", "x", "-f", s.smolModelfile().path, "-q", "q4_K_M"])
        // Progress lines, then one error line.
        #expect(bad.status == 1 && bad.stderr.split(separator: "\n").last?.hasPrefix("lai: quantize: the base model is already quantized") == true,
                "\(bad.stderr)")
        let unknown = try s.lai(["create", "x", "-f", mf.path, "-q", "q9_X"])
        #expect(unknown.status != 0 && unknown.stderr.contains("unknown --quantize type 'q9_X'"), "\(unknown.stderr)")
    }

    /// Push a real model to Debian's docker-registry, pull it into an empty store, pull again (nothing
    /// downloaded), then corrupt a blob inside the registry and see the pull refuse it.
    @Test(.enabled(if: TestServer.hasRegistry, "needs Debian's docker-registry (apt-get install docker-registry)"))
    func registryPushPullRoundTrip() throws {
        let a = try TempStore(), b = try TempStore(), c = try TempStore()
        defer { a.cleanup(); b.cleanup(); c.cleanup() }
        let reg = try TestServer(registryData: a.dir)
        let name = "127.0.0.1:\(reg.port)/library/smollm2:test"
        #expect(try a.lai(["create", name, "-f", a.smolModelfile().path, "--quiet"]).status == 0)
        let push = try a.lai(["push", "--insecure", name])
        #expect(push.status == 0 && push.stderr.hasSuffix("success\n"), "\(push.stderr)")
        let again = try a.lai(["push", "--insecure", name])
        #expect(again.stderr.components(separatedBy: "already in the registry").count == 6, "\(again.stderr)")

        let secure = try b.lai(["pull", name, "-q"])
        #expect(secure.status == 1 && secure.stderr.hasPrefix("lai: https://127.0.0.1:\(reg.port)/v2/library/smollm2/manifests/test: "), "\(secure.stderr)")
        let p1 = try b.lai(["pull", "--insecure", "--json", name])
        #expect(p1.status == 0, "\(p1.stderr)")
        let j1 = try json(p1.stdout)
        #expect((j1["downloaded"] as? Int ?? 0) > 98_362_432 && j1["blobs"] as? Int == 5 && j1["reused"] as? Int == 0)
        let rel = "manifests/127.0.0.1:\(reg.port)/library/smollm2/test"
        #expect(FileManager.default.contents(atPath: b.root.path + "/" + rel) == FileManager.default.contents(atPath: a.root.path + "/" + rel))
        #expect(b.blobs == a.blobs)
        let p2 = try b.lai(["pull", "--insecure", "--json", name])
        #expect(try json(p2.stdout)["downloaded"] as? Int == 0)
        #expect(try json(p2.stdout)["reused"] as? Int == 5)
        #expect(try b.lai(["show", "--system", name]).stdout.hasPrefix("You are a helpful AI assistant"))

        // Corrupt the system-prompt blob inside the registry's storage (same size, different bytes).
        let manifest = try json(String(decoding: try #require(FileManager.default.contents(atPath: a.root.path + "/" + rel)), as: UTF8.self))
        let layers = try #require(manifest["layers"] as? [[String: Any]])
        let template = try #require(layers.first { $0["mediaType"] as? String == "application/vnd.ollama.image.system" }?["digest"] as? String)
        let hex = String(template.dropFirst(7))
        let data = a.dir.appendingPathComponent("data/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data")
        var bytes = try Data(contentsOf: data)
        bytes[0] ^= 0x20
        try bytes.write(to: data)
        let p3 = try c.lai(["pull", "--insecure", "-q", name])
        #expect(p3.status == 1)
        #expect(p3.stderr.hasPrefix("lai: \(name): blob \(template): sha256 mismatch (expected \(template), got sha256:"), "\(p3.stderr)")
        #expect(p3.stderr.hasSuffix("); the download was discarded\n"))
        #expect(!c.snapshot.contains { $0.hasPrefix("manifests/") && $0.hasSuffix("/test") })
        #expect(!c.blobs.contains { $0.contains(hex) })
    }

    /// Kill a slow pull midway, check the lock message meanwhile, then resume it with Range requests.
    @Test func resumeAfterKill() throws {
        let src = try TempStore(), s = try TempStore()
        defer { src.cleanup(); s.cleanup() }
        #expect(try src.lai(["pull", CLI.smolLM2, "--name", "smollm2:135m", "-q"]).status == 0)
        let slow = try TestServer(root: src.root, args: ["--rate", "12000000"])
        let name = "127.0.0.1:\(slow.port)/library/smollm2:135m"
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["pull", "--insecure", "-q", name]
        p.environment = ProcessInfo.processInfo.environment.merging(s.env.merging(["LAI_PULL_PARALLEL": "2"]) { $1 }) { $1 }
        try p.run()
        let state = s.root.path + "/blobs/sha256-\(smolHex)-partial.json"
        var done = 0
        for _ in 0..<400 {
            if let d = FileManager.default.contents(atPath: state), let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any],
               let parts = o["parts"] as? [[String: Int]] {
                done = parts.reduce(0) { $0 + ($1["done"] ?? 0) }
                if done >= 12_000_000 { break }
            }
            usleep(25_000)
        }
        #expect(done >= 12_000_000, "the pull made no progress")
        let locked = try s.lai(["rm", "anything"])
        #expect(locked.status == 1 && locked.stderr == "lai: \(s.root.path): locked by another lai process (pid \(p.processIdentifier)); try again when it finishes\n")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(!s.snapshot.contains { $0.hasPrefix("manifests/") && $0.hasSuffix("135m") })
        #expect(s.blobs.contains("sha256-\(smolHex)-partial"))

        let logURL = s.dir.appendingPathComponent("server.log")
        let fast = try TestServer(root: src.root, log: logURL)
        let r = try s.lai(["pull", "--insecure", "--json", "127.0.0.1:\(fast.port)/library/smollm2:135m"])
        #expect(r.status == 0, "\(r.stderr)")
        let downloaded = try #require(try json(r.stdout)["downloaded"] as? Int)
        #expect(downloaded < 98_363_837 - done + 1_000_000, "downloaded \(downloaded) after \(done) were on disk")
        let modelGets = fast.logLines.filter { $0.hasPrefix("GET ") && $0.contains(smolHex) }
        let starts = modelGets.compactMap { $0.split(separator: " ")[2].split(separator: "=").last?.split(separator: "-").first.flatMap { Int($0) } }
        #expect(starts.contains { $0 % 24_590_608 != 0 }, "no request resumed inside a range: \(modelGets)")
        #expect(modelGets.allSatisfy { $0.contains(" 206 ") })
        #expect(!s.blobs.contains { $0.hasSuffix("partial") || $0.hasSuffix(".json") })
        let (hexOut, _) = try sha256sum(s.root.path + "/blobs/sha256-\(smolHex)")
        #expect(hexOut == smolHex)
    }

    /// A registry that wants a Bearer token: lai follows the WWW-Authenticate challenge to the realm.
    @Test func bearerTokenAuth() throws {
        let src = try TempStore(), s = try TempStore()
        defer { src.cleanup(); s.cleanup() }
        #expect(try src.lai(["pull", vocabGGUF, "--name", "vocab:1", "-q"]).status == 0)
        let log = s.dir.appendingPathComponent("auth.log")
        let server = try TestServer(root: src.root, log: log, args: ["--token", "s3cret"])
        let r = try s.lai(["pull", "-q", "--insecure", "127.0.0.1:\(server.port)/library/vocab:1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(server.logLines.contains { $0.hasPrefix("GET /token?") && $0.contains("service=test") && $0.contains("scope=repository") })
        #expect(server.logLines.filter { $0.contains(" 401 ") }.count == 1)
        #expect(server.logLines.filter { $0.contains("/blobs/") && $0.contains(" 206 ") }.count == 2)
    }

    /// Ctrl-C (SIGINT) midway: exit 130, the partial download and its record stay, and the next pull resumes.
    @Test func interruptKeepsThePartial() throws {
        let files = try TempStore(), s = try TempStore()
        defer { files.cleanup(); s.cleanup() }
        try FileManager.default.createDirectory(at: files.root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: vocabGGUF, toPath: files.root.path + "/vocab.gguf")
        // Both runs fetch the same URL through a proxy: first a slow one, then a fast one.
        let slow = try TestServer(root: files.root, args: ["--rate", "500000"])
        let fastLog = s.dir.appendingPathComponent("fast.log")
        let fast = try TestServer(root: files.root, log: fastLog)
        let url = "http://models.invalid/vocab.gguf"
        func env(_ proxy: TestServer) -> [String: String] {
            s.env.merging(["http_proxy": "http://127.0.0.1:\(proxy.port)", "no_proxy": "", "NO_PROXY": "", "LAI_PULL_PART_SIZE": "1000000"]) { $1 }
        }
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["pull", "-q", url, "--name", "vocab:1"]
        p.environment = ProcessInfo.processInfo.environment.merging(env(slow)) { $1 }
        try p.run()
        var partial: String?
        for _ in 0..<300 {
            partial = s.blobs.first { $0.hasPrefix("url-") && $0.hasSuffix("-partial.json") }
            if partial != nil { break }
            usleep(20_000)
        }
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
        let kept = try #require(partial)
        #expect(s.blobs.contains(kept) && s.blobs.contains(String(kept.dropLast(5))))
        #expect(!s.snapshot.contains { $0.hasPrefix("manifests/") && $0.hasSuffix("/1") })
        let r = try CLI.run(["pull", "--json", url, "--name", "vocab:1"], env: env(fast))
        #expect(r.status == 0, "\(r.stderr)")
        let downloaded = try #require(try json(r.stdout)["downloaded"] as? Int)
        #expect(downloaded < 7_818_140 - 1_000_000, "downloaded \(downloaded) of 7818140")
        #expect(fast.logLines.contains { $0.hasPrefix("GET /vocab.gguf bytes=") && !$0.contains("000000-") && !$0.contains("bytes=0-") })
        #expect(!s.blobs.contains { $0.contains("partial") })
    }

    /// URL pulls: parallel ranges, retries after 503s, a server without Range support, a non-GGUF file.
    @Test func urlPulls() throws {
        let files = try TempStore(), s = try TempStore()
        defer { files.cleanup(); s.cleanup() }
        try FileManager.default.createDirectory(at: files.root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: vocabGGUF, toPath: files.root.path + "/vocab.gguf")
        try Data("not a model".utf8).write(to: files.root.appendingPathComponent("notes.gguf"))
        let log = s.dir.appendingPathComponent("flaky.log")
        let flaky = try TestServer(root: files.root, log: log, args: ["--fail", "2"])
        let r = try s.lai(["pull", "--json", "http://127.0.0.1:\(flaky.port)/vocab.gguf", "--name", "vocab:bpe"],
                          env: ["LAI_PULL_PART_SIZE": "1000000"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try json(r.stdout)["downloaded"] as? Int == 7_818_140)
        #expect(flaky.logLines.filter { $0.contains(" 503 ") }.count == 2)
        #expect(flaky.logLines.filter { $0.contains(" 206 ") }.count == 8)
        #expect(try s.lai(["list"]).stdout.contains("vocab:bpe "))

        // Redirects (registries send blobs to a CDN) keep the Range header.
        let r1 = try s.lai(["pull", "-q", "http://127.0.0.1:\(flaky.port)/redirect/vocab.gguf", "--name", "vocab:redirected"],
                           env: ["LAI_PULL_PART_SIZE": "3000000"])
        #expect(r1.status == 0, "\(r1.stderr)")
        #expect(flaky.logLines.filter { $0.hasPrefix("GET /vocab.gguf bytes=") && $0.contains(" 206 ") }.count == 8 + 3)

        let plain = try TestServer(root: files.root, args: ["--no-range"])
        let r2 = try s.lai(["pull", "-q", "http://127.0.0.1:\(plain.port)/vocab.gguf"], env: ["LAI_PULL_PART_SIZE": "1000000"])
        #expect(r2.status == 0, "\(r2.stderr)")
        #expect(try s.lai(["list"]).stdout.contains("vocab:latest "))

        let before = s.snapshot
        let r3 = try s.lai(["pull", "-q", "http://127.0.0.1:\(plain.port)/notes.gguf"])
        #expect(r3.status == 1 && r3.stderr.hasPrefix("lai: http://127.0.0.1:\(plain.port)/notes.gguf: not a usable GGUF file ("))
        #expect(s.snapshot == before)
        let r4 = try s.lai(["pull", "-q", "http://127.0.0.1:\(plain.port)/missing.gguf"])
        #expect(r4.status == 1 && r4.stderr == "lai: http://127.0.0.1:\(plain.port)/missing.gguf: HTTP 404: not found\n")
        #expect(s.snapshot == before)
    }

    /// HTTP_PROXY (upper case, which libcurl alone ignores) and NO_PROXY are honoured.
    @Test func proxyFromEnvironment() throws {
        let files = try TempStore(), s = try TempStore()
        defer { files.cleanup(); s.cleanup() }
        try FileManager.default.createDirectory(at: files.root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: vocabGGUF, toPath: files.root.path + "/vocab.gguf")
        let log = s.dir.appendingPathComponent("proxy.log")
        let proxy = try TestServer(root: files.root, log: log)
        let env = ["HTTP_PROXY": "http://127.0.0.1:\(proxy.port)", "NO_PROXY": "", "no_proxy": ""]
        let r = try s.lai(["pull", "-q", "http://models.invalid/vocab.gguf", "--name", "viaproxy"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(proxy.logLines.contains { $0.hasPrefix("GET /vocab.gguf") && $0.hasSuffix(" proxied") })
        let direct = try s.lai(["pull", "-q", "http://127.0.0.1:\(proxy.port)/vocab.gguf", "--name", "direct"],
                               env: env.merging(["NO_PROXY": "127.0.0.1"]) { $1 })
        #expect(direct.status == 0, "\(direct.stderr)")
        #expect(proxy.logLines.filter { $0.hasSuffix(" proxied") }.count == proxy.logLines.filter { $0.contains("models.invalid") || $0.hasSuffix("proxied") }.count)
        #expect(proxy.logLines.contains { $0.hasPrefix("GET /vocab.gguf") && !$0.hasSuffix(" proxied") })
    }

    /// Bad names, unknown models, unreachable hosts and a full disk: one line on stderr, store unchanged.
    @Test func errorsLeaveTheStoreAsItWas() throws {
        let src = try TempStore(), s = try TempStore()
        defer { src.cleanup(); s.cleanup() }
        #expect(try src.lai(["pull", vocabGGUF, "--name", "vocab:1", "-q"]).status == 0)
        #expect(try s.lai(["pull", vocabGGUF, "--name", "keep:1", "-q"]).status == 0)
        let before = s.snapshot
        let server = try TestServer(root: src.root)
        let host = "127.0.0.1:\(server.port)"
        let cases: [([String], String)] = [
            (["pull", "lib/-evil"], "lai: invalid model name 'lib/-evil': name must start with a letter, digit or '_'\n"),
            (["pull", "x/../../etc"], "lai: invalid model name 'x/../../etc': too many '/' (expected [host/][namespace/]name[:tag])\n"),
            (["pull", "a//b"], "lai: invalid model name 'a//b': empty namespace\n"),
            (["pull", "-q", "--insecure", "\(host)/library/nothere:1"],
             "lai: http://\(host)/v2/library/nothere/manifests/1: HTTP 404: model '\(host)/library/nothere:1' not found in the registry\n"),
            (["pull", "-q", "--insecure", "127.0.0.1:1/library/x"],
             "lai: http://127.0.0.1:1/v2/library/x/manifests/latest: cannot connect (connection refused or host down)\n"),
            (["pull", "http://\(host)/library/vocab:1"], "lai: http://\(host)/library/vocab:1: the registry speaks plain http; pass --insecure to allow it\n"),
            (["rm", "nothere"], "lai: model 'nothere' not found; try `lai pull nothere` or `lai list`\n"),
            (["cp", "nothere", "x"], "lai: model 'nothere:latest' not found; try `lai pull nothere:latest` or `lai list`\n"),
            (["show", "nothere"], "lai: model 'nothere' not found; try `lai pull nothere` or `lai list`\n"),
            (["pull", "./nothere.gguf"], "lai: ./nothere.gguf: cannot open: No such file or directory\n"),
        ]
        for (args, message) in cases {
            let r = try s.lai(args)
            #expect(r.status == 1, "\(args)")
            #expect(r.stderr == message, "\(args)")
            #expect(s.snapshot == before, "\(args) changed the store")
        }

        // A full disk: a 2 MiB tmpfs where we may mount one, else a 2 MiB file size limit (EFBIG).
        let small = s.dir.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: small, withIntermediateDirectories: true)
        let mounted = (try? CLI.run(["--version"]).status) == 0 && shell("mount -t tmpfs -o size=2m tmpfs '\(small.path)'") == 0
        defer { if mounted { _ = shell("umount '\(small.path)'") } }
        let env = s.env.merging(["LAI_MODELS": small.path]) { $1 }
        let script = mounted ? "" : "trap '' XFSZ; ulimit -f 4096; "
        let full = try runShell(script + "exec '\(CLI.binary.path)' pull -q --insecure \(host)/library/vocab:1", env: env)
        #expect(full.status == 1)
        #expect(full.stderr.hasPrefix("lai: \(small.path)/blobs/sha256-") && full.stderr.hasSuffix(mounted ? ": cannot write: no space left on device\n" : ": cannot write: File too large\n"), "\(full.stderr)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: small.path + "/blobs")) ?? []
        #expect(left.filter { $0.contains("partial") || $0.contains(smolHex) }.isEmpty, "\(left)")
        #expect(!FileManager.default.fileExists(atPath: small.path + "/manifests/\(host)"))
    }
}

@discardableResult
func shell(_ cmd: String) -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = ["-c", cmd + " 2>/dev/null"]
    guard (try? p.run()) != nil else { return -1 }
    p.waitUntilExit()
    return p.terminationStatus
}

func runShell(_ cmd: String, env: [String: String]) throws -> CommandResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/bash")
    p.arguments = ["-c", cmd]
    p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out; p.standardError = err
    try p.run()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return CommandResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

func sha256sum(_ path: String) throws -> (String, Int) {
    let r = try runShell("sha256sum '\(path)'", env: [:])
    return (String(r.stdout.prefix(64)), 0)
}
