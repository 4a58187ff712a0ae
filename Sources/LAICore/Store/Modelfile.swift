// Modelfile: Ollama's recipe format (parser/parser.go) — FROM, PARAMETER, TEMPLATE, SYSTEM, MESSAGE, LICENSE, ADAPTER.
import Foundation

/// A parsed Modelfile. Instructions are case-insensitive; values may be bare (to end of line),
/// `"quoted"` or `"""multi-line"""`; lines starting with `#` are comments.
package struct Modelfile: Equatable, Sendable {
    package var from: String?
    package var parameters: [(String, String)] = []
    package var template: String?
    package var system: String?
    package var messages: [ModelMessage] = []
    package var licenses: [String] = []
    package var adapters: [String] = []

    package static func == (a: Modelfile, b: Modelfile) -> Bool {
        a.from == b.from && a.parameters.map { "\($0.0)=\($0.1)" } == b.parameters.map { "\($0.0)=\($0.1)" }
            && a.template == b.template && a.system == b.system && a.messages == b.messages
            && a.licenses == b.licenses && a.adapters == b.adapters
    }

    package init() {}

    /// PARAMETER names Ollama accepts (api.Options and api.Runner).
    package static let knownParameters: Set<String> = [
        "num_ctx", "num_batch", "num_gpu", "main_gpu", "use_mmap", "use_mlock", "num_thread", "num_keep", "seed",
        "num_predict", "top_k", "top_p", "min_p", "typical_p", "repeat_last_n", "temperature", "repeat_penalty",
        "presence_penalty", "frequency_penalty", "stop", "penalize_newline", "mirostat", "mirostat_tau",
        "mirostat_eta", "tfs_z", "numa", "low_vram", "f16_kv", "vocab_only", "logits_all", "embedding_only",
    ]

    package init(parsing text: String) throws {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var i = 0
        while i < lines.count {
            let lineNo = i + 1
            let line = lines[i].trimmingCharacters(in: .whitespaces)
            i += 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            let (word, rest0) = Modelfile.cutWord(line)
            func value(_ s: String) throws -> String {
                let t = s.trimmingCharacters(in: .whitespaces)
                if t.hasPrefix("\"\"\"") {
                    var body = String(t.dropFirst(3))
                    if let end = body.range(of: "\"\"\"") {
                        guard body[end.upperBound...].trimmingCharacters(in: .whitespaces).isEmpty else {
                            throw StoreError.modelfile(line: lineNo, reason: "text after closing \"\"\"")
                        }
                        return String(body[..<end.lowerBound])
                    }
                    while i < lines.count {
                        let l = lines[i]; i += 1
                        if let end = l.range(of: "\"\"\"") {
                            guard l[end.upperBound...].trimmingCharacters(in: .whitespaces).isEmpty else {
                                throw StoreError.modelfile(line: i, reason: "text after closing \"\"\"")
                            }
                            return body + "\n" + l[..<end.lowerBound]
                        }
                        body += "\n" + l
                    }
                    throw StoreError.modelfile(line: lineNo, reason: "unterminated \"\"\" (no closing \"\"\")")
                }
                if t.hasPrefix("\"") {
                    guard t.count >= 2, t.hasSuffix("\""), !t.hasSuffix("\\\"") || t.hasSuffix("\\\\\"") else {
                        throw StoreError.modelfile(line: lineNo, reason: "unterminated quoted value")
                    }
                    return String(t.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
                        .replacingOccurrences(of: "\\\\", with: "\\")
                }
                return t
            }
            func need(_ v: String, _ what: String) throws -> String {
                if v.isEmpty { throw StoreError.modelfile(line: lineNo, reason: "\(word.uppercased()) needs \(what)") }
                return v
            }
            switch word.lowercased() {
            case "from": from = try need(value(rest0), "a GGUF path or a model name")
            case "template": template = try value(rest0)
            case "system": system = try value(rest0)
            case "license": licenses.append(try value(rest0))
            case "adapter": adapters.append(try need(value(rest0), "a path"))
            case "parameter":
                let (name, rest) = Modelfile.cutWord(rest0.trimmingCharacters(in: .whitespaces))
                let key = name.lowercased()
                if key.isEmpty { throw StoreError.modelfile(line: lineNo, reason: "PARAMETER needs a name and a value") }
                guard Modelfile.knownParameters.contains(key) else {
                    throw StoreError.modelfile(line: lineNo, reason: "unknown parameter '\(name)'")
                }
                parameters.append((key, try need(value(rest), "a value for '\(key)'")))
            case "message":
                let (role, rest) = Modelfile.cutWord(rest0.trimmingCharacters(in: .whitespaces))
                guard ["system", "user", "assistant"].contains(role.lowercased()) else {
                    throw StoreError.modelfile(line: lineNo, reason: "MESSAGE role must be system, user or assistant, not '\(role)'")
                }
                messages.append(ModelMessage(role: role.lowercased(), content: try value(rest)))
            default:
                throw StoreError.modelfile(line: lineNo, reason: "unknown instruction '\(word)'")
            }
        }
        if from == nil { throw StoreError.modelfile(line: max(1, lines.count), reason: "no FROM instruction") }
    }

    /// Splits "WORD rest" at the first run of spaces or tabs.
    private static func cutWord(_ s: String) -> (String, String) {
        guard let r = s.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return (s, "") }
        return (String(s[..<r]), String(s[r...]))
    }

    /// Writes a Modelfile that recreates `model` (what `lai show --modelfile` prints).
    package static func render(_ model: ResolvedModel, from: String) -> String {
        var out = "# Modelfile generated by \"lai show\"\nFROM \(from)\n"
        func quoted(_ s: String) -> String { "\"\"\"" + s + "\"\"\"" }
        if let t = model.template { out += "TEMPLATE \(quoted(t))\n" }
        if let s = model.system { out += "SYSTEM \(quoted(s))\n" }
        for k in model.parameters.keys.sorted() {
            for v in model.parameters[k] ?? [] {
                let needsQuotes = v.contains(" ") || v.contains("\"") || v.isEmpty
                out += "PARAMETER \(k) \(needsQuotes ? "\"" + v.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : v)\n"
            }
        }
        for m in model.messages { out += "MESSAGE \(m.role) \(quoted(m.content))\n" }
        if let l = model.license { out += "LICENSE \(quoted(l))\n" }
        return out
    }
}

