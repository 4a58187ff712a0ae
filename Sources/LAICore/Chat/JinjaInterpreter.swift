// JinjaInterpreter: executes a parsed template against a context: scopes, loops, macros, operators.
import Foundation

/// Runs one render. Not reused across renders (it holds the output and scopes).
final class JinjaInterpreter {
    /// Scope frames, innermost last. Frame 0 holds the globals and the template's top-level `set`s.
    var scopes: [[String: JinjaValue]]
    var out = ""
    /// Offset of the statement being executed, for error messages.
    var offset = 0
    private var depth = 0
    private var evalDepth = 0
    private var steps = 0

    /// Limits that keep a hostile template from hanging or exhausting memory and stack.
    static let maxSteps = 1_000_000
    static let maxOutput = 32 << 20
    static let maxEvalDepth = 2_000

    static let builtinNames = ["range", "namespace", "dict", "raise_exception", "strftime_now"]

    init(context: [String: JinjaValue]) {
        var root: [String: JinjaValue] = [:]
        for name in JinjaInterpreter.builtinNames { root[name] = .builtin(name) }
        for (k, v) in context { root[k] = v }
        scopes = [root]
    }

    private enum Flow { case normal, breakLoop, continueLoop }

    func run(_ nodes: [JinjaNode]) throws {
        _ = try exec(nodes)
    }

    private func exec(_ nodes: [JinjaNode]) throws -> Flow {
        for node in nodes {
            let flow = try exec(node)
            if flow != .normal { return flow }
        }
        return .normal
    }

    /// Counts one unit of work (a statement or a loop iteration) against `maxSteps`.
    private func step() throws {
        steps += 1
        if steps > JinjaInterpreter.maxSteps { throw JinjaError.runtime("template ran for more than \(JinjaInterpreter.maxSteps) steps") }
    }

    private func exec(_ node: JinjaNode) throws -> Flow {
        try step()
        if out.utf8.count > JinjaInterpreter.maxOutput { throw JinjaError.runtime("template output is larger than \(JinjaInterpreter.maxOutput >> 20) MiB") }
        switch node {
        case let .text(t):
            out += t
        case let .output(e, off):
            offset = off
            out += try eval(e).text
        case let .ifChain(branches, elseBody, off):
            offset = off
            for (cond, body) in branches {
                offset = off
                if try eval(cond).isTruthy { return try exec(body) }
            }
            return try exec(elseBody)
        case let .forLoop(f):
            return try execFor(f)
        case let .set(target, e, off):
            offset = off
            try assign(target, try eval(e))
        case let .setBlock(target, body, filters, off):
            offset = off
            var v = JinjaValue.string(try capture(body))
            for (name, args) in filters { v = try applyFilter(name, v, args) }
            offset = off
            try assign(target, v)
        case let .macro(m, _):
            scopes[scopes.count - 1][m.name] = .macro(m)
        case let .callBlock(call, params, body, off):
            offset = off
            let caller = JinjaMacro(name: "caller", params: params, body: body, captured: scopes)
            guard case let .call(callee, args) = call else {
                throw JinjaError.runtime("'{% call %}' needs a macro call")
            }
            let f = try eval(callee)
            out += try invoke(f, args: args, caller: .macro(caller)).text
        case let .filterBlock(filters, body, off):
            offset = off
            var v = JinjaValue.string(try capture(body))
            for (name, args) in filters { v = try applyFilter(name, v, args) }
            out += v.text
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        }
        return .normal
    }

    /// Renders `nodes` into a separate buffer.
    private func capture(_ nodes: [JinjaNode]) throws -> String {
        let saved = out
        out = ""
        defer { out = saved }
        _ = try exec(nodes)
        return out
    }

    private func assign(_ target: JinjaTarget, _ value: JinjaValue) throws {
        switch target {
        case let .name(n):
            scopes[scopes.count - 1][n] = value
        case let .names(names):
            let items = try iterate(value)
            guard items.count == names.count else {
                throw JinjaError.runtime("cannot unpack \(items.count) values into \(names.count) names")
            }
            for (n, v) in zip(names, items) { scopes[scopes.count - 1][n] = v }
        case let .attribute(obj, field):
            guard case let .namespace(ns) = lookup(obj) else {
                throw JinjaError.runtime("'{% set \(obj).\(field) %}' needs '\(obj)' to be a namespace()")
            }
            ns.fields[field] = value
        }
    }

