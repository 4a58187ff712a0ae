// JinjaParser: turns lexed pieces into statements and expressions, with Jinja's operator precedence.

/// Parses the statement structure (if/for/set/macro/call/filter blocks) of a template.
struct JinjaParser {
    private let pieces: [JinjaPiece]
    private var p = 0
    private var blockDepth = 0
    /// Whether the nodes being parsed sit directly in an `if` body, where Jinja only rejects an unknown
    /// filter or test when it is reached (its compiler's "soft" frames; loop, macro, call, filter and set
    /// bodies start a new frame that is not soft).
    private var soft = false
    static let maxBlockDepth = 64

    /// Parses a whole template.
    static func parse(_ source: String) throws -> [JinjaNode] {
        var parser = JinjaParser(pieces: try JinjaLexer.lex(source))
        let (nodes, end) = try parser.parseBody(until: [], opener: nil)
        if let end { throw JinjaError.syntax("unexpected '{% \(end.name) %}'", at: end.offset) }
        return nodes
    }

    private init(pieces: [JinjaPiece]) { self.pieces = pieces }

    /// The end tag that stopped `parseBody`, with a parser over its remaining tokens.
    private struct EndTag {
        var name: String
        var offset: Int
        var rest: JinjaExprParser
    }

    private static let endTags: Set<String> = ["elif", "else", "endif", "endfor", "endset", "endmacro",
                                               "endcall", "endfilter", "endgeneration", "endraw", "endwith", "endblock"]

    /// Parses nodes until one of `ends` (or the end of the template when `ends` is empty).
    private mutating func parseBody(until ends: Set<String>, opener: (String, Int)?, soft: Bool = false) throws -> ([JinjaNode], EndTag?) {
        blockDepth += 1
        let outerSoft = self.soft
        self.soft = soft
        defer { blockDepth -= 1; self.soft = outerSoft }
        if blockDepth > JinjaParser.maxBlockDepth, let opener {
            throw JinjaError.syntax("blocks are nested more than \(JinjaParser.maxBlockDepth) levels deep", at: opener.1)
        }
        var nodes: [JinjaNode] = []
        while p < pieces.count {
            let piece = pieces[p]; p += 1
            switch piece {
            case let .text(t):
                nodes.append(.text(t))
            case let .output(tokens, offset, end):
                var ep = JinjaExprParser(tokens: tokens, endOffset: end, tagOffset: offset)
                let e = try ep.parseExpression()
                try ep.expectEnd()
                try checkUnknown(&ep, soft: soft)
                nodes.append(.output(e, offset: offset))
            case let .statement(tokens, offset, end):
                var ep = JinjaExprParser(tokens: tokens, endOffset: end, tagOffset: offset)
                guard case let .name(keyword)? = ep.peek?.kind else {
                    throw JinjaError.syntax("expected a statement name after '{%'", at: offset)
                }
                ep.advance()
                if JinjaParser.endTags.contains(keyword) {
                    if ends.contains(keyword) { return (nodes, EndTag(name: keyword, offset: offset, rest: ep)) }
                    if let opener {
                        throw JinjaError.syntax("unexpected '{% \(keyword) %}' inside '{% \(opener.0) %}'", at: offset)
                    }
                    throw JinjaError.syntax("unexpected '{% \(keyword) %}' with no open block", at: offset)
                }
                nodes.append(try parseStatement(keyword, &ep, offset: offset))
            }
        }
        if let opener {
            let expected = ends.sorted().map { "{% \($0) %}" }.joined(separator: " or ")
            throw JinjaError.syntax("'{% \(opener.0) %}' is never closed (expected \(expected))", at: opener.1)
        }
        return (nodes, nil)
    }

    /// Throws the first unknown filter or test of the tag unless `soft` (see `soft`); either way clears them.
    private func checkUnknown(_ ep: inout JinjaExprParser, soft: Bool) throws {
        defer { ep.unknown.removeAll() }
        if !soft, let e = ep.unknown.first { throw e }
    }

