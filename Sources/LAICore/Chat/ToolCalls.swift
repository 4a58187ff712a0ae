// ToolCalls: function calling — the calls a model writes in its reply, per model family: how to find them
// (parse), where they start (the trigger a lazy grammar waits for), what a constrained call looks like
// (grammar parts), and how to stream a reply without showing call text as content.

/// One function call an assistant made.
package struct ToolCall: Sendable, Equatable {
    /// The call's id (OpenAI `tool_calls[].id`); models rarely write one, the server usually assigns it.
    package var id: String?
    package var name: String
    /// The arguments: a JSON object.
    package var arguments: JSON

    package init(id: String? = nil, name: String, arguments: JSON) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }

    /// The call as OpenAI-style messages carry it to a chat template (arguments as a dict, not a JSON string:
    /// templates apply `tojson` to it themselves).
    package var templateValue: JinjaValue {
        var d = JinjaDict()
        if let id { d["id"] = .string(id) }
        d["type"] = .string("function")
        d["function"] = .dict(JinjaDict([("name", .string(name)), ("arguments", JinjaValue(json: arguments))]))
        return .dict(d)
    }
}

// MARK: - Tool definitions

/// A tool the model may call, from an OpenAI/Ollama `{"type": "function", "function": {...}}` definition.
package struct ToolDefinition: Sendable, Equatable {
    package var name: String
    package var description: String?
    /// The JSON schema of the arguments (`{"type": "object"}` when the definition has none).
    package var parameters: JSON

    package init(name: String, description: String? = nil, parameters: JSON = ToolDefinition.anyObject) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }

    package static let anyObject = JSON.object([("type", .string("object"))])

    /// Reads a request's `tools`; throws a one-line error naming the bad entry (`tools[1].function.name is missing`).
    package static func parse(_ tools: [JSON]) throws(ToolDefinitionError) -> [ToolDefinition] {
        var out: [ToolDefinition] = []
        for (i, tool) in tools.enumerated() {
            let at = "tools[\(i)]"
            guard tool.objectValue != nil else { throw ToolDefinitionError("\(at) is not an object") }
            if let type = tool["type"], type.stringValue != "function" {
                throw ToolDefinitionError("\(at).type must be \"function\"")
            }
            guard let function = tool["function"] else { throw ToolDefinitionError("\(at).function is missing") }
            guard function.objectValue != nil else { throw ToolDefinitionError("\(at).function is not an object") }
            guard let nameValue = function["name"], !nameValue.isNull else {
                throw ToolDefinitionError("\(at).function.name is missing")
            }
            guard let name = nameValue.stringValue, !name.isEmpty else {
                throw ToolDefinitionError("\(at).function.name must be a non-empty string")
            }
            if let first = out.firstIndex(where: { $0.name == name }) {
                throw ToolDefinitionError("\(at).function.name \"\(name)\" repeats tools[\(first)]")
            }
            var description: String?
            if let d = function["description"], !d.isNull {
                guard let s = d.stringValue else { throw ToolDefinitionError("\(at).function.description must be a string") }
                description = s
            }
            var parameters = anyObject
            if let p = function["parameters"], !p.isNull {
                guard p.objectValue != nil else { throw ToolDefinitionError("\(at).function.parameters must be an object") }
                if !(p.objectValue?.isEmpty ?? true) { parameters = p }
            }
            out.append(ToolDefinition(name: name, description: description, parameters: parameters))
        }
        return out
    }

    /// Like `parse`, but skips what it cannot read (for callers that must not fail, such as grammar building).
    /// Accepts the bare `{"name", "parameters"}` form too.
    static func lenient(_ tools: [JSON]) -> [ToolDefinition] {
        tools.compactMap { tool in
            let f = tool["function"] ?? tool
            guard let name = f["name"]?.stringValue, !name.isEmpty else { return nil }
            let p = f["parameters"]
            let parameters = (p?.objectValue?.isEmpty ?? true) ? anyObject : p!
            return ToolDefinition(name: name, description: f["description"]?.stringValue, parameters: parameters)
        }
    }
}

package struct ToolDefinitionError: Error, Equatable, CustomStringConvertible {
    package var message: String
    init(_ message: String) { self.message = message }
    package var description: String { message }
}

// MARK: - Formats

