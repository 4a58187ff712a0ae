// JSONSchemaGrammar: JSON Schema → GBNF (llama.cpp's grammar format) for constrained decoding.
//
// The grammar accepts a subset of the schema's valid JSON texts and never an invalid one (known exceptions are
// listed under "Limits"). Shape: no whitespace before the root value and none after it (generation stops right
// after the value), bounded whitespace between tokens, object members in the schema's property order.
//
// Limits (each makes the grammar accept fewer texts, never more, except where noted):
// - numbers: at most 16 integer digits and 20 fraction digits; exponents only when unbounded (≤ 3 digits);
//   "-0" is only produced where negative numbers are allowed; `integer` accepts only integer syntax ("1", not "1.0").
// - strings: a known value (enum/const/key) must be written in its canonical escaping; surrogate escapes only
//   as valid pairs; DEL (0x7F) must be escaped.
// - objects: without `additionalProperties`, no keys beyond `properties` (as llama.cpp does); extra keys are
//   written after the known ones, without escapes before they differ from every known key.
// - `oneOf` is treated as `anyOf`: a value matching several branches is accepted (accepts more).
// - `format: date` checks days per month and leap years; `time`/`date-time` follow RFC 3339 without leap
//   seconds and with at most 9 fraction digits; `email`/`uri` are permissive shapes. Unknown formats are ignored.
// - non-integer number bounds with more than 17 decimals are rounded inward.

package struct JSONSchemaError: Error, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { "JSON schema: \(message)" }
}

package enum JSONSchemaGrammar {
    /// GBNF whose rule `root` accepts JSON texts valid under `schema` (the subset described above), with bounded
    /// whitespace and nothing after the root value. Throws `JSONSchemaError` (one line) for unsupported keywords,
    /// bad values, unresolvable or non-progressing `$ref`s and unsatisfiable constraints.
    package static func grammar(for schema: JSON) throws -> String {
        var b = SchemaGrammarBuilder(document: schema)
        try b.buildRoot()
        return try b.render()
    }

    /// GBNF for any JSON value (Ollama's `format: "json"`).
    package static let anyJSON: String = {
        var b = SchemaGrammarBuilder(document: .bool(true))
        b.fill("root", b.prim("value"))
        return (try? b.render()) ?? ""
    }()
}

// MARK: - Grammar expressions

