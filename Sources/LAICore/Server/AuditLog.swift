// AuditLog: one JSON line per request (who, what, how it ended, how long), appended with O_APPEND so lines from
// concurrent requests never interleave, and reopened on SIGHUP for log rotation.
import Foundation
import Synchronization

package struct AuditRecord: Sendable {
    package var time = Date()
    package var requestID = ""
    package var identity = ""
    package var remote = ""
    package var method = ""
    package var route = ""
    package var model: String?
    package var status = 0
    package var promptTokens = 0
    package var completionTokens = 0
    package var durationSeconds = 0.0
    package var timeToFirstToken: Double?
    package var prompt: String?
    package var error: String?
    package init() {}

    package var json: JSON {
        var o: [(String, JSON)] = [
            ("time", .string(ISO8601DateFormatter.lai.string(from: time))), ("request_id", .string(requestID)),
            ("identity", .string(identity)), ("remote", .string(remote)), ("method", .string(method)),
            ("route", .string(route)), ("model", JSON(model)), ("status", .int(status)),
            ("prompt_tokens", .int(promptTokens)), ("completion_tokens", .int(completionTokens)),
            ("duration_ms", .double((durationSeconds * 1000 * 10).rounded() / 10)),
        ]
        if let t = timeToFirstToken { o.append(("ttft_ms", .double((t * 1000 * 10).rounded() / 10))) }
        if let e = error { o.append(("error", .string(e))) }
        if let p = prompt { o.append(("prompt", .string(p))) }
        return .object(o)
    }
}

package final class AuditLog: Sendable {
    package let path: String
    private let fd = Mutex<Int32>(-1)

    /// Opens (creating, mode 0600) `path` for appending; throws a one-line error naming it.
    package init(path: String) throws {
        self.path = path
        try reopen()
    }

    deinit { fd.withLock { if $0 >= 0 { close($0) } } }

    /// Opens the file anew (after logrotate moved it away).
    package func reopen() throws {
        let f = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard f >= 0 else { throw APIError(500, "\(path): cannot open the audit log: \(String(cString: strerror(errno)))") }
        fd.withLock { old in if old >= 0 { close(old) }; old = f }
    }

    /// Appends one line with a single write (O_APPEND makes each write land whole at the end).
    package func append(_ r: AuditRecord) {
        let line = Array((r.json.serialized() + "\n").utf8)
        fd.withLock { f in
            guard f >= 0 else { return }
            line.withUnsafeBytes { b in
                var off = 0
                while off < b.count {
                    let n = write(f, b.baseAddress! + off, b.count - off)
                    if n < 0 { if errno == EINTR { continue }; return }
                    off += n
                }
            }
        }
    }
}

extension ISO8601DateFormatter {
    /// RFC 3339 with fractional seconds, as Ollama writes `created_at`.
    package static let lai: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
}