/// How a model family writes tool calls in its reply.
package enum ToolCallFormat: String, Sendable, CaseIterable {
    /// Qwen2.5/Qwen3, Hermes: `<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>`, possibly several.
    case hermes
    /// Llama 3.1–3.3: `{"name": ..., "parameters": {...}}` as the whole reply, optionally after `<|python_tag|>`,
    /// several separated by `;`.
    case llama3
    /// Mistral: `[TOOL_CALLS] [{"name": ..., "arguments": {...}}, ...]`, and the newer `[TOOL_CALLS]name[ARGS]{...}`.
    case mistral
    /// Anything else: the whole reply is `{"name", "arguments"}`, an array of them, or one ```json fenced block.
    case generic

    /// The family a chat template was written for, by the markers its tool section uses.
    package static func detect(templateSource: String?) -> ToolCallFormat {
        guard let s = templateSource else { return .generic }
        if s.contains("<tool_call>") { return .hermes }
        if s.contains("[TOOL_CALLS]") { return .mistral }
        if s.contains("<|python_tag|>") || s.contains("<|start_header_id|>") { return .llama3 }
        return .generic
    }

    /// The text that starts a call. A lazy grammar leaves generation free until this appears, then constrains
    /// from the trigger on (so `callGrammarParts().prefix` begins with it).
    package var trigger: String {
        switch self {
        case .hermes: "<tool_call>"
        case .mistral: "[TOOL_CALLS]"
        case .llama3, .generic: "{"
        }
    }

    /// True when the trigger only counts at the start of the reply (after whitespace): a "{" inside prose is
    /// not a call. (Llama's `<|python_tag|>` starts a call anywhere; see `ToolCallStreamSplitter`.)
    package var triggerOnlyAtStart: Bool { self == .llama3 || self == .generic }

    /// The key a call's arguments go under.
    var argumentsKey: String { self == .llama3 ? "parameters" : "arguments" }

    // MARK: Grammar parts

    /// What one constrained call looks like: literal `prefix`, a JSON body satisfying `bodySchema`, literal
    /// `suffix`. The body is `anyOf` over the tools (just one when `forcedName` picks it) of
    /// `{"name": const, "<arguments key>": parameters}`; for Mistral it is an array of those (parallel calls).
    /// For Hermes, several calls are several prefix-body-suffix runs separated by "\n".
    package func callGrammarParts(tools: [JSON], forcedName: String?) -> (prefix: String, bodySchema: JSON, suffix: String) {
        callGrammarParts(definitions: ToolDefinition.lenient(tools), forcedName: forcedName)
    }

    package func callGrammarParts(definitions: [ToolDefinition], forcedName: String?) -> (prefix: String, bodySchema: JSON, suffix: String) {
        var defs = definitions
        if let forcedName {
            defs = defs.filter { $0.name == forcedName }
            if defs.isEmpty { defs = [ToolDefinition(name: forcedName)] }
        }
        let key = argumentsKey
        func callSchema(name: JSON, parameters: JSON) -> JSON {
            .object([
                ("type", .string("object")),
                ("properties", .object([("name", name), (key, parameters)])),
                ("required", .array([.string("name"), .string(key)])),
            ])
        }
        // No readable tools: any name with object arguments, rather than an `anyOf` nothing satisfies.
        let alternatives = defs.isEmpty
            ? [callSchema(name: .object([("type", .string("string"))]), parameters: ToolDefinition.anyObject)]
            : defs.map { callSchema(name: .object([("const", .string($0.name))]), parameters: $0.parameters) }
        let call: JSON = alternatives.count == 1 ? alternatives[0] : .object([("anyOf", .array(alternatives))])
        switch self {
        case .hermes: return ("<tool_call>\n", call, "\n</tool_call>")
        case .mistral: return ("[TOOL_CALLS]", .object([("type", .string("array")), ("items", call), ("minItems", .int(1))]), "")
        case .llama3, .generic: return ("", call, "")
        }
    }

    // MARK: Parsing

    /// Splits a finished reply into its text and the calls in it. Never fails: anything that does not read as
    /// well-formed calls stays content, so a malformed call is shown to the user rather than lost.
    package func parse(_ output: String) -> (content: String, calls: [ToolCall]) {
        let parsed: (content: String, calls: [ToolCall])?
        switch self {
        case .hermes: parsed = ToolCallParsing.hermes(output)
        case .llama3: parsed = ToolCallParsing.llama3(output)
        case .mistral: parsed = ToolCallParsing.mistral(output)
        case .generic: parsed = ToolCallParsing.generic(output)
        }
        if let parsed, !parsed.calls.isEmpty { return parsed }
        return (output, [])
    }
}

