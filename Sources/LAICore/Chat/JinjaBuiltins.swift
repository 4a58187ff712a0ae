// JinjaBuiltins: the filters, tests, Python methods (str/dict) and global functions chat templates use.
import Foundation

/// Evaluated call arguments, looked up by position or keyword.
struct JinjaCallArgs {
    var positional: [JinjaValue]
    var keyword: [(String, JinjaValue)]

    /// Argument `index` (0-based after the filtered value) or keyword `name`.
    func get(_ index: Int, _ name: String) -> JinjaValue? {
        if index < positional.count { return positional[index] }
        return keyword.first { $0.0 == name }?.1
    }
}

extension JinjaInterpreter {
    // MARK: filters

    func applyFilter(_ name: String, _ v: JinjaValue, _ args: JinjaArgs) throws -> JinjaValue {
        let (pos, kw) = try evalArgs(args)
        let a = JinjaCallArgs(positional: pos, keyword: kw)
        // Jinja's select/reject/map start with `if value:`: none (or anything falsy) gives nothing.
        if !v.isTruthy, ["select", "reject", "selectattr", "rejectattr", "map"].contains(name) { return .array([]) }
        switch name {
        case "safe": return v
        case "string": return .string(v.text)
        case "trim": return .string(JinjaStrings.strip(v.text, a.get(0, "chars"), left: true, right: true))
        case "upper": return .string(v.text.uppercased())
        case "lower": return .string(v.text.lowercased())
        case "title": return .string(JinjaStrings.title(v.text, jinjaFilter: true))
        case "capitalize": return .string(JinjaStrings.capitalize(v.text))
        case "length", "count":
            switch v {
            case let .string(s): return .int(s.unicodeScalars.count)
            case let .array(x): return .int(x.count)
            case let .dict(d): return .int(d.count)
            case .undefined: return .int(0)
            default: throw JinjaError.runtime("object of type \(v.typeName) has no length")
            }
        case "wordcount": return .int(v.text.split(whereSeparator: { $0.isWhitespace }).count)
        case "default", "d":
            let fallback = a.get(0, "default_value") ?? .string("")
            let boolean = a.get(1, "boolean")?.isTruthy ?? false
            if v.isUndefined || (boolean && !v.isTruthy) { return fallback }
            return v
        case "tojson":
            // Hugging Face's signature: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False).
            let indent: String? = a.get(1, "indent").flatMap { i in
                if case let .string(s) = i { return s }
                return i.intIndex.map { String(repeating: " ", count: max(0, min($0, 64))) }
            }
            var separators: (String, String)?
            if let sep = a.get(2, "separators"), !sep.isNone {
                guard case let .array(pair) = sep, pair.count == 2 else {
                    throw JinjaError.runtime("tojson: separators must be an (item, key) pair")
                }
                separators = (pair[0].text, pair[1].text)
            }
            return .string(try v.json(JSONStyle(indent: indent, separators: separators,
                                                sortKeys: a.get(3, "sort_keys")?.isTruthy ?? false,
                                                ensureASCII: a.get(0, "ensure_ascii")?.isTruthy ?? false)))
        case "first":
            let items = try iterate(v)
            return items.first ?? .undefined("first of an empty sequence")
        case "last":
            let items = try iterate(v)
            return items.last ?? .undefined("last of an empty sequence")
        case "join":
            let sep = a.get(0, "d")?.text ?? ""
            var items = try iterate(v)
            if let attr = a.get(1, "attribute") { items = try items.map { try attributePath($0, attr) } }
            return .string(items.map(\.text).joined(separator: sep))
        case "replace":
            guard let old = a.get(0, "old"), let new = a.get(1, "new") else {
                throw JinjaError.runtime("replace needs two arguments")
            }
            return .string(JinjaStrings.replace(v.text, old.text, new.text, count: a.get(2, "count")?.intIndex ?? -1))
        case "list": return .array(try iterate(v))
        case "int":
            let fallback = a.get(0, "default") ?? .int(0)
            switch v {
            case let .int(i): return .int(i)
            case let .bool(b): return .int(b ? 1 : 0)
            case let .double(d): return Int(exactly: d.rounded(.towardZero)).map { .int($0) } ?? fallback
            case let .string(s):
                let t = s.trimmingCharacters(in: .whitespaces)
                if let i = Int(t) { return .int(i) }
                if let d = Double(t), let i = Int(exactly: d.rounded(.towardZero)) { return .int(i) }
                return fallback
            default: return fallback
            }
        case "float":
            let fallback = a.get(0, "default") ?? .double(0)
            if let n = v.number { return .double(n) }
            if case let .string(s) = v, let d = Double(s.trimmingCharacters(in: .whitespaces)) { return .double(d) }
            return fallback
        case "abs":
            switch v {
            case let .int(i): return i == Int.min ? .double(-Double(i)) : .int(abs(i))
            case let .double(d): return .double(abs(d))
            default: throw JinjaError.runtime("abs needs a number, not \(v.typeName)")
            }
        case "round":
            guard let x = v.number else { throw JinjaError.runtime("round needs a number, not \(v.typeName)") }
            let precision = max(-300, min(300, a.get(0, "precision")?.intIndex ?? 0))
            let method = a.get(1, "method")?.text ?? "common"
            let scale = pow(10.0, Double(precision))
            if method == "ceil" || method == "floor" {
                return .double((x * scale).rounded(method == "ceil" ? .up : .down) / scale)
            }
            // Python's round(x, n): half to even on the exact binary value; an int stays an int.
            if case let .int(i) = v {
                if precision >= 0 { return v }
                return Int(exactly: (Double(i) / pow(10.0, Double(-precision))).rounded(.toNearestOrEven)
                              * pow(10.0, Double(-precision))).map { .int($0) } ?? .double(Double(i))
            }
            if precision < 0 || !x.isFinite { return .double((x * scale).rounded(.toNearestOrEven) / scale) }
            return .double(Double(String(format: "%.\(precision)f", x)) ?? x)
        case "items":
            switch v {
            case let .dict(d): return .array(d.pairs.map { .array([.string($0.0), $0.1]) })
            case .undefined: return .array([])
            default: throw JinjaError.runtime("items needs a mapping, not \(v.typeName)")
            }
        case "dictsort":
            guard case let .dict(d) = v else { throw JinjaError.runtime("dictsort needs a mapping, not \(v.typeName)") }
            let pairs = d.pairs.sorted { $0.0.lowercased() < $1.0.lowercased() }
            return .array(pairs.map { .array([.string($0.0), $0.1]) })
        case "selectattr", "rejectattr":
            guard let attr = a.get(0, "attribute") else { throw JinjaError.runtime("\(name) needs an attribute name") }
            let keep = name == "selectattr"
            return .array(try iterate(v).filter { item in
                let field = try attributePath(item, attr)
                return try passes(field, pos.count > 1 ? pos[1].text : nil, Array(pos.dropFirst(2))) == keep
            })
        case "select", "reject":
            let keep = name == "select"
            return .array(try iterate(v).filter { item in
                try passes(item, pos.first?.text, Array(pos.dropFirst(1))) == keep
            })
        case "map":
            let items = try iterate(v)
            if let attr = a.keyword.first(where: { $0.0 == "attribute" })?.1 {
                let dflt = a.keyword.first(where: { $0.0 == "default" })?.1
                return .array(try items.map { item in
                    let r = try attributePath(item, attr)
                    if r.isUndefined, let dflt { return dflt }
                    return r
                })
            }
            guard let filterName = pos.first?.text, JinjaExprParser.filters.contains(filterName) else {
                throw JinjaError.runtime("map needs attribute= or the name of a known filter")
            }
            let rest = JinjaArgs(positional: pos.dropFirst().map { .literal($0) },
                                 keyword: kw.map { ($0.0, .literal($0.1)) })
            return .array(try items.map { try applyFilter(filterName, $0, rest) })
        case "escape", "e": return .string(JinjaStrings.htmlEscape(v.text))
        case "reverse":
            if case let .string(s) = v { return .string(String(s.reversed())) }
            return .array(Array(try iterate(v).reversed()))
        case "unique":
            // Jinja compares strings case-insensitively unless case_sensitive=true; the first of each stays.
            let caseSensitive = a.get(0, "case_sensitive")?.isTruthy ?? false
            let attr = a.get(1, "attribute")
            var seen: [JinjaValue] = [], out: [JinjaValue] = []
            for x in try iterate(v) {
                var key = try attr.map { try attributePath(x, $0) } ?? x
                if !caseSensitive, case let .string(s) = key { key = .string(s.lowercased()) }
                if seen.contains(where: { JinjaValue.equal($0, key) }) { continue }
                seen.append(key)
                out.append(x)
            }
            return .array(out)
        case "sort":
            let reverse = a.get(0, "reverse")?.isTruthy ?? false
            let caseSensitive = a.get(1, "case_sensitive")?.isTruthy ?? false
            let attr = a.get(2, "attribute")
            let items = try iterate(v)
            let keys = try items.map { item -> JinjaValue in
                var k = try attr.map { try attributePath(item, $0) } ?? item
                if !caseSensitive, case let .string(s) = k { k = .string(s.lowercased()) }
                return k
            }
            var order = Array(items.indices)
            var failed = false
            order.sort { i, j in
                guard let r = JinjaValue.less(keys[i], keys[j]) else { failed = true; return false }
                return r
            }
            if failed { throw JinjaError.runtime("sort: values cannot be compared") }
            if reverse { order.reverse() }
            return .array(order.map { items[$0] })
        case "min", "max":
            // Like unique: strings compare case-insensitively unless case_sensitive=true.
            let caseSensitive = a.get(0, "case_sensitive")?.isTruthy ?? false
            let attr = a.get(1, "attribute")
            func key(_ x: JinjaValue) throws -> JinjaValue {
                let k = try attr.map { try attributePath(x, $0) } ?? x
                if !caseSensitive, case let .string(s) = k { return .string(s.lowercased()) }
                return k
            }
            let items = try iterate(v)
            guard var best = items.first else { return .undefined("\(name) of an empty sequence") }
            var bestKey = try key(best)
            for x in items.dropFirst() {
                let k = try key(x)
                guard let r = name == "min" ? JinjaValue.less(k, bestKey) : JinjaValue.less(bestKey, k) else {
                    throw JinjaError.runtime("\(name): values cannot be compared")
                }
                if r { best = x; bestKey = k }
            }
            return best
        case "sum":
            var total = a.get(1, "start") ?? .int(0)
            for x in try iterate(v) {
                let term = try a.get(0, "attribute").map { try attributePath(x, $0) } ?? x
                total = try binary("+", total, term)
            }
            return total
        case "attr":
            guard let n = a.get(0, "name") else { throw JinjaError.runtime("attr needs a name") }
            return try attribute(v, n.text, describe: .literal(v))
        case "indent":
            let width = a.get(0, "width")
            let pad = width.map { w -> String in
                if case let .string(s) = w { return s }
                return String(repeating: " ", count: max(0, min(1_000, w.intIndex ?? 4)))
            } ?? "    "
            let first = a.get(1, "first")?.isTruthy ?? false
            let blank = a.get(2, "blank")?.isTruthy ?? false
            let lines = v.text.components(separatedBy: "\n")
            var outLines: [String] = []
            for (i, line) in lines.enumerated() {
                if i == 0 && !first { outLines.append(line); continue }
                outLines.append(line.isEmpty && !blank ? line : pad + line)
            }
            return .string(outLines.joined(separator: "\n"))
        case "center":
            let width = min(100_000, a.get(0, "width")?.intIndex ?? 80)
            let s = v.text
            let total = max(0, width - s.count)
            let left = total / 2
            return .string(String(repeating: " ", count: left) + s + String(repeating: " ", count: total - left))
        case "truncate":
            // Jinja: unchanged within length + leeway (5); else cut to length - len(end), at the last
            // space unless killwords.
            let length = a.get(0, "length")?.intIndex ?? 255
            let killwords = a.get(1, "killwords")?.isTruthy ?? false
            let end = a.get(2, "end")?.text ?? "..."
            let leeway = a.get(3, "leeway")?.intIndex ?? 5
            let s = Array(v.text.unicodeScalars)
            let endCount = end.unicodeScalars.count
            guard length >= endCount, leeway >= 0 else { throw JinjaError.runtime("truncate: expected length >= \(endCount), got \(length)") }
            if s.count <= length + leeway { return .string(v.text) }
            var kept = s[..<(length - endCount)]
            if !killwords, let space = kept.lastIndex(of: " ") { kept = kept[..<space] }
            var out = String.UnicodeScalarView()
            out.append(contentsOf: kept)
            return .string(String(out) + end)
        default:
            throw JinjaError.runtime("unknown filter '\(name)'")
        }
    }

