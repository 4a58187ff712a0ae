// JSON: a small ordered JSON value and writer for `--json` output (keys keep the order we give them).

/// A JSON value. Objects keep insertion order so machine output is stable and readable.
package indirect enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    package static func == (a: JSON, b: JSON) -> Bool { a.serialized() == b.serialized() }

    /// Compact single-line serialization (NDJSON-friendly).
    package func serialized() -> String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .double(d):
            if d.isFinite {
                if d == d.rounded(), abs(d) < 1e15 { out += String(Int(d)) } else { out += "\(d)" }
            } else { out += "null" }
        case let .string(s): JSON.escape(s, into: &out)
        case let .array(a):
            out += "["
            for (i, v) in a.enumerated() { if i > 0 { out += "," }; v.write(to: &out) }
            out += "]"
        case let .object(o):
            out += "{"
            for (i, (k, v)) in o.enumerated() {
                if i > 0 { out += "," }
                JSON.escape(k, into: &out); out += ":"; v.write(to: &out)
            }
            out += "}"
        }
    }

    package static func escape(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}

extension JSON {
    package init(_ v: Int?) { self = v.map(JSON.int) ?? .null }
    package init(_ v: String?) { self = v.map(JSON.string) ?? .null }
    package init(_ v: Double?) { self = v.map(JSON.double) ?? .null }
}
