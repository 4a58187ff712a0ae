// JinjaValue: the values a chat template computes with, with Python/Jinja semantics for truth, equality, str() and repr().

/// A string-keyed dictionary that keeps insertion order (Python dicts do, and templates iterate them).
package struct JinjaDict: Sendable {
    package private(set) var keys: [String] = []
    private var storage: [String: JinjaValue] = [:]

    package init() {}
    package init(_ pairs: [(String, JinjaValue)]) { for (k, v) in pairs { self[k] = v } }

    package subscript(key: String) -> JinjaValue? {
        get { storage[key] }
        set {
            if let v = newValue {
                if storage.updateValue(v, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }
    package var count: Int { keys.count }
    package var pairs: [(String, JinjaValue)] { keys.map { ($0, storage[$0] ?? .none) } }
    package var values: [JinjaValue] { keys.map { storage[$0] ?? .none } }
}

/// The object `namespace()` makes: the one mutable value, shared by reference so that
/// `{% set ns.x = ... %}` inside a loop is seen after it.
package final class JinjaNamespace: @unchecked Sendable {
    var fields: JinjaDict
    init(_ fields: JinjaDict) { self.fields = fields }
}

/// A value inside the interpreter.
package indirect enum JinjaValue: Sendable {
    /// Jinja's default Undefined: prints as "", is falsy, iterates as empty; most other uses are errors.
    /// The payload names what was looked up, for the error message.
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JinjaValue])
    case dict(JinjaDict)
    case namespace(JinjaNamespace)
    case macro(JinjaMacro)
    /// A global function: range, namespace, dict, raise_exception, strftime_now.
    case builtin(String)

    package var isUndefined: Bool { if case .undefined = self { return true }; return false }

    /// Python truthiness.
    package var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case let .bool(b): return b
        case let .int(i): return i != 0
        case let .double(d): return d != 0
        case let .string(s): return !s.isEmpty
        case let .array(a): return !a.isEmpty
        case let .dict(d): return d.count > 0
        case .namespace, .macro, .builtin: return true
        }
    }

    /// What `{{ value }}` prints: Python's str(), with Undefined printing as nothing.
    package var text: String {
        switch self {
        case .undefined: return ""
        case let .string(s): return s
        default: return repr
        }
    }

    /// Python's repr() (strings quoted), used inside lists and dicts.
    package var repr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case let .bool(b): return b ? "True" : "False"
        case let .int(i): return String(i)
        case let .double(d): return JinjaValue.pythonFloat(d)
        case let .string(s): return JinjaValue.pythonQuote(s)
        case let .array(a): return "[" + a.map(\.repr).joined(separator: ", ") + "]"
        case let .dict(d): return "{" + d.pairs.map { JinjaValue.pythonQuote($0.0) + ": " + $0.1.repr }.joined(separator: ", ") + "}"
        case let .namespace(n): return "<Namespace " + JinjaValue.dict(n.fields).repr + ">"
        case let .macro(m): return "<Macro '\(m.name)'>"
        case let .builtin(name): return "<built-in function \(name)>"
        }
    }

    /// A short type name for error messages.
    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "none"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "string"
        case .array: return "list"
        case .dict: return "dict"
        case .namespace: return "namespace"
        case .macro, .builtin: return "function"
        }
    }

    /// The number, if this is a number (bools count, as in Python).
    var number: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .double(d): return d
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }

    /// Python float repr: "1.0", "0.1", "1e-05", "inf".
    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == d.rounded(), abs(d) < 1e16 { return (d.sign == .minus && d == 0 ? "-" : "") + String(Int(d)) + ".0" }
        return "\(d)"
    }

    /// Python's repr of a string: single quotes unless the text holds ' and no ".
    static func pythonQuote(_ s: String) -> String {
        let q: Character = (s.contains("'") && !s.contains("\"")) ? "\"" : "'"
        var out = String(q)
        for u in s.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(u) == q { out += "\\" + String(q) }
                else if u.value < 0x20 || u.value == 0x7f { out += "\\x" + hex2(u.value) }
                else { out.unicodeScalars.append(u) }
            }
        }
        out.append(q)
        return out
    }

    static func hex2(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return h.count < 2 ? "0" + h : h
    }
}

// MARK: - Equality and ordering (Python semantics)

extension JinjaValue {
    /// Python `==`: numbers compare by value across int/float/bool, containers deeply.
    static func equal(_ a: JinjaValue, _ b: JinjaValue) -> Bool {
        switch (a, b) {
        case (.undefined, .undefined), (.none, .none): return true
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case let (.dict(x), .dict(y)):
            return x.count == y.count && x.pairs.allSatisfy { k, v in y[k].map { equal(v, $0) } ?? false }
        case let (.namespace(x), .namespace(y)): return x === y
        case let (.builtin(x), .builtin(y)): return x == y
        case let (.macro(x), .macro(y)): return x.name == y.name
        default:
            if case let (.int(x), .int(y)) = (a, b) { return x == y }
            if let x = a.number, let y = b.number { return x == y }
            return false
        }
    }

    /// Python `<` for numbers and strings (and lists, element-wise); nil when the types don't order.
    static func less(_ a: JinjaValue, _ b: JinjaValue) -> Bool? {
        if case let (.int(x), .int(y)) = (a, b) { return x < y }
        if let x = a.number, let y = b.number { return x < y }
        if case let (.string(x), .string(y)) = (a, b) {
            return x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars)
        }
        if case let (.array(x), .array(y)) = (a, b) {
            for (p, q) in zip(x, y) where !equal(p, q) { return less(p, q) }
            return x.count < y.count
        }
        return nil
    }
}