    /// `a.b.c` style attribute lookups used by map/selectattr/join/sort (an int picks a list item).
    private func attributePath(_ v: JinjaValue, _ path: JinjaValue) throws -> JinjaValue {
        if let i = path.intIndex { return try item(v, .int(i), describe: .literal(v)) }
        var cur = v
        for part in path.text.split(separator: ".") {
            if cur.isUndefined { return cur }
            let key = String(part)
            if let i = Int(key) { cur = try item(cur, .int(i), describe: .literal(v)) }
            else { cur = try attribute(cur, key, describe: .name(key)) }
        }
        return cur
    }

    /// Whether `v` passes test `test` (plain truthiness when nil).
    private func passes(_ v: JinjaValue, _ test: String?, _ args: [JinjaValue]) throws -> Bool {
        guard let test else { return v.isTruthy }
        guard JinjaExprParser.tests.contains(test) else { throw JinjaError.runtime("unknown test '\(test)'") }
        return try applyTest(test, v, (args, []))
    }

    // MARK: tests

    func applyTest(_ name: String, _ v: JinjaValue, _ args: (positional: [JinjaValue], keyword: [(String, JinjaValue)])) throws -> Bool {
        let arg = args.positional.first ?? args.keyword.first?.1
        func needArg() throws -> JinjaValue {
            guard let arg else { throw JinjaError.runtime("test '\(name)' needs an argument") }
            return arg
        }
        switch name {
        case "defined": return !v.isUndefined
        case "undefined": return v.isUndefined
        case "none": if case .none = v { return true }; return false
        case "boolean": if case .bool = v { return true }; return false
        case "true": if case .bool(true) = v { return true }; return false
        case "false": if case .bool(false) = v { return true }; return false
        case "integer": if case .int = v { return true }; return false
        case "float": if case .double = v { return true }; return false
        case "number": return v.number != nil
        case "string": if case .string = v { return true }; return false
        case "mapping": if case .dict = v { return true }; return false
        case "iterable", "sequence":
            switch v {
            case .string, .array, .dict, .undefined: return true
            default: return false
            }
        case "callable":
            switch v {
            case .macro, .builtin: return true
            default: return false
            }
        case "escaped": return false
        case "even", "odd":
            guard let i = v.intIndex else { throw JinjaError.runtime("test '\(name)' needs an integer, not \(v.typeName)") }
            return (i % 2 == 0) == (name == "even")
        case "divisibleby":
            guard let i = v.intIndex, let d = try needArg().intIndex, d != 0 else {
                throw JinjaError.runtime("test 'divisibleby' needs non-zero integers")
            }
            return i % d == 0
        case "lower": if case let .string(s) = v { return s == s.lowercased() }; return false
        case "upper": if case let .string(s) = v { return s == s.uppercased() }; return false
        case "eq", "equalto", "==": return JinjaValue.equal(v, try needArg())
        case "ne", "!=": return !JinjaValue.equal(v, try needArg())
        case "lt", "lessthan", "<": return try compare("<", v, try needArg())
        case "le", "<=": return try compare("<=", v, try needArg())
        case "gt", "greaterthan", ">": return try compare(">", v, try needArg())
        case "ge", ">=": return try compare(">=", v, try needArg())
        case "in": return try contains(try needArg(), v)
        case "sameas":
            let other = try needArg()
            switch (v, other) {
            case (.none, .none): return true
            case let (.bool(x), .bool(y)): return x == y
            case let (.namespace(x), .namespace(y)): return x === y
            default: return false
            }
        default: throw JinjaError.runtime("unknown test '\(name)'")
        }
    }