/// A GBNF expression; kept as a tree so identical rules can be shared and left recursion detected.
indirect enum SchemaGBNF: Hashable, Sendable {
    case literal(String)
    case charClass(String)  // GBNF source, brackets included
    case rule(String)
    case seq([SchemaGBNF])
    case alt([SchemaGBNF])
    case rep(SchemaGBNF, Int, Int?)

    static let empty = SchemaGBNF.seq([])
    var isEmpty: Bool { if case let .seq(xs) = self { xs.isEmpty } else if case let .literal(s) = self { s.isEmpty } else { false } }

    static func lit(_ s: String) -> SchemaGBNF { .literal(s) }
    static func cls(_ s: String) -> SchemaGBNF { .charClass(s) }
    static func opt(_ x: SchemaGBNF) -> SchemaGBNF { x.isEmpty ? .empty : .rep(x, 0, 1) }

    static func sequence(_ items: [SchemaGBNF]) -> SchemaGBNF {
        var out: [SchemaGBNF] = []
        for x in items {
            switch x {
            case let .seq(inner): for y in inner { append(y, to: &out) }
            default: append(x, to: &out)
            }
        }
        return out.count == 1 ? out[0] : .seq(out)
    }

    private static func append(_ x: SchemaGBNF, to out: inout [SchemaGBNF]) {
        if x.isEmpty { return }
        if case let .literal(b) = x, case let .literal(a)? = out.last { out[out.count - 1] = .literal(a + b); return }
        out.append(x)
    }

    /// Alternatives; an empty alternative becomes `( ... )?` so no rule has an empty branch.
    static func choice(_ items: [SchemaGBNF]) -> SchemaGBNF {
        var out: [SchemaGBNF] = []
        var hasEmpty = false
        for x in items {
            let parts: [SchemaGBNF] = if case let .alt(inner) = x { inner } else { [x] }
            for p in parts {
                if p.isEmpty { hasEmpty = true } else if !out.contains(p) { out.append(p) }
            }
        }
        let body: SchemaGBNF = out.count == 1 ? out[0] : .alt(out)
        if out.isEmpty { return .empty }
        return hasEmpty ? opt(body) : body
    }

    static func repeated(_ x: SchemaGBNF, _ min: Int, _ max: Int?) -> SchemaGBNF {
        if max == 0 || x.isEmpty { return .empty }
        if min == 1 && max == 1 { return x }
        // GBNF engines (llama.cpp's and ours) read a maximum above 2000 as "unbounded": cap it instead, so the
        // grammar accepts a subset of what the schema allows rather than more
        return .rep(x, min, max.map { $0 > 2000 ? Swift.max(min, 2000) : $0 })
    }

    func render() -> String {
        switch self {
        case let .literal(s): return SchemaGBNF.quote(s)
        case let .charClass(c): return c
        case let .rule(n): return n
        case let .seq(xs): return xs.isEmpty ? "\"\"" : xs.map { if case .alt = $0 { "(\($0.render()))" } else { $0.render() } }.joined(separator: " ")
        case let .alt(xs): return xs.map { $0.render() }.joined(separator: " | ")
        case let .rep(x, m, n):
            let atom: String
            switch x {
            case .literal, .charClass, .rule: atom = x.render()
            default: atom = "(\(x.render()))"
            }
            switch (m, n) {
            case (0, 1?): return atom + "?"
            case (0, nil): return atom + "*"
            case (1, nil): return atom + "+"
            case let (m, nil): return atom + "{\(m),}"
            case let (m, n?) where m == n: return atom + "{\(m)}"
            case let (m, n?): return atom + "{\(m),\(n)}"
            }
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7F { out += hexEscape(u) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    /// A character for inside `[...]`.
    static func classChar(_ u: Unicode.Scalar) -> String {
        switch u {
        case "\\", "]", "[", "^", "-", "\"": return "\\" + String(u)
        default: return u.value < 0x20 || u.value == 0x7F ? hexEscape(u) : String(u)
        }
    }

    static func hexEscape(_ u: Unicode.Scalar) -> String {
        let h = String(u.value, radix: 16)
        return "\\x" + String(repeating: "0", count: max(0, 2 - h.count)) + h
    }
}

// MARK: - Builder

struct SchemaGrammarBuilder {
    static let maxIntDigits = 16
    static let maxFractionDigits = 20
    static let maxBoundDecimals = 17
    static let maxAlternatives = 64
    static let maxRefDepth = 32
    static let maxSteps = 200_000
    static let maxGrammarBytes = 4 << 20
    static let intCap = 9_999_999_999_999_999  // 16 digits
    /// llama.cpp refuses a repetition with a larger minimum ({m,} copies the item m times); large maxima are fine.
    static let maxMinRepeat = 2000

    static let annotations: Set<String> = [
        "title", "description", "examples", "example", "default", "$schema", "$id", "id", "$comment", "deprecated",
        "readOnly", "writeOnly", "contentMediaType", "contentEncoding", "$anchor", "$dynamicAnchor", "$vocabulary",
    ]
    static let supported: Set<String> = [
        "type", "properties", "required", "additionalProperties", "enum", "const", "items", "prefixItems",
        "additionalItems", "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "anyOf", "oneOf", "allOf", "$ref", "$defs", "definitions",
        "format", "pattern",
    ]
    static let typeNames = ["string", "number", "integer", "boolean", "null", "object", "array"]

    let document: JSON
    var order: [String] = []
    var bodies: [String: SchemaGBNF] = [:]
    var nameOfBody: [SchemaGBNF: String] = [:]
    var pathOfRule: [String: String] = [:]
    var refRules: [String: String] = [:]
    var steps = 0

    init(document: JSON) { self.document = document }

    // MARK: rules

    static func sanitize(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            if u.isASCII, u.properties.isAlphabetic || ("0"..."9").contains(u) { out.unicodeScalars.append(u) }
            else if !out.hasSuffix("-") { out += "-" }
        }
        while out.hasPrefix("-") { out.removeFirst() }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "x" : String(out.prefix(40))
    }

    mutating func reserve(_ hint: String, path: String) -> String {
        let base = Self.sanitize(hint)
        var name = base
        var n = 2
        while bodies[name] != nil { name = "\(base)-\(n)"; n += 1 }
        bodies[name] = .empty
        order.append(name)
        pathOfRule[name] = path
        return name
    }

    mutating func fill(_ name: String, _ body: SchemaGBNF) {
        if bodies[name] == nil { order.append(name) }
        bodies[name] = body
        if !body.isEmpty, nameOfBody[body] == nil { nameOfBody[body] = name }
    }

    /// A rule for `body`, shared with any earlier rule of the same body; small atoms stay inline.
    mutating func define(_ hint: String, _ body: SchemaGBNF, path: String) -> SchemaGBNF {
        switch body {
        case .rule, .literal, .charClass: return body
        default: if body.isEmpty { return body }
        }
        if let n = nameOfBody[body] { return .rule(n) }
        let name = reserve(hint, path: path)
        fill(name, body)
        return .rule(name)
    }

    /// The fixed rules (space, string, number, value...), defined on first use.
    mutating func prim(_ name: String) -> SchemaGBNF {
        if bodies[name] != nil { return .rule(name) }
        fill(name, .empty)  // reserved first: value, object and array refer to each other
        let d = SchemaGBNF.cls("[0-9]"), hex = SchemaGBNF.cls("[0-9a-fA-F]")
        let body: SchemaGBNF
        switch name {
        case "space": body = .choice([.empty, .lit(" "), .sequence([.lit("\n"), .repeated(.cls("[ \\t]"), 0, 20)])])
        case "null": body = .lit("null")
        case "boolean": body = .choice([.lit("true"), .lit("false")])
        case "char":
            // One code point, raw or escaped; an escaped surrogate pair counts once (string lengths stay exact).
            let unit = SchemaGBNF.choice([
                .sequence([.cls("[0-9a-cA-CeEfF]"), .repeated(hex, 3, 3)]),
                .sequence([.cls("[dD]"), .cls("[0-7]"), .repeated(hex, 2, 2)]),
                .sequence([.cls("[dD]"), .cls("[89abAB]"), .repeated(hex, 2, 2), .lit("\\u"), .cls("[dD]"), .cls("[c-fC-F]"), .repeated(hex, 2, 2)]),
            ])
            body = .choice([.cls("[^\"\\\\\\x7F\\x00-\\x1F]"), .sequence([.lit("\\"), .choice([.cls("[\"\\\\/bfnrt]"), .sequence([.lit("u"), unit])])])])
        case "string": body = .sequence([.lit("\""), .repeated(prim("char"), 0, nil), .lit("\"")])
        case "integral": body = .choice([.lit("0"), .sequence([.cls("[1-9]"), .repeated(d, 0, Self.maxIntDigits - 1)])])
        case "integer": body = .sequence([.opt(.lit("-")), prim("integral")])
        case "number":
            body = .sequence([.opt(.lit("-")), prim("integral"), .opt(.sequence([.lit("."), .repeated(d, 1, Self.maxFractionDigits)])),
                              .opt(.sequence([.cls("[eE]"), .opt(.cls("[-+]")), .repeated(d, 1, 3)]))])
        case "value":
            body = .choice([prim("object"), prim("array"), prim("string"), prim("number"), prim("boolean"), prim("null")])
        case "object":
            let member = SchemaGBNF.sequence([prim("string"), prim("space"), .lit(":"), prim("space"), prim("value"), prim("space")])
            body = .sequence([.lit("{"), prim("space"), .opt(.sequence([member, .repeated(.sequence([.lit(","), prim("space"), member]), 0, nil)])), .lit("}")])
        case "array":
            body = arrayBody(item: prim("value"), min: 0, max: nil)
        case "date":
            let y = SchemaGBNF.repeated(d, 4, 4)
            let leap = SchemaGBNF.choice([
                .sequence([.repeated(d, 2, 2), .choice([.sequence([.cls("[02468]"), .cls("[048]")]), .sequence([.cls("[13579]"), .cls("[26]")])])]),
                .sequence([.choice([.sequence([.cls("[02468]"), .cls("[048]")]), .sequence([.cls("[13579]"), .cls("[26]")])]), .lit("00")]),
            ])
            let day28 = SchemaGBNF.choice([.sequence([.lit("0"), .cls("[1-9]")]), .sequence([.lit("1"), d]), .sequence([.lit("2"), .cls("[0-8]")])])
            let day30 = SchemaGBNF.choice([day28, .lit("29"), .lit("30")])
            let day31 = SchemaGBNF.choice([day30, .lit("31")])
            body = .choice([
                .sequence([y, .lit("-"), .choice([.sequence([.lit("0"), .cls("[13578]")]), .lit("10"), .lit("12")]), .lit("-"), day31]),
                .sequence([y, .lit("-"), .choice([.sequence([.lit("0"), .cls("[469]")]), .lit("11")]), .lit("-"), day30]),
                .sequence([y, .lit("-02-"), day28]),
                .sequence([leap, .lit("-02-29")]),
            ])
        case "time":
            let hh = SchemaGBNF.choice([.sequence([.cls("[01]"), d]), .sequence([.lit("2"), .cls("[0-3]")])])
            let mm = SchemaGBNF.sequence([.cls("[0-5]"), d])
            body = .sequence([hh, .lit(":"), mm, .lit(":"), mm, .opt(.sequence([.lit("."), .repeated(d, 1, 9)])),
                              .choice([.cls("[zZ]"), .sequence([.cls("[-+]"), hh, .lit(":"), mm])])])
        case "date-time": body = .sequence([prim("date"), .cls("[tT]"), prim("time")])
        case "uuid":
            body = .sequence([.repeated(hex, 8, 8), .lit("-"), .repeated(hex, 4, 4), .lit("-"), .repeated(hex, 4, 4), .lit("-"),
                              .repeated(hex, 4, 4), .lit("-"), .repeated(hex, 12, 12)])
        case "email":
            body = .sequence([.repeated(.cls("[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]"), 1, 64), .lit("@"),
                              .repeated(.cls("[a-zA-Z0-9-]"), 1, 63), .repeated(.sequence([.lit("."), .repeated(.cls("[a-zA-Z0-9-]"), 1, 63)]), 0, 8)])
        case "uri":
            body = .sequence([.cls("[a-zA-Z]"), .repeated(.cls("[a-zA-Z0-9+.-]"), 0, 31), .lit(":"),
                              .repeated(.cls("[a-zA-Z0-9._~:/?#@!$&'()*+,;=%-]"), 1, 2000)])
        default: body = .empty
        }
        fill(name, body)
        return .rule(name)
    }

    func arrayBody(item: SchemaGBNF, min: Int, max: Int?) -> SchemaGBNF {
        let sp = SchemaGBNF.rule("space")
        if max == 0 { return .sequence([.lit("["), sp, .lit("]")]) }
        let more = SchemaGBNF.repeated(.sequence([.lit(","), sp, item, sp]), Swift.max(0, min - 1), max.map { $0 - 1 })
        let items = SchemaGBNF.sequence([item, sp, more])
        return .sequence([.lit("["), sp, min == 0 ? .opt(items) : items, .lit("]")])
    }

    // MARK: entry points

    mutating func buildRoot() throws {
        _ = prim("space")
        let root = reserve("root", path: "#")
        refRules["#"] = root
        let body = try visit(document, at: "#", name: "root")
        fill(root, body)
    }

    func render() throws -> String {
        try checkProgress()
        var out = ""
        for name in order {
            guard let body = bodies[name] else { continue }
            out += "\(name) ::= \(body.isEmpty ? "\"\"" : body.render())\n"
            if out.utf8.count > Self.maxGrammarBytes { throw JSONSchemaError("the grammar would exceed \(Self.maxGrammarBytes >> 20) MiB") }
        }
        return out
    }

    /// A rule that can reach itself without reading a character would loop forever (llama.cpp rejects it as
    /// left recursion), e.g. `{"$ref": "#"}` or a definition that is only a reference to itself.
    func checkProgress() throws {
        var nullable: [String: Bool] = [:]
        func isNullable(_ x: SchemaGBNF) -> Bool {
            switch x {
            case let .literal(s): s.isEmpty
            case .charClass: false
            case let .rule(n): nullable[n] ?? false
            case let .seq(xs): xs.allSatisfy(isNullable)
            case let .alt(xs): xs.contains(where: isNullable)
            case let .rep(x, m, _): m == 0 || isNullable(x)
            }
        }
        var changed = true
        while changed {
            changed = false
            for name in order where nullable[name] != true {
                if let b = bodies[name], isNullable(b) { nullable[name] = true; changed = true }
            }
        }
        func firstRules(_ x: SchemaGBNF, into out: inout [String]) {
            switch x {
            case .literal, .charClass: break
            case let .rule(n): out.append(n)
            case let .seq(xs): for y in xs { firstRules(y, into: &out); if !isNullable(y) { break } }
            case let .alt(xs): for y in xs { firstRules(y, into: &out) }
            case let .rep(y, _, n): if n != 0 { firstRules(y, into: &out) }
            }
        }
        var edges: [String: [String]] = [:]
        for name in order { var out: [String] = []; if let b = bodies[name] { firstRules(b, into: &out) }; edges[name] = out }
        var state: [String: Int] = [:]  // 1 on the stack, 2 done
        for start in order where state[start] == nil {
            var stack: [(String, Int)] = [(start, 0)]
            state[start] = 1
            while let (node, i) = stack.last {
                let next = edges[node] ?? []
                if i == next.count { state[node] = 2; stack.removeLast(); continue }
                stack[stack.count - 1].1 += 1
                let m = next[i]
                if state[m] == 1 {
                    throw JSONSchemaError("cyclic $ref without progress at \(pathOfRule[m] ?? m)")
                }
                if state[m] == nil { state[m] = 1; stack.append((m, 0)) }
            }
        }
    }

    // MARK: schemas

    func checkKeywords(_ o: [(String, JSON)], at path: String) throws {
        for (k, _) in o where !Self.supported.contains(k) && !Self.annotations.contains(k) && !k.hasPrefix("x-") {
            throw JSONSchemaError("unsupported keyword '\(k)' at \(path)")
        }
    }

    static func isConstraint(_ k: String) -> Bool {
        supported.contains(k) && k != "$defs" && k != "definitions"
    }

    mutating func visit(_ schema: JSON, at path: String, name: String) throws -> SchemaGBNF {
        steps += 1
        guard steps < Self.maxSteps else { throw JSONSchemaError("the schema is too large") }
        switch schema {
        case .bool(true): return prim("value")
        case .bool(false): throw JSONSchemaError("schema false accepts no value at \(path)")
        case .object: break
        default: throw JSONSchemaError("expected a schema (object or boolean) at \(path)")
        }
        guard let o = schema.objectValue else { return prim("value") }
        try checkKeywords(o, at: path)
        let keys = Set(o.map(\.0).filter(Self.isConstraint))
        if keys == ["$ref"], let ref = schema["$ref"] { return try refRule(ref, at: path) }
        let combinators: Set<String> = ["anyOf", "oneOf"]
        if keys.count == 1, let k = keys.first, combinators.contains(k) {
            guard let branches = schema[k]?.arrayValue, !branches.isEmpty else {
                throw JSONSchemaError("'\(k)' must be a non-empty array at \(path)")
            }
            var alts: [SchemaGBNF] = []
            for (i, b) in branches.enumerated() { alts.append(try visit(b, at: "\(path)/\(k)/\(i)", name: "\(name)-\(i)")) }
            return define(name, .choice(alts), path: path)
        }
        if !keys.isDisjoint(with: ["allOf", "$ref", "anyOf", "oneOf"]) {
            var alts: [SchemaGBNF] = []
            let merged = try expand(schema, at: path, depth: 0)
            if merged.isEmpty { throw JSONSchemaError("no value satisfies the schema at \(path)") }
            var firstError: JSONSchemaError?
            for (i, conj) in merged.enumerated() {
                do {
                    let m = try mergeConjunction(conj, at: path)
                    alts.append(try visitPlain(m, at: path, name: merged.count == 1 ? name : "\(name)-\(i)"))
                } catch let e as JSONSchemaError where merged.count > 1 && e.message.hasPrefix("no value") {
                    firstError = firstError ?? e  // an unsatisfiable alternative just drops out
                }
            }
            if alts.isEmpty { throw firstError ?? JSONSchemaError("no value satisfies the schema at \(path)") }
            return define(name, .choice(alts), path: path)
        }
        return try visitPlain(o, at: path, name: name)
    }

    // MARK: $ref

    func resolve(_ ref: JSON, at path: String) throws -> JSON {
        guard let r = ref.stringValue else { throw JSONSchemaError("$ref must be a string at \(path)") }
        guard r.hasPrefix("#") else { throw JSONSchemaError("unsupported $ref '\(r)' at \(path) (only local #/... references)") }
        var node = document
        let pointer = String(r.dropFirst())
        if pointer.isEmpty { return node }
        guard pointer.hasPrefix("/") else { throw JSONSchemaError("unsupported $ref '\(r)' at \(path) (anchors are not supported)") }
        for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let token = (String(raw).removingPercentEncodingSafe).replacingAll("~1", "/").replacingAll("~0", "~")
            if let o = node.objectValue, let v = o.last(where: { $0.0 == token })?.1 { node = v }
            else if let a = node.arrayValue, let i = Int(token), a.indices.contains(i) { node = a[i] }
            else { throw JSONSchemaError("$ref '\(r)' at \(path) points to nothing") }
        }
        return node
    }

    mutating func refRule(_ ref: JSON, at path: String) throws -> SchemaGBNF {
        let target = try resolve(ref, at: path)
        let r = ref.stringValue ?? "#"
        if let name = refRules[r] { return .rule(name) }
        let hint = r.split(separator: "/").last.map(String.init) ?? "ref"
        let name = reserve(hint, path: r)
        refRules[r] = name
        let body = try visit(target, at: r, name: name + "-body")
        fill(name, body)
        return .rule(name)
    }

    // MARK: allOf / anyOf / $ref with siblings: alternatives of conjunctions of plain schemas

    typealias Plain = [(String, JSON)]

    mutating func expand(_ schema: JSON, at path: String, depth: Int) throws -> [[Plain]] {
        steps += 1
        guard steps < Self.maxSteps else { throw JSONSchemaError("the schema is too large") }
        guard depth < Self.maxRefDepth else { throw JSONSchemaError("$ref/allOf nested too deeply at \(path)") }
        switch schema {
        case .bool(true): return [[]]
        case .bool(false): return []
        case .object: break
        default: throw JSONSchemaError("expected a schema (object or boolean) at \(path)")
        }
        let o = schema.objectValue ?? []
        try checkKeywords(o, at: path)
        let plain = o.filter { Self.isConstraint($0.0) && !["allOf", "anyOf", "oneOf", "$ref"].contains($0.0) }
        var result: [[Plain]] = [[plain]]
        func product(_ other: [[Plain]]) throws {
            var out: [[Plain]] = []
            for a in result { for b in other { out.append(a + b) } }
            guard out.count <= Self.maxAlternatives else {
                throw JSONSchemaError("too many alternatives (allOf × anyOf) at \(path)")
            }
            result = out
        }
        if let ref = schema["$ref"] {
            try product(try expand(try resolve(ref, at: path), at: ref.stringValue ?? path, depth: depth + 1))
        }
        if let all = schema["allOf"] {
            guard let items = all.arrayValue, !items.isEmpty else { throw JSONSchemaError("'allOf' must be a non-empty array at \(path)") }
            for (i, s) in items.enumerated() { try product(try expand(s, at: "\(path)/allOf/\(i)", depth: depth + 1)) }
        }
        for k in ["anyOf", "oneOf"] {
            guard let v = schema[k] else { continue }
            guard let items = v.arrayValue, !items.isEmpty else { throw JSONSchemaError("'\(k)' must be a non-empty array at \(path)") }
            var alts: [[Plain]] = []
            for (i, s) in items.enumerated() { alts += try expand(s, at: "\(path)/\(k)/\(i)", depth: depth + 1) }
            try product(alts)
        }
        return result
    }

    /// One plain schema equivalent to all of `parts` (keyword by keyword intersection).
    func mergeConjunction(_ parts: [Plain], at path: String) throws -> Plain {
        if parts.count == 1 { return parts[0] }
        var out: Plain = []
        func get(_ p: Plain, _ k: String) -> JSON? { p.last { $0.0 == k }?.1 }
        func set(_ k: String, _ v: JSON) { out.removeAll { $0.0 == k }; out.append((k, v)) }
        func values(_ k: String) -> [JSON] { parts.compactMap { get($0, k) } }

        // type: intersection
        let typeSets = try parts.compactMap { p in try get(p, "type").map { try Self.typeList($0, at: path) } }
        if var types = typeSets.first {
            for t in typeSets.dropFirst() {
                types = types.compactMap { a in
                    if t.contains(a) { return a }
                    if a == "number" && t.contains("integer") { return "integer" }
                    if a == "integer" && t.contains("number") { return "integer" }
                    return nil
                }
            }
            if types.isEmpty { throw JSONSchemaError("no value satisfies the schema at \(path) (allOf types do not overlap)") }
            set("type", .array(types.map(JSON.string)))
        }
        // enum/const: intersection
        let enums = parts.compactMap { p -> [JSON]? in
            if let c = get(p, "const") { return [c] }
            return get(p, "enum")?.arrayValue
        }
        if var allowed = enums.first {
            for e in enums.dropFirst() { allowed = allowed.filter { e.contains($0) } }
            if allowed.isEmpty { throw JSONSchemaError("no value satisfies the schema at \(path) (allOf enums do not overlap)") }
            set("enum", .array(allowed))
        }
        for k in ["minItems", "minLength", "minimum", "exclusiveMinimum"] {
            let vs = values(k)
            if vs.contains(where: { $0.boolValue != nil }) { throw JSONSchemaError("draft-4 boolean '\(k)' inside allOf is not supported at \(path)") }
            if let best = try vs.max(by: { try Self.number($0, k, path) < Self.number($1, k, path) }) { set(k, best) }
        }
        for k in ["maxItems", "maxLength", "maximum", "exclusiveMaximum"] {
            let vs = values(k)
            if vs.contains(where: { $0.boolValue != nil }) { throw JSONSchemaError("draft-4 boolean '\(k)' inside allOf is not supported at \(path)") }
            if let best = try vs.min(by: { try Self.number($0, k, path) < Self.number($1, k, path) }) { set(k, best) }
        }
        for k in ["format", "pattern", "prefixItems", "additionalItems"] {
            let vs = values(k)
            if let first = vs.first {
                guard vs.allSatisfy({ $0 == first }) else { throw JSONSchemaError("allOf with different '\(k)' values is not supported at \(path)") }
                set(k, first)
            }
        }
        if parts.contains(where: { get($0, "items")?.arrayValue != nil }) {
            let vs = values("items")
            guard vs.allSatisfy({ $0 == vs[0] }) else { throw JSONSchemaError("allOf with different tuple 'items' is not supported at \(path)") }
            set("items", vs[0])
        } else {
            let items = values("items")
            if items.count == 1 { set("items", items[0]) } else if items.count > 1 { set("items", .object([("allOf", .array(items))])) }
        }
        // objects: a key must be allowed by every part (by its properties or its additionalProperties)
        var required: [JSON] = []
        for r in values("required") { for v in r.arrayValue ?? [] where !required.contains(v) { required.append(v) } }
        if !required.isEmpty { set("required", .array(required)) }
        var keys: [String] = []
        for p in parts { for (k, _) in get(p, "properties")?.objectValue ?? [] where !keys.contains(k) { keys.append(k) } }
        if !keys.isEmpty {
            var props: [(String, JSON)] = []
            for k in keys {
                var schemas: [JSON] = []
                var forbidden = false
                for p in parts {
                    if let s = get(p, "properties")?[k] { schemas.append(s); continue }
                    switch get(p, "additionalProperties") {
                    case .bool(false)?: forbidden = true
                    case nil, .bool(true)?: break
                    case let s?: schemas.append(s)
                    }
                }
                if forbidden {
                    if required.contains(.string(k)) { throw JSONSchemaError("no value satisfies the schema at \(path) (required '\(k)' is not allowed by every allOf part)") }
                    continue
                }
                props.append((k, schemas.isEmpty ? .bool(true) : schemas.count == 1 ? schemas[0] : .object([("allOf", .array(schemas))])))
            }
            set("properties", .object(props))
        }
        let additional = parts.compactMap { get($0, "additionalProperties") }
        if additional.contains(.bool(false)) { set("additionalProperties", .bool(false)) }
        else {
            let schemas = additional.filter { $0 != .bool(true) }
            if schemas.count == 1 { set("additionalProperties", schemas[0]) }
            else if schemas.count > 1 { set("additionalProperties", .object([("allOf", .array(schemas))])) }
            else if !additional.isEmpty { set("additionalProperties", .bool(true)) }
        }
        return out
    }

    // MARK: plain schemas (no allOf/anyOf/oneOf/$ref)

    static func typeList(_ t: JSON, at path: String) throws -> [String] {
        let names: [String]
        if let s = t.stringValue { names = [s] }
        else if let a = t.arrayValue, !a.isEmpty, a.allSatisfy({ $0.stringValue != nil }) { names = a.compactMap(\.stringValue) }
        else { throw JSONSchemaError("'type' must be a type name or a non-empty array of names at \(path)") }
        for n in names where !typeNames.contains(n) { throw JSONSchemaError("unknown type '\(n)' at \(path)") }
        return names
    }

    static func number(_ v: JSON, _ key: String, _ path: String) throws -> Double {
        guard let d = v.doubleValue else { throw JSONSchemaError("'\(key)' must be a number at \(path)") }
        return d
    }

    static func count(_ v: JSON?, _ key: String, _ path: String) throws -> Int? {
        guard let v else { return nil }
        guard let i = v.intValue, i >= 0 else { throw JSONSchemaError("'\(key)' must be a non-negative integer at \(path)") }
        return i
    }

    func matchesType(_ v: JSON, _ t: String) -> Bool {
        switch (t, v) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("number", .int), ("number", .double), ("integer", .int): true
        case ("integer", .double(let d)): d == d.rounded()
        default: false
        }
    }

    mutating func visitPlain(_ o: Plain, at path: String, name: String) throws -> SchemaGBNF {
        let schema = JSON.object(o)
        let types = try schema["type"].map { try Self.typeList($0, at: path) }
        if schema["const"] != nil || schema["enum"] != nil {
            var values: [JSON] = []
            if let c = schema["const"] { values = [c] }
            if let e = schema["enum"] {
                guard let a = e.arrayValue else { throw JSONSchemaError("'enum' must be an array at \(path)") }
                values = schema["const"] == nil ? a : values.filter { a.contains($0) }
            }
            // Other constraints must hold for the listed values too; those we can check here filter the list.
            let checkable: Set<String> = ["type", "enum", "const", "minLength", "maxLength", "minimum", "maximum",
                                          "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "required"]
            if let k = o.map(\.0).first(where: { Self.isConstraint($0) && !checkable.contains($0) }) {
                throw JSONSchemaError("'\(k)' together with enum/const is not supported at \(path)")
            }
            let (lo, hi) = try Self.bounds(schema, at: path)
            let minLen = try Self.count(schema["minLength"], "minLength", path) ?? 0, maxLen = try Self.count(schema["maxLength"], "maxLength", path)
            let minItems = try Self.count(schema["minItems"], "minItems", path) ?? 0, maxItems = try Self.count(schema["maxItems"], "maxItems", path)
            let required = schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            values = values.filter { v in
                if let types, !types.contains(where: { matchesType(v, $0) }) { return false }
                switch v {
                case let .string(x):
                    let n = x.unicodeScalars.count
                    return n >= minLen && n <= (maxLen ?? Int.max)
                case .int, .double:
                    let d = v.doubleValue ?? 0
                    if let lo, d < lo.0 || (lo.1 && d == lo.0) { return false }
                    if let hi, d > hi.0 || (hi.1 && d == hi.0) { return false }
                    return true
                case let .array(a): return a.count >= minItems && a.count <= (maxItems ?? Int.max)
                case let .object(m): return required.allSatisfy { r in m.contains { $0.0 == r } }
                default: return true
                }
            }
            if values.isEmpty { throw JSONSchemaError("no value satisfies the schema at \(path) (empty enum)") }
            return define(name, .choice(values.map(literal)), path: path)
        }
        let keys = Set(o.map(\.0))
        var implied: [String] = []
        if !keys.isDisjoint(with: ["properties", "required", "additionalProperties"]) { implied.append("object") }
        if !keys.isDisjoint(with: ["items", "prefixItems", "additionalItems", "minItems", "maxItems"]) { implied.append("array") }
        if !keys.isDisjoint(with: ["minLength", "maxLength", "format", "pattern"]) { implied.append("string") }
        if !keys.isDisjoint(with: ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]) { implied.append("number") }
        let all = types ?? (implied.isEmpty ? nil : implied)
        guard let all else { return prim("value") }
        var alts: [SchemaGBNF] = []
        for t in all {
            switch t {
            case "null": alts.append(prim("null"))
            case "boolean": alts.append(prim("boolean"))
            case "string": alts.append(try stringGrammar(schema, at: path, name: name))
            case "integer", "number": alts.append(try numberGrammar(schema, integer: t == "integer", at: path, name: name))
            case "array": alts.append(try arrayGrammar(schema, at: path, name: name))
            default: alts.append(try objectGrammar(schema, at: path, name: name))
            }
        }
        return alts.count == 1 ? alts[0] : define(name, .choice(alts), path: path)
    }

    /// The exact text of a value (scalars canonical, whitespace allowed between the tokens of containers).
    func literal(_ v: JSON) -> SchemaGBNF {
        let sp = SchemaGBNF.rule("space")
        switch v {
        case let .array(a):
            if a.isEmpty { return .sequence([.lit("["), sp, .lit("]")]) }
            var parts: [SchemaGBNF] = [.lit("["), sp]
            for (i, x) in a.enumerated() { if i > 0 { parts += [.lit(","), sp] }; parts += [literal(x), sp] }
            return .sequence(parts + [.lit("]")])
        case let .object(o):
            if o.isEmpty { return .sequence([.lit("{"), sp, .lit("}")]) }
            var parts: [SchemaGBNF] = [.lit("{"), sp]
            for (i, (k, x)) in o.enumerated() {
                if i > 0 { parts += [.lit(","), sp] }
                parts += [.lit(JSON.string(k).serialized()), sp, .lit(":"), sp, literal(x), sp]
            }
            return .sequence(parts + [.lit("}")])
        default: return .lit(v.serialized())
        }
    }

    // MARK: strings

    mutating func stringGrammar(_ s: JSON, at path: String, name: String) throws -> SchemaGBNF {
        let minLen = try Self.count(s["minLength"], "minLength", path) ?? 0
        let maxLen = try Self.count(s["maxLength"], "maxLength", path)
        if minLen > Self.maxMinRepeat { throw JSONSchemaError("minLength above \(Self.maxMinRepeat) is not supported at \(path)") }
        if let maxLen, maxLen < minLen { throw JSONSchemaError("no value satisfies the schema at \(path) (maxLength < minLength)") }
        let hasLength = s["minLength"] != nil || s["maxLength"] != nil
        if let f = s["format"] {
            guard let f = f.stringValue else { throw JSONSchemaError("'format' must be a string at \(path)") }
            if ["date", "time", "date-time", "uuid", "email", "uri"].contains(f) {
                if hasLength || s["pattern"] != nil { throw JSONSchemaError("format '\(f)' together with minLength/maxLength/pattern is not supported at \(path)") }
                return define(name, .sequence([.lit("\""), prim(f), .lit("\"")]), path: path)
            }
        }
        if let p = s["pattern"] {
            guard let p = p.stringValue else { throw JSONSchemaError("'pattern' must be a string at \(path)") }
            if hasLength { throw JSONSchemaError("pattern together with minLength/maxLength is not supported at \(path)") }
            _ = prim("char")
            var r = SchemaPatternGrammar(pattern: p, path: path)
            let body = try r.parse()
            return define(name, .sequence([.lit("\""), body, .lit("\"")]), path: path)
        }
        if !hasLength { return prim("string") }
        return define(name, .sequence([.lit("\""), .repeated(prim("char"), minLen, maxLen), .lit("\"")]), path: path)
    }

    // MARK: numbers

    /// A bound read from minimum/maximum/exclusive*: value and whether it is exclusive (draft 4 booleans too).
    static func bounds(_ s: JSON, at path: String) throws -> (lo: (Double, Bool)?, hi: (Double, Bool)?) {
        var lo: (Double, Bool)?, hi: (Double, Bool)?
        func tighten(_ cur: inout (Double, Bool)?, _ v: Double, _ excl: Bool, lower: Bool) {
            guard let c = cur else { cur = (v, excl); return }
            if lower ? (v > c.0 || (v == c.0 && excl)) : (v < c.0 || (v == c.0 && excl)) { cur = (v, excl) }
        }
        let draft4Min = s["exclusiveMinimum"]?.boolValue == true, draft4Max = s["exclusiveMaximum"]?.boolValue == true
        // Draft 4 booleans only modify minimum/maximum; alone they are ambiguous across drafts.
        if draft4Min && s["minimum"] == nil { throw JSONSchemaError("'exclusiveMinimum' true needs 'minimum' at \(path)") }
        if draft4Max && s["maximum"] == nil { throw JSONSchemaError("'exclusiveMaximum' true needs 'maximum' at \(path)") }
        if let v = s["minimum"] { tighten(&lo, try number(v, "minimum", path), draft4Min, lower: true) }
        if let v = s["maximum"] { tighten(&hi, try number(v, "maximum", path), draft4Max, lower: false) }
        if let v = s["exclusiveMinimum"], v.boolValue == nil { tighten(&lo, try number(v, "exclusiveMinimum", path), true, lower: true) }
        if let v = s["exclusiveMaximum"], v.boolValue == nil { tighten(&hi, try number(v, "exclusiveMaximum", path), true, lower: false) }
        return (lo, hi)
    }

    mutating func numberGrammar(_ s: JSON, integer: Bool, at path: String, name: String) throws -> SchemaGBNF {
        let (lo, hi) = try Self.bounds(s, at: path)
        if lo == nil && hi == nil { return prim(integer ? "integer" : "number") }
        let cap = Double(Self.intCap)
        let unsat = JSONSchemaError("no value satisfies the schema at \(path) (empty or unsupported number range)")
        // Bounds beyond the 16-digit range we generate are either no constraint or unsatisfiable.
        var lower = lo, upper = hi
        if let l = lower, l.0 < -cap { lower = nil }
        if let h = upper, h.0 > cap { upper = nil }
        if let l = lower, l.0 > cap { throw unsat }
        if let h = upper, h.0 < -cap { throw unsat }
        let body: SchemaGBNF
        if integer {
            let a = lower.map { Int($0.1 ? ($0.0 + 1).rounded(.down) : $0.0.rounded(.up)) }
            let b = upper.map { Int($0.1 ? ($0.0 - 1).rounded(.up) : $0.0.rounded(.down)) }
            if let a, let b, a > b { throw unsat }
            var alts: [SchemaGBNF] = []
            if b == nil || b! >= 0 { alts.append(uintRange(Swift.max(a ?? 0, 0), b)) }
            if a == nil || a! < 0 {
                let magLo = b.map { $0 < 0 ? -$0 : 1 } ?? 1
                alts.append(.sequence([.lit("-"), uintRange(magLo, a.map { -$0 })]))
            }
            body = .choice(alts)
        } else {
            var parsed: [(neg: Bool, q: Int, frac: String, excl: Bool, lower: Bool)] = []
            for (b, isLower) in [(lower, true), (upper, false)] {
                guard let b else { continue }
                var (q, frac) = Self.decimalParts(abs(b.0))
                var excl = b.1
                let neg = b.0 < 0
                if frac.count > Self.maxBoundDecimals {
                    // Round inward: truncation moves toward zero, which is inward except for a positive lower
                    // bound or a negative upper bound; those step one unit outward from zero.
                    frac = String(frac.prefix(Self.maxBoundDecimals))
                    if isLower != neg {
                        var digits = Array(frac.utf8).map { Int($0) - 48 }
                        var i = digits.count - 1
                        while i >= 0 { if digits[i] == 9 { digits[i] = 0; i -= 1 } else { digits[i] += 1; break } }
                        if i < 0 { q += 1 }
                        frac = String(digits.map { Character(String($0)) })
                    }
                    excl = false
                }
                while frac.hasSuffix("0") { frac.removeLast() }
                parsed.append((neg && (q > 0 || !frac.isEmpty), q, frac, excl, isLower))
            }
            let k = parsed.map(\.frac.count).max() ?? 0
            func bound(_ lower: Bool) -> DecBound? {
                guard let p = parsed.first(where: { $0.lower == lower }) else { return nil }
                let r = Int(p.frac + String(repeating: "0", count: k - p.frac.count)) ?? 0
                return DecBound(neg: p.neg, v: Dec(q: p.q, r: r), excl: p.excl)
            }
            let a = bound(true), b = bound(false)
            var alts: [SchemaGBNF] = []
            // positive side: magnitude in [max(a, 0), b]
            if b == nil || !b!.neg && (b!.v != Dec(q: 0, r: 0) || !b!.excl) {
                let l = a.flatMap { $0.neg ? nil : $0 } ?? DecBound(neg: false, v: Dec(q: 0, r: 0), excl: false)
                if let g = magnitude(lo: l, hi: b, k: k) { alts.append(g) }
            }
            // negative side: magnitude in [max(-b, 0), -a]
            if a == nil || a!.neg {
                let l: DecBound = if let b, b.neg { DecBound(neg: false, v: b.v, excl: b.excl) }
                    else { DecBound(neg: false, v: Dec(q: 0, r: 0), excl: b.map { $0.v == Dec(q: 0, r: 0) && $0.excl } ?? false) }
                let h = a.map { DecBound(neg: false, v: $0.v, excl: $0.excl) }
                if let g = magnitude(lo: l, hi: h, k: k) { alts.append(.sequence([.lit("-"), g])) }
            }
            if alts.isEmpty { throw unsat }
            body = .choice(alts)
        }
        if body.isEmpty { throw unsat }
        return define(name, body, path: path)
    }

    struct Dec: Equatable, Comparable {
        var q: Int, r: Int
        static func < (a: Dec, b: Dec) -> Bool { a.q != b.q ? a.q < b.q : a.r < b.r }
    }
    struct DecBound { var neg: Bool; var v: Dec; var excl: Bool }

    static func pow10(_ n: Int) -> Int { var p = 1; for _ in 0..<n { p *= 10 }; return p }

    /// Integer and fraction digits of a non-negative double's shortest representation ("1e-05" → ("0", "00001")).
    static func decimalParts(_ d: Double) -> (Int, String) {
        let text = "\(d)"
        let parts = text.split(separator: "e")
        let mantissa = String(parts[0])
        let exp = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let mp = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let intDigits = String(mp[0]), fracDigits = mp.count > 1 ? String(mp[1]) : ""
        var digits = intDigits + fracDigits
        var point = intDigits.count + exp
        if point < 0 { digits = String(repeating: "0", count: -point) + digits; point = 0 }
        if point > digits.count { digits += String(repeating: "0", count: point - digits.count) }
        let i = String(digits.prefix(point)), f = String(digits.dropFirst(point))
        return (Int(i.isEmpty ? "0" : i) ?? intCap, f)
    }

    func inc(_ d: Dec, _ k: Int) -> Dec { d.r + 1 == Self.pow10(k) ? Dec(q: d.q + 1, r: 0) : Dec(q: d.q, r: d.r + 1) }
    func dec(_ d: Dec, _ k: Int) -> Dec { d.r == 0 ? Dec(q: d.q - 1, r: Self.pow10(k) - 1) : Dec(q: d.q, r: d.r - 1) }

    /// Unsigned decimal texts whose value lies between `lo` and `hi` (nil: no upper bound), where bounds have
    /// `k` fraction digits. Texts with at least `k` fraction digits are handled by the "k form" (the first `k`
    /// digits compared with the bounds, the rest free or constrained at the ends); shorter texts by one exact
    /// fixed-decimals range per length.
    func magnitude(lo: DecBound, hi: DecBound?, k: Int) -> SchemaGBNF? {
        if let hi, hi.v < lo.v || (hi.v == lo.v && (hi.excl || lo.excl)) { return nil }
        let d = SchemaGBNF.cls("[0-9]"), f = Self.maxFractionDigits
        let restAny: SchemaGBNF = k == 0 ? .opt(.sequence([.lit("."), .repeated(d, 1, f)])) : .repeated(d, 0, f)
        let restZero: SchemaGBNF = k == 0 ? .opt(.sequence([.lit("."), .repeated(.lit("0"), 1, f)])) : .repeated(.lit("0"), 0, f)
        let nonzero = SchemaGBNF.sequence([.repeated(.lit("0"), 0, f - 1), .cls("[1-9]"), .repeated(d, 0, f - 1)])
        let restNonzero: SchemaGBNF = k == 0 ? .sequence([.lit("."), nonzero]) : nonzero
        var alts: [SchemaGBNF] = []
        var start = lo.v
        // An empty digit range must drop its whole piece (a bare rest like ".5" is not a number).
        func piece(_ a: Dec, _ b: Dec?, _ j: Int, _ rest: SchemaGBNF) {
            let digits = fixedRange(a, b, j)
            if !digits.isEmpty { alts.append(.sequence([digits, rest])) }
        }
        if lo.excl {
            piece(lo.v, lo.v, k, restNonzero)
            start = inc(lo.v, k)
        }
        if let hi {
            if !hi.excl { piece(hi.v, hi.v, k, restZero) }
            let end = dec(hi.v, k)
            if end.q >= 0, start <= end { piece(start, end, k, restAny) }
        } else {
            piece(start, nil, k, restAny)
        }
        // shorter forms: exactly j fraction digits (j = 0: an integer)
        for j in 0..<k {
            let div = Self.pow10(k - j)
            let loExact = lo.v.r % div == 0
            var a = Dec(q: lo.v.q, r: lo.v.r / div)
            if lo.excl || !loExact { a = inc(a, j) }
            var b: Dec? = nil
            if let hi {
                b = Dec(q: hi.v.q, r: hi.v.r / div)
                if hi.excl && hi.v.r % div == 0 { b = dec(b!, j) }
                if b!.q < 0 || b! < a { continue }
            }
            piece(a, b, j, .empty)
        }
        return alts.isEmpty ? nil : .choice(alts)
    }

    /// Texts `q` or `q.rrr` (exactly `k` fraction digits) with value between `a` and `b` (nil: unbounded).
    func fixedRange(_ a: Dec, _ b: Dec?, _ k: Int) -> SchemaGBNF {
        if k == 0 { return uintRange(a.q, b?.q) }
        if a.q > Self.intCap { return .empty }
        let top = Self.pow10(k) - 1
        func frac(_ x: Int, _ y: Int) -> SchemaGBNF { .sequence([.lit("."), sameLength(Self.padded(x, k), Self.padded(y, k))]) }
        if let b, a.q == b.q { return .sequence([.lit(String(a.q)), frac(a.r, b.r)]) }
        var alts: [SchemaGBNF] = []
        var qStart = a.q
        if a.r != 0 { alts.append(.sequence([.lit(String(a.q)), frac(a.r, top)])); qStart += 1 }
        var qEnd = b?.q
        if let b, b.r != top { alts.append(.sequence([.lit(String(b.q)), frac(0, b.r)])); qEnd = b.q - 1 }
        let middle = qEnd == nil || qStart <= qEnd! ? uintRange(qStart, qEnd) : .empty
        if !middle.isEmpty { alts.append(.sequence([middle, .lit("."), .repeated(.cls("[0-9]"), k, k)])) }
        return .choice(alts)
    }

    static func padded(_ x: Int, _ k: Int) -> [Int] {
        let s = String(x)
        return (String(repeating: "0", count: Swift.max(0, k - s.count)) + s).utf8.map { Int($0) - 48 }
    }

    /// Decimal texts without leading zeros of the integers in lo...hi (hi nil: up to the 16-digit cap).
    func uintRange(_ lo: Int, _ hi: Int?) -> SchemaGBNF {
        let hi = Swift.min(hi ?? Self.intCap, Self.intCap)
        if lo > hi { return .empty }
        var alts: [SchemaGBNF] = []
        let loLen = String(lo).count, hiLen = String(hi).count
        for len in loLen...hiLen {
            let a = Swift.max(lo, len == 1 ? 0 : Self.pow10(len - 1))
            let b = Swift.min(hi, Self.pow10(len) - 1)
            if a <= b { alts.append(sameLength(Self.padded(a, len), Self.padded(b, len))) }
        }
        return .choice(alts)
    }

    /// Fixed-width digit strings between `a` and `b` (same length, leading zeros allowed).
    func sameLength(_ a: [Int], _ b: [Int]) -> SchemaGBNF {
        guard let a0 = a.first, let b0 = b.first else { return .empty }
        let restA = Array(a.dropFirst()), restB = Array(b.dropFirst())
        if a0 == b0 { return .sequence([.lit(String(a0)), sameLength(restA, restB)]) }
        func digit(_ x: Int, _ y: Int) -> SchemaGBNF { x == y ? .lit(String(x)) : .cls(x == 0 && y == 9 ? "[0-9]" : "[\(x)-\(y)]") }
        var alts: [SchemaGBNF] = []
        var midLo = a0 + 1, midHi = b0 - 1
        if restA.allSatisfy({ $0 == 0 }) { midLo = a0 } else {
            alts.append(.sequence([.lit(String(a0)), sameLength(restA, Array(repeating: 9, count: restA.count))]))
        }
        if restB.allSatisfy({ $0 == 9 }) { midHi = b0 }
        if midLo <= midHi { alts.append(.sequence([digit(midLo, midHi), .repeated(.cls("[0-9]"), restA.count, restA.count)])) }
        if midHi != b0 { alts.append(.sequence([.lit(String(b0)), sameLength(Array(repeating: 0, count: restB.count), restB)])) }
        return .choice(alts)
    }

    // MARK: arrays

    mutating func arrayGrammar(_ s: JSON, at path: String, name: String) throws -> SchemaGBNF {
        let minItems = try Self.count(s["minItems"], "minItems", path) ?? 0
        let maxItems = try Self.count(s["maxItems"], "maxItems", path)
        if minItems > Self.maxMinRepeat { throw JSONSchemaError("minItems above \(Self.maxMinRepeat) is not supported at \(path)") }
        if let maxItems, maxItems < minItems { throw JSONSchemaError("no value satisfies the schema at \(path) (maxItems < minItems)") }
        var prefix: [JSON] = []
        var tail: JSON? = s["items"]
        var tailKey = "items"
        if let p = s["prefixItems"] {
            guard let a = p.arrayValue else { throw JSONSchemaError("'prefixItems' must be an array at \(path)") }
            prefix = a
        } else if let a = s["items"]?.arrayValue {  // draft 4-2019 tuples
            prefix = a; tail = s["additionalItems"]; tailKey = "additionalItems"
        }
        let sp = prim("space")
        let tailItem: SchemaGBNF?  // nil: no items beyond the prefix
        switch tail {
        case nil, .bool(true)?: tailItem = prim("value")
        case .bool(false)?: tailItem = nil
        case let t?: tailItem = try visit(t, at: "\(path)/\(tailKey)", name: "\(name)-item")
        }
        if prefix.isEmpty {
            guard let item = tailItem else {
                if minItems > 0 { throw JSONSchemaError("no value satisfies the schema at \(path) (items false with minItems)") }
                return define(name, .sequence([.lit("["), sp, .lit("]")]), path: path)
            }
            return define(name, arrayBody(item: item, min: minItems, max: maxItems), path: path)
        }
        var prefixItems: [SchemaGBNF] = []
        for (i, p) in prefix.enumerated() { prefixItems.append(try visit(p, at: "\(path)/prefixItems/\(i)", name: "\(name)-\(i)")) }
        let n = prefix.count
        let maxTotal = tailItem == nil ? Swift.min(maxItems ?? n, n) : maxItems
        if let maxTotal, maxTotal < minItems { throw JSONSchemaError("no value satisfies the schema at \(path) (too few items allowed)") }
        // Built from the end: items after the prefix, then each prefix item (optional past minItems).
        var rest: SchemaGBNF = .empty
        if let item = tailItem, maxTotal.map({ $0 > n }) ?? true {
            rest = .repeated(.sequence([.lit(","), sp, item, sp]), Swift.max(0, minItems - n), maxTotal.map { $0 - n })
        }
        for i in stride(from: Swift.min(n, maxTotal ?? n) - 1, through: 0, by: -1) {
            let here = SchemaGBNF.sequence([i == 0 ? .empty : .sequence([.lit(","), sp]), prefixItems[i], sp, rest])
            rest = i < minItems ? here : .opt(here)
        }
        return define(name, .sequence([.lit("["), sp, rest, .lit("]")]), path: path)
    }

    // MARK: objects

    mutating func objectGrammar(_ s: JSON, at path: String, name: String) throws -> SchemaGBNF {
        let propsJSON = s["properties"]
        if let p = propsJSON, p.objectValue == nil { throw JSONSchemaError("'properties' must be an object at \(path)") }
        var props = propsJSON?.objectValue ?? []
        var required: [String] = []
        if let r = s["required"] {
            guard let a = r.arrayValue, a.allSatisfy({ $0.stringValue != nil }) else { throw JSONSchemaError("'required' must be an array of strings at \(path)") }
            for x in a.compactMap(\.stringValue) where !required.contains(x) { required.append(x) }
        }
        let additional = s["additionalProperties"]
        switch additional {
        case nil, .bool?, .object?: break
        default: throw JSONSchemaError("'additionalProperties' must be a boolean or a schema at \(path)")
        }
        if propsJSON == nil && additional == nil && required.isEmpty { return prim("object") }
        // A required key without a property schema is still required: its value follows additionalProperties.
        for r in required where !props.contains(where: { $0.0 == r }) {
            if additional == .bool(false) { throw JSONSchemaError("no value satisfies the schema at \(path) (required '\(r)' is not allowed by additionalProperties false)") }
            props.append((r, additional == nil ? .bool(true) : additional!))
        }
        var seen = Set<String>()
        props = props.reversed().filter { seen.insert($0.0).inserted }.reversed()  // a repeated key: the last wins
        let sp = prim("space")
        var members: [(SchemaGBNF, Bool)] = []
        for (k, v) in props {
            let isRequired = required.contains(k)
            if v == .bool(false) {
                if isRequired { throw JSONSchemaError("no value satisfies the schema at \(path) (required '\(k)' has schema false)") }
                continue
            }
            let value = try visit(v, at: "\(path)/properties/\(Self.pointerEscape(k))", name: "\(name)-\(k)")
            let kv = define("\(name)-\(k)-kv", .sequence([.lit(JSON.string(k).serialized()), sp, .lit(":"), sp, value, sp]), path: path)
            members.append((kv, isRequired))
        }
        _ = prim("char")
        var extra: SchemaGBNF?
        switch additional {
        case .bool(true)?: extra = prim("value")
        case let .object(o)? where !o.isEmpty:
            extra = try visit(additional!, at: "\(path)/additionalProperties", name: "\(name)-extra")
        case .object?: extra = prim("value")
        default: extra = nil
        }
        var restLater: SchemaGBNF = .empty  // members after position i, some written before (leading comma)
        var restFirst: SchemaGBNF = .empty  // members after position i, none written before
        if let extra {
            let key = define("\(name)-extra-key", notStrings(props.map(\.0)), path: path)
            let kv = define("\(name)-extra-kv", .sequence([key, sp, .lit(":"), sp, extra, sp]), path: path)
            let more = SchemaGBNF.repeated(.sequence([.lit(","), sp, kv]), 0, nil)
            restLater = define("\(name)-extras", more, path: path)
            restFirst = .opt(.sequence([kv, restLater]))
        }
        for (i, (kv, isRequired)) in members.enumerated().reversed() {
            let later = SchemaGBNF.sequence([.lit(","), sp, kv, restLater])
            let first = SchemaGBNF.sequence([kv, restLater])
            if isRequired {
                restLater = later; restFirst = first
            } else {
                restLater = define("\(name)-after-\(i)", .choice([later, restLater]), path: path)
                restFirst = define("\(name)-from-\(i)", .choice([first, restFirst]), path: path)
            }
        }
        return define(name, .sequence([.lit("{"), sp, restFirst, .lit("}")]), path: path)
    }

    static func pointerEscape(_ s: String) -> String { s.replacingAll("~", "~0").replacingAll("/", "~1") }

    /// A JSON string equal to none of `keys`. Before it differs from every key it takes raw characters only,
    /// so an escape cannot spell a known key in disguise.
    func notStrings(_ keys: [String]) -> SchemaGBNF {
        final class Node { var children: [(Unicode.Scalar, Node)] = []; var isEnd = false }
        let root = Node()
        let raw = "\"\\\\\\x7F\\x00-\\x1F"
        for k in keys {
            // A key that needs escapes cannot be spelled with raw characters at all.
            if k.unicodeScalars.contains(where: { $0 == "\"" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F }) { continue }
            var n = root
            for u in k.unicodeScalars {
                if let c = n.children.first(where: { $0.0 == u })?.1 { n = c } else { let c = Node(); n.children.append((u, c)); n = c }
            }
            n.isEnd = true
        }
        func body(_ n: Node) -> SchemaGBNF {
            var alts: [SchemaGBNF] = [.sequence([.cls("[^" + raw + n.children.map { SchemaGBNF.classChar($0.0) }.joined() + "]"), .repeated(.rule("char"), 0, nil)])]
            for (u, c) in n.children { alts.append(.sequence([.lit(String(u)), body(c)])) }
            if !n.isEnd { alts.append(.empty) }
            return .choice(alts)
        }
        return .sequence([.lit("\""), body(root), .lit("\"")])
    }
}

