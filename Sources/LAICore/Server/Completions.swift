// Completions: what the Ollama and OpenAI routes share — sampling options, prompt building that never silently
// truncates, and running a completion on a model's engine.
import Foundation

/// A prompt ready for the engine, and what was done to make it fit.
package struct CompletionPlan: Sendable {
    package var request: CompletionRequest
    /// Oldest non-system messages left out so that the conversation fits the context.
    package var droppedMessages = 0
    /// The num_ctx asked for when it was larger than a slot (it was clamped to `request.contextLimit`).
    package var clampedFrom: Int?

    /// Response headers that say what was done.
    package var headers: [(String, String)] {
        var h: [(String, String)] = []
        if droppedMessages > 0 { h.append(("X-LAI-Dropped-Messages", String(droppedMessages))) }
        if let c = clampedFrom { h.append(("X-LAI-Num-Ctx", "\(request.contextLimit); requested \(c), the slot size is \(request.contextLimit)")) }
        return h
    }
}

/// The text and statistics of a finished completion.
package struct CompletionResult: Sendable {
    package var text = ""
    package var stats = GenerationStats()
    /// Tool calls parsed out of the reply (`text` is then the content around them).
    package var toolCalls: [ToolCall] = []
}

/// What a request asks the reply to look like: a grammar (`format`, `response_format`, forced tools) and the
/// tools rendered into the prompt, whose calls are parsed out of the reply.
package struct OutputRequest: Sendable {
    package var constraint: OutputConstraint?
    package var tools: [JSON] = []
    package var toolFormat: ToolCallFormat?
    package var toolNames: Set<String> = []

    /// A constraint, a tools list or a tool choice that cannot be used is a 400 naming the field.
    package static func build(format: JSON?, formatField: String, tools: [JSON]?, toolChoice: ToolChoice,
                              templateSource: String?) throws -> OutputRequest {
        var out = OutputRequest()
        do { out.constraint = try OutputConstraint.format(format) } catch {
            throw APIError.badRequest("field '\(formatField)': \(error)")
        }
        guard let tools, !tools.isEmpty else { return out }
        let defs: [ToolDefinition]
        do { defs = try ToolDefinition.parse(tools) } catch { throw APIError.badRequest("\(error)") }
        out.tools = tools
        out.toolNames = Set(defs.map(\.name))
        guard toolChoice != .none else { return out }
        let format = ToolCallFormat.detect(templateSource: templateSource)
        out.toolFormat = format
        if out.constraint == nil {
            do { out.constraint = try OutputConstraint.toolCalls(format, tools: defs, choice: toolChoice) } catch {
                throw APIError.badRequest("field 'tool_choice': \(error)")
            }
        }
        return out
    }
}