    private mutating func parseStatement(_ keyword: String, _ ep: inout JinjaExprParser, offset: Int) throws -> JinjaNode {
        switch keyword {
        case "if":
            var branches: [(JinjaExpr, [JinjaNode])] = []
            var cond = try ep.parseExpression()
            try ep.expectEnd()
            try checkUnknown(&ep, soft: true)
            while true {
                let (body, end) = try parseBody(until: ["elif", "else", "endif"], opener: ("if", offset), soft: true)
                branches.append((cond, body))
                guard var end else { break }
                if end.name == "elif" {
                    cond = try end.rest.parseExpression()
                    try end.rest.expectEnd()
                    try checkUnknown(&end.rest, soft: true)
                    continue
                }
                if end.name == "else" {
                    try end.rest.expectEnd()
                    let (elseBody, endIf) = try parseBody(until: ["endif"], opener: ("if", offset), soft: true)
                    if let e = endIf { try e.rest.expectEnd() }
                    return .ifChain(branches, elseBody: elseBody, offset: offset)
                }
                try end.rest.expectEnd()
                break
            }
            return .ifChain(branches, elseBody: [], offset: offset)

        case "for":
            var targets = [try ep.expectName()]
            while ep.acceptOp(",") { targets.append(try ep.expectName()) }
            try ep.expectKeyword("in")
            let iterable = try ep.parseOr()
            try checkUnknown(&ep, soft: soft)
            var condition: JinjaExpr?
            if ep.acceptKeyword("if") { condition = try ep.parseOr() }
            try checkUnknown(&ep, soft: false)
            if ep.acceptKeyword("recursive") {
                throw JinjaError.syntax("recursive for loops are not supported", at: offset)
            }
            try ep.expectEnd()
            let (body, end) = try parseBody(until: ["else", "endfor"], opener: ("for", offset))
            var elseBody: [JinjaNode] = []
            if let end {
                try end.rest.expectEnd()
                if end.name == "else" {
                    let (e, endFor) = try parseBody(until: ["endfor"], opener: ("for", offset))
                    elseBody = e
                    if let endFor { try endFor.rest.expectEnd() }
                }
            }
            return .forLoop(JinjaFor(targets: targets, iterable: iterable, condition: condition,
                                     body: body, elseBody: elseBody, offset: offset))

        case "set":
            let first = try ep.expectName()
            var target = JinjaTarget.name(first)
            if ep.acceptOp(".") {
                target = .attribute(first, try ep.expectName())
            } else if ep.peekOp(",") {
                var names = [first]
                while ep.acceptOp(",") { names.append(try ep.expectName()) }
                target = .names(names)
            }
            if ep.acceptOp("=") {
                var value = try ep.parseExpression()
                if ep.peekOp(",") {   // set a, b = 1, 2
                    var items = [value]
                    while ep.acceptOp(",") { items.append(try ep.parseExpression()) }
                    value = .list(items)
                }
                try ep.expectEnd()
                try checkUnknown(&ep, soft: soft)
                return .set(target, value, offset: offset)
            }
            let filters = try ep.parseFilterChain()
            try ep.expectEnd()
            try checkUnknown(&ep, soft: false)
            let (body, end) = try parseBody(until: ["endset"], opener: ("set", offset))
            if let end { try end.rest.expectEnd() }
            return .setBlock(target, body, filters: filters, offset: offset)

        case "macro":
            let name = try ep.expectName()
            let params = try ep.parseParams()
            try ep.expectEnd()
            try checkUnknown(&ep, soft: false)
            let (body, end) = try parseBody(until: ["endmacro"], opener: ("macro", offset))
            if var end { _ = end.rest.acceptName(name); try end.rest.expectEnd() }
            return .macro(JinjaMacro(name: name, params: params, body: body, captured: nil), offset: offset)

        case "call":
            var params: [JinjaParam] = []
            if ep.peekOp("(") { params = try ep.parseParams() }
            try checkUnknown(&ep, soft: false)
            let call = try ep.parseExpression()
            try ep.expectEnd()
            try checkUnknown(&ep, soft: soft)
            let (body, end) = try parseBody(until: ["endcall"], opener: ("call", offset))
            if let end { try end.rest.expectEnd() }
            return .callBlock(call: call, callerParams: params, body: body, offset: offset)

        case "filter":
            let filters = try ep.parseFilterChain(leadingBar: false)
            try ep.expectEnd()
            try checkUnknown(&ep, soft: false)
            let (body, end) = try parseBody(until: ["endfilter"], opener: ("filter", offset))
            if let end { try end.rest.expectEnd() }
            return .filterBlock(filters, body: body, offset: offset)

        case "generation":
            // Hugging Face's AssistantTracker extension: marks assistant text; renders its body unchanged.
            try ep.expectEnd()
            let (body, end) = try parseBody(until: ["endgeneration"], opener: ("generation", offset))
            if let end { try end.rest.expectEnd() }
            return .ifChain([(.literal(.bool(true)), body)], elseBody: [], offset: offset)

        case "break":
            try ep.expectEnd()
            return .breakLoop(offset: offset)
        case "continue":
            try ep.expectEnd()
            return .continueLoop(offset: offset)

        case "include", "import", "from", "extends", "block", "raw", "with", "autoescape", "do":
            throw JinjaError.syntax("'{% \(keyword) %}' is not supported in chat templates", at: offset)
        default:
            throw JinjaError.syntax("unknown statement '{% \(keyword) %}'", at: offset)
        }
    }
}

