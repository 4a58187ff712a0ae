// JSONParser: a strict RFC 8259 reader that keeps object keys in document order (Foundation's decoder does not,
// and key order matters for JSON schemas and tool definitions).

extension JSON {
    /// Parses a JSON document keeping object key order. Integer literals (no '.', no exponent) that fit an Int
    /// become `.int`, other numbers `.double`. Throws `JSON.ParseError` with a one-line
    /// "invalid JSON at offset N: ..." message (offsets count unicode scalars).
    package static func parseOrdered(_ text: String) throws -> JSON {
        var reader = OrderedJSONReader(s: Array(text.unicodeScalars))
        reader.skipSpace()
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        if reader.i < reader.s.count {
            throw ParseError(message: "unexpected text after the JSON value at offset \(reader.i)")
        }
        return value
    }
}

/// Recursive descent over unicode scalars; depth-limited so hostile nesting cannot exhaust the stack.
private struct OrderedJSONReader {
    static let maxDepth = 200
    let s: [Unicode.Scalar]
    var i = 0

    mutating func skipSpace() { while i < s.count, s[i] == " " || s[i] == "\n" || s[i] == "\t" || s[i] == "\r" { i += 1 } }

    func fail(_ what: String) -> JSON.ParseError { JSON.ParseError(message: "invalid JSON at offset \(i): \(what)") }

    func peek(_ u: Unicode.Scalar) -> Bool { i < s.count && s[i] == u }

    mutating func literal(_ word: String, _ v: JSON) throws -> JSON {
        for u in word.unicodeScalars {
            guard peek(u) else { throw fail("expected '\(word)'") }
            i += 1
        }
        return v
    }

    mutating func value(depth: Int) throws -> JSON {
        guard depth < Self.maxDepth else { throw fail("nested too deeply") }
        guard i < s.count else { throw fail("unexpected end") }
        switch s[i] {
        case "{":
            i += 1; skipSpace()
            var pairs: [(String, JSON)] = []
            if peek("}") { i += 1; return .object(pairs) }
            while true {
                skipSpace()
                guard peek("\"") else { throw fail("expected a string key") }
                let key = try string()
                skipSpace()
                guard peek(":") else { throw fail("expected ':'") }
                i += 1; skipSpace()
                pairs.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard i < s.count else { throw fail("unclosed object") }
                if s[i] == "," { i += 1; continue }
                if s[i] == "}" { i += 1; return .object(pairs) }
                throw fail("expected ',' or '}'")
            }
        case "[":
            i += 1; skipSpace()
            var items: [JSON] = []
            if peek("]") { i += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < s.count else { throw fail("unclosed array") }
                if s[i] == "," { i += 1; continue }
                if s[i] == "]" { i += 1; return .array(items) }
                throw fail("expected ',' or ']'")
            }
        case "\"": return .string(try string())
        case "t": return try literal("true", .bool(true))
        case "f": return try literal("false", .bool(false))
        case "n": return try literal("null", .null)
        case "-", "0"..."9": return try number()
        default: throw fail("unexpected character")
        }
    }

    mutating func digits() -> Int {
        let start = i
        while i < s.count, ("0"..."9").contains(s[i]) { i += 1 }
        return i - start
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func number() throws -> JSON {
        let start = i
        if peek("-") { i += 1 }
        if peek("0") { i += 1 } else if digits() == 0 { throw fail("expected a digit") }
        var isInteger = true
        if peek(".") {
            i += 1; isInteger = false
            guard digits() > 0 else { throw fail("expected a digit after '.'") }
        }
        if peek("e") || peek("E") {
            i += 1; isInteger = false
            if peek("+") || peek("-") { i += 1 }
            guard digits() > 0 else { throw fail("expected a digit in the exponent") }
        }
        var text = ""; text.unicodeScalars.append(contentsOf: s[start..<i])
        // Integers too large for Int fall back to Double, as the Decodable conformance does.
        if isInteger, let v = Int(text) { return .int(v) }
        guard let d = Double(text) else { i = start; throw fail("bad number") }
        return .double(d)
    }

    mutating func string() throws -> String {
        i += 1
        var out = String.UnicodeScalarView()
        while i < s.count {
            let u = s[i]
            if u == "\"" { i += 1; return String(out) }
            if u.value < 0x20 { throw fail("control character in a string") }
            i += 1
            if u != "\\" { out.append(u); continue }
            guard i < s.count else { break }
            let e = s[i]; i += 1
            switch e {
            case "\"", "\\", "/": out.append(e)
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "u":
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), i + 5 < s.count, s[i] == "\\", s[i + 1] == "u" {
                    let save = i
                    i += 2
                    let low = try hex4()
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        i = save  // not a pair: the high surrogate stands alone (U+FFFD below), the next escape is read on its own
                    }
                }
                out.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default:
                i -= 1
                throw fail("bad escape '\\\(e)'")
            }
        }
        throw fail("unterminated string")
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= s.count else { throw fail("short \\u escape") }
        var t = ""; t.unicodeScalars.append(contentsOf: s[i..<i + 4])
        guard t.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit }), let v = UInt32(t, radix: 16) else {
            throw fail("bad \\u escape")
        }
        i += 4
        return v
    }
}
