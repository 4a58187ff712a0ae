// LAIServer: `lai serve` — the Ollama, OpenAI and lai HTTP APIs over the model manager, on Hummingbird, with
// authentication, rate limits, CORS, body limits, an audit log and Prometheus metrics around every route.
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

package struct ServeConfiguration: Sendable {
    package var host = "127.0.0.1"
    package var port = 11434
    package var models = ModelOptions()
    /// Models to load at start.
    package var preload: [String] = []
    /// API keys (see APIKeyFile); nil: no authentication.
    package var keysFile: String?
    /// Bearer JWTs from an identity provider (with or instead of keys).
    package var oidc: OIDCSettings?
    /// PEM certificate chain and private key: serve HTTPS.
    package var tlsCertificate: String?
    package var tlsKey: String?
    /// Serve on a non-loopback address without keys or OIDC (refused otherwise).
    package var allowUnauthenticated = false
    /// Limits for identities without their own (every client, when there are no keys).
    package var defaultLimits = RateLimits()
    package var auditLog: String?
    /// Write prompt text into the audit log (off: only counts).
    package var auditPrompts = false
    package var origins: [String] = []
    package var maxBodyBytes = 16 << 20
    /// Knowledge bases for /lai/v1/ask and /lai/v1/retrieve: `name` → directory.
    package var knowledgeBases: [String: String] = [:]
    /// The embedding model (GGUF file or Hugging Face folder) knowledge bases were indexed with.
    package var knowledgeBaseEmbedder = (ProcessInfo.processInfo.environment["LAI_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/lai").path) + "/minilm"
    package var version = "0.1.0"
    package init() {}

    package var isLoopback: Bool { ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) || host.hasPrefix("127.") }
}

/// The request context: Hummingbird's core, plus who is calling and what the audit line will say.
package struct ServeContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package var identity = Identity(name: "anonymous", scopes: Set(Scope.allCases), limits: RateLimits())
    package let audit = AuditBox()
    package let remote: String

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remote = source.channel.remoteAddress?.ipAddress ?? ""
    }
}

/// The audit record of one request, filled in by the route and read when the response is written.
package final class AuditBox: Sendable {
    package let record = Mutex(AuditRecord())
    package func update(_ f: (inout AuditRecord) -> Void) { record.withLock { f(&$0) } }
}