    // MARK: methods

    /// Python methods on strings and dicts (and `loop.cycle`).
    func callMethod(_ target: JinjaValue, _ name: String, _ args: (positional: [JinjaValue], keyword: [(String, JinjaValue)])) throws -> JinjaValue {
        let a = JinjaCallArgs(positional: args.positional, keyword: args.keyword)
        switch target {
        case let .string(s):
            switch name {
            case "strip": return .string(JinjaStrings.strip(s, a.get(0, "chars"), left: true, right: true))
            case "lstrip": return .string(JinjaStrings.strip(s, a.get(0, "chars"), left: true, right: false))
            case "rstrip": return .string(JinjaStrings.strip(s, a.get(0, "chars"), left: false, right: true))
            case "upper": return .string(s.uppercased())
            case "lower": return .string(s.lowercased())
            case "title": return .string(JinjaStrings.title(s, jinjaFilter: false))
            case "capitalize": return .string(JinjaStrings.capitalize(s))
            case "startswith", "endswith":
                guard let p = a.get(0, "prefix") else { throw JinjaError.runtime("\(name) needs an argument") }
                let options: [String]
                switch p {
                case let .string(x): options = [x]
                case let .array(xs): options = xs.map(\.text)
                default: throw JinjaError.runtime("\(name) needs a string or tuple, not \(p.typeName)")
                }
                return .bool(options.contains { name == "startswith" ? s.unicodeScalars.starts(with: $0.unicodeScalars)
                                                                     : s.unicodeScalars.reversed().starts(with: $0.unicodeScalars.reversed()) })
            case "split", "rsplit":
                let sep = a.get(0, "sep").flatMap { $0.isUndefined ? nil : ($0.isNone ? nil : $0.text) }
                let maxSplit = a.get(1, "maxsplit")?.intIndex ?? -1
                return .array(JinjaStrings.split(s, sep, maxSplit: maxSplit, fromRight: name == "rsplit").map { .string($0) })
            case "splitlines":
                return .array(s.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
                    .map { .string(String($0)) }.dropLastIfEmpty(s))
            case "replace":
                guard let old = a.get(0, "old"), let new = a.get(1, "new") else { throw JinjaError.runtime("replace needs two arguments") }
                return .string(JinjaStrings.replace(s, old.text, new.text, count: a.get(2, "count")?.intIndex ?? -1))
            case "find":
                guard let sub = a.get(0, "sub")?.text else { throw JinjaError.runtime("find needs an argument") }
                return .int(JinjaStrings.find(s, sub))
            case "count":
                guard let sub = a.get(0, "sub")?.text, !sub.isEmpty else { throw JinjaError.runtime("count needs a non-empty argument") }
                return .int(s.components(separatedBy: sub).count - 1)
            case "join":
                guard let items = a.get(0, "iterable") else { throw JinjaError.runtime("join needs an argument") }
                return .string(try iterate(items).map(\.text).joined(separator: s))
            case "isdigit": return .bool(!s.isEmpty && s.allSatisfy { $0.isNumber })
            case "isspace": return .bool(!s.isEmpty && s.allSatisfy { $0.isWhitespace })
            case "isalpha": return .bool(!s.isEmpty && s.allSatisfy { $0.isLetter })
            default: break
            }
        case let .dict(d):
            switch name {
            case "items": return .array(d.pairs.map { .array([.string($0.0), $0.1]) })
            case "keys": return .array(d.keys.map { .string($0) })
            case "values": return .array(d.values)
            case "get":
                guard let k = a.get(0, "key") else { throw JinjaError.runtime("get needs a key") }
                return d[k.text] ?? a.get(1, "default") ?? .none
            case "cycle" where d["index0"] != nil:
                guard !a.positional.isEmpty, let i = d["index0"]?.intIndex else { throw JinjaError.runtime("loop.cycle needs arguments") }
                return a.positional[i % a.positional.count]
            default:
                if let f = d[name] { return try invokeValue(f, args) }
            }
        case let .namespace(ns):
            if let f = ns.fields[name] { return try invokeValue(f, args) }
        case let .array(items):
            switch name {
            case "index":
                guard let x = a.get(0, "value"), let i = items.firstIndex(where: { JinjaValue.equal($0, x) }) else {
                    throw JinjaError.runtime("list.index: value is not in the list")
                }
                return .int(i)
            case "count":
                guard let x = a.get(0, "value") else { throw JinjaError.runtime("count needs an argument") }
                return .int(items.filter { JinjaValue.equal($0, x) }.count)
            case "append", "extend", "pop", "insert", "remove", "clear", "sort", "reverse":
                throw JinjaError.runtime("list.\(name)() would modify a value, which chat templates may not do")
            default: break
            }
        default: break
        }
        throw JinjaError.runtime("\(target.typeName) has no method '\(name)'")
    }