/// The per-family readers; each returns nil when the reply holds a call marker it cannot read.
enum ToolCallParsing {
    static let pythonTag = "<|python_tag|>"

    static func hermes(_ s: String) -> (content: String, calls: [ToolCall])? {
        guard let first = s.range(of: "<tool_call>") else { return nil }
        var outside = [String(s[..<first.lowerBound])]
        var calls: [ToolCall] = []
        var rest = s[first.lowerBound...]
        while let open = rest.range(of: "<tool_call>") {
            outside.append(String(rest[..<open.lowerBound]))
            let body: Substring
            if let close = rest[open.upperBound...].range(of: "</tool_call>") {
                body = rest[open.upperBound..<close.lowerBound]
                rest = rest[close.upperBound...]
            } else {
                // The model stopped without the closing tag (a stop string, max tokens): accept a complete body.
                body = rest[open.upperBound...]
                rest = rest[rest.endIndex...]
            }
            guard let value = jsonValue(body.trimmed), let some = toolCalls(value, argumentsKeys: ["arguments", "parameters"]) else {
                return nil
            }
            calls += some
        }
        outside.append(String(rest))
        return (joinedContent(outside), calls)
    }

    static func llama3(_ s: String) -> (content: String, calls: [ToolCall])? {
        var content = ""
        var body = Substring(s).trimmedStart
        if let tag = s.range(of: pythonTag) {
            content = String(s[..<tag.lowerBound]).trimmed
            body = s[tag.upperBound...].trimmedStart
        }
        guard body.hasPrefix("{") else { return nil }
        guard let calls = jsonSequence(body, separator: ";")?.map({ toolCalls($0, argumentsKeys: ["parameters", "arguments"]) }),
              !calls.contains(where: { $0 == nil }) else { return nil }
        return (content, calls.flatMap { $0! })
    }

    static func mistral(_ s: String) -> (content: String, calls: [ToolCall])? {
        let marker = "[TOOL_CALLS]"
        guard let first = s.range(of: marker) else { return nil }
        let content = String(s[..<first.lowerBound]).trimmed
        var calls: [ToolCall] = []
        var rest = s[first.upperBound...]
        while true {
            rest = rest.trimmedStart
            if rest.hasPrefix("[") || rest.hasPrefix("{") {
                // v3: a JSON array (or one object) of {"name", "arguments", "id"?}.
                guard let end = jsonValueEnd(rest), let value = jsonValue(rest[..<end]),
                      let some = toolCalls(value, argumentsKeys: ["arguments", "parameters"]) else { return nil }
                calls += some
                rest = rest[end...]
            } else {
                // Newer: name[ARGS]{...}, with [CALL_ID]id between them in some versions.
                guard let args = rest.range(of: "[ARGS]") else { return nil }
                var name = rest[..<args.lowerBound]
                var id: String?
                if let callID = name.range(of: "[CALL_ID]") {
                    id = String(name[callID.upperBound...]).trimmed
                    name = name[..<callID.lowerBound]
                }
                let trimmedName = String(name).trimmed
                guard !trimmedName.isEmpty, !trimmedName.contains(where: { $0.isWhitespace || $0 == "[" }) else { return nil }
                let argsText = rest[args.upperBound...].trimmedStart
                guard let end = jsonValueEnd(argsText), let value = jsonValue(argsText[..<end]),
                      let arguments = argumentsObject(value) else { return nil }
                calls.append(ToolCall(id: id, name: trimmedName, arguments: arguments))
                rest = argsText[end...]
            }
            rest = rest.trimmedStart
            if rest.hasPrefix(marker) { rest = rest.dropFirst(marker.count); continue }
            // Only an end-of-sequence marker may follow the calls.
            guard rest.isEmpty || rest == "</s>" else { return nil }
            return (content, calls)
        }
    }

    static func generic(_ s: String) -> (content: String, calls: [ToolCall])? {
        var body = Substring(s.trimmed)
        if body.hasPrefix("```") {
            guard body.count >= 6, body.hasSuffix("```") else { return nil }
            body = body.dropFirst(3).dropLast(3)
            if body.hasPrefix("json") { body = body.dropFirst(4) }
            body = Substring(body.trimmed)
        }
        guard body.hasPrefix("{") || body.hasPrefix("["), let value = jsonValue(body) else { return nil }
        var calls: [ToolCall]?
        if let list = value["tool_calls"] ?? value["tool_call"] {
            calls = toolCalls(list, argumentsKeys: ["arguments", "parameters"])
        } else {
            calls = toolCalls(value, argumentsKeys: ["arguments", "parameters"])
        }
        return calls.map { ("", $0) }
    }

