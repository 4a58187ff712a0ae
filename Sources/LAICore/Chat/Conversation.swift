// Conversation: the chat state of one session — template rendering, prefix reuse, history.
import Foundation

/// A conversation with a model: the messages so far, the tokens in the KV cache, and the sampler.
///
/// Each `send` renders the whole conversation with the chat template and evaluates only what differs from
/// the tokens already cached (the longest common prefix is kept), so a long chat does not re-read its past.
/// In raw mode the text is appended to the cache as is (continuations, pipelines).
package struct Conversation {
    package let lm: LanguageModel
    package let session: DecoderSession
    package let formatter: ChatFormatter
    package var system: String?
    package let raw: Bool
    package var sampler: Sampler
    package var messages: [ChatMessage] = []
    /// Tokens whose keys and values are in the session's cache, in order.
    package var cached: [Int32] = []
    /// Every reply must match this (a JSON schema, a grammar); a fresh constraint is made per reply.
    package var constraint: OutputConstraint?
    /// Tools the model may call (OpenAI-style definitions, rendered by the template); replies are parsed for
    /// calls in `toolFormat`'s syntax, and the calls land in the assistant message.
    package var tools: [JSON] = []
    package var toolFormat: ToolCallFormat = .generic
    /// Print generated control tokens' text (llama-cli --special); by default they print as nothing.
    package var special = false

    package init(lm: LanguageModel, session: DecoderSession, formatter: ChatFormatter, system: String?, raw: Bool, params: SamplingParameters) {
        self.lm = lm; self.session = session; self.formatter = formatter; self.system = system; self.raw = raw
        sampler = Sampler(params)
    }

    package mutating func clear(keepSystem: Bool = true) {
        messages.removeAll(); cached.removeAll(); session.reset(); sampler.resetHistory()
    }

    /// Adds a user message, renders the whole conversation, re-uses the cached prefix and generates.
    package mutating func send(_ text: String, isCancelled: () -> Bool = { false }, emit: (String) -> Bool) throws -> GenerationStats {
        try send(ChatMessage(role: "user", content: text), isCancelled: isCancelled, emit: emit)
    }

    /// Adds `message` (a user turn, or a `tool` result) and generates the assistant's reply.
    package mutating func send(_ message: ChatMessage, isCancelled: () -> Bool = { false }, emit: (String) -> Bool) throws -> GenerationStats {
        let text = message.content
        let tokens: [Int32]
        if raw {
            tokens = lm.tokenizer.encode(text, addSpecial: cached.isEmpty, parseSpecial: false)
        } else {
            var msgs = messages
            if let s = system, !s.isEmpty, msgs.first?.role != "system" { msgs.insert(ChatMessage(role: "system", content: s), at: 0) }
            msgs.append(message)
            tokens = lm.chatPromptTokens(msgs, formatter: formatter, tools: tools.isEmpty ? nil : tools)
        }
        sampler.grammar = try constraint?.make(for: lm.tokenizer)
        defer { sampler.grammar = nil }
        // Raw mode continues the cache; chat mode re-renders and keeps the longest common prefix.
        let full = raw ? cached + tokens : tokens
        var common = 0
        while common < min(full.count, cached.count), full[common] == cached[common] { common += 1 }
        if common == full.count { common -= 1 }  // always evaluate at least one token for fresh logits
        session.truncate(to: common)
        cached = Array(cached.prefix(common))
        let before = session.position
        var generator = Generator(lm: lm, session: session)
        generator.special = special
        let stats = try generator.generate(prompt: Array(full[common...]), sampler: &sampler, isCancelled: isCancelled, emit: emit)
        let evaluatedGenerated = session.position - before - (full.count - common)
        cached = full + stats.tokens.prefix(max(0, evaluatedGenerated))
        if !raw {
            messages.append(message)
            var reply = ChatMessage(role: "assistant", content: lm.tokenizer.decode(stats.tokens, skipSpecial: true))
            if !tools.isEmpty {
                // tool-call markers can be special tokens: parse the text with them kept
                let names = Set(tools.compactMap { $0["function"]?["name"]?.stringValue })
                let parsed = toolFormat.calls(in: lm.tokenizer.decode(stats.tokens, skipSpecial: false), toolNames: names)
                if !parsed.calls.isEmpty { reply.content = parsed.content; reply.toolCalls = parsed.calls }
            }
            messages.append(reply)
        }
        return stats
    }
}