    private func invokeValue(_ f: JinjaValue, _ args: (positional: [JinjaValue], keyword: [(String, JinjaValue)])) throws -> JinjaValue {
        switch f {
        case let .macro(m): return try callMacro(m, args.positional, args.keyword, caller: nil)
        case let .builtin(name): return try callBuiltin(name, args.positional, args.keyword)
        default: throw JinjaError.runtime("a \(f.typeName) value is not callable")
        }
    }

    // MARK: global functions

    func callBuiltin(_ name: String, _ pos: [JinjaValue], _ kw: [(String, JinjaValue)]) throws -> JinjaValue {
        switch name {
        case "raise_exception":
            throw ChatTemplateError.raised(message: pos.first?.text ?? kw.first?.1.text ?? "")
        case "range":
            let ints = try pos.map { v -> Int in
                guard let i = v.intIndex else { throw JinjaError.runtime("range() needs integers, not \(v.typeName)") }
                return i
            }
            let (start, stop, step): (Int, Int, Int)
            switch ints.count {
            case 1: (start, stop, step) = (0, ints[0], 1)
            case 2: (start, stop, step) = (ints[0], ints[1], 1)
            case 3: (start, stop, step) = (ints[0], ints[1], ints[2])
            default: throw JinjaError.runtime("range() takes 1 to 3 arguments")
            }
            guard step != 0 else { throw JinjaError.runtime("range() step must not be zero") }
            guard step != Int.min else { throw JinjaError.runtime("range() step is too large") }
            let span = step > 0 ? Double(stop) - Double(start) : Double(start) - Double(stop)
            guard span / Double(abs(step)) <= 100_000 else { throw JinjaError.runtime("range() is too large") }
            let n = step > 0 ? max(0, (stop - start + step - 1) / step) : max(0, (start - stop - step - 1) / -step)
            guard n <= 100_000 else { throw JinjaError.runtime("range() of \(n) items is too large") }
            return .array((0..<n).map { .int(start + $0 * step) })
        case "namespace", "dict":
            var d = JinjaDict()
            for v in pos { if case let .dict(x) = v { for (k, y) in x.pairs { d[k] = y } } }
            for (k, v) in kw { d[k] = v }
            return name == "dict" ? .dict(d) : .namespace(JinjaNamespace(d))
        case "strftime_now":
            return .string(JinjaStrings.strftimeNow(pos.first?.text ?? "%Y-%m-%d"))
        default:
            throw JinjaError.runtime("unknown function '\(name)'")
        }
    }
}

