// lai serve tests: start the server on a free loopback port and talk to it with the official Python clients
// (openai, ollama, langchain-ollama, llama-index, pinned in the Makefile's serve venv), a headless Chromium, and
// plain HTTP for the load, security and lifecycle checks (Tests/Fixtures/serve/*.py).
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A running `lai serve`; stopped (SIGKILL unless already stopped) when released.
final class ServeProcess {
    let process = Process()
    let port: Int
    private let stderrLines = StderrCollector()
    let scheme: String
    var url: String { "\(scheme)://127.0.0.1:\(port)" }
    var stderr: String { stderrLines.text }

    init(_ args: [String], env: [String: String], scheme: String = "http") throws {
        self.scheme = scheme
        process.executableURL = CLI.binary
        process.arguments = ["serve", "--port", "0"] + args
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        process.environment = e
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let collector = stderrLines
        DispatchQueue.global().async {
            while true {
                let d = err.fileHandleForReading.availableData
                if d.isEmpty { collector.close(); return }
                collector.append(String(decoding: d, as: UTF8.self))
            }
        }
        guard let p = collector.waitForPort(seconds: 120, scheme: scheme) else {
            process.terminate()
            throw CLIError("lai serve did not start: \(collector.text)")
        }
        port = p
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }

    /// Runs a Python script against this server; returns its exit status and output.
    func python(_ interpreter: String, _ script: String, _ args: [String] = [], env: [String: String] = [:]) throws -> CommandResult {
        var e = env
        e["LAI_URL"] = url
        e["NO_PROXY"] = "127.0.0.1,localhost"; e["no_proxy"] = "127.0.0.1,localhost"
        return try runProcess(interpreter, [CLI.repoRoot.appendingPathComponent("Tests/Fixtures/serve/\(script)").path] + args, env: e)
    }
}

final class StderrCollector: @unchecked Sendable {
    private let lock = NSCondition()
    private var buffer = ""
    private var closed = false
    var text: String { lock.lock(); defer { lock.unlock() }; return buffer }
    func append(_ s: String) { lock.lock(); buffer += s; lock.broadcast(); lock.unlock() }
    func close() { lock.lock(); closed = true; lock.broadcast(); lock.unlock() }
    func waitForPort(seconds: Double, scheme: String) -> Int? {
        let end = Date().addingTimeInterval(seconds)
        lock.lock(); defer { lock.unlock() }
        while true {
            if let r = buffer.range(of: "listening on \(scheme)://127.0.0.1:") {
                let digits = buffer[r.upperBound...].prefix { $0.isNumber }
                if let p = Int(digits), buffer[r.upperBound...].dropFirst(digits.count).first == "\n" { return p }
            }
            if closed || !lock.wait(until: end) { return nil }
        }
    }
}

func runProcess(_ exe: String, _ args: [String], env: [String: String]) throws -> CommandResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    var e = ProcessInfo.processInfo.environment
    for (k, v) in env { e[k] = v }
    p.environment = e
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return CommandResult(status: p.terminationStatus, stdout: String(decoding: data, as: UTF8.self), stderr: "")
}

enum ServeFixtures {
    static var venvPython: String { CLI.cache.appendingPathComponent("serve-venv/bin/python").path }
    static var hasVenv: Bool { FileManager.default.isExecutableFile(atPath: venvPython) }
    static var miniLM: String { CLI.cache.appendingPathComponent("minilm/minilm-F32.gguf").path }
    static var hasModels: Bool { FileManager.default.fileExists(atPath: CLI.smolLM2) && FileManager.default.fileExists(atPath: miniLM) }
    static var hasBrowser: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver") }

    /// A temporary store with smollm2:135m and all-minilm, as `lai create` makes them from the shipped Modelfiles.
    static func store() throws -> TempStore {
        let s = try TempStore()
        try #require(s.lai(["create", "smollm2:135m", "-f", s.smolModelfile().path]).status == 0)
        let mf = s.dir.appendingPathComponent("all-minilm.Modelfile")
        try "FROM \(miniLM)\nPARAMETER num_ctx 256\n".write(to: mf, atomically: true, encoding: .utf8)
        try #require(s.lai(["create", "all-minilm", "-f", mf.path]).status == 0)
        return s
    }
}

