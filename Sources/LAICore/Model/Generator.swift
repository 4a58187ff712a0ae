// Generator: the prompt → tokens loop shared by `lai run` and `lai ask`: evaluate, sample, stream, stop.
import Foundation

/// Timings and counts of one generation, as Ollama's `--verbose` reports them.
package struct GenerationStats: Sendable {
    package var promptTokens = 0
    package var promptSeconds = 0.0
    package var generatedTokens = 0
    package var generateSeconds = 0.0
    /// Why generation ended: "stop" (end-of-generation token or stop sequence), "length" (num_predict),
    /// "context" (context window full) or "cancelled".
    package var doneReason = "stop"
    package var timeToFirstToken = 0.0
    /// The generated tokens (end-of-generation token excluded).
    package var tokens: [Int32] = []
}

/// A model ready to talk: the weights, the tokenizer and the chat formatter, from one GGUF file.
package final class LanguageModel: @unchecked Sendable {
    package let file: GGUFFile
    package let model: DecoderModel
    package let tokenizer: Tokenizer
    package let chatTemplateSource: String?
    package let loadSeconds: Double

    package init(path: String) throws {
        let t0 = Date()
        file = try GGUFFile(path: path)
        model = try DecoderModel(file: file)
        guard model.config.causal else {
            throw ModelError.invalid(path: path, message: "'\(model.config.architecture)' is an embedding model (bidirectional attention): use lai embed")
        }
        tokenizer = try Tokenizer(gguf: file)
        chatTemplateSource = file.metadata.string("tokenizer.chat_template")
        file.file.adviseWillNeed()
        loadSeconds = Date().timeIntervalSince(t0)
    }

    /// The context size to use: the request, else min(trained context, 4096).
    package func contextSize(requested: Int?) -> Int {
        min(requested ?? 4096, model.config.trainedContext)
    }

    /// The tokens of a chat prompt: `messages` rendered by `formatter` with the assistant's turn opened, with BOS
    /// added unless the template wrote it itself (then a second one would be wrong).
    package func chatPromptTokens(_ messages: [ChatMessage], formatter: ChatFormatter, tools: [JSON]? = nil) -> [Int32] {
        let text = formatter.render(messages, addGenerationPrompt: true, tools: tools)
        let bosText = tokenizer.bos.map { tokenizer.tokenText($0) } ?? ""
        let templateHasBOS = !bosText.isEmpty && text.hasPrefix(bosText)
        return tokenizer.encode(text, addSpecial: !templateHasBOS, parseSpecial: true)
    }

    /// A chat formatter for this model; `overrideTemplate` (Modelfile TEMPLATE) wins over the file's.
    package func chatFormatter(overrideTemplate: String? = nil) -> ChatFormatter {
        let bos = tokenizer.bos.map { tokenizer.tokenText($0) } ?? ""
        let eos = tokenizer.eos.map { tokenizer.tokenText($0) } ?? ""
        return ChatFormatter(templateSource: overrideTemplate ?? chatTemplateSource, bosToken: bos, eosToken: eos)
    }
}

/// Runs generation on a session: appends prompt tokens, then samples until a stop condition.
package struct Generator {
    package let lm: LanguageModel
    package let session: DecoderSession
    /// Print control tokens' text (llama-cli --special); off by default, as llama-cli.
    package var special = false

    package init(lm: LanguageModel, session: DecoderSession) { self.lm = lm; self.session = session }

    /// Evaluates `prompt` after what the session already holds, then generates. `emit` receives text as
    /// it becomes final (never half a UTF-8 character, never part of a stop sequence) and returns false
    /// to cancel. `isCancelled` is polled between tokens (Ctrl-C).
    package func generate(prompt: [Int32], sampler: inout Sampler, isCancelled: () -> Bool = { false },
                          emit: (String) -> Bool) throws -> GenerationStats {
        var stats = GenerationStats()
        let p = sampler.parameters
        let t0 = Date()
        guard session.position + prompt.count < session.contextSize else {
            throw ModelError.invalid(path: lm.file.path, message: "the prompt (\(prompt.count) tokens) does not fit in the context window (\(session.contextSize - session.position) tokens left); use a larger --ctx")
        }
        var logits = try session.evaluate(prompt, logits: .last)
        for t in prompt { sampler.accept(t) }
        stats.promptTokens = prompt.count
        stats.promptSeconds = Date().timeIntervalSince(t0)
        let tg0 = Date()
        var streamer = TextStreamer(tokenizer: lm.tokenizer, stop: p.stop, special: special)
        var produced = 0
        while true {
            if isCancelled() { stats.doneReason = "cancelled"; break }
            if p.numPredict >= 0 && produced >= p.numPredict { stats.doneReason = "length"; break }
            let tok = sampler.sample(logits)
            if produced == 0 { stats.timeToFirstToken = Date().timeIntervalSince(t0) }
            if lm.tokenizer.endOfGeneration.contains(tok) { stats.doneReason = "stop"; break }
            let grammarComplete = sampler.acceptGenerated(tok)
            stats.tokens.append(tok)
            produced += 1
            let out = streamer.append(tok)
            if !out.isEmpty, !emit(out) { stats.doneReason = "cancelled"; break }
            // a grammar that is complete (a schema's root value closed) ends the reply right there
            if streamer.stopped || grammarComplete { stats.doneReason = "stop"; break }
            if session.position + 1 > session.contextSize - 1 { stats.doneReason = "context"; break }
            logits = try session.evaluate([tok], logits: .last)
        }
        let tail = streamer.finish()
        if !tail.isEmpty { _ = emit(tail) }
        stats.generatedTokens = produced
        stats.generateSeconds = Date().timeIntervalSince(tg0)
        return stats
    }
}