extension JinjaValue {
    var isNone: Bool { if case .none = self { return true }; return false }
}

private extension Array where Element == JinjaValue {
    /// Python's splitlines drops the empty piece after a final line break.
    func dropLastIfEmpty(_ s: String) -> [JinjaValue] {
        if s.hasSuffix("\n") || s.hasSuffix("\r"), let last, last.text.isEmpty { return Array(dropLast()) }
        if s.isEmpty { return [] }
        return self
    }
}

/// Python string helpers with code-point semantics.
enum JinjaStrings {
    /// Python's str.isspace for one code point: Unicode White_Space plus the separators U+001C–U+001F.
    static func isSpace(_ u: Unicode.Scalar) -> Bool {
        u.properties.isWhitespace || (0x1C...0x1F).contains(u.value)
    }

    /// str.strip / lstrip / rstrip; `chars` nil or None means whitespace (str.isspace).
    static func strip(_ s: String, _ chars: JinjaValue?, left: Bool, right: Bool) -> String {
        let set: (Unicode.Scalar) -> Bool
        if let chars, !chars.isUndefined, !chars.isNone {
            let allowed = Set(chars.text.unicodeScalars)
            set = { allowed.contains($0) }
        } else {
            set = isSpace
        }
        var u = Array(s.unicodeScalars)[...]
        if left { while let f = u.first, set(f) { u = u.dropFirst() } }
        if right { while let l = u.last, set(l) { u = u.dropLast() } }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: u)
        return String(out)
    }

    /// Python str.title (every letter after a non-letter is upper-cased), or Jinja's `title`
    /// filter (words start after whitespace, '-', and opening brackets).
    static func title(_ s: String, jinjaFilter: Bool) -> String {
        var out = ""
        var atStart = true
        for c in s {
            if c.isLetter {
                out += atStart ? c.uppercased() : c.lowercased()
                atStart = false
            } else {
                out.append(c)
                if jinjaFilter { if c.isWhitespace || "-({[<".contains(c) { atStart = true } }
                else if !c.isNumber { atStart = true } else { atStart = false }
            }
        }
        return out
    }

    static func capitalize(_ s: String) -> String {
        guard let f = s.first else { return s }
        return f.uppercased() + s.dropFirst().lowercased()
    }

    static func replace(_ s: String, _ old: String, _ new: String, count: Int) -> String {
        if old.isEmpty { return s }
        var parts = s.components(separatedBy: old)
        if count >= 0, parts.count - 1 > count {
            let head = parts[0...count].joined(separator: new)
            parts = [head] + parts[(count + 1)...]
            return parts.joined(separator: old)
        }
        return parts.joined(separator: new)
    }

    static func find(_ s: String, _ sub: String) -> Int {
        let a = Array(s.unicodeScalars), b = Array(sub.unicodeScalars)
        if b.isEmpty { return 0 }
        guard a.count >= b.count else { return -1 }
        for i in 0...(a.count - b.count) where Array(a[i..<(i + b.count)]) == b { return i }
        return -1
    }

    /// str.split / rsplit: with no separator, runs of whitespace split and empty pieces are dropped.
    static func split(_ s: String, _ sep: String?, maxSplit: Int, fromRight: Bool) -> [String] {
        guard let sep else {
            var words = s.split(whereSeparator: { $0.isWhitespace }).map(String.init)
            if maxSplit >= 0, words.count > maxSplit + 1 {
                // Rejoin the tail (approximate: single spaces) past maxsplit.
                if fromRight {
                    let head = words[0..<(words.count - maxSplit)].joined(separator: " ")
                    words = [head] + words[(words.count - maxSplit)...]
                } else {
                    let tail = words[maxSplit...].joined(separator: " ")
                    words = Array(words[0..<maxSplit]) + [tail]
                }
            }
            return words
        }
        if sep.isEmpty { return [s] }
        var parts = s.components(separatedBy: sep)
        if maxSplit >= 0, parts.count > maxSplit + 1 {
            if fromRight {
                let head = parts[0..<(parts.count - maxSplit)].joined(separator: sep)
                parts = [head] + parts[(parts.count - maxSplit)...]
            } else {
                let tail = parts[maxSplit...].joined(separator: sep)
                parts = Array(parts[0..<maxSplit]) + [tail]
            }
        }
        return parts
    }

    static func htmlEscape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// C strftime of the local time now (what Hugging Face's `strftime_now` does with Python's datetime).
    static func strftimeNow(_ format: String) -> String {
        var t = time(nil)
        var tmv = tm()
        localtime_r(&t, &tmv)
        var buf = [Int8](repeating: 0, count: 256)
        let n = strftime(&buf, buf.count, format, &tmv)
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
