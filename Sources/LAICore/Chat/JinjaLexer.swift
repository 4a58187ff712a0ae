// JinjaLexer: splits template source into text, {{ }} and {% %} pieces, applying whitespace control
// ({%- -%}, {{- -}}) and the trim_blocks + lstrip_blocks settings Hugging Face renders chat templates with.

/// One token inside a tag. `offset` is the unicode-scalar offset into the source.
struct JinjaToken: Sendable {
    enum Kind: Equatable, Sendable {
        case name(String)
        case string(String)
        case int(Int)
        case float(Double)
        case op(String)
    }
    var kind: Kind
    var offset: Int
}

/// The template after lexing: literal text and the token lists of each tag.
enum JinjaPiece {
    case text(String)
    /// `{{ ... }}`: tokens, offset of the tag, offset of its closing delimiter.
    case output([JinjaToken], offset: Int, end: Int)
    /// `{% ... %}`
    case statement([JinjaToken], offset: Int, end: Int)
}

enum JinjaLexer {
    private enum Kind { case text, variable, block, comment }

    private struct Raw {
        var kind: Kind
        var tokens: [JinjaToken] = []
        var start: Int            // text: first scalar; tags: offset of "{"
        var end: Int              // text: one past the last scalar; tags: offset of the closing delimiter
        var stripBefore = false   // "{%-"
        var keepBefore = false    // "{%+"
        var stripAfter = false    // "-%}"
        var keepAfter = false     // "+%}"
    }

    /// Python's `\s`.
    static func isSpace(_ u: Unicode.Scalar) -> Bool {
        u == " " || u == "\t" || u == "\n" || u == "\r" || u == "\u{0B}" || u == "\u{0C}"
    }

    /// Lexes `source` with trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False.
    static func lex(_ source: String) throws -> [JinjaPiece] {
        let s = Array(source.unicodeScalars)
        var n = s.count
        // keep_trailing_newline=False: Jinja drops one newline at the very end of the source.
        if n > 0, s[n - 1] == "\n" { n -= 1; if n > 0, s[n - 1] == "\r" { n -= 1 } }

        var raws: [Raw] = []
        var i = 0, textStart = 0
        while i + 1 < n {
            guard s[i] == "{", s[i + 1] == "{" || s[i + 1] == "%" || s[i + 1] == "#" else { i += 1; continue }
            if i > textStart { raws.append(Raw(kind: .text, start: textStart, end: i)) }
            let kind: Kind = s[i + 1] == "{" ? .variable : (s[i + 1] == "%" ? .block : .comment)
            var tag = Raw(kind: kind, start: i, end: i)
            var j = i + 2
            if j < n, s[j] == "-" { tag.stripBefore = true; j += 1 } else if j < n, s[j] == "+" { tag.keepBefore = true; j += 1 }
            if kind == .comment {
                var k = j
                while k + 1 < n, !(s[k] == "#" && s[k + 1] == "}") { k += 1 }
                guard k + 1 < n else { throw JinjaError.syntax("comment '{#' is never closed with '#}'", at: i) }
                if k > j, s[k - 1] == "-" { tag.stripAfter = true } else if k > j, s[k - 1] == "+" { tag.keepAfter = true }
                tag.end = k
                i = k + 2
            } else {
                let close: Unicode.Scalar = kind == .variable ? "}" : "%"
                var depth = 0
                var closed = false
                while j < n {
                    if isSpace(s[j]) { j += 1; continue }
                    if depth == 0 {
                        // "-}}", "+}}" or "}}" (likewise for "%}") ends the tag.
                        var k = j
                        var strip = false, keep = false
                        if s[k] == "-" || s[k] == "+", k + 2 < n, s[k + 1] == close, s[k + 2] == "}" {
                            strip = s[k] == "-"; keep = s[k] == "+"; k += 1
                        }
                        if k + 1 < n, s[k] == close, s[k + 1] == "}" {
                            tag.stripAfter = strip; tag.keepAfter = keep
                            tag.end = j
                            i = k + 2
                            closed = true
                            break
                        }
                    }
                    let tok = try lexToken(s, &j, n)
                    if case let .op(o) = tok.kind {
                        if o == "(" || o == "[" || o == "{" { depth += 1 }
                        if o == ")" || o == "]" || o == "}" { depth = max(0, depth - 1) }
                    }
                    tag.tokens.append(tok)
                }
                guard closed else {
                    let what = kind == .variable ? "'{{' is never closed with '}}'" : "'{%' is never closed with '%}'"
                    throw JinjaError.syntax(what, at: tag.start)
                }
            }
            raws.append(tag)
            textStart = i
        }
        if n > textStart { raws.append(Raw(kind: .text, start: textStart, end: n)) }

        var pieces: [JinjaPiece] = []
        for (r, raw) in raws.enumerated() {
            switch raw.kind {
            case .comment: continue
            case .variable: pieces.append(.output(raw.tokens, offset: raw.start, end: raw.end))
            case .block: pieces.append(.statement(raw.tokens, offset: raw.start, end: raw.end))
            case .text:
                var lo = raw.start, hi = raw.end
                if r > 0 {
                    let prev = raws[r - 1]
                    if prev.stripAfter {
                        while lo < hi, isSpace(s[lo]) { lo += 1 }
                    } else if prev.kind == .block || prev.kind == .comment, !prev.keepAfter {
                        // trim_blocks: the first newline after a block tag is removed.
                        if lo < hi, s[lo] == "\n" { lo += 1 }
                        else if lo + 1 < hi, s[lo] == "\r", s[lo + 1] == "\n" { lo += 2 }
                    }
                }
                if r + 1 < raws.count {
                    let next = raws[r + 1]
                    if next.stripBefore {
                        while hi > lo, isSpace(s[hi - 1]) { hi -= 1 }
                    } else if next.kind == .block || next.kind == .comment, !next.keepBefore {
                        // lstrip_blocks: spaces and tabs between a line start and a block tag are removed.
                        var k = raw.end
                        while k > raw.start, s[k - 1] == " " || s[k - 1] == "\t" { k -= 1 }
                        let atLineStart = k > raw.start ? s[k - 1] == "\n" : raw.start == 0
                        if atLineStart { hi = min(hi, k) }
                    }
                }
                if lo < hi {
                    var t = String.UnicodeScalarView()
                    t.append(contentsOf: s[lo..<hi])
                    pieces.append(.text(String(t)))
                }
            }
        }
        return pieces
    }

