// OpenAIRoutes: OpenAI's /v1/* endpoints — chat and text completions (SSE streams ending in [DONE], usage on
// request), embeddings as floats or base64, the model list — with OpenAI's error envelope.
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension LAIServer {
    func addOpenAIRoutes(to router: Router<ServeContext>) {
        router.post("/v1/chat/completions") { req, ctx in try await self.chatCompletions(self.body(req), ctx) }
        router.post("/v1/completions") { req, ctx in try await self.textCompletions(self.body(req), ctx) }
        router.post("/v1/embeddings") { req, ctx in try await self.openAIEmbeddings(self.body(req), ctx) }
        router.get("/v1/models") { _, _ in try self.openAIModels(nil) }
        router.get("/v1/models/**") { req, _ in try self.openAIModels(String(req.uri.path.dropFirst("/v1/models/".count)).removingPercentEncoding ?? "") }
    }

    static func openAIModel(_ name: String, created: Date) -> JSON {
        .object([("id", .string(name)), ("object", .string("model")), ("created", .int(Int(created.timeIntervalSince1970))),
                 ("owned_by", .string(name.contains("/") ? String(name.split(separator: "/").first!) : "library"))])
    }

    func openAIModels(_ id: String?) throws -> Response {
        let listed = (try? config.models.store.list()) ?? []
        if let id {
            let want = try? manager.canonicalName(id)
            guard let m = listed.first(where: { $0.name == want }) else { throw APIError.modelNotFound(id) }
            return LAIServer.json(LAIServer.openAIModel(m.name.description, created: m.modified))
        }
        return LAIServer.json(.object([("object", .string("list")),
                                       ("data", .array(listed.map { LAIServer.openAIModel($0.name.description, created: $0.modified) }))]))
    }

    /// Sampling from OpenAI fields over the model's defaults (absent fields keep the model's values, as Ollama does).
    static func openAIParameters(_ b: RequestBody, defaults: SamplingParameters) throws -> SamplingParameters {
        var p = defaults
        if let n = try b.int("n"), n != 1 { throw APIError.badRequest("field 'n': only 1 choice is supported") }
        if let t = try b.double("temperature") {
            guard (0...2).contains(t) else { throw APIError.badRequest("field 'temperature' must be between 0 and 2") }
            p.temperature = Float(t)
        }
        if let t = try b.double("top_p") { p.topP = Float(t) }
        if let f = try b.double("frequency_penalty") { p.frequencyPenalty = Float(f) }
        if let f = try b.double("presence_penalty") { p.presencePenalty = Float(f) }
        if let s = try b.int("seed") { p.seed = UInt64(bitPattern: Int64(s)) }
        if let m = try b.int("max_completion_tokens") ?? b.int("max_tokens") {
            guard m > 0 else { throw APIError.badRequest("field 'max_tokens' must be positive") }
            p.numPredict = m
        }
        if let s = try b.strings("stop") { p.stop = s }
        // llama-server's extensions to the OpenAI body (clients send them as extra fields)
        if let v = try b.double("repeat_penalty") { p.repeatPenalty = Float(v) }
        if let v = try b.int("repeat_last_n") { p.repeatLastN = v }
        if let v = try b.int("top_k") { p.topK = v }
        if let v = try b.double("min_p") { p.minP = Float(v) }
        if try b.bool("logprobs") == true { throw APIError.badRequest("field 'logprobs' is not supported") }
        return p
    }

    /// OpenAI messages: content as a string or an array of text parts.
    static func openAIMessages(_ b: RequestBody) throws -> [ChatMessage] {
        guard let list = try b.array("messages"), !list.isEmpty else { throw APIError.badRequest("field 'messages' must be a non-empty array") }
        return try list.enumerated().map { i, m in
            guard var role = m["role"]?.stringValue else { throw APIError.badRequest("field 'messages[\(i)].role' must be a string") }
            if role == "developer" { role = "system" }
            guard ["system", "user", "assistant", "tool"].contains(role) else {
                throw APIError.badRequest("field 'messages[\(i)].role' must be system, developer, user, assistant or tool (got '\(role)')")
            }
            var text = ""
            switch m["content"] {
            case .none, .some(.null): break
            case let .some(.string(s)): text = s
            case let .some(.array(parts)):
                for (j, part) in parts.enumerated() {
                    guard part["type"]?.stringValue == "text", let t = part["text"]?.stringValue else {
                        throw APIError.badRequest("field 'messages[\(i)].content[\(j)]': only text parts are supported")
                    }
                    text += t
                }
            default: throw APIError.badRequest("field 'messages[\(i)].content' must be a string or an array of parts")
            }
            var msg = ChatMessage(role: role, content: text)
            // an assistant turn's calls carry their arguments as a JSON string; a tool result names the call it answers
            for (j, call) in (m["tool_calls"]?.arrayValue ?? []).enumerated() {
                let at = "messages[\(i)].tool_calls[\(j)]"
                guard let f = call["function"], let name = f["name"]?.stringValue, !name.isEmpty else {
                    throw APIError.badRequest("field '\(at).function.name' must be a string")
                }
                var args = f["arguments"] ?? .object([])
                if let t = args.stringValue {
                    do { args = t.isEmpty ? .object([]) : try JSON.parseOrdered(t) } catch {
                        throw APIError.badRequest("field '\(at).function.arguments' is not valid JSON: \(error)")
                    }
                }
                guard args.objectValue != nil else { throw APIError.badRequest("field '\(at).function.arguments' must be a JSON object") }
                msg.toolCalls.append(ToolCall(id: call["id"]?.stringValue, name: name, arguments: args))
            }
            msg.toolCallID = m["tool_call_id"]?.stringValue
            msg.toolName = m["name"]?.stringValue
            return msg
        }
    }

    /// `response_format`, `tools` and `tool_choice` as a grammar and tools for the prompt.
    static func openAIOutput(_ b: RequestBody, templateSource: String?) throws -> OutputRequest {
        var format: JSON? = nil
        if let rf = try b.object("response_format") {
            switch try rf.string("type") ?? "text" {
            case "text": break
            case "json_object": format = .object([("type", .string("object"))])
            case "json_schema":
                guard let js = rf.json["json_schema"], let schema = js["schema"], schema.objectValue != nil else {
                    throw APIError.badRequest("field 'response_format.json_schema.schema' must be a JSON schema object")
                }
                format = schema
            case let t: throw APIError.badRequest("field 'response_format.type' must be text, json_object or json_schema (got '\(t)')")
            }
        }
        var choice = ToolChoice.auto
        switch b.json["tool_choice"] {
        case nil, .some(.null): break
        case let .some(.string(s)):
            guard ["auto", "none", "required"].contains(s) else { throw APIError.badRequest("field 'tool_choice' must be auto, none, required or a function") }
            choice = ToolChoice(s)
        case let .some(v):
            guard let name = v["function"]?["name"]?.stringValue else {
                throw APIError.badRequest("field 'tool_choice' must be auto, none, required or {\"type\": \"function\", \"function\": {\"name\": ...}}")
            }
            choice = .named(name)
        }
        return try OutputRequest.build(format: format, formatField: "response_format", tools: try b.array("tools"),
                                       toolChoice: choice, templateSource: templateSource)
    }

    /// OpenAI's shape of tool calls: arguments as a JSON string; the model's own id, else a fresh one that the
    /// model's template will accept when the client sends it back.
    static func openAIToolCalls(_ calls: [ToolCall], streaming: Bool, format: ToolCallFormat?) -> JSON {
        .array(calls.enumerated().map { i, c in
            var o: [(String, JSON)] = []
            if streaming { o.append(("index", .int(i))) }
            o += [("id", .string(c.id ?? ToolCall.newID(for: format))),
                  ("type", .string("function")),
                  ("function", .object([("name", .string(c.name)), ("arguments", .string(c.arguments.serialized()))]))]
            return .object(o)
        })
    }

    /// "chatcmpl-" and 24 hex digits, as OpenAI's ids look.
    static func completionID(_ prefix: String) -> String {
        prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
    }

    static func finishReason(_ r: String) -> String { r == "length" ? "length" : "stop" }

    static func usage(_ s: GenerationStats) -> JSON {
        .object([("prompt_tokens", .int(s.promptTokens)), ("completion_tokens", .int(s.generatedTokens)),
                 ("total_tokens", .int(s.promptTokens + s.generatedTokens))])
    }

    static func sse(_ j: JSON) -> String { "data: " + j.serialized() + "\n\n" }

    func chatCompletions(_ b: RequestBody, _ ctx: ServeContext) async throws -> Response {
        let start = Date()
        let requested = try b.requiredString("model")
        let streaming = try b.bool("stream") ?? false
        let includeUsage = try b.object("stream_options")?.bool("include_usage") ?? false
        let messages = try LAIServer.openAIMessages(b)
        let (model, load) = try await acquire(requested, ctx)
        let output: OutputRequest
        do { output = try LAIServer.openAIOutput(b, templateSource: model.templateSource) } catch {
            await manager.release(model, keepAlive: nil)
            throw error
        }
        let id = LAIServer.completionID("chatcmpl-")
        let created = Int(start.timeIntervalSince1970)
        @Sendable func chunk(_ delta: JSON, finish: String?) -> JSON {
            var o: [(String, JSON)] = [("id", .string(id)), ("object", .string("chat.completion.chunk")), ("created", .int(created)),
                                       ("model", .string(requested)), ("system_fingerprint", .string("fp_lai")),
                                       ("choices", .array([.object([("index", .int(0)), ("delta", delta), ("logprobs", .null),
                                                                    ("finish_reason", JSON(finish))])]))]
            if includeUsage { o.append(("usage", .null)) }
            return .object(o)
        }
        return try await complete(model, requested: requested, keep: nil, ctx: ctx, streaming: streaming, start: start, load: load,
                                  contentType: "text/event-stream", plan: {
            let p = try LAIServer.openAIParameters(b, defaults: model.defaults)
            if self.config.auditPrompts { ctx.audit.update { $0.prompt = messages.last?.content } }
            var plan = try Completions.chatPlan(model, messages: messages, parameters: p, numCtx: nil, output: output)
            plan.request.ignoreEOS = try b.bool("ignore_eos") ?? false
            return plan
        }, piece: { text in
            LAIServer.sse(chunk(.object([("content", .string(text))]), finish: nil))
        }, final: { r, plan, _ in
            let reason = r.toolCalls.isEmpty ? LAIServer.finishReason(r.stats.doneReason) : "tool_calls"
            var message: [(String, JSON)] = [("role", .string("assistant")),
                                             ("content", r.toolCalls.isEmpty || !r.text.isEmpty ? .string(r.text) : .null)]
            if !r.toolCalls.isEmpty { message.append(("tool_calls", LAIServer.openAIToolCalls(r.toolCalls, streaming: false, format: output.toolFormat))) }
            if streaming {
                var out = LAIServer.sse(chunk(.object([]), finish: reason))
                if includeUsage {
                    out += LAIServer.sse(.object([("id", .string(id)), ("object", .string("chat.completion.chunk")), ("created", .int(created)),
                                                  ("model", .string(requested)), ("system_fingerprint", .string("fp_lai")),
                                                  ("choices", .array([])), ("usage", LAIServer.usage(r.stats))]))
                }
                return out
            }
            var o: [(String, JSON)] = [
                ("id", .string(id)), ("object", .string("chat.completion")), ("created", .int(created)), ("model", .string(requested)),
                ("system_fingerprint", .string("fp_lai")),
                ("choices", .array([.object([("index", .int(0)), ("message", .object(message)),
                                             ("logprobs", .null), ("finish_reason", .string(reason))])])),
                ("usage", LAIServer.usage(r.stats)),
            ]
            if plan.droppedMessages > 0 { o.append(("dropped_messages", .int(plan.droppedMessages))) }
            return JSON.object(o).serialized()
        }, first: {
            LAIServer.sse(chunk(.object([("role", .string("assistant")), ("content", .string(""))]), finish: nil))
        }, trailer: "data: [DONE]\n\n", toolFormat: output.toolFormat, toolNames: output.toolNames, toolsPiece: { calls in
            LAIServer.sse(chunk(.object([("tool_calls", LAIServer.openAIToolCalls(calls, streaming: true, format: output.toolFormat))]), finish: nil))
        })
    }

    func textCompletions(_ b: RequestBody, _ ctx: ServeContext) async throws -> Response {
        let start = Date()
        let requested = try b.requiredString("model")
        let streaming = try b.bool("stream") ?? false
        let includeUsage = try b.object("stream_options")?.bool("include_usage") ?? false
        if try b.bool("echo") == true { throw APIError.badRequest("field 'echo' is not supported") }
        let suffix = try b.string("suffix") ?? ""
        let promptField = b.json["prompt"]
        let (model, load) = try await acquire(requested, ctx)
        let id = LAIServer.completionID("cmpl-")
        let created = Int(start.timeIntervalSince1970)
        @Sendable func chunk(_ text: String, finish: String?) -> JSON {
            var o: [(String, JSON)] = [("id", .string(id)), ("object", .string("text_completion")), ("created", .int(created)),
                                       ("model", .string(requested)), ("system_fingerprint", .string("fp_lai")),
                                       ("choices", .array([.object([("text", .string(text)), ("index", .int(0)), ("logprobs", .null),
                                                                    ("finish_reason", JSON(finish))])]))]
            if includeUsage && streaming { o.append(("usage", .null)) }
            return .object(o)
        }
        return try await complete(model, requested: requested, keep: nil, ctx: ctx, streaming: streaming, start: start, load: load,
                                  contentType: "text/event-stream", plan: {
            guard case let .chat(lm, _, _) = model.kind else { throw APIError.badRequest("'\(model.name)' is an embedding model; it cannot generate text") }
            let p = try LAIServer.openAIParameters(b, defaults: model.defaults)
            var tokens: [Int32]
            switch promptField {
            case let .some(.string(s)): tokens = lm.tokenizer.encode(s, addSpecial: true, parseSpecial: true)
            case let .some(.array(a)) where a.count == 1 && a[0].stringValue != nil:
                tokens = lm.tokenizer.encode(a[0].stringValue!, addSpecial: true, parseSpecial: true)
            case let .some(.array(a)) where !a.isEmpty && a.allSatisfy({ $0.intValue != nil }):
                tokens = a.map { Int32(clamping: $0.intValue!) }
                let vocab = lm.model.config.vocabulary
                if let bad = tokens.first(where: { $0 < 0 || Int($0) >= vocab }) { throw APIError.badRequest("field 'prompt' holds token \(bad), outside the vocabulary (\(vocab))") }
            default: throw APIError.badRequest("field 'prompt' must be a string (one prompt per request)")
            }
            if !suffix.isEmpty {
                guard let prefix = promptField?.stringValue ?? promptField?.arrayValue?.first?.stringValue,
                      let fim = lm.tokenizer.fillInTheMiddle(prefix: prefix, suffix: suffix) else {
                    throw APIError.badRequest("field 'suffix': '\(model.name)' has no fill-in-the-middle tokens (or the prompt is token ids)")
                }
                tokens = fim
            }
            var plan = try Completions.rawPlan(model, tokens: tokens, parameters: p, numCtx: nil)
            plan.request.ignoreEOS = try b.bool("ignore_eos") ?? false
            return plan
        }, piece: { text in
            LAIServer.sse(chunk(text, finish: nil))
        }, final: { r, _, _ in
            let reason = LAIServer.finishReason(r.stats.doneReason)
            if streaming {
                var out = LAIServer.sse(chunk("", finish: reason))
                if includeUsage {
                    out += LAIServer.sse(.object([("id", .string(id)), ("object", .string("text_completion")), ("created", .int(created)),
                                                  ("model", .string(requested)), ("choices", .array([])), ("usage", LAIServer.usage(r.stats))]))
                }
                return out
            }
            var o = chunk(r.text, finish: reason).objectValue!
            o.append(("usage", LAIServer.usage(r.stats)))
            return JSON.object(o).serialized()
        }, trailer: "data: [DONE]\n\n")
    }

    func openAIEmbeddings(_ b: RequestBody, _ ctx: ServeContext) async throws -> Response {
        let requested = try b.requiredString("model")
        let format = try b.string("encoding_format") ?? "float"
        guard format == "float" || format == "base64" else { throw APIError.badRequest("field 'encoding_format' must be 'float' or 'base64'") }
        let dims = try b.int("dimensions")
        let (model, _) = try await acquire(requested, ctx)
        do {
            guard case let .embedding(e, _) = model.kind else {
                throw APIError.badRequest("'\(model.name)' does not support embeddings (it is a \(model.summary.architecture ?? "chat") model)")
            }
            let texts: [String]
            switch b.json["input"] {
            case let .some(.string(s)): texts = [s]
            case let .some(.array(a)) where a.allSatisfy({ $0.stringValue != nil }): texts = a.map { $0.stringValue! }
            case let .some(.array(a)) where a.allSatisfy({ $0.intValue != nil }):
                texts = [e.tokenizer.decode(a.map { Int32(clamping: $0.intValue!) }, skipSpecial: true)]
            case let .some(.array(a)) where a.allSatisfy({ $0.arrayValue?.allSatisfy { $0.intValue != nil } ?? false }):
                texts = a.map { e.tokenizer.decode($0.arrayValue!.map { Int32(clamping: $0.intValue!) }, skipSpecial: true) }
            default: throw APIError.badRequest("field 'input' must be a string, an array of strings, or token arrays")
            }
            guard !texts.isEmpty else { throw APIError.badRequest("field 'input' must not be empty") }
            let (vectors, tokens) = try await embed(model, texts, truncate: true)
            await manager.release(model)
            ctx.audit.update { $0.promptTokens = tokens }
            metrics.tokens(model: model.name, prompt: tokens, generated: 0)
            let data: [JSON] = vectors.enumerated().map { i, v in
                let vec = LAIServer.shorten(v, to: dims)
                let value: JSON = format == "base64"
                    ? .string(vec.withUnsafeBufferPointer { Data(buffer: $0) }.base64EncodedString())
                    : .array(vec.map { JSON.float($0) })
                return .object([("object", .string("embedding")), ("index", .int(i)), ("embedding", value)])
            }
            return LAIServer.json(.object([("object", .string("list")), ("data", .array(data)), ("model", .string(requested)),
                                           ("usage", .object([("prompt_tokens", .int(tokens)), ("total_tokens", .int(tokens))]))]))
        } catch {
            await manager.release(model)
            throw error
        }
    }
}
