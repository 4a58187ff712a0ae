// ChatTemplate: a model's `tokenizer.chat_template` (Jinja), parsed once and rendered per conversation.

/// One turn of a conversation.
package struct ChatMessage: Sendable, Equatable {
    package var role: String
    package var content: String
    /// The calls an assistant turn made (OpenAI `tool_calls`); empty for ordinary turns.
    package var toolCalls: [ToolCall]
    /// On a `tool` message: the id of the call it answers (OpenAI `tool_call_id`).
    package var toolCallID: String?
    /// On a `tool` message: the function that produced it (Ollama `tool_name`, OpenAI `name`).
    package var toolName: String?

    package init(role: String, content: String, toolCalls: [ToolCall] = [], toolCallID: String? = nil, toolName: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.toolName = toolName
    }

    /// The message as `apply_chat_template` receives an OpenAI-style message. Keys that do not apply are left
    /// out rather than set to none or []: templates test `'tool_calls' in message` (Llama 3.x) and
    /// `message.tool_calls is defined` (Mistral), so an empty list would read as a tool-call turn. Content stays a
    /// string ("" beside tool calls) because many templates concatenate it without checking.
    package var templateValue: JinjaValue {
        var d = JinjaDict([("role", .string(role)), ("content", .string(content))])
        if !toolCalls.isEmpty { d["tool_calls"] = .array(toolCalls.map(\.templateValue)) }
        if let toolCallID { d["tool_call_id"] = .string(toolCallID) }
        if let toolName { d["name"] = .string(toolName) }
        return .dict(d)
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

    /// Renders a conversation (tool calls and tool results included, see `ChatMessage.templateValue`). `tools`
    /// are JSON objects (one string each), handed to the template as parsed values; nil makes `tools` none, as
    /// `apply_chat_template(tools=None)` does.
    package func render(messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String, eosToken: String,
                        tools: [String]? = nil) throws -> String {
        var toolValues: [JinjaValue]?
        if let tools {
            var parsed: [JinjaValue] = []
            for (i, t) in tools.enumerated() {
                do { parsed.append(try JinjaValue.parseJSON(t)) } catch let e as JinjaError {
                    throw ChatTemplateError.invalidInput(message: "tool \(i) is not valid JSON: \(e.message)")
                }
            }
            toolValues = parsed
        }
        return try render(messages: messages, addGenerationPrompt: addGenerationPrompt, bosToken: bosToken,
                          eosToken: eosToken, toolValues: toolValues)
    }

    /// `render` with the tool definitions already parsed (a request body's `tools` array, keys in order).
    package func render(messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String, eosToken: String,
                        toolDefinitions: [JSON]?) throws -> String {
        try render(messages: messages, addGenerationPrompt: addGenerationPrompt, bosToken: bosToken,
                   eosToken: eosToken, toolValues: toolDefinitions?.map(JinjaValue.init(json:)))
    }

    private func render(messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String, eosToken: String,
                        toolValues: [JinjaValue]?) throws -> String {
        try render(variables: [
            "messages": .array(messages.map(\.templateValue)),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "bos_token": .string(bosToken),
            "eos_token": .string(eosToken),
            "tools": toolValues.map(JinjaValue.array) ?? .none,
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
