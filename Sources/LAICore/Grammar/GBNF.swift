// GBNF: llama.cpp's grammar format parsed into flat rules — the same element encoding and the same
// rewriting of repetitions, so a grammar accepts exactly what llama.cpp's grammar sampler accepts.

/// One element of a rule. A rule is a run of elements: alternatives separated by `.alt`, ended by `.end`.
/// Character sets are a `.char`/`.charNot`/`.charAny` element followed by `.charAlt` (another char) and
/// `.rangeUpper` (the upper bound of the char before it) elements.
package struct GrammarElement: Sendable, Equatable {
    package enum Kind: UInt8, Sendable { case end, alt, ruleRef, char, charNot, rangeUpper, charAlt, charAny, token, tokenNot }
    package var kind: Kind
    package var value: UInt32
}

package struct GrammarError: Error, CustomStringConvertible, Equatable {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { "grammar: \(message)" }
}

/// A parsed GBNF grammar: every rule's elements laid end to end (positions index `elements`).
package struct Grammar: Sendable {
    package var elements: [GrammarElement] = []
    /// Where each rule starts in `elements`, by rule id.
    package var ruleStart: [Int32] = []
    package var ruleNames: [String] = []
    package var root: Int32 = 0
    /// True when the grammar references tokens by id (`<[id]>`, `<name>`); such grammars only apply to generation.
    package var usesTokens = false

    /// llama.cpp's limit on repetition rewriting (`{m,n}` expands into rules).
    static let maxRepetition: UInt64 = 2000

    /// Parses `source`. `tokenID` resolves `<name>` token references (a model's vocabulary); without it only
    /// `<[id]>` references are accepted. Throws `GrammarError` naming the line and column.
    package init(_ source: String, root rootName: String = "root", tokenID: ((String) -> Int32?)? = nil) throws {
        var p = GBNFParser(source: Array(source.utf8), tokenID: tokenID)
        try p.parseAll()
        var rules = p.rules
        for (id, r) in rules.enumerated() where r.isEmpty {
            throw GrammarError("rule '\(p.names[id])' is used but not defined")
        }
        guard let rootID = p.ids[rootName] else { throw GrammarError("there is no '\(rootName)' rule") }
        if rules.isEmpty { rules = [[]] }
        var start: [Int32] = []
        for r in rules { start.append(Int32(elements.count)); elements += r }
        // A reference to root after the rules: the matcher's first stack starts there.
        elements += [GrammarElement(kind: .ruleRef, value: UInt32(rootID)), GrammarElement(kind: .end, value: 0)]
        ruleStart = start
        ruleNames = p.names
        root = Int32(rootID)
        usesTokens = p.usesTokens
        if let rule = leftRecursiveRule() { throw GrammarError("rule '\(ruleNames[rule])' is left-recursive") }
    }

    package func isEndOfSequence(_ pos: Int) -> Bool { elements[pos].kind == .end || elements[pos].kind == .alt }

    /// The first rule that can reach itself without consuming input (the pushdown matcher would loop forever).
    private func leftRecursiveRule() -> Int? {
        let n = ruleStart.count
        // Rules that can match the empty string, to a fixed point.
        var nullable = [Bool](repeating: false, count: n)
        var changed = true
        while changed {
            changed = false
            for r in 0..<n where !nullable[r] {
                var pos = Int(ruleStart[r]), allNullable = true
                while true {
                    let e = elements[pos]
                    if e.kind == .end || e.kind == .alt {
                        if allNullable { nullable[r] = true; changed = true; break }
                        if e.kind == .end { break }
                        allNullable = true
                    } else if e.kind == .ruleRef {
                        if !nullable[Int(e.value)] { allNullable = false }
                    } else if e.kind != .charAlt && e.kind != .rangeUpper {
                        allNullable = false
                    }
                    pos += 1
                }
            }
        }
        // Edges to the rules reachable at the start of an alternative (past nullable ones).
        var edges = [[Int]](repeating: [], count: n)
        for r in 0..<n {
            var pos = Int(ruleStart[r]), open = true
            while true {
                let e = elements[pos]
                if e.kind == .end { break }
                if e.kind == .alt { open = true } else if open {
                    if e.kind == .ruleRef { edges[r].append(Int(e.value)); if !nullable[Int(e.value)] { open = false } }
                    else if e.kind != .charAlt && e.kind != .rangeUpper { open = false }
                }
                pos += 1
            }
        }
        // A cycle in that graph is left recursion (iterative DFS, colours 0 new, 1 open, 2 done).
        var colour = [UInt8](repeating: 0, count: n)
        for s in 0..<n where colour[s] == 0 {
            var stack: [(Int, Int)] = [(s, 0)]
            colour[s] = 1
            while let (r, i) = stack.last {
                if i < edges[r].count {
                    stack[stack.count - 1].1 += 1
                    let t = edges[r][i]
                    if colour[t] == 1 { return t }
                    if colour[t] == 0 { colour[t] = 1; stack.append((t, 0)) }
                } else { colour[r] = 2; stack.removeLast() }
            }
        }
        return nil
    }
}

