// ChatTemplate: a model's `tokenizer.chat_template` (Jinja), parsed once and rendered per conversation.

/// One turn of a conversation.
package struct ChatMessage: Sendable, Equatable {
    package var role: String
    package var content: String
    package init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// A parsed Jinja chat template, rendered the way Hugging Face's `apply_chat_template` does
/// (trim_blocks, lstrip_blocks, default Undefined, `raise_exception`, `strftime_now`, Python-style `tojson`).
package struct ChatTemplate: Sendable {
    package let source: String
    let nodes: [JinjaNode]
    /// `source` with its line breaks as Jinja reads them ("\r\n" and "\r" become "\n"); error offsets point into it.
    private let text: String

    /// Parses `source`; throws `ChatTemplateError.syntax` ("chat template: line L col C: what is wrong").
    package init(source: String) throws {
        self.source = source
        text = ChatTemplate.normalizingNewlines(source)
        do {
            nodes = try JinjaParser.parse(text)
        } catch let e as JinjaError {
            throw e.chatTemplateError(source: text)
        }
    }

    /// Jinja's lexer splits the source on "\r\n", "\r" and "\n" and joins it with "\n" before anything else.
    static func normalizingNewlines(_ s: String) -> String {
        guard s.unicodeScalars.contains("\r") else { return s }
        var out = String.UnicodeScalarView()
        var afterCR = false
        for u in s.unicodeScalars {
            if u == "\n", afterCR { afterCR = false; continue }
            afterCR = u == "\r"
            out.append(afterCR ? "\n" : u)
        }
        return String(out)
    }

    /// Renders a conversation. `tools` are JSON objects (one string each), handed to the template as
    /// parsed values; nil makes `tools` none, as `apply_chat_template(tools=None)` does.
    package func render(messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String, eosToken: String,
                        tools: [String]? = nil) throws -> String {
        var toolValues: JinjaValue = .none
        if let tools {
            var parsed: [JinjaValue] = []
            for (i, t) in tools.enumerated() {
                do { parsed.append(try JinjaValue.parseJSON(t)) } catch let e as JinjaError {
                    throw ChatTemplateError.invalidInput(message: "tool \(i) is not valid JSON: \(e.message)")
                }
            }
            toolValues = .array(parsed)
        }
        let msgs = messages.map { JinjaValue.dict(JinjaDict([("role", .string($0.role)), ("content", .string($0.content))])) }
        return try render(variables: [
            "messages": .array(msgs),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "bos_token": .string(bosToken),
            "eos_token": .string(eosToken),
            "tools": toolValues,
        ])
    }

    /// Renders with arbitrary top-level variables (messages with tool calls, extra template kwargs).
    package func render(variables: [String: JinjaValue]) throws -> String {
        let interpreter = JinjaInterpreter(context: variables)
        do {
            try interpreter.run(nodes)
        } catch var e as JinjaError {
            if e.offset < 0 { e.offset = interpreter.offset }
            throw e.chatTemplateError(source: text)
        }
        return interpreter.out
    }
}
