// StructuredOutput: what a reply must look like — any JSON, a JSON schema, a GBNF grammar, or tool calls —
// turned into the grammar constraint generation runs under. Shared by `lai run` and `lai serve`.
import Foundation

/// How tools may be used (OpenAI's `tool_choice`).
package enum ToolChoice: Sendable, Equatable {
    case auto, none, required
    case named(String)

    /// "auto", "none", "required", or a tool's name.
    package init(_ text: String) {
        switch text {
        case "auto": self = .auto
        case "none": self = .none
        case "required", "any": self = .required
        default: self = .named(text)
        }
    }
}

/// A constraint ready to hand to a sampler: the grammar and how it starts (at once, or lazily at a trigger).
package struct OutputConstraint: Sendable {
    package let grammar: Grammar
    package let triggers: [String]
    package let triggerAtStartOnly: Bool

    /// A fresh per-generation constraint over `tokenizer`'s vocabulary.
    package func make(for tokenizer: Tokenizer) throws -> GrammarConstraint {
        try GrammarConstraint(grammar: grammar, vocabulary: GrammarVocabulary.shared(for: tokenizer),
                              triggers: triggers, triggerAtStartOnly: triggerAtStartOnly)
    }

    /// Ollama's `format`: "json" (any JSON value) or a JSON schema object. nil or "" is unconstrained.
    package static func format(_ format: JSON?) throws -> OutputConstraint? {
        guard let format, !format.isNull else { return nil }
        let text: String
        switch format {
        case .string("json"): text = JSONSchemaGrammar.anyJSON
        case .string(""): return nil
        case .object: text = try JSONSchemaGrammar.grammar(for: format)
        case let .string(s): throw GrammarError("format must be \"json\" or a JSON schema object, not \"\(s)\"")
        default: throw GrammarError("format must be \"json\" or a JSON schema object")
        }
        return OutputConstraint(grammar: try Grammar(text), triggers: [], triggerAtStartOnly: false)
    }

    /// A GBNF grammar given as text (`lai run --grammar`, llama.cpp's `grammar` field).
    package static func gbnf(_ text: String, tokenID: ((String) -> Int32?)? = nil) throws -> OutputConstraint {
        OutputConstraint(grammar: try Grammar(text, tokenID: tokenID), triggers: [], triggerAtStartOnly: false)
    }

    /// Tool calls in `format`'s syntax. `.auto` waits for the format's trigger (the model may answer in text);
    /// `.required` and `.named` constrain from the first token. `.none` and no tools: nil.
    package static func toolCalls(_ format: ToolCallFormat, tools: [ToolDefinition], choice: ToolChoice) throws -> OutputConstraint? {
        if tools.isEmpty || choice == .none { return nil }
        var forced: String? = nil
        if case let .named(n) = choice {
            guard tools.contains(where: { $0.name == n }) else {
                throw GrammarError("tool_choice names '\(n)', which is not among the tools (\(tools.map(\.name).joined(separator: ", ")))")
            }
            forced = n
        }
        let parts = format.callGrammarParts(definitions: tools, forcedName: forced)
        let body = try GBNFText.renamingRoot(JSONSchemaGrammar.grammar(for: parts.bodySchema), to: "tool-call")
        let call = [GBNFText.literal(parts.prefix), format == .mistral ? "\" \"?" : "", "tool-call", GBNFText.literal(parts.suffix)]
            .filter { !$0.isEmpty && $0 != "\"\"" }.joined(separator: " ")
        // Hermes-style calls may repeat (parallel calls); the others carry several calls inside one value.
        let root = format == .hermes ? "root ::= \(call) (\"\\n\" \(call))*\n" : "root ::= \(call)\n"
        let lazy = choice == .auto
        return OutputConstraint(grammar: try Grammar(root + body), triggers: lazy ? [format.trigger] : [],
                                triggerAtStartOnly: lazy && format.triggerOnlyAtStart)
    }
}

/// Small helpers for composing GBNF text.
package enum GBNFText {
    /// `s` as a GBNF string literal.
    package static func literal(_ s: String) -> String { SchemaGBNF.quote(s) }

    /// `grammar` with its rule `root` renamed to `name` (definition and references; literals, classes and
    /// comments untouched), so it can be embedded in a larger grammar.
    package static func renamingRoot(_ grammar: String, to name: String) -> String {
        let b = Array(grammar.utf8)
        var out: [UInt8] = []
        var i = 0
        func isWord(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x2D || (c >= 0x30 && c <= 0x39) }
        while i < b.count {
            let c = b[i]
            if c == 0x22 || c == 0x5B {  // "..." or [...]: copy through the closing quote/bracket, honouring escapes
                let close: UInt8 = c == 0x22 ? 0x22 : 0x5D
                out.append(c); i += 1
                while i < b.count && b[i] != close {
                    if b[i] == 0x5C && i + 1 < b.count { out.append(b[i]); i += 1 }
                    out.append(b[i]); i += 1
                }
                if i < b.count { out.append(b[i]); i += 1 }
            } else if c == 0x23 {  // comment
                while i < b.count && b[i] != 0x0A { out.append(b[i]); i += 1 }
            } else if isWord(c) {
                let s = i
                while i < b.count && isWord(b[i]) { i += 1 }
                if b[s..<i].elementsEqual("root".utf8) { out += Array(name.utf8) } else { out += b[s..<i] }
            } else { out.append(c); i += 1 }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension ToolCallFormat {
    /// The calls in a finished reply: this format's syntax first; failing that, a reply that is only a JSON call (bare
    /// or in a ```json fence) naming one of `toolNames` — small models often answer a tool prompt that way.
    package func calls(in text: String, toolNames: Set<String>) -> (content: String, calls: [ToolCall]) {
        let own = parse(text)
        if !own.calls.isEmpty || self == .generic { return own }
        let loose = ToolCallFormat.generic.parse(text)
        guard !loose.calls.isEmpty, loose.calls.allSatisfy({ toolNames.contains($0.name) }) else { return own }
        return loose
    }
}

extension ToolCall {
    /// A fresh call id: OpenAI's shape (`call_` and 24 hex digits), except for Mistral, whose templates accept only
    /// 9 letters and digits (a client echoing the id back would otherwise make the template raise).
    package static func newID(for format: ToolCallFormat?) -> String {
        if format == .mistral {
            let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
            return String((0..<9).map { _ in alphabet.randomElement()! })
        }
        return "call_" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24))
    }
}
