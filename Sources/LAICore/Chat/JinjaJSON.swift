// JinjaJSON: `tojson` exactly as Hugging Face renders it (Python json.dumps), and a JSON reader for tool definitions.

/// The options of Hugging Face's `tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)`.
struct JSONStyle {
    /// The text one level of indentation adds (Python: `' ' * indent` for an int, the string itself for a
    /// string); nil writes everything on one line.
    var indent: String?
    /// Between items and between a key and its value. Python's defaults: ", " and ": " on one line,
    /// "," and ": " with indent.
    var itemSeparator: String
    var keySeparator: String
    var sortKeys = false
    /// Escape everything outside printable ASCII as \uXXXX (surrogate pairs above U+FFFF).
    var ensureASCII = false

    init(indent: String? = nil, separators: (String, String)? = nil, sortKeys: Bool = false, ensureASCII: Bool = false) {
        self.indent = indent
        itemSeparator = separators?.0 ?? (indent == nil ? ", " : ",")
        keySeparator = separators?.1 ?? ": "
        self.sortKeys = sortKeys
        self.ensureASCII = ensureASCII
    }
}

extension JinjaValue {
    /// Python `json.dumps(value, ...)` with `style`'s options.
    func json(_ style: JSONStyle = JSONStyle()) throws -> String {
        var out = ""
        try writeJSON(to: &out, style: style, level: 0)
        return out
    }

    private func writeJSON(to out: inout String, style: JSONStyle, level: Int) throws {
        switch self {
        case .none: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d):
            if d.isNaN { out += "NaN" } else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" }
            else { out += JinjaValue.pythonFloat(d) }
        case let .string(s): JinjaValue.jsonQuote(s, into: &out, ensureASCII: style.ensureASCII)
        case let .array(items):
            try JinjaValue.writeContainer(items.count, open: "[", close: "]", to: &out, style: style, level: level) { i, out in
                try items[i].writeJSON(to: &out, style: style, level: level + 1)
            }
        case let .dict(d):
            var pairs = d.pairs
            if style.sortKeys { pairs.sort { $0.0.unicodeScalars.lexicographicallyPrecedes($1.0.unicodeScalars) } }
            try JinjaValue.writeContainer(pairs.count, open: "{", close: "}", to: &out, style: style, level: level) { i, out in
                JinjaValue.jsonQuote(pairs[i].0, into: &out, ensureASCII: style.ensureASCII)
                out += style.keySeparator
                try pairs[i].1.writeJSON(to: &out, style: style, level: level + 1)
            }
        case let .namespace(n): try JinjaValue.dict(n.fields).writeJSON(to: &out, style: style, level: level)
        case .undefined(let what): throw JinjaError.runtime("tojson: '\(what)' is undefined")
        case .macro, .builtin: throw JinjaError.runtime("tojson: a function is not JSON serializable")
        }
    }

    private static func writeContainer(_ count: Int, open: String, close: String, to out: inout String,
                                       style: JSONStyle, level: Int,
                                       item: (Int, inout String) throws -> Void) throws {
        out += open
        if count == 0 { out += close; return }
        for i in 0..<count {
            if let ind = style.indent {
                out += (i == 0 ? "" : style.itemSeparator) + "\n" + String(repeating: ind, count: level + 1)
            } else if i > 0 {
                out += style.itemSeparator
            }
            try item(i, &out)
        }
        if let ind = style.indent { out += "\n" + String(repeating: ind, count: level) }
        out += close
    }

    /// A JSON string literal the way Python writes it (ensure_ascii=False unless `ensureASCII`).
    static func jsonQuote(_ s: String, into out: inout String, ensureASCII: Bool = false) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 || (ensureASCII && u.value > 0x7E) {
                    for unit in String(u).utf16 { out += "\\u" + hex2(UInt32(unit >> 8)) + hex2(UInt32(unit & 0xFF)) }
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }

    /// Parses JSON text (objects keep their key order; integers stay integers) with `JSON.parseOrdered`.
    package static func parseJSON(_ text: String) throws -> JinjaValue {
        do { return JinjaValue(json: try JSON.parseOrdered(text)) } catch let e as JSON.ParseError {
            throw JinjaError.runtime(e.message)
        }
    }

    /// A JSON value as a template sees it (objects keep their key order).
    package init(json: JSON) {
        switch json {
        case .null: self = .none
        case let .bool(b): self = .bool(b)
        case let .int(i): self = .int(i)
        case let .double(d): self = .double(d)
        case let .string(s): self = .string(s)
        case let .array(a): self = .array(a.map(JinjaValue.init(json:)))
        // JinjaDict keeps a repeated key at its first position with the last value, as the old reader did.
        case let .object(o): self = .dict(JinjaDict(o.map { ($0.0, JinjaValue(json: $0.1)) }))
        }
    }
}