    // MARK: Pieces

    /// A call object (`{"name", <arguments key>, "id"?}`, or OpenAI's `{"function": {...}}`) or an array of them.
    static func toolCalls(_ value: JSON, argumentsKeys: [String]) -> [ToolCall]? {
        if let items = value.arrayValue {
            guard !items.isEmpty else { return nil }
            var out: [ToolCall] = []
            for item in items {
                guard let call = toolCall(item, argumentsKeys: argumentsKeys) else { return nil }
                out.append(call)
            }
            return out
        }
        return toolCall(value, argumentsKeys: argumentsKeys).map { [$0] }
    }

    static func toolCall(_ value: JSON, argumentsKeys: [String]) -> ToolCall? {
        let f = value["function"].flatMap { $0.objectValue != nil ? $0 : nil } ?? value
        guard let name = f["name"]?.stringValue, !name.isEmpty else { return nil }
        // A call without arguments is a call with none; one whose arguments are not an object is not a call.
        var arguments = JSON.object([])
        if let given = argumentsKeys.lazy.compactMap({ f[$0] }).first, !given.isNull {
            guard let a = argumentsObject(given) else { return nil }
            arguments = a
        }
        return ToolCall(id: value["id"]?.stringValue, name: name, arguments: arguments)
    }

    /// An arguments object, or a JSON string holding one (some models quote their arguments).
    static func argumentsObject(_ value: JSON) -> JSON? {
        if value.objectValue != nil { return value }
        if let text = value.stringValue, let inner = jsonValue(text.trimmed), inner.objectValue != nil { return inner }
        return nil
    }

    /// JSON values one after another, separated by `separator` and whitespace; nil unless all of the text reads.
    static func jsonSequence(_ text: Substring, separator: Character) -> [JSON]? {
        var out: [JSON] = []
        var rest = text.trimmedStart
        while !rest.isEmpty {
            guard let end = jsonValueEnd(rest), let v = jsonValue(rest[..<end]) else { return nil }
            out.append(v)
            rest = rest[end...].trimmedStart
            if rest.first == separator { rest = rest.dropFirst().trimmedStart } else if !rest.isEmpty { return nil }
        }
        return out.isEmpty ? nil : out
    }

    /// Order-preserving parse (the Foundation-based `JSON.parse` loses key order, and arguments should keep theirs).
    static func jsonValue(_ text: some StringProtocol) -> JSON? {
        guard let v = try? JinjaValue.parseJSON(String(text)) else { return nil }
        return JSON(jinja: v)
    }

    /// Where the object or array that `text` starts with ends (just past its closing bracket); nil when it
    /// does not close. Brackets inside strings are skipped.
    static func jsonValueEnd(_ text: Substring) -> Substring.Index? {
        guard let open = text.first, open == "{" || open == "[" else { return nil }
        var depth = 0, inString = false, escaped = false
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
            } else if c == "\"" {
                inString = true
            } else if c == "{" || c == "[" {
                depth += 1
            } else if c == "}" || c == "]" {
                depth -= 1
                if depth == 0 { return text.index(after: i) }
            }
            i = text.index(after: i)
        }
        return nil
    }

    static func joinedContent(_ pieces: [String]) -> String {
        pieces.map(\.trimmed).filter { !$0.isEmpty }.joined(separator: "\n")
    }
}

// MARK: - Streaming