// MARK: - pattern (a practical regex subset)

/// Translates an ECMA-262 style pattern into GBNF for the JSON text of the string: literals, escapes (\d \w \s
/// \D \W \S and escaped punctuation), classes, groups (also `(?:`), alternation, ? * + {m} {m,} {m,n}, `.` and
/// ^/$ anchors at the ends. Unanchored ends match any characters. Characters that JSON must escape are not
/// produced by classes and `.` (a subset), and as literals only in their escaped form.
struct SchemaPatternGrammar {
    let s: [Unicode.Scalar]
    let path: String
    var i = 0

    init(pattern: String, path: String) { s = Array(pattern.unicodeScalars); self.path = path }

    func fail(_ why: String) -> JSONSchemaError { JSONSchemaError("unsupported pattern at \(path): \(why)") }

    static let rawChar = "[^\"\\\\\\x7F\\x00-\\x1F]"

    mutating func parse() throws -> SchemaGBNF {
        var anchoredStart = false, anchoredEnd = false
        var body = s
        if body.first == "^" { anchoredStart = true; body.removeFirst() }
        if body.last == "$", body.count < 2 || body[body.count - 2] != "\\" { anchoredEnd = true; body.removeLast() }
        var sub = SchemaPatternGrammar(scalars: body, path: path)
        let g = try sub.alternation(depth: 0)
        if sub.i < sub.s.count { throw fail("unexpected '\(sub.s[sub.i])' at \(sub.i)") }
        let any = SchemaGBNF.repeated(.rule("char"), 0, nil)
        return .sequence([anchoredStart ? .empty : any, g, anchoredEnd ? .empty : any])
    }