@Suite(.serialized, .enabled(if: ServeFixtures.hasModels, "needs the demo models (make derived-models)"))
struct ServeCLITests {
    /// openai, ollama, langchain-ollama and llama-index against lai serve; greedy answers equal `lai run`'s and
    /// embeddings `lai embed`'s; /api/pull from a local registry (blobserver.py serving the store's own manifests);
    /// blobs uploaded with create_blob and turned into a quantized model by create(files:, quantize:); /api/push to
    /// Debian's docker-registry and back.
    @Test(.enabled(if: ServeFixtures.hasVenv, "needs the client venv (make serve-venv)"))
    func officialClients() throws {
        let store = try ServeFixtures.store()
        defer { store.cleanup() }
        let greedy = try store.lai(["run", "smollm2:135m", "Why is the sky blue?", "--temperature", "0", "--num-predict", "24"])
        try #require(greedy.status == 0, "\(greedy.stderr)")
        let embedded = try store.lai(["embed", "all-minilm", "The quick brown fox jumps over the lazy dog."])
        let vector = try #require(try json(embedded.stdout.split(separator: "\n")[0].description)["embedding"] as? [Double])
        let registry = try TestServer(root: store.root)
        // A writable registry for /api/push (Debian's docker-registry), and an F16 model to upload and quantize.
        let pushData = store.dir.appendingPathComponent("push-registry")
        try FileManager.default.createDirectory(at: pushData, withIntermediateDirectories: true)
        let pushRegistry = TestServer.hasRegistry ? try TestServer(registryData: pushData) : nil
        let f16 = CLI.cache.appendingPathComponent("smollm2/SmolLM2-135M-Instruct.Q4_1-F16.gguf").path
        try #require(FileManager.default.fileExists(atPath: f16), "the SmolLM2 F16 model is missing: run `make derived-models`")
        let server = try ServeProcess([], env: store.env)
        let r = try server.python(ServeFixtures.venvPython, "test_clients.py", env: [
            // lai run ends its answer with a newline for the terminal.
            "EXPECT_GREEDY": greedy.stdout.hasSuffix("\n") ? String(greedy.stdout.dropLast()) : greedy.stdout, "LAI_REGISTRY": "127.0.0.1:\(registry.port)",
            "LAI_PUSH_REGISTRY": pushRegistry.map { "127.0.0.1:\($0.port)" } ?? "", "LAI_F16_GGUF": f16,
            "EXPECT_EMBEDDING": String(decoding: try JSONSerialization.data(withJSONObject: vector), as: UTF8.self),
        ].merging(store.env) { $1 })
        #expect(r.status == 0, "\(r.stdout)\nserver:\n\(server.stderr)")
    }

    /// Structured output and tools through the official clients on Qwen2.5-Coder-0.5B-Instruct (its template has
    /// tools): Ollama `format`, OpenAI `response_format` (validated with python-jsonschema), tool calls streamed and
    /// not, `tool_choice` required and named, round trips with the tool's result, and 400s for bad schemas and tools.
    @Test(.enabled(if: ServeFixtures.hasVenv, "needs the client venv (make serve-venv)"))
    func structuredOutputAndTools() throws {
        let qwen = CLI.cache.appendingPathComponent("qwen2.5-coder-0.5b/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf").path
        try #require(FileManager.default.fileExists(atPath: qwen), "the Qwen2.5-Coder 0.5B model is missing: run `make models`")
        let store = try ServeFixtures.store()
        defer { store.cleanup() }
        let mf = store.dir.appendingPathComponent("qwen.Modelfile")
        try "FROM \(qwen)\n".write(to: mf, atomically: true, encoding: .utf8)
        try #require(store.lai(["create", "qwen2.5-coder:0.5b", "-f", mf.path]).status == 0)
        let server = try ServeProcess(["--ctx-size", "4096", "--parallel", "2"], env: store.env)
        let r = try server.python(ServeFixtures.venvPython, "test_structured.py", env: ["LAI_TOOL_MODEL": "qwen2.5-coder:0.5b"].merging(store.env) { $1 })
        #expect(r.status == 0, "\(r.stdout)\nserver:\n\(server.stderr)")
    }