/// Parses the tokens of one tag into expressions.
struct JinjaExprParser {
    let tokens: [JinjaToken]
    var i = 0
    /// Offset of the tag's closing delimiter (for "unexpected end" errors) and of the tag itself.
    let endOffset: Int
    let tagOffset: Int
    /// Brackets and unary operators open inside this tag; bounded so hostile input cannot exhaust the stack.
    private var nesting = 0
    static let maxNesting = 64
    /// Unknown filters and tests met in this tag, as the syntax errors they become unless the statement
    /// parser excuses them (Jinja defers them to run time in `if` blocks and conditional expressions).
    var unknown: [JinjaError] = []
    static let maxChain = 500

    private mutating func enter() throws {
        nesting += 1
        if nesting > JinjaExprParser.maxNesting { throw fail("expression is nested more than \(JinjaExprParser.maxNesting) levels deep") }
    }
    private func checkChain(_ n: Int) throws {
        if n > JinjaExprParser.maxChain { throw fail("expression chains more than \(JinjaExprParser.maxChain) operators") }
    }

    init(tokens: [JinjaToken], endOffset: Int, tagOffset: Int) {
        self.tokens = tokens; self.endOffset = endOffset; self.tagOffset = tagOffset
    }

    static let filters: Set<String> = [
        "abs", "attr", "capitalize", "count", "d", "default", "dictsort", "e", "escape", "first", "float",
        "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject",
        "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "sort", "string", "sum",
        "title", "tojson", "trim", "unique", "upper", "wordcount", "center", "truncate",
    ]
    static let tests: Set<String> = [
        "boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped", "even", "false", "float",
        "ge", "gt", "greaterthan", "in", "integer", "iterable", "le", "lower", "lt", "lessthan", "mapping", "ne",
        "none", "number", "odd", "sameas", "sequence", "string", "true", "undefined", "upper", "==", "!=",
        "<", "<=", ">", ">=",
    ]

    var peek: JinjaToken? { i < tokens.count ? tokens[i] : nil }
    mutating func advance() { i += 1 }
    private var here: Int { peek?.offset ?? endOffset }

    private func describe(_ t: JinjaToken?) -> String {
        guard let t else { return "end of tag" }
        switch t.kind {
        case let .name(n): return "'\(n)'"
        case let .string(s): return "string \(JinjaValue.pythonQuote(s))"
        case let .int(v): return "number \(v)"
        case let .float(v): return "number \(v)"
        case let .op(o): return "'\(o)'"
        }
    }

    func fail(_ message: String) -> JinjaError { JinjaError.syntax(message, at: here) }

    func peekOp(_ o: String) -> Bool { peek?.kind == .op(o) }
    func peekName(_ n: String) -> Bool { peek?.kind == .name(n) }
    mutating func acceptOp(_ o: String) -> Bool { if peekOp(o) { i += 1; return true }; return false }
    mutating func acceptKeyword(_ n: String) -> Bool { if peekName(n) { i += 1; return true }; return false }
    mutating func acceptName(_ n: String) -> Bool { acceptKeyword(n) }

    mutating func expectOp(_ o: String) throws {
        guard acceptOp(o) else { throw fail("expected '\(o)' but found \(describe(peek))") }
    }
    mutating func expectKeyword(_ n: String) throws {
        guard acceptKeyword(n) else { throw fail("expected '\(n)' but found \(describe(peek))") }
    }
    mutating func expectName() throws -> String {
        guard case let .name(n)? = peek?.kind else { throw fail("expected a name but found \(describe(peek))") }
        i += 1
        return n
    }
    func expectEnd() throws {
        if let t = peek { throw JinjaError.syntax("unexpected \(describe(t)) (expected end of tag)", at: t.offset) }
    }

    // MARK: expressions, lowest precedence first

    mutating func parseExpression() throws -> JinjaExpr {
        try enter()
        defer { nesting -= 1 }
        let mark = unknown.count
        let e = try parseOr()
        if acceptKeyword("if") {
            let cond = try parseOr()
            var otherwise: JinjaExpr?
            if acceptKeyword("else") { otherwise = try parseExpression() }
            unknown.removeSubrange(mark...)   // all three parts are only checked when evaluated
            return .conditional(then: e, condition: cond, otherwise: otherwise)
        }
        return e
    }