/// The params layer: a JSON object like Ollama's (`{"stop":["<|im_end|>"],"temperature":0.2}`),
/// read back as strings per name.
package enum ModelParameters {
    /// Typed JSON: `stop` (or any repeated name) as a list, numbers and booleans as such, the rest strings.
    package static func encode(_ p: [String: [String]]) -> [UInt8] {
        func typed(_ v: String) -> JSON {
            if let i = Int(v) { return .int(i) }
            if let d = Double(v), d.isFinite { return .double(d) }
            if v == "true" || v == "false" { return .bool(v == "true") }
            return .string(v)
        }
        let obj: [(String, JSON)] = p.keys.sorted().map { k in
            let vs = p[k] ?? []
            if k == "stop" || vs.count > 1 { return (k, .array(vs.map { k == "stop" ? .string($0) : typed($0) })) }
            return (k, typed(vs.first ?? ""))
        }
        return Array(JSON.object(obj).serialized().utf8)
    }

    package static func decode(_ bytes: [UInt8], what: String) throws -> [String: [String]] {
        guard let obj = try? JSONDecoder().decode([String: Value].self, from: Data(bytes)) else {
            throw StoreError.badManifest(what, reason: "params layer is not a JSON object of strings, numbers, booleans or lists")
        }
        return obj.mapValues(\.strings)
    }

    /// One JSON value of the params object, read back as the strings a Modelfile would hold.
    private enum Value: Decodable {
        case one(String)
        case many([String])
        var strings: [String] { switch self { case let .one(s): return [s]; case let .many(a): return a } }

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .one(b ? "true" : "false"); return }
            if let i = try? c.decode(Int.self) { self = .one(String(i)); return }
            if let d = try? c.decode(Double.self) { self = .one("\(d)"); return }
            if let s = try? c.decode(String.self) { self = .one(s); return }
            let a = try c.decode([Value].self)
            self = .many(a.flatMap(\.strings))
        }
    }
}
