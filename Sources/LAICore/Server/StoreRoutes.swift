// StoreRoutes: /api/pull and /api/create, streaming Ollama's status objects while the store works.
import Foundation
import Hummingbird
import NIOCore

extension LAIServer {
    /// Runs `work` on a thread of its own, streaming the JSON objects it sends; the last object is
    /// `{"status":"success"}` or an `{"error": ...}`.
    func storeJob(streaming: Bool, _ work: @escaping @Sendable (_ send: @escaping @Sendable (JSON) -> Void) throws -> Void) async throws -> Response {
        let (events, cont) = AsyncStream.makeStream(of: JSON.self, bufferingPolicy: .unbounded)
        Thread.detachNewThread {
            do {
                try work { cont.yield($0) }
                cont.yield(.object([("status", .string("success"))]))
            } catch {
                cont.yield(.object([("error", .string(LAIServer.storeError(error).message))]))
            }
            cont.finish()
        }
        if !streaming {
            var last = JSON.null
            for await e in events { last = e }
            if let m = last["error"]?.stringValue { throw APIError(m.contains("not found") ? 404 : 500, m) }
            return LAIServer.json(last)
        }
        return LAIServer.stream(contentType: "application/x-ndjson") { send in
            for await e in events { try await send(e.serialized() + "\n") }
        }
    }

    static func storeError(_ error: any Error) -> APIError {
        if let e = error as? APIError { return e }
        if case StoreError.notFound = error { return APIError(404, "\(error)") }
        return APIError(500, "\(error)")
    }

    func pull(_ b: RequestBody, _ ctx: ServeContext) async throws -> Response {
        guard let requested = try b.string("model") ?? b.string("name"), !requested.isEmpty else { throw APIError.badRequest("field 'model' is required") }
        let name = try manager.canonicalName(requested)
        let insecure = try b.bool("insecure") ?? false
        let streaming = try b.bool("stream") ?? true
        ctx.audit.update { $0.model = name.description }
        let store = config.models.store
        return try await storeJob(streaming: streaming) { send in
            let progress = PullProgress(mode: .quiet, observer: { e in
                switch e {
                case let .status(s):
                    let text = s.hasPrefix("verifying sha256") ? "verifying sha256 digest" : s.hasPrefix("writing manifest") ? "writing manifest" : s
                    send(.object([("status", .string(text))]))
                case let .progress(label, done, total):
                    let digest = label.split(separator: " ").last.map(String.init) ?? label
                    send(.object([("status", .string(label)), ("digest", .string(digest.hasPrefix("sha256") ? digest : "")),
                                  ("total", .int(total)), ("completed", .int(done))]))
                }
            })
            _ = try ModelPuller(store: store, progress: progress).pull(name, insecure: insecure)
        }
    }

    /// Ollama's create: `from` (a store model or a GGUF path on the server) with `system`, `template`, `parameters`,
    /// `messages`, `license`; or, from older clients, a whole `modelfile`.
    func create(_ b: RequestBody, _ ctx: ServeContext) async throws -> Response {
        guard let requested = try b.string("model") ?? b.string("name"), !requested.isEmpty else { throw APIError.badRequest("field 'model' is required") }
        let name = try manager.canonicalName(requested)
        let streaming = try b.bool("stream") ?? true
        var mf: Modelfile
        if let text = try b.string("modelfile") {
            do { mf = try Modelfile(parsing: text) } catch { throw APIError.badRequest("modelfile: \(error)") }
        } else {
            mf = Modelfile()
        }
        if let from = try b.string("from") { mf.from = from }
        guard mf.from != nil else { throw APIError.badRequest("field 'from' is required (a model name or a GGUF file on the server)") }
        if let files = try b.object("files"), !(files.json.objectValue ?? []).isEmpty {
            throw APIError.badRequest("field 'files' (uploaded blobs) is not supported by lai serve yet; use 'from'")
        }
        if let q = try b.string("quantize"), !q.isEmpty { throw APIError.badRequest("field 'quantize' is not supported by lai serve yet; use lai quantize") }
        if let s = try b.string("system") { mf.system = s }
        if let t = try b.string("template") { mf.template = t }
        if let l = try b.strings("license") { mf.licenses = l }
        if let params = try b.object("parameters")?.json.objectValue {
            for (k, v) in params {
                let values: [JSON] = v.arrayValue ?? [v]
                for x in values {
                    let text = x.stringValue ?? (x.intValue.map(String.init) ?? x.doubleValue.map { String($0) })
                    guard let text else { throw APIError.badRequest("field 'parameters.\(k)' must be a string or a number") }
                    mf.parameters.append((k, text))
                }
            }
        }
        if let msgs = try b.array("messages") {
            mf.messages = try msgs.enumerated().map { i, m in
                guard let r = m["role"]?.stringValue, let c = m["content"]?.stringValue else {
                    throw APIError.badRequest("field 'messages[\(i)]' needs string 'role' and 'content'")
                }
                return ModelMessage(role: r, content: c)
            }
        }
        for (k, v) in mf.parameters where k != "num_ctx" {
            var p = SamplingParameters()
            do { try p.set(k, v) } catch { throw APIError.badRequest("parameter '\(k)': \(error)") }
        }
        ctx.audit.update { $0.model = name.description }
        let store = config.models.store
        let modelfile = mf
        try? await manager.unload(requested)
        return try await storeJob(streaming: streaming) { send in
            try store.createDirectories()
            try ModelCreator(store: store).create(name, modelfile: modelfile, directory: FileManager.default.currentDirectoryPath) { s in
                send(.object([("status", .string(s))]))
            }
        }
    }
}
