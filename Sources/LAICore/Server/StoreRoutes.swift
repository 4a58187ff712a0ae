// StoreRoutes: /api/pull, /api/push, /api/create and /api/blobs, streaming Ollama's status objects while the store works.
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
        var files: [String: String] = [:]
        for (k, v) in try b.object("files")?.json.objectValue ?? [] {
            guard let d = v.stringValue else { throw APIError.badRequest("field 'files.\(k)' must be a digest string (sha256:<hex>)") }
            files[k] = d
        }
        var quantize: QuantTarget?
        if let q = try b.string("quantize"), !q.isEmpty {
            guard let t = QuantTarget(name: q) else {
                throw APIError.badRequest("field 'quantize': unknown type '\(q)' (one of \(QuantTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            quantize = t
        }
        if files.isEmpty { guard mf.from != nil else { throw APIError.badRequest("field 'from' or 'files' is required (a model name, a GGUF file on the server, or uploaded blobs)") } }
        else {
            if mf.from != nil { throw APIError.badRequest("give either 'from' or 'files', not both") }
            do { try ModelCreator(store: config.models.store).checkFiles(files) } catch { throw APIError.badRequest("\(error)") }
        }
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
        let modelfile = mf, blobs = files, target = quantize
        try? await manager.unload(requested)
        return try await storeJob(streaming: streaming) { send in
            try store.createDirectories()
            try ModelCreator(store: store).create(name, modelfile: modelfile, directory: FileManager.default.currentDirectoryPath,
                                                  files: blobs, quantize: target) { s in
                send(.object([("status", .string(s))]))
            }
        }
    }

    func push(_ b: RequestBody, _ ctx: ServeContext) async throws -> Response {
        guard let requested = try b.string("model") ?? b.string("name"), !requested.isEmpty else { throw APIError.badRequest("field 'model' is required") }
        let name = try manager.canonicalName(requested)
        let insecure = try b.bool("insecure") ?? false
        let streaming = try b.bool("stream") ?? true
        ctx.audit.update { $0.model = name.description }
        let store = config.models.store
        guard (try? store.manifest(name)) != nil else { throw APIError(404, "model '\(name)' not found") }
        return try await storeJob(streaming: streaming) { send in
            send(.object([("status", .string("retrieving manifest"))]))
            let progress = PullProgress(mode: .quiet, observer: { e in
                switch e {
                case let .status(s) where s != "success":
                    send(.object([("status", .string(s))]))
                case let .progress(label, done, total):
                    send(.object([("status", .string(label)), ("total", .int(total)), ("completed", .int(done))]))
                default: break
                }
            })
            try ModelPusher(store: store, progress: progress).push(name, insecure: insecure)
        }
    }

    /// `HEAD /api/blobs/sha256:<hex>`: 200 when the server has the blob, else 404.
    func blobExists(_ digest: String) throws -> Response {
        guard let hex = Layer.hex(of: digest) else { throw APIError.badRequest("'\(digest)' is not a sha256:<64 hex digits> digest") }
        return Response(status: FileManager.default.fileExists(atPath: config.models.store.blobPath(hex: hex)) ? .ok : .notFound)
    }

    /// `POST /api/blobs/sha256:<hex>`: the body, streamed to disk and checked against the digest, becomes a blob
    /// (201); a mismatch or an interrupted upload leaves nothing behind.
    func uploadBlob(_ request: Request, digest: String) async throws -> Response {
        guard let hex = Layer.hex(of: digest) else { throw APIError.badRequest("'\(digest)' is not a sha256:<64 hex digits> digest") }
        let store = config.models.store
        if FileManager.default.fileExists(atPath: store.blobPath(hex: hex)) { return Response(status: .ok) }
        let receiver = try BlobReceiver(store: store, expectedHex: hex)
        do {
            for try await buffer in request.body {
                try buffer.withUnsafeReadableBytes { try receiver.append($0) }
            }
            _ = try receiver.finish(mediaType: MediaType.model)
        } catch let e as StoreError {
            receiver.abort()
            throw APIError.badRequest("\(e)")
        } catch {
            receiver.abort()
            throw error
        }
        return Response(status: .created)
    }
}