package final class LAIServer: Sendable {
    package let config: ServeConfiguration
    package let manager: ModelManager
    package let metrics: ServerMetrics
    package let limiter = RateLimiter()
    private let keys: Mutex<APIKeyFile?>
    private let oidc = Mutex<OIDCVerifier?>(nil)
    private let audit: AuditLog?
    let cors: CORSPolicy
    let logger: Logger
    let kbEmbedders = KnowledgeBaseEmbedders()

    package init(config: ServeConfiguration, logger: Logger = Logger(label: "lai.serve")) throws {
        var c = config
        let m = ServerMetrics()
        c.models.observer = m.engineObserver
        self.config = c
        metrics = m
        manager = ModelManager(options: c.models)
        keys = Mutex(try c.keysFile.map { try APIKeyFile(path: $0) })
        audit = try c.auditLog.map { try AuditLog(path: $0) }
        cors = CORSPolicy(extra: c.origins)
        self.logger = logger
        if !c.isLoopback && c.keysFile == nil && c.oidc == nil && !c.allowUnauthenticated {
            throw APIError(500, "refusing to serve on \(c.host) without authentication: give --keys FILE or --oidc-*, or --allow-unauthenticated to serve everyone on the network")
        }
        if (c.tlsCertificate == nil) != (c.tlsKey == nil) { throw APIError(500, "--tls-cert and --tls-key go together") }
    }

    /// SIGHUP: the key file is read again and the audit log reopened (after rotation).
    package func reload() {
        if let path = config.keysFile {
            do { let k = try APIKeyFile(path: path); keys.withLock { $0 = k }; logger.info("reloaded \(k.entries.count) API keys from \(path)") } catch {
                logger.error("keeping the old keys: \(error)")
            }
        }
        do { try audit?.reopen() } catch { logger.error("\(error)") }
        if let settings = config.oidc {
            Task {
                do { let v = try await OIDCVerifier(settings); oidc.withLock { $0 = v }; logger.info("reloaded the JWKS from \(settings.jwks)") } catch {
                    logger.error("keeping the old JWKS: \(error)")
                }
            }
        }
    }

    /// Runs until SIGTERM/SIGINT, then drains: no new requests, running streams finish, then exit.
    /// `onListening` receives the bound port (useful with port 0).
    package func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router(context: ServeContext.self)
        router.add(middleware: Gatekeeper(server: self))
        addRoutes(to: router)
        if let settings = config.oidc { let v = try await OIDCVerifier(settings); oidc.withLock { $0 = v } }
        var serverBuilder = HTTPServerBuilder.http1()
        if let cert = config.tlsCertificate, let key = config.tlsKey {
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
                let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
                serverBuilder = try .tls(.http1(), tlsConfiguration: tls)
            } catch { throw APIError(500, "TLS: cannot use \(cert) and \(key): \(error)") }
        }
        let app = Application(
            router: router,
            server: serverBuilder,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "lai/\(config.version)"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        for name in config.preload {
            let m = try await manager.acquire(name)
            await manager.release(m, keepAlive: .some(nil))
        }
        let keeper = ModelKeeper(manager: manager)
        let group = ServiceGroup(configuration: .init(services: [.init(service: app), .init(service: keeper, successTerminationBehavior: .ignore)],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        signal(SIGHUP, SIG_IGN)
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hup.setEventHandler { [self] in reload() }
        hup.resume()
        try await group.run()
        hup.cancel()
        await manager.unloadAll()
    }

    // MARK: - Gatekeeping

    /// The scope a route needs; nil: open to everyone (health, version, the chat page, CORS preflight).
    static func scope(method: HTTPRequest.Method, path: String) -> Scope? {
        switch path {
        case "/", "/health", "/chat", "/api/version": return nil
        case "/api/tags", "/api/show", "/api/ps", "/v1/models": return .read
        case "/api/pull", "/api/push", "/api/copy", "/api/delete", "/api/create", "/metrics": return .admin
        default:
            if path.hasPrefix("/v1/models/") { return .read }
            if path.hasPrefix("/api/blobs/") { return .admin }
            return .infer
        }
    }

    /// Who is calling: the key's entry or the bearer JWT's subject (401 without valid credentials when keys or
    /// OIDC are configured), or anonymous by address.
    func identify(_ request: Request, remote: String) async throws -> Identity {
        let file = keys.withLock { $0 }
        let verifier = oidc.withLock { $0 }
        guard file != nil || verifier != nil else {
            return Identity(name: "anonymous@\(remote)", scopes: Set(Scope.allCases), limits: config.defaultLimits)
        }
        var key = request.headers[.init("X-Api-Key")!]
        if key == nil, let auth = request.headers[.authorization] {
            let parts = auth.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { key = String(parts[1]).trimmingCharacters(in: .whitespaces) }
        }
        guard let key, !key.isEmpty else {
            metrics.rejected("unauthorized")
            throw APIError(401, "missing API key: send 'Authorization: Bearer KEY' or 'X-Api-Key: KEY'", code: "missing_api_key")
        }
        guard let e = file?.match(key: key) else {
            // A JWT (three base64url parts) goes to the identity provider's keys.
            if let verifier, key.split(separator: ".", omittingEmptySubsequences: false).count == 3 {
                do { return try await verifier.identify(key, limits: config.defaultLimits) } catch { metrics.rejected("unauthorized"); throw error }
            }
            metrics.rejected("unauthorized")
            throw APIError(401, "invalid API key", code: "invalid_api_key")
        }
        var limits = e.limits
        if limits.requestsPerMinute == nil { limits.requestsPerMinute = config.defaultLimits.requestsPerMinute }
        if limits.tokensPerMinute == nil { limits.tokensPerMinute = config.defaultLimits.tokensPerMinute }
        if limits.concurrency == nil { limits.concurrency = config.defaultLimits.concurrency }
        return Identity(name: e.name, scopes: e.scopes, limits: limits)
    }

    func writeAudit(_ r: AuditRecord) { audit?.append(r) }
}

/// Every request passes here: CORS, identity and scope, rate limits, then the route; errors become Ollama- or
/// OpenAI-shaped bodies; when the response has been written, the audit line, the metrics and the token charge.
struct Gatekeeper: RouterMiddleware {
    let server: LAIServer

    func handle(_ request: Request, context: ServeContext, next: (Request, ServeContext) async throws -> Response) async throws -> Response {
        let start = Date()
        let path = request.uri.path
        let openAI = path.hasPrefix("/v1/")
        var ctx = context
        ctx.audit.update { r in
            r.requestID = context.id; r.remote = context.remote; r.method = request.method.rawValue; r.route = path; r.time = start
            r.identity = "anonymous@\(context.remote)"
        }
        let origin = request.headers[.origin]
        let originAllowed = origin.map(server.cors.allows) ?? false
        var admitted: Identity?
        var response: Response
        do {
            if request.method == .options {
                guard origin == nil || originAllowed else { throw APIError(403, "origin '\(origin!)' is not allowed (lai serve --origins)") }
                response = Response(status: .noContent, headers: [
                    .accessControlAllowMethods: "GET, POST, DELETE, HEAD, OPTIONS",
                    .accessControlAllowHeaders: request.headers[.accessControlRequestHeaders] ?? "Authorization, Content-Type, X-Api-Key",
                    .accessControlMaxAge: "600"])
            } else {
                if let scope = LAIServer.scope(method: request.method, path: path) {
                    let id = try await server.identify(request, remote: context.remote)
                    ctx.identity = id
                    ctx.audit.update { $0.identity = id.name }
                    guard id.scopes.contains(scope) else {
                        server.metrics.rejected("forbidden")
                        throw APIError(403, "the key '\(id.name)' lacks the '\(scope.rawValue)' scope this route needs", code: "insufficient_scope")
                    }
                    do { try server.limiter.admit(id) } catch { server.metrics.rejected("rate_limit"); throw error }
                    admitted = id
                }
                response = try await next(request, ctx)
                if let id = admitted { for (k, v) in server.limiter.headers(id) { response.headers.append(HTTPField(name: .init(k)!, value: v)) } }
            }
        } catch {
            let e = LAIServer.apiError(error)
            if e.status == 413 { server.metrics.rejected("body_too_large") }
            ctx.audit.update { $0.error = e.message }
            response = LAIServer.errorResponse(e, openAI: openAI)
        }
        if let origin, originAllowed {
            response.headers[.accessControlAllowOrigin] = server.cors.extra.contains("*") ? "*" : origin
            response.headers.append(HTTPField(name: .vary, value: "Origin"))
        }
        let status = Int(response.status.code)
        let route = LAIServer.metricRoute(path)
        let server = self.server, audit = ctx.audit, identity = admitted
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            defer {
                var r = audit.record.withLock { $0 }
                r.status = status
                r.durationSeconds = Date().timeIntervalSince(start)
                server.writeAudit(r)
                server.metrics.request(route: route, code: status)
                if let identity { server.limiter.finish(identity, tokens: r.promptTokens + r.completionTokens) }
            }
            try await body.write(writer)
        }
        return response
    }
}