    mutating func parseOr() throws -> JinjaExpr {
        var e = try parseAnd()
        var n = 0
        while acceptKeyword("or") { n += 1; try checkChain(n); e = .or(e, try parseAnd()) }
        return e
    }

    mutating func parseAnd() throws -> JinjaExpr {
        var e = try parseNot()
        var n = 0
        while acceptKeyword("and") { n += 1; try checkChain(n); e = .and(e, try parseNot()) }
        return e
    }

    mutating func parseNot() throws -> JinjaExpr {
        if acceptKeyword("not") {
            try enter()
            defer { nesting -= 1 }
            return .not(try parseNot())
        }
        return try parseCompare()
    }

    mutating func parseCompare() throws -> JinjaExpr {
        let first = try parseMath1()
        var ops: [(String, JinjaExpr)] = []
        while true {
            try checkChain(ops.count)
            if case let .op(o)? = peek?.kind, ["==", "!=", "<", "<=", ">", ">="].contains(o) {
                i += 1; ops.append((o, try parseMath1()))
            } else if peekName("in") {
                i += 1; ops.append(("in", try parseMath1()))
            } else if peekName("not"), i + 1 < tokens.count, tokens[i + 1].kind == .name("in") {
                i += 2; ops.append(("notin", try parseMath1()))
            } else {
                break
            }
        }
        return ops.isEmpty ? first : .compare(first, ops)
    }

    mutating func parseMath1() throws -> JinjaExpr {
        var e = try parseConcat()
        var n = 0
        while case let .op(o)? = peek?.kind, o == "+" || o == "-" { n += 1; try checkChain(n); i += 1; e = .binary(o, e, try parseConcat()) }
        return e
    }

    mutating func parseConcat() throws -> JinjaExpr {
        var e = try parseMath2()
        var n = 0
        while acceptOp("~") { n += 1; try checkChain(n); e = .binary("~", e, try parseMath2()) }
        return e
    }

    mutating func parseMath2() throws -> JinjaExpr {
        var e = try parsePow()
        var n = 0
        while case let .op(o)? = peek?.kind, ["*", "/", "//", "%"].contains(o) { n += 1; try checkChain(n); i += 1; e = .binary(o, e, try parsePow()) }
        return e
    }

    mutating func parsePow() throws -> JinjaExpr {
        var e = try parseUnary(withFilter: true)
        var n = 0
        while acceptOp("**") { n += 1; try checkChain(n); e = .binary("**", e, try parseUnary(withFilter: true)) }
        return e
    }

    mutating func parseUnary(withFilter: Bool) throws -> JinjaExpr {
        var e: JinjaExpr
        if peekOp("-") || peekOp("+") {
            let negative = peekOp("-")
            i += 1
            try enter()
            defer { nesting -= 1 }
            let inner = try parseUnary(withFilter: false)
            e = negative ? .negate(inner) : inner
        }
        else { e = try parsePostfix(try parsePrimary()) }
        if withFilter { e = try parseFilterExpr(e) }
        return e
    }

