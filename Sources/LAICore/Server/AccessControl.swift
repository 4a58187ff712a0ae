// AccessControl: who may call `lai serve` — API keys from a file (stored as sha256 hashes, with scopes and
// per-key limits), per-identity rate limits, and the CORS origins a browser page may call from.
import Foundation
import Synchronization

/// What a key may do. `read`: list and show models; `infer`: generate, chat, embed, ask; `admin`: pull, create,
/// copy, delete and /metrics.
package enum Scope: String, Sendable, CaseIterable { case read, infer, admin }

/// Limits per identity; nil: unlimited.
package struct RateLimits: Sendable, Equatable {
    package var requestsPerMinute: Int?
    package var tokensPerMinute: Int?
    package var concurrency: Int?
    package init(requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil, concurrency: Int? = nil) {
        self.requestsPerMinute = requestsPerMinute; self.tokensPerMinute = tokensPerMinute; self.concurrency = concurrency
    }
}

/// Who made a request: a key's name, or `anonymous@ADDRESS` when the server has no keys.
package struct Identity: Sendable {
    package var name: String
    package var scopes: Set<Scope>
    package var limits: RateLimits
    package init(name: String, scopes: Set<Scope>, limits: RateLimits) { self.name = name; self.scopes = scopes; self.limits = limits }
}

/// The key file: JSON, `{"keys": [{"name": "alice", "sha256": "<hex of the key>", "scopes": ["read", "infer"],
/// "requests_per_minute": 60, "tokens_per_minute": 20000, "concurrency": 2}]}`. Keys themselves are never stored.
package struct APIKeyFile: Sendable {
    package struct Entry: Sendable {
        package var name: String
        package var hash: [UInt8]
        package var scopes: Set<Scope>
        package var limits: RateLimits
    }
    package var entries: [Entry]

    package init(entries: [Entry]) { self.entries = entries }

    package init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw APIError(500, "\(path): cannot read the key file") }
        let body: RequestBody
        do { body = try RequestBody(Array(data)) } catch { throw APIError(500, "\(path): not a JSON object") }
        guard let keys = try? body.array("keys") else { throw APIError(500, "\(path): field 'keys' must be an array") }
        entries = try keys.enumerated().map { i, k in
            let e = RequestBody(json: k)
            func bad(_ m: String) -> APIError { APIError(500, "\(path): keys[\(i)]: \(m)") }
            guard let name = try? e.string("name"), !name.isEmpty else { throw bad("field 'name' is required") }
            guard let hex = try? e.string("sha256"), let hash = APIKeyFile.bytes(hex: hex), hash.count == 32 else {
                throw bad("field 'sha256' must be 64 hex digits (the sha256 of the key)")
            }
            var scopes = Set<Scope>()
            for s in (try? e.strings("scopes")) ?? ["read", "infer"] {
                guard let sc = Scope(rawValue: s) else { throw bad("unknown scope '\(s)' (read, infer, admin)") }
                scopes.insert(sc)
            }
            let limits = RateLimits(requestsPerMinute: try? e.int("requests_per_minute"),
                                    tokensPerMinute: try? e.int("tokens_per_minute"), concurrency: try? e.int("concurrency"))
            return Entry(name: name, hash: hash, scopes: scopes, limits: limits)
        }
    }

    /// The entry whose hash is the key's; every entry is compared, in constant time, so the time taken says
    /// nothing about which byte differed or which entry matched.
    package func match(key: String) -> Entry? {
        let hashed = APIKeyFile.bytes(hex: BlobHasher.hex(Array(key.utf8))) ?? []
        var found: Entry?
        for e in entries {
            var diff: UInt8 = 0
            for i in 0..<32 { diff |= e.hash[i] ^ (i < hashed.count ? hashed[i] : 0) }
            if diff == 0 && found == nil { found = e }
        }
        return found
    }

    /// A new random key: "lai-" and 43 base64url characters (256 bits from the system's generator).
    package static func generateKey() -> String {
        var g = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) }
        return "lai-" + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Adds an entry for `key` (its hash only) to the file at `path` (created with mode 0600 if missing), replacing
    /// one of the same name; written to a temporary file and renamed, so a reader never sees half a file.
    package static func add(name: String, key: String, scopes: Set<Scope>, limits: RateLimits, to path: String) throws {
        var entries: [JSON] = []
        if FileManager.default.fileExists(atPath: path) {
            guard let data = FileManager.default.contents(atPath: path), let j = try? JSON.parse(Array(data)), let keys = j["keys"]?.arrayValue else {
                throw APIError(500, "\(path): not a key file (JSON with a 'keys' array)")
            }
            entries = keys.filter { $0["name"]?.stringValue != name }
        }
        var e: [(String, JSON)] = [("name", .string(name)), ("sha256", .string(BlobHasher.hex(Array(key.utf8)))),
                                   ("scopes", .array(Scope.allCases.filter(scopes.contains).map { .string($0.rawValue) }))]
        if let r = limits.requestsPerMinute { e.append(("requests_per_minute", .int(r))) }
        if let t = limits.tokensPerMinute { e.append(("tokens_per_minute", .int(t))) }
        if let c = limits.concurrency { e.append(("concurrency", .int(c))) }
        entries.append(.object(e))
        let text = JSON.object([("keys", .array(entries))]).serialized() + "\n"
        let tmp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw APIError(500, "\(tmp): cannot write")
        }
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw APIError(500, "\(path): cannot replace: \(String(cString: strerror(errno)))")
        }
    }

    static func bytes(hex: String) -> [UInt8]? {
        let u = Array(hex.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(u.count / 2)
        func v(_ c: UInt8) -> UInt8? {
            switch c { case 48...57: c - 48; case 97...102: c - 87; case 65...70: c - 55; default: nil }
        }
        var i = 0
        while i < u.count {
            guard let a = v(u[i]), let b = v(u[i + 1]) else { return nil }
            out.append(a << 4 | b); i += 2
        }
        return out
    }
}