/// The recursive-descent reader of GBNF text, following llama.cpp's `llama_grammar_parser` rule for rule.
private struct GBNFParser {
    let src: [UInt8]
    let tokenID: ((String) -> Int32?)?
    var i = 0
    var ids: [String: Int] = [:]
    var names: [String] = []
    var rules: [[GrammarElement]] = []
    var usesTokens = false

    init(source: [UInt8], tokenID: ((String) -> Int32?)?) { src = source; self.tokenID = tokenID }

    func at(_ k: Int) -> UInt8 { k < src.count ? src[k] : 0 }
    var cur: UInt8 { at(i) }

    func fail(_ what: String, at k: Int? = nil) -> GrammarError {
        let pos = min(k ?? i, src.count)
        var line = 1, col = 1
        for b in src[..<pos] { if b == 0x0A { line += 1; col = 1 } else if b & 0xC0 != 0x80 { col += 1 } }
        return GrammarError("line \(line) col \(col): \(what)")
    }

    static func isWord(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x2D || (c >= 0x30 && c <= 0x39)
    }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    mutating func space(newlineOK: Bool) {
        while true {
            let c = cur
            if c == 0x23 { while i < src.count, cur != 0x0D, cur != 0x0A { i += 1 } }  // '#' comment
            else if c == 0x20 || c == 0x09 || (newlineOK && (c == 0x0D || c == 0x0A)) { i += 1 }
            else { return }
        }
    }

    mutating func symbol(_ name: String) -> Int {
        if let id = ids[name] { return id }
        ids[name] = names.count; names.append(name); rules.append([])
        return names.count - 1
    }
    mutating func generatedSymbol(_ base: String) -> Int {
        let id = names.count
        let name = "\(base)_\(id)"
        ids[name] = id; names.append(name); rules.append([])
        return id
    }

    mutating func name() throws -> String {
        let s = i
        while GBNFParser.isWord(cur) { i += 1 }
        if i == s { throw fail("expecting a rule name") }
        return String(decoding: src[s..<i], as: UTF8.self)
    }

    mutating func integer() throws -> UInt64 {
        let s = i
        while GBNFParser.isDigit(cur) { i += 1 }
        if i == s { throw fail("expecting an integer") }
        guard let v = UInt64(String(decoding: src[s..<i], as: UTF8.self)) else { throw fail("integer too large", at: s) }
        return v
    }