    mutating func parsePrimary() throws -> JinjaExpr {
        guard let t = peek else { throw fail("expected an expression but found end of tag") }
        i += 1
        switch t.kind {
        case let .name(n):
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n)
            }
        case var .string(s):
            while case let .string(more)? = peek?.kind { s += more; i += 1 }
            return .literal(.string(s))
        case let .int(v): return .literal(.int(v))
        case let .float(v): return .literal(.double(v))
        case .op("("):
            if acceptOp(")") { return .list([]) }
            let e = try parseExpression()
            if peekOp(",") {
                var items = [e]
                while acceptOp(",") { if peekOp(")") { break }; items.append(try parseExpression()) }
                try expectOp(")")
                return .list(items)
            }
            try expectOp(")")
            return e
        case .op("["):
            var items: [JinjaExpr] = []
            while !peekOp("]") {
                items.append(try parseExpression())
                if !acceptOp(",") { break }
            }
            try expectOp("]")
            return .list(items)
        case .op("{"):
            var pairs: [(JinjaExpr, JinjaExpr)] = []
            while !peekOp("}") {
                let k = try parseExpression()
                try expectOp(":")
                pairs.append((k, try parseExpression()))
                if !acceptOp(",") { break }
            }
            try expectOp("}")
            return .dict(pairs)
        default:
            i -= 1
            throw fail("expected an expression but found \(describe(t))")
        }
    }

    mutating func parsePostfix(_ base: JinjaExpr) throws -> JinjaExpr {
        var e = base
        var n = 0
        while true {
            n += 1
            try checkChain(n)
            if acceptOp(".") {
                if case let .int(v)? = peek?.kind { i += 1; e = .item(e, .literal(.int(v))); continue }
                let name = try expectName()
                if peekOp("(") { e = .method(e, name, try parseCallArgs()) } else { e = .attribute(e, name) }
            } else if acceptOp("[") {
                e = try parseSubscript(e)
            } else if peekOp("(") {
                e = .call(e, try parseCallArgs())
            } else {
                return e
            }
        }
    }

    private mutating func parseSubscript(_ base: JinjaExpr) throws -> JinjaExpr {
        var parts: [JinjaExpr?] = [nil]
        var isSlice = false
        while !peekOp("]") {
            if acceptOp(":") { isSlice = true; parts.append(nil); continue }
            guard parts[parts.count - 1] == nil else { throw fail("expected ']' but found \(describe(peek))") }
            parts[parts.count - 1] = try parseExpression()
        }
        try expectOp("]")
        if !isSlice {
            guard let index = parts[0] else { throw fail("empty subscript '[]'") }
            return .item(base, index)
        }
        guard parts.count <= 3 else { throw fail("a slice has at most three parts") }
        return .slice(base, parts[0], parts.count > 1 ? parts[1] : nil, parts.count > 2 ? parts[2] : nil)
    }

    mutating func parseCallArgs() throws -> JinjaArgs {
        try expectOp("(")
        var args = JinjaArgs()
        while !peekOp(")") {
            if case let .name(n)? = peek?.kind, i + 1 < tokens.count, tokens[i + 1].kind == .op("=") {
                i += 2
                args.keyword.append((n, try parseExpression()))
            } else {
                guard args.keyword.isEmpty else { throw fail("positional argument after keyword argument") }
                args.positional.append(try parseExpression())
            }
            if !acceptOp(",") { break }
        }
        try expectOp(")")
        return args
    }

    /// `(a, b=1)` for macro and caller parameters.
    mutating func parseParams() throws -> [JinjaParam] {
        try expectOp("(")
        var params: [JinjaParam] = []
        while !peekOp(")") {
            let name = try expectName()
            var d: JinjaExpr?
            if acceptOp("=") { d = try parseExpression() }
            params.append(JinjaParam(name: name, defaultValue: d))
            if !acceptOp(",") { break }
        }
        try expectOp(")")
        return params
    }

    /// `| f | g(x)` after `{% set x %}`, or `f | g` after `{% filter %}`.
    mutating func parseFilterChain(leadingBar: Bool = true) throws -> [(String, JinjaArgs)] {
        var chain: [(String, JinjaArgs)] = []
        var first = !leadingBar
        while first || acceptOp("|") {
            first = false
            chain.append(try parseFilterCall())
        }
        return chain
    }

    private mutating func parseFilterCall() throws -> (String, JinjaArgs) {
        let at = here
        let name = try expectName()
        if !JinjaExprParser.filters.contains(name) { unknown.append(.syntax("unknown filter '\(name)'", at: at)) }
        return (name, peekOp("(") ? try parseCallArgs() : JinjaArgs())
    }

    mutating func parseFilterExpr(_ base: JinjaExpr) throws -> JinjaExpr {
        var e = base
        var n = 0
        while true {
            n += 1
            try checkChain(n)
            if acceptOp("|") {
                let (name, args) = try parseFilterCall()
                e = .filter(e, name, args)
            } else if acceptKeyword("is") {
                let negated = acceptKeyword("not")
                let at = here
                var name: String
                switch peek?.kind {
                case let .name(n)?: name = n; i += 1
                case let .op(o)? where ["==", "!=", "<", "<=", ">", ">="].contains(o): name = o; i += 1
                default: throw fail("expected a test name after 'is' but found \(describe(peek))")
                }
                if !JinjaExprParser.tests.contains(name) { unknown.append(.syntax("unknown test '\(name)'", at: at)) }
                var args = JinjaArgs()
                if peekOp("(") {
                    args = try parseCallArgs()
                } else if let t = peek, startsArgument(t) {
                    args.positional = [try parsePostfix(try parsePrimary())]
                }
                e = .test(e, name, args, negated: negated)
            } else {
                return e
            }
        }
    }

    /// Whether a token after `x is test` starts the test's single unparenthesized argument.
    private func startsArgument(_ t: JinjaToken) -> Bool {
        switch t.kind {
        case let .name(n): return !["else", "or", "and", "if", "is", "in", "not"].contains(n)
        case .string, .int, .float: return true
        case let .op(o): return o == "[" || o == "{"
        }
    }
}