    /// 8 streams against --parallel 4 --max-queue 2: 6 complete, 2 get 503 + Retry-After; disconnects free slots;
    /// context dropping and clamping; malformed requests; CORS; metrics; audit lines.
    @Test func loadLimitsAndErrors() throws {
        let store = try ServeFixtures.store()
        defer { store.cleanup() }
        let audit = store.dir.appendingPathComponent("audit.jsonl").path
        let server = try ServeProcess(["--parallel", "4", "--max-queue", "2", "--ctx-size", "1024", "--preload", "smollm2:135m",
                                       "--audit-log", audit], env: store.env)
        let r = try server.python("/usr/bin/python3", "test_serve.py", ["load", server.url, audit], env: store.env)
        #expect(r.status == 0, "\(r.stdout)\nserver:\n\(server.stderr)")
    }

    /// /v1/rerank, /rerank and their /reranking aliases on the tiny XLM-RoBERTa reranker: llama-server's order, scores
    /// (±2e-3) and token usage; top_n, {"text"} documents, return_documents, TEI's "texts" shape; truncation; 400s for
    /// malformed requests and for models that are not rerankers (an embedder, a chat model), 404 for unknown ones.
    /// The same checks on Qwen3-Reranker's layout (a decoder with a yes/no head, make hf-bpe's qwen3-reranker folder).
    @Test(arguments: ["xlm-roberta-reranker", "qwen3-reranker"])
    func rerankEndpoints(reranker: String) throws {
        let store = try ServeFixtures.store()
        defer { store.cleanup() }
        let folder = reranker == "qwen3-reranker" ? CLI.cache.appendingPathComponent("hf-bpe/qwen3-reranker")
                                                  : CLI.repoRoot.appendingPathComponent("Tests/Fixtures/hfconvert/\(reranker)")
        try #require(FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path), "\(folder.path) is missing: make hf-bpe")
        try store.create("tiny-reranker", convertedFrom: folder)
        // A knowledge base (the demo MiniLM embedder) for /lai/v1/retrieve with "rerank".
        let env = store.env.merging(["LAI_HOME": store.dir.appendingPathComponent("home").path]) { $1 }
        let ix = try store.lai(["index", CLI.repoRoot.appendingPathComponent("Tests/Fixtures/kb").path, "--kb", "docs"], env: env)
        try #require(ix.status == 0, "\(ix.stderr)")
        let server = try ServeProcess([], env: env)
        let r = try server.python("/usr/bin/python3", "test_serve.py", ["rerank", server.url, "-"], env: env.merging([
            "RERANK_MODEL": "tiny-reranker",
            "RERANK_SCORES": CLI.repoRoot.appendingPathComponent("Tests/Fixtures/rerank/\(reranker).scores.json").path,
        ]) { $1 })
        #expect(r.status == 0, "\(r.stdout)\nserver:\n\(server.stderr)")
    }

    /// A decoder embedder (the tiny Qwen3-Embedding layout, pooling_type last) is served as an embedding model:
    /// /v1/embeddings and /api/embed give llama-server's vectors (±2e-4) and token usage; /api/chat answers 400.
    @Test func decoderEmbedderIsServedAsEmbeddingModel() throws {
        let store = try ServeFixtures.store()
        defer { store.cleanup() }
        let folder = CLI.cache.appendingPathComponent("hf-bpe/qwen3-embedding")
        try #require(FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path), "\(folder.path) is missing: make hf-bpe")
        try store.create("tiny-qwen3-embedding", convertedFrom: folder)
        let server = try ServeProcess([], env: store.env)
        let r = try server.python("/usr/bin/python3", "test_serve.py", ["embed-decoder", server.url, "-"], env: store.env.merging([
            "EMBED_MODEL": "tiny-qwen3-embedding",
            "EMBED_REF": CLI.repoRoot.appendingPathComponent("Tests/Fixtures/rerank/qwen3-embedding.embeddings.json").path,
        ]) { $1 })
        #expect(r.status == 0, "\(r.stdout)\nserver:\n\(server.stderr)")
    }

