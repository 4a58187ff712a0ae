// OllamaRoutes: Ollama's /api/* endpoints, with its request and response shapes and NDJSON streaming.
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension LAIServer {
    func addRoutes(to router: Router<ServeContext>) {
        router.get("/") { _, _ in Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "lai is running"))) }
        router.head("/") { _, _ in Response(status: .ok) }
        router.get("/health") { _, _ in LAIServer.json(.object([("status", .string("ok"))])) }
        router.get("/chat") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8",
                                             .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'"],
                     body: .init(byteBuffer: ByteBuffer(string: ChatPage.html)))
        }
        router.get("/metrics") { _, _ in
            let text = self.metrics.scrape(models: await self.manager.running())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/api/version") { _, _ in LAIServer.json(.object([("version", .string(self.config.version))])) }
        router.get("/api/tags") { _, _ in try self.tags() }
        router.post("/api/show") { req, ctx in try await self.show(self.body(req), ctx) }
        router.get("/api/ps") { _, _ in await self.ps() }
        router.post("/api/generate") { req, ctx in try await self.generate(self.body(req), ctx) }
        router.post("/api/chat") { req, ctx in try await self.chat(self.body(req), ctx) }
        router.post("/api/embed") { req, ctx in try await self.embed(self.body(req), ctx) }
        router.post("/api/embeddings") { req, ctx in try await self.legacyEmbeddings(self.body(req), ctx) }
        router.post("/api/copy") { req, _ in try await self.copy(self.body(req)) }
        router.delete("/api/delete") { req, _ in try await self.delete(self.body(req)) }
        router.post("/api/pull") { req, ctx in try await self.pull(self.body(req), ctx) }
        router.post("/api/create") { req, ctx in try await self.create(self.body(req), ctx) }
        router.post("/api/push") { req, ctx in try await self.push(self.body(req), ctx) }
        router.head("/api/blobs/:digest") { _, ctx in try self.blobExists(ctx.parameters.get("digest") ?? "") }
        router.post("/api/blobs/:digest") { req, ctx in try await self.uploadBlob(req, digest: ctx.parameters.get("digest") ?? "") }
        addOpenAIRoutes(to: router)
        addRerankRoutes(to: router)
        addKnowledgeBaseRoutes(to: router)
    }

    // MARK: - Models

    func tags() throws -> Response {
        let store = config.models.store
        let listed = (try? store.list()) ?? []
        let models: [JSON] = listed.map { m in
            let digest = (try? store.manifestBytes(m.name)).map { BlobHasher.hex($0) } ?? m.id
            let details = (try? store.resolve(m.name)).flatMap { r in (try? GGUFFile(path: r.ggufPath)).map { LAIServer.details(ModelSummary($0)) } } ?? .object([])
            return .object([("name", .string(m.name.description)), ("model", .string(m.name.description)),
                            ("modified_at", .string(ISO8601DateFormatter.lai.string(from: m.modified))),
                            ("size", .int(m.size)), ("digest", .string(digest)), ("details", details)])
        }
        return LAIServer.json(.object([("models", .array(models))]))
    }

    /// Ollama's `details` object.
    static func details(_ s: ModelSummary) -> JSON {
        let family = s.architecture ?? ""
        return .object([("parent_model", .string("")), ("format", .string("gguf")), ("family", .string(family)),
                        ("families", .array([.string(family)])), ("parameter_size", .string(parameterSize(s.parameters))),
                        ("quantization_level", .string(s.quantization ?? ""))])
    }

    /// "135M", "1.5B", as Ollama prints parameter counts.
    static func parameterSize(_ n: Int) -> String {
        let d = Double(n)
        if d >= 1e9 { return String(format: "%.1fB", d / 1e9).replacingOccurrences(of: ".0B", with: "B") }
        if d >= 1e6 { return String(format: "%.0fM", d / 1e6) }
        return String(format: "%.0fK", d / 1e3)
    }

    func show(_ b: RequestBody, _ ctx: ServeContext) throws -> Response {
        let requested = try (b.string("model") ?? b.string("name")).flatMap { $0.isEmpty ? nil : $0 }
        guard let requested else { throw APIError.badRequest("field 'model' is required") }
        let name = try manager.canonicalName(requested)
        let store = config.models.store
        let r: ResolvedModel
        do { r = try store.resolve(name) } catch StoreError.notFound { throw APIError.modelNotFound(requested) }
        let file: GGUFFile
        do { file = try GGUFFile(path: r.ggufPath) } catch { throw APIError(500, "\(error)") }
        let s = ModelSummary(file)
        let verbose = try b.bool("verbose") ?? false
        var info: [(String, JSON)] = []
        for (k, v) in file.metadata.entries where !k.hasPrefix("tokenizer.") || verbose {
            info.append((k, ModelShowFormat.valueJSON(v, summarize: !verbose)))
        }
        info.append(("general.parameter_count", .int(s.parameters)))
        let params = r.parameters.sorted { $0.key < $1.key }.flatMap { k, vs in vs.map { v in "\(k) \(k == "stop" ? "\"\(v)\"" : v)" } }
        let isEmbedding = Architectures.encoders.contains(s.architecture ?? "")
        let modified = (try? FileManager.default.attributesOfItem(atPath: store.manifestPath(name))[.modificationDate] as? Date) ?? nil
        return LAIServer.json(.object([
            ("license", .string(r.license ?? s.license ?? "")),
            ("modelfile", .string(Modelfile.render(r, from: r.ggufPath))),
            ("parameters", .string(params.joined(separator: "\n"))),
            ("template", .string(r.template ?? file.metadata.string("tokenizer.chat_template") ?? "")),
            ("system", .string(r.system ?? "")),
            ("details", LAIServer.details(s)),
            ("model_info", .object(info)),
            ("capabilities", .array(isEmbedding ? [.string("embedding")] : [.string("completion")])),
            ("modified_at", .string(ISO8601DateFormatter.lai.string(from: modified ?? Date()))),
        ]))
    }

    func ps() async -> Response {
        let models: [JSON] = await manager.running().map { m in
            .object([("name", .string(m.name)), ("model", .string(m.name)), ("size", .int(m.sizeBytes)),
                     ("digest", .string(m.digest.replacingOccurrences(of: "sha256:", with: ""))), ("details", LAIServer.details(m.summary)),
                     ("expires_at", .string(ISO8601DateFormatter.lai.string(from: m.expiresAt ?? Date.distantFuture))),
                     ("size_vram", .int(0)), ("context_length", .int(m.contextLength))])
        }
        return LAIServer.json(.object([("models", .array(models))]))
    }

    func copy(_ b: RequestBody) throws -> Response {
        let src = try b.requiredString("source"), dst = try b.requiredString("destination")
        let s = try manager.canonicalName(src), d = try manager.canonicalName(dst)
        do { try config.models.store.copy(s, to: d) } catch StoreError.notFound { throw APIError.modelNotFound(src) } catch {
            throw APIError(500, "\(error)")
        }
        return Response(status: .ok)
    }

    func delete(_ b: RequestBody) async throws -> Response {
        guard let requested = try b.string("model") ?? b.string("name"), !requested.isEmpty else { throw APIError.badRequest("field 'model' is required") }
        let n = try manager.canonicalName(requested)
        try? await manager.unload(requested)
        do { _ = try config.models.store.remove(n) } catch StoreError.notFound { throw APIError.modelNotFound(requested) } catch {
            throw APIError(500, "\(error)")
        }
        return Response(status: .ok)
    }

    // MARK: - Generation

    /// keep_alive: seconds as a number, or a Go duration ("5m", "1h30m", "-1"); negative keeps forever.
    /// Returns .none when absent, .some(nil) for forever.
    static func keepAlive(_ b: RequestBody) throws -> TimeInterval?? {
        guard let v = b.json["keep_alive"], !v.isNull else { return .none }
        let seconds: Double
        if let d = v.doubleValue { seconds = d } else if let s = v.stringValue, let d = parseDuration(s) { seconds = d } else {
            throw APIError.badRequest("field 'keep_alive' must be a duration such as \"5m\" or a number of seconds")
        }
        return seconds < 0 ? .some(nil) : .some(seconds)
    }

    package static func parseDuration(_ s: String) -> Double? {
        var t = s.trimmingCharacters(in: .whitespaces)
        if let d = Double(t) { return d }
        var sign = 1.0
        if t.hasPrefix("-") { sign = -1; t.removeFirst() }
        var total = 0.0, number = ""
        var i = t.startIndex
        while i < t.endIndex {
            let c = t[i]
            if c.isNumber || c == "." { number.append(c); i = t.index(after: i); continue }
            var unit = String(c)
            let n = t.index(after: i)
            if n < t.endIndex, (c == "m" && t[n] == "s") || (c == "u" && t[n] == "s") || (c == "n" && t[n] == "s") { unit.append("s"); i = t.index(after: n) } else { i = n }
            guard let v = Double(number) else { return nil }
            number = ""
            switch unit {
            case "h": total += v * 3600
            case "m": total += v * 60
            case "s": total += v
            case "ms": total += v / 1000
            case "us", "ns": total += 0
            default: return nil
            }
        }
        guard number.isEmpty else { return nil }
        return sign * total
    }

    /// Fields this server does not implement yet: an error rather than a silently different answer.
    static func rejectUnsupported(_ b: RequestBody) throws {
        if let imgs = b.json["images"], let a = imgs.arrayValue, !a.isEmpty {
            throw APIError.badRequest("this model does not support images")
        }
    }

    /// Ollama chat messages: role and content strings.
    package static func ollamaMessages(_ b: RequestBody) throws -> [ChatMessage] {
        guard let list = try b.array("messages") else { return [] }
        return try list.enumerated().map { i, m in
            guard let role = m["role"]?.stringValue, !role.isEmpty else { throw APIError.badRequest("field 'messages[\(i)].role' must be a string") }
            guard ["system", "user", "assistant", "tool"].contains(role) else {
                throw APIError.badRequest("field 'messages[\(i)].role' must be system, user, assistant or tool (got '\(role)')")
            }
            let content = m["content"]
            guard content == nil || content!.isNull || content!.stringValue != nil else {
                throw APIError.badRequest("field 'messages[\(i)].content' must be a string")
            }
            if let imgs = m["images"]?.arrayValue, !imgs.isEmpty { throw APIError.badRequest("this model does not support images") }
            var msg = ChatMessage(role: role, content: content?.stringValue ?? "")
            // an assistant turn's calls: [{"function": {"name", "arguments": {...}}}]; a tool result names its tool
            for (j, call) in (m["tool_calls"]?.arrayValue ?? []).enumerated() {
                guard let f = call["function"], let name = f["name"]?.stringValue, !name.isEmpty else {
                    throw APIError.badRequest("field 'messages[\(i)].tool_calls[\(j)].function.name' must be a string")
                }
                var args = f["arguments"] ?? .object([])
                if let text = args.stringValue { args = (try? JSON.parseOrdered(text)) ?? .object([]) }
                guard args.objectValue != nil else {
                    throw APIError.badRequest("field 'messages[\(i)].tool_calls[\(j)].function.arguments' must be an object")
                }
                msg.toolCalls.append(ToolCall(id: call["id"]?.stringValue, name: name, arguments: args))
            }
            msg.toolName = m["tool_name"]?.stringValue ?? m["name"]?.stringValue
            msg.toolCallID = m["tool_call_id"]?.stringValue
            return msg
        }
    }

    /// Ollama's shape of tool calls in a reply.
    static func ollamaToolCalls(_ calls: [ToolCall]) -> JSON {
        .array(calls.enumerated().map { i, c in
            .object([("function", .object([("index", .int(i)), ("name", .string(c.name)), ("arguments", c.arguments)]))])
        })
    }

    static func ns(_ seconds: Double) -> JSON { .int(Int((seconds * 1e9).rounded())) }

    /// The count and duration fields of a final Ollama response.
    static func timings(_ s: GenerationStats, total: Double, load: Double) -> [(String, JSON)] {
        [("total_duration", ns(total)), ("load_duration", ns(load)), ("prompt_eval_count", .int(s.promptTokens)),
         ("prompt_eval_duration", ns(s.promptSeconds)), ("eval_count", .int(s.generatedTokens)), ("eval_duration", ns(s.generateSeconds))]
    }

    static func ollamaDoneReason(_ r: String) -> String { r == "cancelled" ? "stop" : r }

    func chat(_ b: RequestBody, _ ctx: ServeContext) async throws -> Response {
        let start = Date()
        let requested = try b.requiredString("model")
        let keep = try LAIServer.keepAlive(b)
        let streaming = try b.bool("stream") ?? true
        try LAIServer.rejectUnsupported(b)
        let messages = try LAIServer.ollamaMessages(b)
        let options = try b.object("options")
        let tools = try b.array("tools")
        let (model, load) = try await acquire(requested, ctx)
        let output: OutputRequest
        do {
            output = try OutputRequest.build(format: b.json["format"], formatField: "format", tools: tools, toolChoice: .auto,
                                             templateSource: model.templateSource)
        } catch {
            await manager.release(model, keepAlive: keep)
            throw error
        }
        if messages.isEmpty {
            return await loadOnly(model, requested, keep, [("message", .object([("role", .string("assistant")), ("content", .string(""))]))])
        }
        return try await complete(model, requested: requested, keep: keep, ctx: ctx, streaming: streaming, start: start, load: load,
                                  contentType: "application/x-ndjson", plan: {
            let (params, numCtx) = try Completions.ollamaOptions(options, defaults: model.defaults)
            if self.config.auditPrompts { ctx.audit.update { $0.prompt = messages.last?.content } }
            return try Completions.chatPlan(model, messages: messages, parameters: params, numCtx: numCtx, output: output)
        }, piece: { text in
            LAIServer.chatChunk(requested, content: text, done: false).serialized() + "\n"
        }, final: { result, plan, total in
            var o = LAIServer.chatChunk(requested, content: streaming ? "" : result.text, done: true,
                                        toolCalls: streaming ? [] : result.toolCalls).objectValue!
            o.insert(("done_reason", .string(LAIServer.ollamaDoneReason(result.stats.doneReason))), at: 3)
            o += LAIServer.timings(result.stats, total: total, load: load)
            if plan.droppedMessages > 0 { o.append(("dropped_messages", .int(plan.droppedMessages))) }
            return JSON.object(o).serialized() + (streaming ? "\n" : "")
        }, toolFormat: output.toolFormat, toolNames: output.toolNames, toolsPiece: { calls in
            LAIServer.chatChunk(requested, content: "", done: false, toolCalls: calls).serialized() + "\n"
        })
    }

    /// The model a request names, loaded; and the seconds loading took (0 when it was already in memory).
    func acquire(_ requested: String, _ ctx: ServeContext) async throws -> (LoadedModel, Double) {
        let t0 = Date()
        let model = try await manager.acquire(requested)
        ctx.audit.update { $0.model = model.name }
        return (model, Date().timeIntervalSince(t0))
    }

    /// An empty prompt only loads the model (with keep_alive 0: unloads it), as Ollama answers it.
    func loadOnly(_ model: LoadedModel, _ requested: String, _ keep: TimeInterval??, _ fields: [(String, JSON)]) async -> Response {
        await manager.release(model, keepAlive: keep)
        let reason = keep == .some(.some(0)) ? "unload" : "load"
        return LAIServer.json(.object([("model", .string(requested)), ("created_at", .string(ISO8601DateFormatter.lai.string(from: Date())))]
                                      + fields + [("done", .bool(true)), ("done_reason", .string(reason))]))
    }

    static func chatChunk(_ model: String, content: String, done: Bool, toolCalls: [ToolCall] = []) -> JSON {
        var message: [(String, JSON)] = [("role", .string("assistant")), ("content", .string(content))]
        if !toolCalls.isEmpty { message.append(("tool_calls", LAIServer.ollamaToolCalls(toolCalls))) }
        return .object([("model", .string(model)), ("created_at", .string(ISO8601DateFormatter.lai.string(from: Date()))),
                        ("message", .object(message)), ("done", .bool(done))])
    }

    func generate(_ b: RequestBody, _ ctx: ServeContext) async throws -> Response {
        let start = Date()
        let requested = try b.requiredString("model")
        let keep = try LAIServer.keepAlive(b)
        let streaming = try b.bool("stream") ?? true
        try LAIServer.rejectUnsupported(b)
        let suffix = try b.string("suffix") ?? ""
        let prompt = try b.string("prompt") ?? ""
        let system = try b.string("system")
        let template = try b.string("template")
        let raw = try b.bool("raw") ?? false
        let context: [Int32] = try (b.array("context") ?? []).enumerated().map { i, v in
            guard let t = v.intValue, t >= 0, t <= Int(Int32.max) else { throw APIError.badRequest("field 'context[\(i)]' must be a token id") }
            return Int32(t)
        }
        let options = try b.object("options")
        let constraint: OutputConstraint?
        do { constraint = try OutputConstraint.format(b.json["format"]) } catch { throw APIError.badRequest("field 'format': \(error)") }
        let (model, load) = try await acquire(requested, ctx)
        if prompt.isEmpty { return await loadOnly(model, requested, keep, [("response", .string(""))]) }
        return try await complete(model, requested: requested, keep: keep, ctx: ctx, streaming: streaming, start: start, load: load,
                                  contentType: "application/x-ndjson", plan: {
            guard case let .chat(lm, _, formatter) = model.kind else { throw APIError.badRequest("'\(model.name)' is an embedding model; it cannot generate text") }
            let (params, numCtx) = try Completions.ollamaOptions(options, defaults: model.defaults)
            if self.config.auditPrompts { ctx.audit.update { $0.prompt = prompt } }
            if !suffix.isEmpty {
                // fill in the middle: the code before and after the gap, with the model's FIM markers (no template)
                guard let tokens = lm.tokenizer.fillInTheMiddle(prefix: prompt, suffix: suffix) else {
                    throw APIError.badRequest("'\(model.name)' does not support insert: its vocabulary has no fill-in-the-middle tokens")
                }
                return try Completions.rawPlan(model, tokens: tokens, parameters: params, numCtx: numCtx, constraint: constraint)
            }
            // a base model (no template of its own, none given) gets the prompt as is, as Ollama's {{ .Prompt }}
            let raw = raw || (template == nil && !formatter.hasTemplateSource)
            if raw || !context.isEmpty {
                let vocab = lm.model.config.vocabulary
                if let bad = context.first(where: { Int($0) >= vocab }) { throw APIError.badRequest("field 'context' holds token \(bad), outside the vocabulary (\(vocab))") }
                var tokens = context
                if raw {
                    tokens += lm.tokenizer.encode(prompt, addSpecial: context.isEmpty, parseSpecial: true)
                } else {
                    var msgs: [ChatMessage] = []
                    if let s = system ?? model.resolved.system, !s.isEmpty { msgs.append(ChatMessage(role: "system", content: s)) }
                    msgs.append(ChatMessage(role: "user", content: prompt))
                    let f = template.map { lm.chatFormatter(overrideTemplate: $0) } ?? formatter
                    tokens += lm.chatPromptTokens(msgs, formatter: f)
                }
                return try Completions.rawPlan(model, tokens: tokens, parameters: params, numCtx: numCtx, constraint: constraint)
            }
            var msgs: [ChatMessage] = []
            if let s = system, !s.isEmpty { msgs.append(ChatMessage(role: "system", content: s)) }
            msgs.append(ChatMessage(role: "user", content: prompt))
            if let t = template {
                let f = lm.chatFormatter(overrideTemplate: t)
                return try Completions.rawPlan(model, tokens: lm.chatPromptTokens(msgs, formatter: f), parameters: params, numCtx: numCtx,
                                               constraint: constraint)
            }
            return try Completions.chatPlan(model, messages: msgs, parameters: params, numCtx: numCtx,
                                            output: OutputRequest(constraint: constraint))
        }, piece: { text in
            JSON.object([("model", .string(requested)), ("created_at", .string(ISO8601DateFormatter.lai.string(from: Date()))),
                         ("response", .string(text)), ("done", .bool(false))]).serialized() + "\n"
        }, final: { result, plan, total in
            var o: [(String, JSON)] = [("model", .string(requested)), ("created_at", .string(ISO8601DateFormatter.lai.string(from: Date()))),
                                       ("response", .string(streaming ? "" : result.text)), ("done", .bool(true)),
                                       ("done_reason", .string(LAIServer.ollamaDoneReason(result.stats.doneReason))),
                                       ("context", .array((plan.request.prompt + result.stats.tokens).map { .int(Int($0)) }))]
            o += LAIServer.timings(result.stats, total: total, load: load)
            return JSON.object(o).serialized() + (streaming ? "\n" : "")
        })
    }

    /// Runs a completion on `model` and answers: streamed (`piece` per text chunk, then `final`) or in one body
    /// (`final` with the whole text). The model is released when the answer has been written or the client left.
    func complete(_ model: LoadedModel, requested: String, keep: TimeInterval??, ctx: ServeContext, streaming: Bool,
                  start: Date, load: Double, contentType: String,
                  plan makePlan: () throws -> CompletionPlan,
                  piece: @escaping @Sendable (String) -> String,
                  final: @escaping @Sendable (CompletionResult, CompletionPlan, Double) -> String,
                  first: (@Sendable () -> String)? = nil,
                  trailer: String? = nil,
                  toolFormat: ToolCallFormat? = nil,
                  toolNames: Set<String> = [],
                  toolsPiece: (@Sendable ([ToolCall]) -> String)? = nil) async throws -> Response {
        let plan: CompletionPlan
        let handle: CompletionHandle
        do {
            plan = try makePlan()
            handle = try Completions.submit(model, plan, metrics: metrics)
        } catch {
            await manager.release(model, keepAlive: keep)
            throw error
        }
        let manager = self.manager, metrics = self.metrics, audit = ctx.audit
        @Sendable func account(_ r: CompletionResult) {
            metrics.tokens(model: model.name, prompt: r.stats.promptTokens, generated: r.stats.generatedTokens)
            audit.update { $0.promptTokens = r.stats.promptTokens; $0.completionTokens = r.stats.generatedTokens; $0.timeToFirstToken = r.stats.timeToFirstToken }
        }
        if !streaming {
            var result: CompletionResult
            do {
                result = try await withTaskCancellationHandler { try await Completions.collect(handle) } onCancel: { handle.cancel() }
            } catch {
                await manager.release(model, keepAlive: keep)
                throw error
            }
            await manager.release(model, keepAlive: keep)
            account(result)
            if let toolFormat { LAIServer.separateToolCalls(&result, toolFormat, toolNames) }
            return LAIServer.jsonResponse(final(result, plan, Date().timeIntervalSince(start)), headers: plan.headers)
        }
        return LAIServer.stream(contentType: contentType, headers: plan.headers) { send in
            var result = CompletionResult()
            // with tools, text that may be a call is held back until it is known (then sent as calls, or as text)
            var splitter = toolFormat.map(ToolCallStreamSplitter.init(format:))
            do {
                if let first { try await send(first()) }
                for await e in handle.events {
                    switch e {
                    case let .text(t):
                        result.text += t
                        let shown = splitter?.feed(t) ?? t
                        if !shown.isEmpty { try await send(piece(shown)) }
                    case let .done(s): result.stats = s
                    case let .failed(m): throw APIError(500, m)
                    }
                }
                if var sp = splitter, let toolFormat {
                    let (rest, _) = sp.finish()
                    LAIServer.separateToolCalls(&result, toolFormat, toolNames)
                    if result.toolCalls.isEmpty {
                        if !rest.isEmpty { try await send(piece(rest)) }
                    } else if let toolsPiece {
                        try await send(toolsPiece(result.toolCalls))
                    }
                }
                account(result)
                try await send(final(result, plan, Date().timeIntervalSince(start)))
                if let trailer { try await send(trailer) }
            } catch {
                handle.cancel()
                account(result)
                await manager.release(model, keepAlive: keep)
                // A client that went away gets nothing; an error mid-stream is one last error line.
                if let e = error as? APIError {
                    try? await send(contentType == "text/event-stream" ? "data: \(e.openAIBody)\n\n" : e.ollamaBody + "\n")
                    audit.update { $0.error = e.message }
                }
                return
            }
            await manager.release(model, keepAlive: keep)
        }
    }

    /// Moves the tool calls in a finished reply from `text` into `toolCalls` (text that does not parse stays text).
    static func separateToolCalls(_ r: inout CompletionResult, _ format: ToolCallFormat, _ names: Set<String>) {
        let parsed = format.calls(in: r.text, toolNames: names)
        guard !parsed.calls.isEmpty else { return }
        r.text = parsed.content
        r.toolCalls = parsed.calls
    }

    // MARK: - Embeddings

    /// Embeds `texts` on a worker thread (the model's lock held): vectors, and the tokens read.
    func embed(_ model: LoadedModel, _ texts: [String], truncate: Bool) async throws -> ([[Float]], Int) {
        guard case let .embedding(e, lock) = model.kind else {
            throw APIError.badRequest("'\(model.name)' does not support embeddings (it is a \(model.summary.architecture ?? "chat") model)")
        }
        if !truncate {
            for (i, t) in texts.enumerated() {
                let n = e.tokens(t).fullCount
                if n > e.maxTokens { throw APIError.badRequest("input \(i) has \(n) tokens, more than the model's context (\(e.maxTokens)); allow truncation or shorten it") }
            }
        }
        return try await withCheckedThrowingContinuation { cont in
            DispatchQueue.global().async {
                lock.lock(); defer { lock.unlock() }
                e.onTruncate = { _, _ in }
                do { let v = try e.embed(texts); cont.resume(returning: (v, e.lastTokenCount)) } catch {
                    cont.resume(throwing: APIError.badRequest("\(error)"))
                }
            }
        }
    }

    /// Keeps the first `dims` values and normalizes again (Matryoshka models).
    static func shorten(_ v: [Float], to dims: Int?) -> [Float] {
        guard let d = dims, d > 0, d < v.count else { return v }
        let cut = Array(v.prefix(d))
        let norm = cut.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? cut.map { $0 / norm } : cut
    }

    func embed(_ b: RequestBody, _ ctx: ServeContext) async throws -> Response {
        let start = Date()
        let requested = try b.requiredString("model")
        let keep = try LAIServer.keepAlive(b)
        let inputs = try b.strings("input") ?? []
        let truncate = try b.bool("truncate") ?? true
        let dims = try b.int("dimensions")
        let (model, load) = try await acquire(requested, ctx)
        do {
            let (vectors, tokens) = inputs.isEmpty ? ([], 0) : try await embed(model, inputs, truncate: truncate)
            await manager.release(model, keepAlive: keep)
            ctx.audit.update { $0.promptTokens = tokens }
            metrics.tokens(model: model.name, prompt: tokens, generated: 0)
            return LAIServer.json(.object([
                ("model", .string(requested)),
                ("embeddings", .array(vectors.map { .array(LAIServer.shorten($0, to: dims).map { JSON.float($0) }) })),
                ("total_duration", LAIServer.ns(Date().timeIntervalSince(start))), ("load_duration", LAIServer.ns(load)),
                ("prompt_eval_count", .int(tokens)),
            ]))
        } catch {
            await manager.release(model, keepAlive: keep)
            throw error
        }
    }

    func legacyEmbeddings(_ b: RequestBody, _ ctx: ServeContext) async throws -> Response {
        let requested = try b.requiredString("model")
        let keep = try LAIServer.keepAlive(b)
        let prompt = try b.string("prompt") ?? ""
        let (model, _) = try await acquire(requested, ctx)
        do {
            let (vectors, tokens) = prompt.isEmpty ? ([], 0) : try await embed(model, [prompt], truncate: true)
            await manager.release(model, keepAlive: keep)
            ctx.audit.update { $0.promptTokens = tokens }
            return LAIServer.json(.object([("embedding", .array((vectors.first ?? []).map { JSON.float($0) }))]))
        } catch {
            await manager.release(model, keepAlive: keep)
            throw error
        }
    }
}