    private static let operators: [String] = ["//", "**", "==", "!=", "<=", ">=",
                                              "+", "-", "*", "/", "%", "~", "<", ">", "(", ")", "[", "]",
                                              "{", "}", ",", ".", ":", "|", "="]

    private static func lexToken(_ s: [Unicode.Scalar], _ j: inout Int, _ n: Int) throws -> JinjaToken {
        let start = j
        let u = s[j]
        if u == "_" || u.properties.isAlphabetic {
            var name = String.UnicodeScalarView()
            while j < n, s[j] == "_" || s[j].properties.isAlphabetic || ("0"..."9").contains(s[j]) { name.append(s[j]); j += 1 }
            return JinjaToken(kind: .name(String(name)), offset: start)
        }
        if ("0"..."9").contains(u) {
            var t = ""
            var isFloat = false
            while j < n, ("0"..."9").contains(s[j]) || s[j] == "_" { if s[j] != "_" { t.unicodeScalars.append(s[j]) }; j += 1 }
            if j + 1 < n, s[j] == ".", ("0"..."9").contains(s[j + 1]) {
                isFloat = true; t += "."; j += 1
                while j < n, ("0"..."9").contains(s[j]) { t.unicodeScalars.append(s[j]); j += 1 }
            }
            if j < n, s[j] == "e" || s[j] == "E" {
                var k = j + 1
                if k < n, s[k] == "+" || s[k] == "-" { k += 1 }
                if k < n, ("0"..."9").contains(s[k]) {
                    isFloat = true
                    t.unicodeScalars.append(contentsOf: s[j..<k]); j = k
                    while j < n, ("0"..."9").contains(s[j]) { t.unicodeScalars.append(s[j]); j += 1 }
                }
            }
            if !isFloat, let v = Int(t) { return JinjaToken(kind: .int(v), offset: start) }
            guard let d = Double(t) else { throw JinjaError.syntax("bad number '\(t)'", at: start) }
            return JinjaToken(kind: .float(d), offset: start)
        }
        if u == "'" || u == "\"" {
            j += 1
            var out = String.UnicodeScalarView()
            while j < n, s[j] != u {
                if s[j] == "\\", j + 1 < n {
                    j += 1
                    let e = s[j]
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "r": out.append("\r")
                    case "0": out.append("\0")
                    case "b": out.append("\u{08}")
                    case "f": out.append("\u{0C}")
                    case "\\", "'", "\"": out.append(e)
                    case "\n": break
                    case "x", "u", "U":
                        let len = e == "x" ? 2 : (e == "u" ? 4 : 8)
                        var h = ""
                        if j + len < n { h.unicodeScalars.append(contentsOf: s[(j + 1)...(j + len)]) }
                        guard let v = UInt32(h, radix: 16), let sc = Unicode.Scalar(v) else {
                            throw JinjaError.syntax("bad '\\\(e)' escape in string", at: j - 1)
                        }
                        out.append(sc); j += len
                    default: out.append("\\"); out.append(e)   // Python keeps unknown escapes as written
                    }
                    j += 1
                } else {
                    out.append(s[j]); j += 1
                }
            }
            guard j < n else { throw JinjaError.syntax("string literal is never closed", at: start) }
            j += 1
            return JinjaToken(kind: .string(String(out)), offset: start)
        }
        for op in operators {
            let ou = Array(op.unicodeScalars)
            if j + ou.count <= n, Array(s[j..<j + ou.count]) == ou {
                j += ou.count
                return JinjaToken(kind: .op(op), offset: start)
            }
        }
        throw JinjaError.syntax("unexpected character '\(Character(u))'", at: start)
    }
}