    /// A model without a chat template (a base model) answers /api/generate by completing the prompt, as Ollama's
    /// `{{ .Prompt }}` does: the same tokens as raw; a request's own template still applies.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: CLI.tinyGemma3), "needs the tiny family models (make tiny-models)"))
    func baseModelGenerateCompletesThePrompt() throws {
        let store = try ServeFixtures.store()
        defer { store.cleanup() }
        let mf = store.dir.appendingPathComponent("base.Modelfile")
        try "FROM \(CLI.tinyGemma3)\n".write(to: mf, atomically: true, encoding: .utf8)
        let c = try store.lai(["create", "tiny-base", "-f", mf.path])
        try #require(c.status == 0, "\(c.stderr)")
        let server = try ServeProcess([], env: store.env)
        let r = try server.python("/usr/bin/python3", "test_serve.py", ["base-model", server.url, "-"],
                                  env: store.env.merging(["BASE_MODEL": "tiny-base"]) { $1 })
        #expect(r.status == 0, "\(r.stdout)\nserver:\n\(server.stderr)")
    }

    /// --max-loaded 1: loading a second model unloads the idle first one.
    @Test func leastRecentlyUsedModelIsEvicted() throws {
        let store = try ServeFixtures.store()
        defer { store.cleanup() }
        let server = try ServeProcess(["--max-loaded", "1"], env: store.env)
        let r = try server.python("/usr/bin/python3", "test_serve.py", ["lru", server.url, "/dev/null"], env: store.env)
        #expect(r.status == 0, "\(r.stdout)\nserver:\n\(server.stderr)")
    }

    /// API keys (401 without, 403 without the scope), per-key rate limits (429 + x-ratelimit-*), audit identities.
    @Test func keysScopesAndRateLimits() throws {
        let store = try ServeFixtures.store()
        defer { store.cleanup() }
        let keys = store.dir.appendingPathComponent("keys.json").path
        func key(_ args: [String]) throws -> String {
            let r = try store.lai(["key"] + args + ["--file", keys])
            try #require(r.status == 0, "\(r.stderr)")
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let alice = try key(["alice", "--requests-per-minute", "3"])
        let bob = try key(["bob", "--scopes", "read"])
        let root = try key(["root", "--scopes", "admin,read"])
        let mode = try FileManager.default.attributesOfItem(atPath: keys)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try String(contentsOfFile: keys, encoding: .utf8).contains(alice) == false, "the key file must hold hashes only")
        let audit = store.dir.appendingPathComponent("audit.jsonl").path
        let server = try ServeProcess(["--keys", keys, "--audit-log", audit], env: store.env)
        let r = try server.python("/usr/bin/python3", "test_serve.py", ["keys", server.url, audit],
                                  env: store.env.merging(["KEY_ALICE": alice, "KEY_BOB": bob, "KEY_ROOT": root]) { $1 })
        #expect(r.status == 0, "\(r.stdout)\nserver:\n\(server.stderr)")
    }

    /// HTTPS with a test certificate; bearer JWTs from a test identity provider (PyJWT): valid, expired, wrong
    /// audience or issuer, bad signature; scopes from the token's `scope` claim.
    @Test(.enabled(if: ServeFixtures.hasVenv, "needs the client venv (make serve-venv)"))
    func oidcTokensOverTLS() throws {
        let store = try ServeFixtures.store()
        defer { store.cleanup() }
        let d = store.dir.path
        let gen = try runProcess(ServeFixtures.venvPython, [CLI.repoRoot.appendingPathComponent("Tests/Fixtures/serve/test_oidc_tls.py").path, "gen", d], env: [:])
        try #require(gen.status == 0, "\(gen.stdout)")
        let server = try ServeProcess(["--oidc-issuer", "https://idp.test", "--oidc-audience", "lai", "--oidc-jwks", d + "/jwks.json",
                                       "--tls-cert", d + "/cert.pem", "--tls-key", d + "/key.pem"], env: store.env, scheme: "https")
        let r = try server.python(ServeFixtures.venvPython, "test_oidc_tls.py", ["check", server.url, d], env: store.env)
        #expect(r.status == 0, "\(r.stdout)\nserver:\n\(server.stderr)")
    }