    private func execFor(_ f: JinjaFor) throws -> Flow {
        offset = f.offset
        let iterable = try eval(f.iterable)
        var items = try iterate(iterable)
        if let cond = f.condition {
            var kept: [JinjaValue] = []
            for item in items {
                try step()
                scopes.append([:])
                defer { scopes.removeLast() }
                try bind(f.targets, item)
                if try eval(cond).isTruthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty { return try exec(f.elseBody) }
        let n = items.count
        for (index, item) in items.enumerated() {
            try step()
            var loop = JinjaDict()
            loop["index"] = .int(index + 1)
            loop["index0"] = .int(index)
            loop["revindex"] = .int(n - index)
            loop["revindex0"] = .int(n - index - 1)
            loop["first"] = .bool(index == 0)
            loop["last"] = .bool(index == n - 1)
            loop["length"] = .int(n)
            loop["depth"] = .int(1)
            loop["depth0"] = .int(0)
            loop["previtem"] = index > 0 ? items[index - 1] : .undefined("loop.previtem")
            loop["nextitem"] = index + 1 < n ? items[index + 1] : .undefined("loop.nextitem")
            scopes.append(["loop": .dict(loop)])
            defer { scopes.removeLast() }
            try bind(f.targets, item)
            let flow = try exec(f.body)
            if flow == .breakLoop { break }
        }
        return .normal
    }

    private func bind(_ targets: [String], _ item: JinjaValue) throws {
        if targets.count == 1 { scopes[scopes.count - 1][targets[0]] = item; return }
        let parts = try iterate(item)
        guard parts.count == targets.count else {
            throw JinjaError.runtime("cannot unpack \(parts.count) values into \(targets.count) loop variables")
        }
        for (t, v) in zip(targets, parts) { scopes[scopes.count - 1][t] = v }
    }

    /// What `for x in value` walks: list items, string characters, dict keys; Undefined is empty.
    func iterate(_ v: JinjaValue) throws -> [JinjaValue] {
        switch v {
        case let .array(a): return a
        case let .dict(d): return d.keys.map { .string($0) }
        case let .string(s): return s.map { .string(String($0)) }
        case .undefined: return []
        case let .namespace(n): return n.fields.keys.map { .string($0) }
        default: throw JinjaError.runtime("\(v.typeName) value is not iterable")
        }
    }

    func lookup(_ name: String) -> JinjaValue {
        for frame in scopes.reversed() { if let v = frame[name] { return v } }
        return .undefined(name)
    }

    // MARK: expressions

    func eval(_ e: JinjaExpr) throws -> JinjaValue {
        evalDepth += 1
        defer { evalDepth -= 1 }
        if evalDepth > JinjaInterpreter.maxEvalDepth { throw JinjaError.runtime("expression is nested too deeply") }
        switch e {
        case let .literal(v): return v
        case let .name(n): return lookup(n)
        case let .list(items): return .array(try items.map(eval))
        case let .dict(pairs):
            var d = JinjaDict()
            for (k, v) in pairs { d[try eval(k).text] = try eval(v) }
            return .dict(d)
        case let .attribute(obj, name):
            return try attribute(try eval(obj), name, describe: obj)
        case let .item(obj, key):
            return try item(try eval(obj), try eval(key), describe: obj)
        case let .slice(obj, a, b, c):
            return try slice(try eval(obj), a.map(eval), b.map(eval), c.map(eval))
        case let .call(callee, args):
            return try invoke(try eval(callee), args: args, caller: nil)
        case let .method(obj, name, args):
            let target = try eval(obj)
            if case let .undefined(what) = target {
                throw JinjaError.runtime("'\(what)' is undefined (calling .\(name)())")
            }
            return try callMethod(target, name, try evalArgs(args))
        case let .filter(v, name, args):
            return try applyFilter(name, try eval(v), args)
        case let .test(v, name, args, negated):
            let r = try applyTest(name, try eval(v), try evalArgs(args))
            return .bool(negated ? !r : r)
        case let .not(x): return .bool(!(try eval(x).isTruthy))
        case let .negate(x):
            switch try eval(x) {
            case let .int(i): return i == Int.min ? .double(-Double(i)) : .int(-i)
            case let .double(d): return .double(-d)
            case let .bool(b): return .int(b ? -1 : 0)
            case let v: throw JinjaError.runtime("cannot negate a \(v.typeName)")
            }
        case let .and(a, b):
            let l = try eval(a)
            return l.isTruthy ? try eval(b) : l
        case let .or(a, b):
            let l = try eval(a)
            return l.isTruthy ? l : try eval(b)
        case let .binary(op, a, b):
            return try binary(op, try eval(a), try eval(b))
        case let .compare(first, ops):
            var left = try eval(first)
            for (op, rhs) in ops {
                let right = try eval(rhs)
                if !(try compare(op, left, right)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case let .conditional(then, cond, otherwise):
            if try eval(cond).isTruthy { return try eval(then) }
            return try otherwise.map(eval) ?? .undefined("conditional expression")
        }
    }

    /// A readable name for an expression, used in "is undefined" messages.
    func describe(_ e: JinjaExpr) -> String {
        switch e {
        case let .name(n): return n
        case let .attribute(o, n): return describe(o) + "." + n
        case let .item(o, .literal(k)): return describe(o) + "[" + k.repr + "]"
        case let .item(o, _): return describe(o) + "[...]"
        case let .method(o, n, _): return describe(o) + "." + n + "()"
        case let .call(o, _): return describe(o) + "()"
        case let .filter(o, n, _): return describe(o) + "|" + n
        case let .literal(v): return v.repr
        default: return "expression"
        }
    }

    func attribute(_ v: JinjaValue, _ name: String, describe obj: JinjaExpr) throws -> JinjaValue {
        switch v {
        case let .undefined(what):
            throw JinjaError.runtime("'\(what)' is undefined (reading .\(name))")
        case let .dict(d):
            return d[name] ?? .undefined(describe(obj) + "." + name)
        case let .namespace(ns):
            return ns.fields[name] ?? .undefined(describe(obj) + "." + name)
        default:
            return .undefined(describe(obj) + "." + name)
        }
    }

    func item(_ v: JinjaValue, _ key: JinjaValue, describe obj: JinjaExpr) throws -> JinjaValue {
        let missing = JinjaValue.undefined(describe(obj) + "[" + key.repr + "]")
        switch (v, key) {
        case let (.undefined(what), _):
            throw JinjaError.runtime("'\(what)' is undefined (reading [\(key.repr)])")
        case let (.dict(d), .string(k)): return d[k] ?? missing
        case let (.namespace(ns), .string(k)): return ns.fields[k] ?? missing
        case let (.array(a), _):
            guard let i = key.intIndex else { return missing }
            let j = i < 0 ? i + a.count : i
            return a.indices.contains(j) ? a[j] : missing
        case let (.string(s), _):
            guard let i = key.intIndex else { return missing }
            let chars = Array(s)
            let j = i < 0 ? i + chars.count : i
            return chars.indices.contains(j) ? .string(String(chars[j])) : missing
        default:
            return missing
        }
    }

    /// Python slicing `v[a:b:c]` of lists and strings.
    func slice(_ v: JinjaValue, _ a: JinjaValue?, _ b: JinjaValue?, _ c: JinjaValue?) throws -> JinjaValue {
        func bound(_ x: JinjaValue?) throws -> Int? {
            guard let x, !x.isUndefined else { return nil }
            if case .none = x { return nil }
            guard let i = x.intIndex else { throw JinjaError.runtime("slice indices must be integers, not \(x.typeName)") }
            return i
        }
        let step = try bound(c) ?? 1
        guard step != 0 else { throw JinjaError.runtime("slice step cannot be zero") }
        guard step != Int.min else { throw JinjaError.runtime("slice step is too large") }
        func indices(_ count: Int) throws -> [Int] {
            func clamp(_ i: Int?, _ dflt: Int) -> Int {
                guard var i else { return dflt }
                if i < 0 { i += count; if i < 0 { i = step < 0 ? -1 : 0 } }
                else if i >= count { i = step < 0 ? count - 1 : count }
                return i
            }
            let start = clamp(try bound(a), step < 0 ? count - 1 : 0)
            let stop = clamp(try bound(b), step < 0 ? -1 : count)
            var r: [Int] = []
            var i = start
            while step > 0 ? i < stop : i > stop {
                r.append(i)
                let (next, overflow) = i.addingReportingOverflow(step)
                if overflow { break }
                i = next
            }
            return r
        }
        switch v {
        case let .array(arr): return .array(try indices(arr.count).map { arr[$0] })
        case let .string(s):
            let chars = Array(s)
            return .string(String(try indices(chars.count).map { chars[$0] }))
        case let .undefined(what): throw JinjaError.runtime("'\(what)' is undefined (slicing)")
        default: throw JinjaError.runtime("cannot slice a \(v.typeName)")
        }
    }

    func evalArgs(_ args: JinjaArgs) throws -> (positional: [JinjaValue], keyword: [(String, JinjaValue)]) {
        (try args.positional.map(eval), try args.keyword.map { ($0.0, try eval($0.1)) })
    }

    /// Calls a macro or global function.
    func invoke(_ f: JinjaValue, args: JinjaArgs, caller: JinjaValue?) throws -> JinjaValue {
        let (pos, kw) = try evalArgs(args)
        switch f {
        case let .macro(m): return try callMacro(m, pos, kw, caller: caller)
        case let .builtin(name): return try callBuiltin(name, pos, kw)
        case let .undefined(what): throw JinjaError.runtime("'\(what)' is undefined (called as a function)")
        default: throw JinjaError.runtime("a \(f.typeName) value is not callable")
        }
    }

    func callMacro(_ m: JinjaMacro, _ pos: [JinjaValue], _ kw: [(String, JinjaValue)], caller: JinjaValue?) throws -> JinjaValue {
        guard depth < 100 else { throw JinjaError.runtime("macro '\(m.name)' recursed too deeply") }
        var frame: [String: JinjaValue] = [:]
        for (i, p) in m.params.enumerated() {
            if i < pos.count { frame[p.name] = pos[i] }
            else if let v = kw.first(where: { $0.0 == p.name })?.1 { frame[p.name] = v }
            else if let d = p.defaultValue { frame[p.name] = try eval(d) }
            else { frame[p.name] = .undefined(p.name) }
        }
        frame["varargs"] = .array(pos.count > m.params.count ? Array(pos[m.params.count...]) : [])
        var extra = JinjaDict()
        for (k, v) in kw where !m.params.contains(where: { $0.name == k }) { extra[k] = v }
        frame["kwargs"] = .dict(extra)
        if let caller { frame["caller"] = caller }
        let savedScopes = scopes, savedOffset = offset
        scopes = (m.captured ?? [scopes[0]]) + [frame]
        depth += 1
        defer { scopes = savedScopes; depth -= 1 }
        let text = try capture(m.body)
        offset = savedOffset   // only on success: an error keeps the offset of the statement that failed
        return .string(text)
    }

    // MARK: operators

    func binary(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws -> JinjaValue {
        if op == "~" { return .string(a.text + b.text) }
        if case let .undefined(what) = a { throw JinjaError.runtime("'\(what)' is undefined (used with '\(op)')") }
        if case let .undefined(what) = b { throw JinjaError.runtime("'\(what)' is undefined (used with '\(op)')") }
        let mismatch = JinjaError.runtime("unsupported operand types for \(op): \(a.typeName) and \(b.typeName)")
        switch op {
        case "+":
            switch (a, b) {
            case let (.string(x), .string(y)): return .string(x + y)
            case let (.array(x), .array(y)): return .array(x + y)
            default: return try numeric(op, a, b, mismatch)
            }
        case "*":
            switch (a, b) {
            case let (.string(s), .int(n)), let (.int(n), .string(s)):
                guard n <= 0 || s.utf8.count <= JinjaInterpreter.maxOutput / n else { throw JinjaError.runtime("string repetition is too large") }
                return .string(String(repeating: s, count: max(0, n)))
            case let (.array(x), .int(n)), let (.int(n), .array(x)):
                guard n <= 0 || x.count <= 1_000_000 / n else { throw JinjaError.runtime("list repetition is too large") }
                return .array(Array([[JinjaValue]](repeating: x, count: max(0, n)).joined()))
            default: return try numeric(op, a, b, mismatch)
            }
        default:
            return try numeric(op, a, b, mismatch)
        }
    }

    private func numeric(_ op: String, _ a: JinjaValue, _ b: JinjaValue, _ mismatch: JinjaError) throws -> JinjaValue {
        guard let r = try arithmetic(op, a, b) else { throw mismatch }
        return r
    }

    /// Number arithmetic with Python's rules (int stays int except `/`; floor division and modulo round down).
    private func arithmetic(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws -> JinjaValue? {
        if case .string = a { return nil }
        if case .string = b { return nil }
        if let x = a.exactInt, let y = b.exactInt {
            switch op {
            case "+": let (r, o) = x.addingReportingOverflow(y); if !o { return .int(r) }
            case "-": let (r, o) = x.subtractingReportingOverflow(y); if !o { return .int(r) }
            case "*": let (r, o) = x.multipliedReportingOverflow(by: y); if !o { return .int(r) }
            case "//", "%":
                guard y != 0 else { throw JinjaError.runtime("integer division or modulo by zero") }
                if x == Int.min && y == -1 { break }   // overflows Int: fall through to floats
                var q = x / y, r = x % y
                if r != 0, (r < 0) != (y < 0) { q -= 1; r += y }
                return .int(op == "//" ? q : r)
            case "**":
                if y >= 0 {
                    if x == 0 || x == 1 { return .int(y == 0 ? 1 : x) }
                    if x == -1 { return .int(y % 2 == 0 ? 1 : -1) }
                    var r = 1
                    for _ in 0..<min(y, 64) { let (m, o) = r.multipliedReportingOverflow(by: x); if o { return .double(pow(Double(x), Double(y))) }; r = m }
                    return .int(r)
                }
            default: break
            }
        }
        guard let x = a.number, let y = b.number else { return nil }
        switch op {
        case "+": return .double(x + y)
        case "-": return .double(x - y)
        case "*": return .double(x * y)
        case "/":
            guard y != 0 else { throw JinjaError.runtime("division by zero") }
            return .double(x / y)
        case "//":
            guard y != 0 else { throw JinjaError.runtime("float floor division by zero") }
            return .double((x / y).rounded(.down))
        case "%":
            guard y != 0 else { throw JinjaError.runtime("float modulo by zero") }
            let r = x - y * (x / y).rounded(.down)
            return .double(r)
        case "**": return .double(pow(x, y))
        default: return nil
        }
    }

    func compare(_ op: String, _ a: JinjaValue, _ b: JinjaValue) throws -> Bool {
        switch op {
        case "==": return JinjaValue.equal(a, b)
        case "!=": return !JinjaValue.equal(a, b)
        case "in": return try contains(b, a)
        case "notin": return !(try contains(b, a))
        default:
            let ordered: Bool?
            switch op {
            case "<": ordered = JinjaValue.less(a, b)
            case ">": ordered = JinjaValue.less(b, a)
            case "<=": ordered = JinjaValue.less(b, a).map { !$0 }
            default: ordered = JinjaValue.less(a, b).map { !$0 }   // ">="
            }
            guard let r = ordered else {
                throw JinjaError.runtime("'\(op)' not supported between \(a.typeName) and \(b.typeName)")
            }
            return r
        }
    }

    /// Python `needle in haystack`.
    func contains(_ haystack: JinjaValue, _ needle: JinjaValue) throws -> Bool {
        switch haystack {
        case let .string(s):
            guard case let .string(n) = needle else {
                throw JinjaError.runtime("'in <string>' requires a string on the left, not \(needle.typeName)")
            }
            return n.isEmpty || s.contains(n)
        case let .array(a): return a.contains { JinjaValue.equal($0, needle) }
        case let .dict(d):
            if case let .string(k) = needle { return d[k] != nil }
            return false
        case let .namespace(ns):
            if case let .string(k) = needle { return ns.fields[k] != nil }
            return false
        case .undefined: return false
        default: throw JinjaError.runtime("argument of type \(haystack.typeName) is not iterable")
        }
    }
}

extension JinjaValue {
    /// An integer usable as an index (ints, bools, and floats with no fraction).
    var intIndex: Int? {
        switch self {
        case let .int(i): return i
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }
    /// An exact integer operand (ints and bools, as in Python arithmetic).
    var exactInt: Int? { intIndex }
}