/// Unloads models whose keep_alive passed, once a second; on SIGTERM, stops admitting new completions.
struct ModelKeeper: Service {
    let manager: ModelManager
    func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                try? await Task.sleep(for: .seconds(1))
                await manager.sweep()
            }
        } onGracefulShutdown: {
            Task { await manager.drain() }
        }
    }
}

extension LAIServer {
    /// A route label for metrics (paths with parameters folded, unknown paths as one label).
    static func metricRoute(_ path: String) -> String {
        if path.hasPrefix("/v1/models/") { return "/v1/models/{id}" }
        if path.hasPrefix("/api/blobs/") { return "/api/blobs/{digest}" }
        let known = ["/", "/health", "/chat", "/metrics", "/api/version", "/api/tags", "/api/show", "/api/ps", "/api/pull",
                     "/api/push", "/api/copy", "/api/delete", "/api/create", "/api/generate", "/api/chat", "/api/embed",
                     "/api/embeddings", "/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/models",
                     "/lai/v1/ask", "/lai/v1/retrieve"]
        return known.contains(path) ? path : "other"
    }

    static func apiError(_ error: any Error) -> APIError {
        if let e = error as? APIError { return e }
        if error is NIOTooManyBytesError { return APIError(413, "the request body is larger than the server accepts (lai serve --max-body)") }
        if let e = error as? HTTPError {
            if e.status == .notFound { return APIError(404, "404 page not found") }
            if e.status == .methodNotAllowed { return APIError(405, "method not allowed") }
            return APIError(Int(e.status.code), e.body ?? e.status.reasonPhrase)
        }
        if let e = error as? any HTTPResponseError { return APIError(Int(e.status.code), e.status.reasonPhrase) }
        return APIError(500, "\(error)")
    }

    static func errorResponse(_ e: APIError, openAI: Bool) -> Response {
        var r = jsonResponse(openAI ? e.openAIBody : e.ollamaBody, status: e.status)
        for (k, v) in e.headers { r.headers.append(HTTPField(name: .init(k)!, value: v)) }
        return r
    }

    static func jsonResponse(_ text: String, status: Int = 200, headers: [(String, String)] = []) -> Response {
        var h: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        for (k, v) in headers { h.append(HTTPField(name: .init(k)!, value: v)) }
        return Response(status: .init(code: status), headers: h, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ j: JSON, status: Int = 200, headers: [(String, String)] = []) -> Response {
        jsonResponse(j.serialized(), status: status, headers: headers)
    }

    /// A streamed body: `produce` gets a `send` that writes one chunk (a line of NDJSON, an SSE event).
    static func stream(contentType: String, headers: [(String, String)] = [],
                       _ produce: @escaping @Sendable (_ send: (String) async throws -> Void) async throws -> Void) -> Response {
        var h: HTTPFields = [.contentType: contentType, .cacheControl: "no-cache"]
        for (k, v) in headers { h.append(HTTPField(name: .init(k)!, value: v)) }
        return Response(status: .ok, headers: h, body: ResponseBody { writer in
            try await produce { chunk in try await writer.write(ByteBuffer(string: chunk)) }
            try await writer.finish(nil)
        })
    }

    /// The request body, at most --max-body bytes (413 beyond).
    func body(_ request: Request) async throws -> RequestBody {
        var req = request
        let buf = try await req.collectBody(upTo: config.maxBodyBytes)
        return try RequestBody(Array(buffer: buf))
    }
}