    mutating func hex(_ n: Int) throws -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<n {
            let c = cur
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            default: throw fail("expecting \(n) hex digits, got \(k)")
            }
            v = v << 4 | d; i += 1
        }
        return v
    }

    /// One character of a literal or class: an escape or a UTF-8 sequence.
    mutating func char() throws -> UInt32 {
        if cur == 0x5C {
            let e = at(i + 1)
            i += 2
            switch e {
            case 0x78: return try hex(2)  // \x
            case 0x75: return try hex(4)  // \u
            case 0x55: return try hex(8)  // \U
            case 0x74: return 9
            case 0x72: return 13
            case 0x6E: return 10
            case 0x5C, 0x22, 0x5B, 0x5D, 0x2D: return UInt32(e)
            default: throw fail("unknown escape '\\\(Character(Unicode.Scalar(e)))'", at: i - 2)
            }
        }
        guard i < src.count else { throw fail("unexpected end of input") }
        // UTF-8 decode as llama.cpp's decode_utf8 does (length from the high bits, no validation).
        let b = src[i]
        let lengths: [Int] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4]
        let n = lengths[Int(b >> 4)]
        var v = UInt32(b) & UInt32((1 << (8 - n)) - 1)
        if n == 1 { v = UInt32(b) }
        i += 1
        for _ in 1..<n where i < src.count { v = v << 6 | UInt32(src[i] & 0x3F); i += 1 }
        return v
    }

    mutating func parseAll() throws {
        space(newlineOK: true)
        while i < src.count { try rule() }
    }

    mutating func rule() throws {
        let n = try name()
        space(newlineOK: false)
        let id = symbol(n)
        guard cur == 0x3A, at(i + 1) == 0x3A, at(i + 2) == 0x3D else { throw fail("expecting '::=' after '\(n)'") }
        i += 3
        space(newlineOK: true)
        try alternates(ruleName: n, ruleID: id, nested: false)
        if cur == 0x0D { i += at(i + 1) == 0x0A ? 2 : 1 } else if cur == 0x0A { i += 1 }
        else if i < src.count { throw fail("expecting a newline or the end, found '\(Character(Unicode.Scalar(cur)))'") }
        space(newlineOK: true)
    }

    mutating func alternates(ruleName: String, ruleID: Int, nested: Bool) throws {
        var r: [GrammarElement] = []
        try sequence(ruleName: ruleName, into: &r, nested: nested)
        while cur == 0x7C {  // '|'
            r.append(GrammarElement(kind: .alt, value: 0))
            i += 1
            space(newlineOK: true)
            try sequence(ruleName: ruleName, into: &r, nested: nested)
        }
        r.append(GrammarElement(kind: .end, value: 0))
        rules[ruleID] = r
    }

    mutating func sequence(ruleName: String, into r: inout [GrammarElement], nested: Bool) throws {
        var lastStart = r.count
        var prevRules: UInt64 = 1

        func repeatLast(_ minTimes: UInt64, _ maxTimes: UInt64?, _ p: inout GBNFParser, at op: Int) throws {
            if lastStart == r.count { throw p.fail("expecting something before the repetition operator", at: op) }
            let prev = Array(r[lastStart...])
            let total: UInt64 = maxTimes.map { $0 > 0 ? $0 : 1 } ?? (minTimes > 0 ? minTimes : 1)
            if prevRules.multipliedReportingOverflow(by: total).partialValue > Grammar.maxRepetition
                || prevRules.multipliedReportingOverflow(by: total).overflow {
                throw p.fail("repetition too large (more than \(Grammar.maxRepetition) rules)")
            }
            if minTimes == 0 { r.removeSubrange(lastStart...) } else {
                for _ in 1..<minTimes { r += prev }
            }
            let optional = maxTimes.map { $0 - minTimes } ?? 1
            var lastID = 0
            for k in 0..<optional {
                var rec = prev
                let id = p.generatedSymbol(ruleName)
                if k > 0 || maxTimes == nil { rec.append(GrammarElement(kind: .ruleRef, value: UInt32(maxTimes == nil ? id : lastID))) }
                rec.append(GrammarElement(kind: .alt, value: 0))
                rec.append(GrammarElement(kind: .end, value: 0))
                p.rules[id] = rec
                lastID = id
            }
            if optional > 0 { r.append(GrammarElement(kind: .ruleRef, value: UInt32(lastID))) }
            prevRules *= total
        }

        while i < src.count {
            let c = cur
            if c == 0x22 {  // "literal"
                i += 1
                lastStart = r.count; prevRules = 1
                while cur != 0x22 {
                    if i >= src.count { throw fail("unterminated string literal") }
                    r.append(GrammarElement(kind: .char, value: try char()))
                }
                i += 1
                space(newlineOK: nested)
            } else if c == 0x5B {  // [class]
                i += 1
                var startKind = GrammarElement.Kind.char
                if cur == 0x5E { i += 1; startKind = .charNot }
                lastStart = r.count; prevRules = 1
                while cur != 0x5D {
                    if i >= src.count { throw fail("unterminated character class") }
                    let ch = try char()
                    r.append(GrammarElement(kind: lastStart < r.count ? .charAlt : startKind, value: ch))
                    if cur == 0x2D, at(i + 1) != 0x5D {
                        if i + 1 >= src.count { throw fail("unexpected end of input") }
                        i += 1
                        r.append(GrammarElement(kind: .rangeUpper, value: try char()))
                    }
                }
                i += 1
                space(newlineOK: nested)
            } else if c == 0x3C || c == 0x21 {  // <token> or !<token>
                var kind = GrammarElement.Kind.token
                if c == 0x21 { kind = .tokenNot; i += 1 }
                let id = try token()
                lastStart = r.count; prevRules = 1
                r.append(GrammarElement(kind: kind, value: id))
                usesTokens = true
                space(newlineOK: nested)
            } else if GBNFParser.isWord(c) {
                let n = try name()
                let id = symbol(n)
                space(newlineOK: nested)
                lastStart = r.count; prevRules = 1
                r.append(GrammarElement(kind: .ruleRef, value: UInt32(id)))
            } else if c == 0x28 {  // ( group )
                i += 1
                space(newlineOK: true)
                let before = names.count
                let id = generatedSymbol(ruleName)
                try alternates(ruleName: ruleName, ruleID: id, nested: true)
                prevRules = UInt64(max(1, names.count - before))
                lastStart = r.count
                r.append(GrammarElement(kind: .ruleRef, value: UInt32(id)))
                if cur != 0x29 { throw fail("expecting ')'") }
                i += 1
                space(newlineOK: nested)
            } else if c == 0x2E {  // .
                lastStart = r.count; prevRules = 1
                r.append(GrammarElement(kind: .charAny, value: 0))
                i += 1
                space(newlineOK: nested)
            } else if c == 0x2A || c == 0x2B || c == 0x3F {  // * + ?
                let op = i
                i += 1
                space(newlineOK: nested)
                try repeatLast(c == 0x2B ? 1 : 0, c == 0x3F ? 1 : nil, &self, at: op)
            } else if c == 0x7B {  // {m}, {m,}, {m,n}
                let op = i
                i += 1
                space(newlineOK: nested)
                if !GBNFParser.isDigit(cur) { throw fail("expecting an integer after '{'") }
                let minTimes = try integer()
                space(newlineOK: nested)
                var maxTimes: UInt64? = nil
                if cur == 0x7D {
                    maxTimes = minTimes
                    i += 1
                    space(newlineOK: nested)
                } else if cur == 0x2C {
                    i += 1
                    space(newlineOK: nested)
                    if GBNFParser.isDigit(cur) { maxTimes = try integer(); space(newlineOK: nested) }
                    if cur != 0x7D { throw fail("expecting '}'") }
                    i += 1
                    space(newlineOK: nested)
                } else { throw fail("expecting ',' or '}'") }
                if minTimes > Grammar.maxRepetition { throw fail("repetition count \(minTimes) exceeds \(Grammar.maxRepetition)") }
                if let m = maxTimes, m > Grammar.maxRepetition { maxTimes = nil }
                if let m = maxTimes, m < minTimes { throw fail("repetition {\(minTimes),\(m)}: the maximum is below the minimum") }
                try repeatLast(minTimes, maxTimes, &self, at: op)
            } else {
                break
            }
        }
    }

    /// `<[id]>` or `<text>` (a single token of the model's vocabulary).
    mutating func token() throws -> UInt32 {
        let s = i
        guard cur == 0x3C else { throw fail("expecting '<'") }
        i += 1
        if cur == 0x5B {
            i += 1
            let v = try integer()
            guard v <= UInt64(Int32.max) else { throw fail("token id too large", at: s) }
            guard cur == 0x5D, at(i + 1) == 0x3E else { throw fail("expecting ']>'") }
            i += 2
            return UInt32(v)
        }
        while i < src.count, cur != 0x3E { i += 1 }
        guard cur == 0x3E else { throw fail("unterminated token reference", at: s) }
        i += 1
        let text = String(decoding: src[s..<i], as: UTF8.self)
        guard let tokenID else { throw fail("token reference \(text) needs a model's vocabulary", at: s) }
        guard let id = tokenID(text) else { throw fail("\(text) is not a single token of this model", at: s) }
        return UInt32(id)
    }
}
