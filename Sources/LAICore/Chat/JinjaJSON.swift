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

    /// Parses JSON text (objects keep their key order; integers stay integers).
    package static func parseJSON(_ text: String) throws -> JinjaValue {
        var p = JSONReader(s: Array(text.unicodeScalars))
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        if p.i < p.s.count { throw JinjaError.runtime("unexpected text after the JSON value at offset \(p.i)") }
        return v
    }
}

/// A small recursive-descent JSON reader over unicode scalars.
private struct JSONReader {
    let s: [Unicode.Scalar]
    var i = 0

    mutating func skipSpace() { while i < s.count, s[i] == " " || s[i] == "\n" || s[i] == "\t" || s[i] == "\r" { i += 1 } }

    func fail(_ what: String) -> JinjaError { JinjaError.runtime("invalid JSON at offset \(i): \(what)") }

    mutating func literal(_ word: String, _ v: JinjaValue) throws -> JinjaValue {
        for u in word.unicodeScalars {
            guard i < s.count, s[i] == u else { throw fail("expected '\(word)'") }
            i += 1
        }
        return v
    }

    mutating func value(depth: Int) throws -> JinjaValue {
        guard depth < 200 else { throw fail("nested too deeply") }
        guard i < s.count else { throw fail("unexpected end") }
        switch s[i] {
        case "{":
            i += 1; var d = JinjaDict(); skipSpace()
            if i < s.count, s[i] == "}" { i += 1; return .dict(d) }
            while true {
                skipSpace()
                guard i < s.count, s[i] == "\"" else { throw fail("expected a string key") }
                let k = try string()
                skipSpace()
                guard i < s.count, s[i] == ":" else { throw fail("expected ':'") }
                i += 1; skipSpace()
                d[k] = try value(depth: depth + 1)
                skipSpace()
                guard i < s.count else { throw fail("unclosed object") }
                if s[i] == "," { i += 1; continue }
                if s[i] == "}" { i += 1; return .dict(d) }
                throw fail("expected ',' or '}'")
            }
        case "[":
            i += 1; var a: [JinjaValue] = []; skipSpace()
            if i < s.count, s[i] == "]" { i += 1; return .array(a) }
            while true {
                skipSpace()
                a.append(try value(depth: depth + 1))
                skipSpace()
                guard i < s.count else { throw fail("unclosed array") }
                if s[i] == "," { i += 1; continue }
                if s[i] == "]" { i += 1; return .array(a) }
                throw fail("expected ',' or ']'")
            }
        case "\"": return .string(try string())
        case "t": return try literal("true", .bool(true))
        case "f": return try literal("false", .bool(false))
        case "n": return try literal("null", .none)
        default: return try number()
        }
    }

    mutating func number() throws -> JinjaValue {
        let start = i
        var isFloat = false
        while i < s.count {
            let u = s[i]
            if ("0"..."9").contains(u) || u == "-" || u == "+" { i += 1 }
            else if u == "." || u == "e" || u == "E" { isFloat = true; i += 1 }
            else { break }
        }
        var t = ""; t.unicodeScalars.append(contentsOf: s[start..<i])
        if !isFloat, let v = Int(t) { return .int(v) }
        if let d = Double(t), !t.isEmpty { return .double(d) }
        i = start
        throw fail("unexpected character")
    }

    mutating func string() throws -> String {
        i += 1
        var out = String.UnicodeScalarView()
        while i < s.count {
            let u = s[i]; i += 1
            if u == "\"" { return String(out) }
            if u != "\\" { out.append(u); continue }
            guard i < s.count else { break }
            let e = s[i]; i += 1
            switch e {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "u":
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), i + 1 < s.count, s[i] == "\\", s[i + 1] == "u" {
                    i += 2
                    let low = try hex4()
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default: out.append(e)
            }
        }
        throw fail("unterminated string")
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= s.count else { throw fail("short \\u escape") }
        var t = ""; t.unicodeScalars.append(contentsOf: s[i..<i + 4])
        guard let v = UInt32(t, radix: 16) else { throw fail("bad \\u escape") }
        i += 4
        return v
    }
}
