// APIError: what a request gets back when it cannot be served — a status and a one-line message, written in
// Ollama's shape (`{"error": "..."}`) or OpenAI's envelope depending on the route.
import Foundation

package struct APIError: Error, CustomStringConvertible, Sendable {
    package var status: Int
    package var message: String
    /// OpenAI's `error.type` and `error.code`.
    package var type: String
    package var code: String?
    /// Extra response headers (Retry-After, x-ratelimit-*).
    package var headers: [(String, String)] = []

    package init(_ status: Int, _ message: String, type: String? = nil, code: String? = nil, headers: [(String, String)] = []) {
        self.status = status; self.message = message; self.code = code; self.headers = headers
        self.type = type ?? (status == 401 ? "authentication_error" : status == 403 ? "permission_error"
            : status == 404 ? "not_found_error" : status == 429 ? "rate_limit_error" : status >= 500 ? "server_error"
            : "invalid_request_error")
    }

    package var description: String { message }

    package static func badRequest(_ m: String) -> APIError { APIError(400, m) }
    package static func modelNotFound(_ name: String) -> APIError {
        APIError(404, "model '\(name)' not found, try pulling it first", code: "model_not_found")
    }

    /// The body in Ollama's shape.
    package var ollamaBody: String { JSON.object([("error", .string(message))]).serialized() }
    /// The body in OpenAI's envelope.
    package var openAIBody: String {
        JSON.object([("error", .object([("message", .string(message)), ("type", .string(type)),
                                        ("param", .null), ("code", JSON(code))]))]).serialized()
    }
}

/// Typed access to a JSON request body; every failure names the field.
package struct RequestBody: Sendable {
    package let json: JSON

    package init(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { throw APIError.badRequest("missing request body") }
        do { json = try JSON.parse(bytes) } catch { throw APIError.badRequest("invalid JSON in request body") }
        guard case .object = json else { throw APIError.badRequest("the request body must be a JSON object") }
    }

    package init(json: JSON) { self.json = json }

    package func has(_ key: String) -> Bool { if let v = json[key], !v.isNull { true } else { false } }

    package func string(_ key: String) throws -> String? {
        guard let v = json[key], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw APIError.badRequest("field '\(key)' must be a string") }
        return s
    }

    package func requiredString(_ key: String) throws -> String {
        guard let s = try string(key), !s.isEmpty else { throw APIError.badRequest("field '\(key)' is required") }
        return s
    }

    package func bool(_ key: String) throws -> Bool? {
        guard let v = json[key], !v.isNull else { return nil }
        guard let b = v.boolValue else { throw APIError.badRequest("field '\(key)' must be true or false") }
        return b
    }

    package func int(_ key: String) throws -> Int? {
        guard let v = json[key], !v.isNull else { return nil }
        guard let i = v.intValue else { throw APIError.badRequest("field '\(key)' must be an integer") }
        return i
    }

    package func double(_ key: String) throws -> Double? {
        guard let v = json[key], !v.isNull else { return nil }
        guard let d = v.doubleValue, d.isFinite else { throw APIError.badRequest("field '\(key)' must be a number") }
        return d
    }

    package func object(_ key: String) throws -> RequestBody? {
        guard let v = json[key], !v.isNull else { return nil }
        guard case .object = v else { throw APIError.badRequest("field '\(key)' must be an object") }
        return RequestBody(json: v)
    }

    package func array(_ key: String) throws -> [JSON]? {
        guard let v = json[key], !v.isNull else { return nil }
        guard let a = v.arrayValue else { throw APIError.badRequest("field '\(key)' must be an array") }
        return a
    }

    /// A string or an array of strings (`stop`, `input`).
    package func strings(_ key: String) throws -> [String]? {
        guard let v = json[key], !v.isNull else { return nil }
        if let s = v.stringValue { return [s] }
        guard let a = v.arrayValue else { throw APIError.badRequest("field '\(key)' must be a string or an array of strings") }
        return try a.enumerated().map { i, e in
            guard let s = e.stringValue else { throw APIError.badRequest("field '\(key)[\(i)]' must be a string") }
            return s
        }
    }
}