package enum Completions {
    /// Options that matter to llama.cpp's or Ollama's runtime but not to lai (accepted and ignored, as Ollama does
    /// with options it does not know).
    static let ignoredOptions: Set<String> = ["num_thread", "num_gpu", "num_batch", "main_gpu", "use_mmap", "use_mlock",
        "numa", "num_keep", "typical_p", "mirostat", "mirostat_eta", "mirostat_tau", "penalize_newline", "low_vram",
        "f16_kv", "vocab_only", "tfs_z"]

    /// Sampling parameters: the model's defaults, then Ollama `options`; and the requested num_ctx.
    package static func ollamaOptions(_ options: RequestBody?, defaults: SamplingParameters) throws -> (SamplingParameters, Int?) {
        var p = defaults
        var numCtx: Int?
        guard let o = options?.json.objectValue else { return (p, nil) }
        var stopsReplaced = false
        for (k, v) in o where !v.isNull {
            if k == "num_ctx" {
                guard let n = v.intValue, n > 0 else { throw APIError.badRequest("option 'num_ctx' must be a positive integer") }
                numCtx = n
                continue
            }
            if k == "stop" {
                let list = v.stringValue.map { [$0] } ?? v.arrayValue?.compactMap(\.stringValue)
                guard let list else { throw APIError.badRequest("option 'stop' must be a string or an array of strings") }
                if !stopsReplaced { p.stop = []; stopsReplaced = true }
                p.stop += list
                continue
            }
            guard SamplingParameters.names.contains(k) else { continue }
            let text: String
            switch v {
            case let .int(i): text = String(i)
            case let .double(d): text = k == "seed" || k == "num_predict" || k.hasSuffix("_k") || k.hasSuffix("_n") ? String(Int(d)) : String(d)
            case let .bool(b): text = b ? "1" : "0"
            case let .string(s): text = s
            default: throw APIError.badRequest("option '\(k)' must be a number")
            }
            do { try p.set(k, text) } catch { throw APIError.badRequest("option '\(k)': \(error)") }
        }
        return (p, numCtx)
    }

    /// The context a request may use: num_ctx up to the slot size.
    static func contextLimit(_ numCtx: Int?, slot: Int) -> (Int, clampedFrom: Int?) {
        guard let n = numCtx else { return (slot, nil) }
        return n > slot ? (slot, n) : (max(16, n), nil)
    }

    /// Room the prompt leaves for the answer: num_predict when set, else a quarter of the context (at most 512).
    static func answerRoom(_ p: SamplingParameters, limit: Int) -> Int {
        p.numPredict > 0 ? min(p.numPredict, limit / 2) : min(512, limit / 4)
    }

    /// A chat prompt that fits: the model's system prompt and Modelfile messages first, then the request's. When it
    /// is too long, the oldest non-system messages go first (never the last one) and the plan says how many; when the
    /// last message alone does not fit, a 400 names both sizes.
    package static func chatPlan(_ model: LoadedModel, messages: [ChatMessage], parameters: SamplingParameters,
                                 numCtx: Int?, output: OutputRequest = OutputRequest()) throws -> CompletionPlan {
        guard case let .chat(lm, engine, formatter) = model.kind else {
            throw APIError.badRequest("'\(model.name)' is an embedding model; it cannot chat")
        }
        var msgs = model.resolved.messages.map { ChatMessage(role: $0.role, content: $0.content) } + messages
        if let s = model.resolved.system, !s.isEmpty, !msgs.contains(where: { $0.role == "system" }) {
            msgs.insert(ChatMessage(role: "system", content: s), at: 0)
        }
        let (limit, clamped) = contextLimit(numCtx, slot: engine.slotContext)
        let room = answerRoom(parameters, limit: limit)
        let tools = output.tools.isEmpty ? nil : output.tools
        var tokens = lm.chatPromptTokens(msgs, formatter: formatter, tools: tools)
        var dropped = 0
        while tokens.count + room > limit {
            // The oldest message that is neither a system message nor the last one.
            guard let i = msgs.indices.dropLast().first(where: { msgs[$0].role != "system" }) else { break }
            msgs.remove(at: i)
            dropped += 1
            tokens = lm.chatPromptTokens(msgs, formatter: formatter, tools: tools)
        }
        guard tokens.count < limit else {
            throw APIError.badRequest("the prompt (\(tokens.count) tokens) does not fit in the context window (\(limit) tokens)")
        }
        return CompletionPlan(request: CompletionRequest(prompt: tokens, parameters: parameters, contextLimit: limit,
                                                         grammar: try constraint(output.constraint, lm)),
                              droppedMessages: dropped, clampedFrom: clamped)
    }

    /// A fresh per-request grammar constraint (the vocabulary trie is built once per model and shared).
    static func constraint(_ c: OutputConstraint?, _ lm: LanguageModel) throws -> GrammarConstraint? {
        guard let c else { return nil }
        do { return try c.make(for: lm.tokenizer) } catch { throw APIError.badRequest("\(error)") }
    }

    /// A raw prompt (no template): never shortened; a 400 names both sizes when it does not fit.
    package static func rawPlan(_ model: LoadedModel, tokens: [Int32], parameters: SamplingParameters, numCtx: Int?,
                                constraint: OutputConstraint? = nil) throws -> CompletionPlan {
        guard case let .chat(lm, engine, _) = model.kind else {
            throw APIError.badRequest("'\(model.name)' is an embedding model; it cannot generate text")
        }
        let (limit, clamped) = contextLimit(numCtx, slot: engine.slotContext)
        guard !tokens.isEmpty else { throw APIError.badRequest("the prompt is empty") }
        guard tokens.count < limit else {
            throw APIError.badRequest("the prompt (\(tokens.count) tokens) does not fit in the context window (\(limit) tokens)")
        }
        return CompletionPlan(request: CompletionRequest(prompt: tokens, parameters: parameters, contextLimit: limit,
                                                         grammar: try Completions.constraint(constraint, lm)),
                              clampedFrom: clamped)
    }

    /// Submits to the model's engine, mapping a full queue to 503 with Retry-After.
    package static func submit(_ model: LoadedModel, _ plan: CompletionPlan, metrics: ServerMetrics?) throws -> CompletionHandle {
        guard case let .chat(_, engine, _) = model.kind else { throw APIError.badRequest("'\(model.name)' cannot generate text") }
        do { return try engine.submit(plan.request) } catch let e as EngineError {
            switch e {
            case .queueFull:
                metrics?.rejected("queue_full")
                throw APIError(503, e.description, type: "server_error", code: "server_busy", headers: [("Retry-After", "1")])
            case .draining:
                metrics?.rejected("draining")
                throw APIError(503, e.description, type: "server_error", headers: [("Retry-After", "5")])
            case .promptTooLong: throw APIError.badRequest(e.description)
            }
        }
    }

    /// Runs a completion to the end (non-streaming requests).
    package static func collect(_ handle: CompletionHandle) async throws -> CompletionResult {
        var r = CompletionResult()
        for await e in handle.events {
            switch e {
            case let .text(t): r.text += t
            case let .done(s): r.stats = s
            case let .failed(m): throw APIError(500, m)
            }
        }
        return r
    }
}