    private init(scalars: [Unicode.Scalar], path: String) { s = scalars; self.path = path }

    mutating func alternation(depth: Int) throws -> SchemaGBNF {
        guard depth < 50 else { throw fail("groups nested too deeply") }
        var alts: [SchemaGBNF] = [try sequence(depth: depth)]
        while i < s.count, s[i] == "|" { i += 1; alts.append(try sequence(depth: depth)) }
        return alts.count == 1 ? alts[0] : .choice(alts)
    }

    mutating func sequence(depth: Int) throws -> SchemaGBNF {
        var items: [SchemaGBNF] = []
        while i < s.count, s[i] != "|", s[i] != ")" {
            var atom = try self.atom(depth: depth)
            while i < s.count {
                let c = s[i]
                if c == "?" || c == "*" || c == "+" {
                    i += 1
                    atom = c == "?" ? .repeated(atom, 0, 1) : c == "*" ? .repeated(atom, 0, nil) : .repeated(atom, 1, nil)
                } else if c == "{", let (m, n) = try braces() {
                    atom = .repeated(atom, m, n)
                } else { break }
                if i < s.count, s[i] == "?" || s[i] == "+" { throw fail("lazy or possessive quantifiers") }
            }
            items.append(atom)
        }
        return .sequence(items)
    }