/// Sliding one-minute windows of requests and tokens, and concurrent requests, per identity.
package final class RateLimiter: Sendable {
    private struct State { var requests: [Date] = []; var tokens: [(Date, Int)] = []; var active = 0 }
    private let states = Mutex<[String: State]>([:])

    package init() {}

    /// Admits a request of `id` or throws 429 with the x-ratelimit-* headers and Retry-After.
    package func admit(_ id: Identity, now: Date = Date()) throws {
        let l = id.limits
        try states.withLock { all in
            var s = all[id.name] ?? State()
            let cutoff = now.addingTimeInterval(-60)
            s.requests.removeAll { $0 <= cutoff }
            s.tokens.removeAll { $0.0 <= cutoff }
            let usedTokens = s.tokens.reduce(0) { $0 + $1.1 }
            var headers: [(String, String)] = []
            if let r = l.requestsPerMinute {
                headers += [("x-ratelimit-limit-requests", String(r)), ("x-ratelimit-remaining-requests", String(max(0, r - s.requests.count - 1)))]
            }
            if let t = l.tokensPerMinute {
                headers += [("x-ratelimit-limit-tokens", String(t)), ("x-ratelimit-remaining-tokens", String(max(0, t - usedTokens)))]
            }
            func reject(_ what: String, resetAt: Date?) -> APIError {
                let wait = max(1, Int((resetAt?.timeIntervalSince(now) ?? 1).rounded(.up)))
                return APIError(429, "rate limit reached for '\(id.name)': \(what); retry in \(wait) s",
                                headers: headers + [("Retry-After", String(wait)), ("x-ratelimit-reset-requests", "\(wait)s")])
            }
            if let r = l.requestsPerMinute, s.requests.count >= r {
                all[id.name] = s
                throw reject("\(r) requests per minute", resetAt: s.requests.first.map { $0.addingTimeInterval(60) })
            }
            if let t = l.tokensPerMinute, usedTokens >= t {
                all[id.name] = s
                throw reject("\(t) tokens per minute", resetAt: s.tokens.first.map { $0.0.addingTimeInterval(60) })
            }
            if let c = l.concurrency, s.active >= c {
                all[id.name] = s
                throw reject("\(c) concurrent requests", resetAt: nil)
            }
            s.requests.append(now)
            s.active += 1
            all[id.name] = s
        }
    }

    /// Ends a request admitted by `admit`, charging the tokens it used (prompt and generated).
    package func finish(_ id: Identity, tokens: Int, now: Date = Date()) {
        states.withLock { all in
            var s = all[id.name] ?? State()
            s.active = max(0, s.active - 1)
            if tokens > 0 { s.tokens.append((now, tokens)) }
            all[id.name] = s
        }
    }

    /// The x-ratelimit-* headers for a successful response.
    package func headers(_ id: Identity) -> [(String, String)] {
        states.withLock { all in
            let s = all[id.name] ?? State()
            var h: [(String, String)] = []
            if let r = id.limits.requestsPerMinute {
                h += [("x-ratelimit-limit-requests", String(r)), ("x-ratelimit-remaining-requests", String(max(0, r - s.requests.count)))]
            }
            if let t = id.limits.tokensPerMinute {
                let used = s.tokens.reduce(0) { $0 + $1.1 }
                h += [("x-ratelimit-limit-tokens", String(t)), ("x-ratelimit-remaining-tokens", String(max(0, t - used)))]
            }
            return h
        }
    }
}

/// Which browser origins may call the API: localhost and 127.0.0.1 on any port, plus `--origins`; the allowed
/// origin is echoed only when it is on the list (never an arbitrary one).
package struct CORSPolicy: Sendable {
    package var extra: [String]
    package init(extra: [String] = []) { self.extra = extra }

    package func allows(_ origin: String) -> Bool {
        if extra.contains("*") { return true }
        if extra.contains(origin) { return true }
        guard let u = URL(string: origin), let scheme = u.scheme, ["http", "https"].contains(scheme),
              let host = u.host, u.path.isEmpty || u.path == "/" else { return false }
        return ["localhost", "127.0.0.1", "[::1]", "::1"].contains(host)
    }
}