/// Splits a streamed reply into content that can be shown as it arrives and tool calls, which are parsed at
/// the end. Text that could be the beginning of the trigger is held back until it is clear that it is not;
/// everything from the trigger on is held and parsed by `finish()`.
package struct ToolCallStreamSplitter: Sendable {
    package let format: ToolCallFormat
    /// Text not shown yet: a possible start of the trigger, or the call text from the trigger on.
    private var held = ""
    /// Everything from here on is call text (the trigger was seen).
    private var inCall = false
    /// For start-only triggers: still inside the leading whitespace, where the trigger may yet appear.
    private var atStart = true

    package init(format: ToolCallFormat) { self.format = format }

    /// Feeds one chunk; returns the text that is now safe to show as content (possibly "").
    package mutating func feed(_ chunk: String) -> String {
        held += chunk
        if inCall { return "" }
        if format.triggerOnlyAtStart, atStart {
            switch startOfReply(held.trimmedStart) {
            case .call: inCall = true; return ""
            case .undecided: return ""
            case .text: atStart = false
            }
        }
        let triggers = anywhereTriggers
        if triggers.isEmpty { defer { held = "" }; return held }
        // A trigger in the held text: show what precedes it, keep the rest.
        if let hit = triggers.compactMap({ held.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            let shown = String(held[..<hit.lowerBound])
            held = String(held[hit.lowerBound...])
            inCall = true
            return shown
        }
        // Hold back the longest tail that a trigger begins with.
        var keep = 0
        for t in triggers {
            for n in stride(from: min(t.count, held.count), to: 0, by: -1) where n > keep {
                if held.hasSuffix(t.prefix(n)) { keep = n; break }
            }
        }
        let cut = held.index(held.endIndex, offsetBy: -keep)
        let shown = String(held[..<cut])
        held = String(held[cut...])
        return shown
    }

    /// Ends the stream: the content still to show (held-back text, or the call text itself when it does not
    /// read as calls), and the calls.
    package mutating func finish() -> (content: String, calls: [ToolCall]) {
        defer { held = ""; inCall = false; atStart = true }
        guard inCall else { return (held, []) }
        let parsed = format.parse(held)
        return parsed.calls.isEmpty ? (held, []) : parsed
    }

    /// Triggers that count anywhere in the reply.
    private var anywhereTriggers: [String] {
        switch format {
        case .hermes, .mistral: [format.trigger]
        case .llama3: [ToolCallParsing.pythonTag]
        case .generic: []
        }
    }

    private enum StartOfReply { case call, undecided, text }

    /// Whether the reply (leading whitespace dropped) opens a call: llama3 `<|python_tag|>` or `{`; generic `{`,
    /// `[{` or a ```json fence around them. Anything else is text, so a reply that merely begins with "[" or a
    /// code fence streams as usual.
    private func startOfReply(_ lead: Substring) -> StartOfReply {
        var rest = lead
        /// Consumes `word` if `rest` starts with it; nil when `rest` ends inside it (wait for more).
        func take(_ word: String) -> Bool? {
            if rest.hasPrefix(word) { rest = rest.dropFirst(word.count); return true }
            return word.hasPrefix(rest) ? nil : false
        }
        if format == .llama3 {
            switch take(ToolCallParsing.pythonTag) {
            case true?: return .call
            case nil where !rest.isEmpty: return .undecided
            default: break
            }
        } else {
            switch take("```") {
            case true?:
                if take("json") == nil, !rest.isEmpty { return .undecided }
                rest = rest.trimmedStart
                if rest.first == "[" { rest = rest.dropFirst().trimmedStart }
            case nil where !rest.isEmpty: return .undecided
            default:
                if rest.first == "[" { rest = rest.dropFirst().trimmedStart }
            }
        }
        guard let c = rest.first else { return .undecided }
        return c == "{" ? .call : .text
    }
}

// MARK: - JSON <-> template values

extension JSON {
    /// The JSON data in a template value (nil for functions and undefined values).
    package init?(jinja: JinjaValue) {
        switch jinja {
        case .none: self = .null
        case let .bool(b): self = .bool(b)
        case let .int(i): self = .int(i)
        case let .double(d): self = .double(d)
        case let .string(s): self = .string(s)
        case let .array(a):
            var items: [JSON] = []
            for v in a { guard let j = JSON(jinja: v) else { return nil }; items.append(j) }
            self = .array(items)
        case let .dict(d):
            var pairs: [(String, JSON)] = []
            for (k, v) in d.pairs { guard let j = JSON(jinja: v) else { return nil }; pairs.append((k, j)) }
            self = .object(pairs)
        case .namespace, .macro, .builtin, .undefined: return nil
        }
    }
}

private extension StringProtocol {
    var trimmed: String { JinjaStrings.strip(String(self), nil, left: true, right: true) }
}

private extension Substring {
    var trimmedStart: Substring { drop(while: { $0.isWhitespace }) }
}

private extension String {
    var trimmedStart: Substring { Substring(self).trimmedStart }
}