    /// `{m}`, `{m,}`, `{m,n}`; nil (and no input used) when `{` is a literal.
    mutating func braces() throws -> (Int, Int?)? {
        var j = i + 1
        func num() -> Int? {
            let st = j
            while j < s.count, ("0"..."9").contains(s[j]) { j += 1 }
            var t = ""; t.unicodeScalars.append(contentsOf: s[st..<j])
            return t.count > 6 ? nil : Int(t)
        }
        guard let m = num() else { return nil }
        var n: Int? = m
        if j < s.count, s[j] == "," { j += 1; n = num() }
        guard j < s.count, s[j] == "}" else { return nil }
        if let n, n < m { throw fail("bad repetition {\(m),\(n)}") }
        if m > SchemaGrammarBuilder.maxMinRepeat { throw fail("repetition minimum above \(SchemaGrammarBuilder.maxMinRepeat)") }
        i = j + 1
        return (m, n)
    }

    mutating func atom(depth: Int) throws -> SchemaGBNF {
        let c = s[i]
        switch c {
        case "(":
            i += 1
            if i < s.count, s[i] == "?" {
                guard i + 1 < s.count, s[i + 1] == ":" else { throw fail("lookaround or named groups") }
                i += 2
            }
            let g = try alternation(depth: depth + 1)
            guard i < s.count, s[i] == ")" else { throw fail("unclosed group") }
            i += 1
            return g
        case "[": return try charClass()
        case ".": i += 1; return .cls("[^\"\\\\\\x7F\\x00-\\x1F]")
        case "^", "$": throw fail("anchors inside the pattern")
        case "*", "+", "?": throw fail("nothing to repeat at \(i)")
        case "\\":
            i += 1
            guard i < s.count else { throw fail("trailing backslash") }
            let e = s[i]; i += 1
            if let cls = Self.shorthand(e) { return .cls("[" + cls + "]") }
            if let ch = try escapedChar(e) { return literalChar(ch) }
            throw fail("escape \\\(e)")
        default:
            i += 1
            return literalChar(c)
        }
    }

