// ChatFormatter: what `lai run` uses to turn a conversation into a prompt: the model's own template
// when it works, otherwise a built-in format, with the reason recorded.

/// Formats conversations for one model. Never fails: a template that cannot be parsed or rendered
/// falls back to `BuiltinChatFormat.detect(templateSource:)`, or ChatML when nothing is recognized.
package struct ChatFormatter: Sendable {
    package let template: ChatTemplate?
    package let builtin: BuiltinChatFormat
    package let bosToken: String
    package let eosToken: String
    /// Non-nil when a built-in format is used instead of the model's template (lai prints it with --verbose).
    package var fallbackReason: String?
    /// Whether a template was given at all (the file's or a Modelfile TEMPLATE, parseable or not). A model without
    /// one is a base model: `lai run` and /api/generate complete its prompt as text, as Ollama (`{{ .Prompt }}`) and
    /// llama-cli (no conversation mode) do, rather than wrapping it in a ChatML turn it was never trained on.
    package let hasTemplateSource: Bool

    /// Parses `templateSource`; on failure (or when there is none) picks a built-in format and records why.
    package init(templateSource: String?, bosToken: String, eosToken: String) {
        self.bosToken = bosToken
        self.eosToken = eosToken
        let detected = templateSource.flatMap { BuiltinChatFormat.detect(templateSource: $0) }
        builtin = detected ?? .chatml
        hasTemplateSource = !(templateSource?.trimmingWhitespace.isEmpty ?? true)
        guard let src = templateSource, hasTemplateSource else {
            template = nil
            fallbackReason = "the model has no chat template; using the built-in chatml format"
            return
        }
        do {
            template = try ChatTemplate(source: src)
            fallbackReason = nil
        } catch {
            template = nil
            let how = detected.map { "the built-in \($0.rawValue) format (detected from the template)" }
                ?? "the built-in chatml format (template family not recognized)"
            fallbackReason = "\(error); using \(how)"
        }
    }

    /// The prompt for `messages`. If the template fails at render time (for example it calls
    /// `raise_exception` for a system role it does not support), the built-in format is used instead;
    /// `renderWithReason` says when that happened.
    package func render(_ messages: [ChatMessage], addGenerationPrompt: Bool, tools: [JSON]? = nil) -> String {
        renderWithReason(messages, addGenerationPrompt: addGenerationPrompt, tools: tools).text
    }

    /// `render`, plus why a built-in format was used for this conversation (nil when the template rendered it).
    /// `tools` (OpenAI-style definitions) reach the template as its `tools` variable; the built-in formats ignore them.
    package func renderWithReason(_ messages: [ChatMessage], addGenerationPrompt: Bool, tools: [JSON]? = nil) -> (text: String, fallbackReason: String?) {
        if let template {
            do {
                let text = try template.render(messages: messages, addGenerationPrompt: addGenerationPrompt,
                                               bosToken: bosToken, eosToken: eosToken, toolDefinitions: tools)
                return (text, nil)
            } catch {
                let text = builtin.render(messages: messages, addGenerationPrompt: addGenerationPrompt,
                                          bosToken: bosToken, eosToken: eosToken)
                return (text, "\(error); using the built-in \(builtin.rawValue) format for this conversation")
            }
        }
        return (builtin.render(messages: messages, addGenerationPrompt: addGenerationPrompt,
                               bosToken: bosToken, eosToken: eosToken), fallbackReason)
    }
}

private extension String {
    var trimmingWhitespace: String { JinjaStrings.strip(self, nil, left: true, right: true) }
}
