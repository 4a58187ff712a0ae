// JSON: a small ordered JSON value and writer for `--json` output (keys keep the order we give them).
import Foundation

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

// Reading JSON (request bodies): Foundation's decoder does the parsing (with its depth limit against hostile
// nesting); objects keep the order the decoder reports.
extension JSON: Decodable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    package init(from decoder: any Decoder) throws {
        if let o = try? decoder.container(keyedBy: Key.self) {
            self = .object(try o.allKeys.map { ($0.stringValue, try o.decode(JSON.self, forKey: $0)) })
        } else if var a = try? decoder.unkeyedContainer() {
            var items: [JSON] = []
            while !a.isAtEnd { items.append(try a.decode(JSON.self)) }
            self = .array(items)
        } else {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let i = try? c.decode(Int.self) { self = .int(i) }
            else if let d = try? c.decode(Double.self) { self = .double(d) }
            else { self = .string(try c.decode(String.self)) }
        }
    }

    /// Parses a JSON document; throws `JSON.ParseError` with a one-line reason.
    package static func parse(_ bytes: [UInt8]) throws -> JSON {
        do { return try JSONDecoder().decode(JSON.self, from: Data(bytes)) } catch {
            throw ParseError(message: "the body is not valid JSON")
        }
    }

    package struct ParseError: Error, CustomStringConvertible {
        package var message: String
        package var description: String { message }
    }

    package subscript(_ key: String) -> JSON? {
        guard case let .object(o) = self else { return nil }
        return o.last { $0.0 == key }?.1
    }

    package var stringValue: String? { if case let .string(s) = self { s } else { nil } }
    package var boolValue: Bool? { if case let .bool(b) = self { b } else { nil } }
    package var arrayValue: [JSON]? { if case let .array(a) = self { a } else { nil } }
    package var objectValue: [(String, JSON)]? { if case let .object(o) = self { o } else { nil } }
    package var isNull: Bool { if case .null = self { true } else { false } }
    /// A number as Double (ints included).
    package var doubleValue: Double? {
        switch self { case let .int(i): Double(i); case let .double(d): d; default: nil }
    }
    /// A number as Int (a double only when it is whole).
    package var intValue: Int? {
        switch self {
        case let .int(i): i
        case let .double(d): d.isFinite && d == d.rounded() && abs(d) < 9e15 ? Int(d) : nil
        default: nil
        }
    }
}

extension JSON {
    /// A Float written with its own shortest digits (-0.034477312, not -0.03447731211781502).
    package static func float(_ f: Float) -> JSON { .double(Double("\(f)") ?? Double(f)) }
}