    /// A non-loopback address without keys is refused with one line; bad flags too.
    @Test func refusesUnauthenticatedNetworkBind() throws {
        let store = try TempStore()
        defer { store.cleanup() }
        let r = try store.lai(["serve", "--host", "0.0.0.0:0"])
        #expect(r.status == 1 && r.stderr.contains("without authentication") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        let bad = try store.lai(["serve", "--keep-alive", "soon"])
        #expect(bad.status != 0 && bad.stderr.contains("--keep-alive"))
        let keys = store.dir.appendingPathComponent("keys.json")
        try "{\"keys\": [{\"name\": \"x\", \"sha256\": \"zz\"}]}".write(to: keys, atomically: true, encoding: .utf8)
        let badKeys = try store.lai(["serve", "--keys", keys.path, "--port", "0"])
        #expect(badKeys.status == 1 && badKeys.stderr.contains("keys[0]") && badKeys.stderr.contains("sha256"), "\(badKeys.stderr)")
    }

    /// SIGTERM drains: a running stream finishes, new requests are refused, the process exits 0.
    @Test func sigtermDrainsRunningStreams() throws {
        let store = try ServeFixtures.store()
        defer { store.cleanup() }
        let server = try ServeProcess(["--preload", "smollm2:135m"], env: store.env)
        let script = """
            import http.client, json, os, signal, sys, time
            c = http.client.HTTPConnection("127.0.0.1", \(server.port), timeout=120)
            c.request("POST", "/api/generate", body=json.dumps({"model": "smollm2:135m", "prompt": "Count to 100.",
                      "options": {"num_predict": 48, "temperature": 0}}))
            r = c.getresponse()
            first = r.readline()
            os.kill(\(server.process.processIdentifier), signal.SIGTERM)
            rest = r.read().decode().strip().splitlines()
            last = json.loads(rest[-1])
            assert last["done"] and last["eval_count"] > 1 and last["done_reason"] in ("stop", "length"), last
            print("stream finished after SIGTERM with", last["eval_count"], "tokens")
            """
        let r = try runProcess("/usr/bin/python3", ["-c", script], env: [:])
        #expect(r.status == 0, "\(r.stdout)\n\(server.stderr)")
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0, "\(server.stderr)")
    }

    /// The chat page in headless Chromium: pick a model, send, see a streamed answer, stop one.
    @Test(.enabled(if: ServeFixtures.hasVenv && ServeFixtures.hasBrowser, "needs chromium-driver and the client venv (make serve-venv)"))
    func chatPageInABrowser() throws {
        let store = try ServeFixtures.store()
        defer { store.cleanup() }
        let server = try ServeProcess(["--preload", "smollm2:135m"], env: store.env)
        let r = try server.python(ServeFixtures.venvPython, "test_chat_page.py", env: ["LAI_CHAT_MODEL": "smollm2:135m"])
        #expect(r.status == 0, "\(r.stdout)\nserver:\n\(server.stderr)")
    }
}

extension TempStore {
    /// `lai quantize FOLDER --type f32` into the store's directory, then `lai create NAME` from that GGUF.
    func create(_ name: String, convertedFrom folder: URL) throws {
        let gguf = dir.appendingPathComponent("\(name).gguf").path
        let q = try lai(["quantize", folder.path, "--type", "f32", "--output", gguf])
        try #require(q.status == 0, "\(q.stderr)")
        let mf = dir.appendingPathComponent("\(name).Modelfile")
        try "FROM \(gguf)\n".write(to: mf, atomically: true, encoding: .utf8)
        let c = try lai(["create", name, "-f", mf.path])
        try #require(c.status == 0, "\(c.stderr)")
    }
}