    /// \d \w \s as class contents (\D \W \S as negated classes limited to raw JSON characters).
    static func shorthand(_ e: Unicode.Scalar) -> String? {
        switch e {
        case "d": "0-9"
        case "w": "a-zA-Z0-9_"
        case "s": " "  // tab and newline would need JSON escapes; a space only (a subset)
        case "D": "^0-9\"\\\\\\x7F\\x00-\\x1F"
        case "W": "^a-zA-Z0-9_\"\\\\\\x7F\\x00-\\x1F"
        case "S": "^ \"\\\\\\x7F\\x00-\\x1F"
        default: nil
        }
    }

    func escapedChar(_ e: Unicode.Scalar) throws -> Unicode.Scalar? {
        switch e {
        case "n": "\n"
        case "t": "\t"
        case "r": "\r"
        default:
            if e.properties.isAlphabetic || ("0"..."9").contains(e) { nil } else { e }
        }
    }

    /// A character as its JSON text (quote, backslash and control characters escaped the way JSON.escape does).
    func literalChar(_ u: Unicode.Scalar) -> SchemaGBNF {
        var t = ""
        JSON.escape(String(u), into: &t)
        return .lit(String(t.dropFirst().dropLast()))
    }

    mutating func charClass() throws -> SchemaGBNF {
        i += 1
        var negated = false
        if i < s.count, s[i] == "^" { negated = true; i += 1 }
        var ranges: [(UInt32, UInt32)] = []
        var first = true
        func single() throws -> Unicode.Scalar? {  // nil: a shorthand was added to `ranges`
            let c = s[i]; i += 1
            guard c == "\\" else { return c }
            guard i < s.count else { throw fail("unclosed class") }
            let e = s[i]; i += 1
            switch e {
            case "d": ranges.append((0x30, 0x39)); return nil
            case "w": ranges += [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A), (0x5F, 0x5F)]; return nil
            case "s": ranges += [(0x20, 0x20), (0x09, 0x0D)]; return nil
            default:
                guard let ch = try escapedChar(e) else { throw fail("escape \\\(e) in a class") }
                return ch
            }
        }
        while i < s.count, s[i] != "]" || first {
            first = false
            guard let lo = try single() else { continue }
            if i + 1 < s.count, s[i] == "-", s[i + 1] != "]" {
                i += 1
                guard let hi = try single(), hi.value >= lo.value else { throw fail("bad class range") }
                ranges.append((lo.value, hi.value))
            } else {
                ranges.append((lo.value, lo.value))
            }
        }
        guard i < s.count else { throw fail("unclosed class") }
        i += 1
        // Quote, backslash and control characters would need JSON escapes: classes never produce them.
        let specials: [(UInt32, UInt32)] = [(0x00, 0x1F), (0x22, 0x22), (0x5C, 0x5C), (0x7F, 0x7F)]
        func render(_ rs: [(UInt32, UInt32)]) -> String {
            rs.map { r in
                let a = SchemaGBNF.classChar(Unicode.Scalar(r.0) ?? " "), b = SchemaGBNF.classChar(Unicode.Scalar(r.1) ?? " ")
                return r.0 == r.1 ? a : a + "-" + b
            }.joined()
        }
        if negated { return .cls("[^" + render(ranges + specials) + "]") }
        var kept: [(UInt32, UInt32)] = []
        for r in ranges {
            var pieces = [r]
            for sp in specials {
                pieces = pieces.flatMap { p -> [(UInt32, UInt32)] in
                    if p.1 < sp.0 || p.0 > sp.1 { return [p] }
                    var out: [(UInt32, UInt32)] = []
                    if p.0 < sp.0 { out.append((p.0, sp.0 - 1)) }
                    if p.1 > sp.1 { out.append((sp.1 + 1, p.1)) }
                    return out
                }
            }
            // Surrogate code points are not characters; keep the ranges valid scalars.
            for p in pieces {
                if p.0 < 0xD800, p.1 > 0xDFFF { kept += [(p.0, 0xD7FF), (0xE000, p.1)] }
                else if p.0 >= 0xD800 && p.1 <= 0xDFFF { continue }
                else { kept.append((Swift.max(p.0, p.0 >= 0xD800 && p.0 <= 0xDFFF ? 0xE000 : p.0), Swift.min(p.1, p.1 >= 0xD800 && p.1 <= 0xDFFF ? 0xD7FF : p.1))) }
            }
        }
        if kept.isEmpty { throw fail("a class that matches no JSON character") }
        return .cls("[" + render(kept) + "]")
    }
}

extension String {
    fileprivate func replacingAll(_ a: String, _ b: String) -> String {
        let s = Array(unicodeScalars), pat = Array(a.unicodeScalars)
        guard !pat.isEmpty else { return self }
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            if i + pat.count <= s.count, Array(s[i..<i + pat.count]) == pat { out.append(contentsOf: b.unicodeScalars); i += pat.count }
            else { out.append(s[i]); i += 1 }
        }
        return String(out)
    }

    /// %XX decoding for JSON pointers in URI fragments; invalid sequences stay as they are.
    fileprivate var removingPercentEncodingSafe: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        let u = Array(utf8)
        var i = 0
        while i < u.count {
            if u[i] == 37, i + 2 < u.count, let v = UInt8(String(decoding: u[i + 1...i + 2], as: UTF8.self), radix: 16) {
                bytes.append(v); i += 3
            } else { bytes.append(u[i]); i += 1 }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
