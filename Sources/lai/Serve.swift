// lai serve: the Ollama- and OpenAI-compatible HTTP server (the server itself is LAICore's LAIServer).
import ArgumentParser
import Foundation
import LAICore

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the store's models over Ollama's and OpenAI's HTTP APIs.",
        discussion: """
        Listens on 127.0.0.1:11434 (Ollama's port; --host or LAI_HOST to change). Models load on first use and
        unload after --keep-alive. Each chat model runs --parallel requests at once in one batched engine;
        beyond that --max-queue wait, and the rest get 503 with Retry-After. SIGTERM drains: no new requests,
        running ones finish. SIGHUP reloads the key file and reopens the audit log. See docs/SERVE.md.
        """)

    @Option(help: "Address to listen on, HOST or HOST:PORT (default 127.0.0.1:11434; LAI_HOST).") var host: String?
    @Option(help: "Port (overrides the one in --host; 0 picks a free one).") var port: Int?
    @Option(help: "Requests each chat model runs at once (slots of one batch).") var parallel = 4
    @Option(name: .customLong("max-queue"), help: "Requests that may wait for a slot; more get 503.") var maxQueue = 16
    @Option(name: .customLong("ctx-size"), help: "Context tokens per slot: the largest num_ctx served.") var ctxSize = 4096
    @Option(name: .customLong("keep-alive"), help: "How long an idle model stays loaded (5m, 1h, 0, -1 for ever).") var keepAlive = "5m"
    @Option(name: .customLong("max-loaded"), help: "Models kept in memory at once (least recently used goes first).") var maxLoaded = 3
    @Option(name: .customLong("max-memory"), help: "Memory loaded models may take, e.g. 8G (default: no limit).") var maxMemory: String?
    @Option(help: "Load this model at start (repeatable).") var preload: [String] = []
    @Option(help: "API key file (JSON, see docs/SERVE.md); every route but /health, /chat and /api/version then needs a key.") var keys: String?
    @Option(name: .customLong("oidc-issuer"), help: "Accept bearer JWTs from this issuer (with --oidc-audience and --oidc-jwks).") var oidcIssuer: String?
    @Option(name: .customLong("oidc-audience"), help: "The audience (aud) tokens must name.") var oidcAudience: String?
    @Option(name: .customLong("oidc-jwks"), help: "The issuer's JWKS: a file or an https URL.") var oidcJWKS: String?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS (with --tls-key).") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Flag(name: .customLong("allow-unauthenticated"), help: "Serve on a non-loopback address without --keys or OIDC.") var allowUnauthenticated = false
    @Option(name: .customLong("requests-per-minute"), help: "Requests per minute per client (key or address).") var requestsPerMinute: Int?
    @Option(name: .customLong("tokens-per-minute"), help: "Prompt and generated tokens per minute per client.") var tokensPerMinute: Int?
    @Option(name: .customLong("concurrency"), help: "Requests at once per client.") var concurrency: Int?
    @Option(name: .customLong("audit-log"), help: "Append one JSON line per request to this file.") var auditLog: String?
    @Flag(name: .customLong("audit-prompts"), help: "Include the last user message in audit lines.") var auditPrompts = false
    @Option(help: "Browser origins allowed besides localhost (comma-separated).") var origins: String?
    @Option(name: .customLong("max-body"), help: "Largest request body, e.g. 16M (413 beyond).") var maxBody = "16M"
    @Option(name: .customLong("kb-embed-model"), help: "Embedding model the knowledge bases were indexed with (default ~/.cache/lai/minilm).")
    var kbEmbedModel: String?
    @Flag(help: "Run the portable Swift kernels instead of the SIMD ones.") var portable = false

    func validate() throws {
        if parallel < 1 || parallel > 64 { throw ValidationError("--parallel must be between 1 and 64") }
        if maxQueue < 0 { throw ValidationError("--max-queue must be 0 or more") }
        if ctxSize < 64 { throw ValidationError("--ctx-size must be at least 64") }
        if let p = port, !(0...65535).contains(p) { throw ValidationError("--port must be between 0 and 65535") }
        if LAIServer.parseDuration(keepAlive) == nil { throw ValidationError("--keep-alive: '\(keepAlive)' is not a duration such as 5m") }
        if let m = maxMemory, Serve.bytes(m) == nil { throw ValidationError("--max-memory: '\(m)' is not a size such as 8G") }
        let oidcParts = [oidcIssuer, oidcAudience, oidcJWKS].compactMap { $0 }
        if !oidcParts.isEmpty && oidcParts.count != 3 { throw ValidationError("--oidc-issuer, --oidc-audience and --oidc-jwks go together") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if Serve.bytes(maxBody) == nil { throw ValidationError("--max-body: '\(maxBody)' is not a size such as 16M") }
    }

    /// "16M", "8G", "512K", "1000": bytes.
    static func bytes(_ s: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var t = s.uppercased().replacingOccurrences(of: "IB", with: "").replacingOccurrences(of: "B", with: "")
        var mult = 1
        if let u = t.last, let m = units[u] { mult = m; t.removeLast() }
        guard let v = Double(t), v >= 0 else { return nil }
        return Int(v * Double(mult))
    }

    func run() throws {
        var c = ServeConfiguration()
        let address = host ?? ProcessInfo.processInfo.environment["LAI_HOST"] ?? "127.0.0.1:11434"
        var h = address.replacingOccurrences(of: "http://", with: "")
        var p = 11434
        if let colon = h.lastIndex(of: ":"), !h.hasSuffix("]"), let n = Int(h[h.index(after: colon)...]) { p = n; h = String(h[..<colon]) }
        c.host = h.isEmpty ? "127.0.0.1" : h
        c.port = port ?? p
        c.models.parallel = parallel
        c.models.maxQueue = maxQueue
        c.models.slotContext = ctxSize
        let k = LAIServer.parseDuration(keepAlive)!
        c.models.keepAlive = k < 0 ? nil : k
        c.models.maxLoaded = maxLoaded
        c.models.memoryLimit = maxMemory.flatMap(Serve.bytes)
        c.models.useKernels = !portable
        c.preload = preload
        c.keysFile = keys
        c.allowUnauthenticated = allowUnauthenticated
        if let i = oidcIssuer, let a = oidcAudience, let j = oidcJWKS { c.oidc = OIDCSettings(issuer: i, audience: a, jwks: j) }
        c.tlsCertificate = tlsCert
        c.tlsKey = tlsKey
        c.defaultLimits = RateLimits(requestsPerMinute: requestsPerMinute, tokensPerMinute: tokensPerMinute, concurrency: concurrency)
        c.auditLog = auditLog
        c.auditPrompts = auditPrompts
        c.origins = origins.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        c.maxBodyBytes = Serve.bytes(maxBody)!
        if let e = kbEmbedModel { c.knowledgeBaseEmbedder = e }
        c.version = LAIVersion.string
        let server = try LAIServer(config: c)
        Interrupts.removeCleanupHandler()
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: Error?
        let shownHost = c.host.contains(":") ? "[\(c.host)]" : c.host
        Task {
            do {
                let scheme = c.tlsCertificate == nil ? "http" : "https"
                try await server.run { port in Stderr.line("lai serve: listening on \(scheme)://\(shownHost):\(port)") }
            } catch { failure = error }
            done.signal()
        }
        done.wait()
        if let failure { throw failure }
    }
}
