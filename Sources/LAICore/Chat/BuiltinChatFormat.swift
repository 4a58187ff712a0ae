// BuiltinChatFormat: hand-written prompt formats for the major model families, used when a model's
// template is missing, cannot be parsed, or fails to render (like llama.cpp's built-in templates).

/// A known chat format, rendered by Swift code rather than a Jinja template.
package enum BuiltinChatFormat: String, CaseIterable, Sendable {
    case chatml, llama2, llama3, mistral, gemma, phi3, deepseek, zephyr

    /// Recognizes a template's family from marker strings, in the spirit of llama.cpp's
    /// `llm_chat_detect_template`. Returns nil when nothing matches.
    package static func detect(templateSource t: String) -> BuiltinChatFormat? {
        if t.contains("<|im_start|>") { return .chatml }
        if t.contains("<|start_header_id|>") && t.contains("<|end_header_id|>") { return .llama3 }
        if t.contains("<start_of_turn>") { return .gemma }
        if t.contains("<|assistant|>") && t.contains("<|end|>") { return .phi3 }
        if t.contains("<|user|>") && (t.contains("<|assistant|>") || t.contains("<|system|>")) { return .zephyr }
        if t.contains("<｜User｜>") || t.contains("<｜Assistant｜>") { return .deepseek }
        if t.contains("[INST]") { return t.contains("<<SYS>>") ? .llama2 : .mistral }
        if t.contains("'User: '") && t.contains("Assistant:") { return .deepseek }
        return nil
    }

    /// Renders `messages`. Formats without a system role fold the system text into the first user turn.
    package func render(messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String, eosToken: String) -> String {
        var out = ""
        switch self {
        case .chatml:
            for m in messages { out += "<|im_start|>\(m.role)\n\(m.content)<|im_end|>\n" }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }

        case .llama3:
            out += bosToken
            for m in messages { out += "<|start_header_id|>\(m.role)<|end_header_id|>\n\n\(trim(m.content))<|eot_id|>" }
            if addGenerationPrompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }

        case .llama2:
            let (system, rest) = splitSystem(messages)
            var first = true
            for m in rest {
                if m.role == "assistant" {
                    out += " \(trim(m.content)) \(eosToken)"
                } else {
                    var content = m.content
                    if first, let system { content = "<<SYS>>\n\(system)\n<</SYS>>\n\n" + content }
                    out += "\(bosToken)[INST] \(trim(content)) [/INST]"
                    first = false
                }
            }

        case .mistral:
            let (system, rest) = splitSystem(messages)
            out += bosToken
            var first = true
            for m in rest {
                if m.role == "assistant" {
                    out += " \(m.content)\(eosToken)"
                } else {
                    let prefix = first ? system.map { $0 + "\n\n" } ?? "" : ""
                    out += "[INST] \(prefix)\(m.content)[/INST]"
                    first = false
                }
            }

        case .gemma:
            let (system, rest) = splitSystem(messages)
            out += bosToken
            var first = true
            for m in rest {
                let role = m.role == "assistant" ? "model" : m.role
                var content = trim(m.content)
                if first, role == "user", let system { content = trim(system) + "\n\n" + content }
                first = false
                out += "<start_of_turn>\(role)\n\(content)<end_of_turn>\n"
            }
            if addGenerationPrompt { out += "<start_of_turn>model\n" }

        case .phi3:
            for m in messages { out += "<|\(m.role)|>\n\(m.content)<|end|>\n" }
            if addGenerationPrompt { out += "<|assistant|>\n" }

        case .deepseek:
            let (system, rest) = splitSystem(messages)
            out += bosToken + (system ?? "")
            for m in rest {
                if m.role == "assistant" { out += "<｜Assistant｜>\(m.content)<｜end▁of▁sentence｜>" }
                else { out += "<｜User｜>\(m.content)" }
            }
            if addGenerationPrompt { out += "<｜Assistant｜>" }

        case .zephyr:
            for m in messages { out += "<|\(m.role)|>\n\(m.content)\(eosToken)\n" }
            if addGenerationPrompt { out += "<|assistant|>\n" }
        }
        return out
    }

    /// The leading system message's text (all system messages joined), and the other messages.
    private func splitSystem(_ messages: [ChatMessage]) -> (String?, [ChatMessage]) {
        let system = messages.filter { $0.role == "system" }.map(\.content)
        let rest = messages.filter { $0.role != "system" }
        return (system.isEmpty ? nil : system.joined(separator: "\n\n"), rest)
    }

    private func trim(_ s: String) -> String { JinjaStrings.strip(s, nil, left: true, right: true) }
}
