// The server's small parts: request bodies (errors name the field; hostile JSON is a 400, never a crash), keys,
// rate limits, CORS, durations, the streamer's stop sequences.
import Foundation
import LAICore
import Testing

@Suite struct ServerPartsTests {
    @Test func requestBodyErrorsNameTheField() throws {
        func message(_ s: String, _ f: (RequestBody) throws -> Void) -> String {
            do { try f(try RequestBody(Array(s.utf8))); return "" } catch { return (error as? APIError)?.message ?? "\(error)" }
        }
        #expect(message("", { _ in }) == "missing request body")
        #expect(message("{x", { _ in }) == "invalid JSON in request body")
        #expect(message("[]", { _ in }) == "the request body must be a JSON object")
        #expect(message(#"{"model": 3}"#, { _ = try $0.string("model") }) == "field 'model' must be a string")
        #expect(message(#"{"stream": "yes"}"#, { _ = try $0.bool("stream") }) == "field 'stream' must be true or false")
        #expect(message(#"{"k": 1.5}"#, { _ = try $0.int("k") }) == "field 'k' must be an integer")
        #expect(message(#"{"stop": ["a", 1]}"#, { _ = try $0.strings("stop") }) == "field 'stop[1]' must be a string")
        #expect(message(#"{"messages": [{"role": "user", "content": 1}]}"#, { _ = try LAIServer.ollamaMessages($0) })
            == "field 'messages[0].content' must be a string")
        let b = try RequestBody(Array(#"{"n": 2.0, "s": "x", "a": ["p", "q"], "o": {"t": 0.5}}"#.utf8))
        #expect(try b.int("n") == 2 && b.string("s") == "x" && b.strings("a") == ["p", "q"] && b.object("o")?.double("t") == 0.5)
    }

    /// Random and hostile bodies: every one parses or fails with a 400, none crashes.
    @Test func hostileBodiesNeverCrash() {
        var rng = SystemRandomNumberGenerator()
        let pieces = ["{", "}", "[", "]", "\"", ":", ",", "1e999", "-0", "null", "true", "\\u0000", "\\ud800", "\"k\"", " ", "\u{FFFF}"]
        for _ in 0..<3000 {
            let s = (0..<Int.random(in: 0...40, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
            do { _ = try RequestBody(Array(s.utf8)) } catch let e as APIError { #expect(e.status == 400) } catch { Issue.record("\(error)") }
        }
        let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        #expect(throws: APIError.self) { try RequestBody(Array(("{\"a\":" + deep + "}").utf8)) }
        let bytes: [UInt8] = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        #expect(throws: APIError.self) { try RequestBody(bytes) }
    }

    @Test func keysMatchByHashOnly() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("keys.json").path
        let k1 = APIKeyFile.generateKey(), k2 = APIKeyFile.generateKey()
        #expect(k1 != k2 && k1.hasPrefix("lai-") && k1.count == 47)
        try APIKeyFile.add(name: "a", key: k1, scopes: [.read, .infer], limits: RateLimits(requestsPerMinute: 5), to: path)
        try APIKeyFile.add(name: "b", key: k2, scopes: [.admin], limits: RateLimits(), to: path)
        let file = try APIKeyFile(path: path)
        #expect(file.match(key: k1)?.name == "a" && file.match(key: k1)?.limits.requestsPerMinute == 5)
        #expect(file.match(key: k2)?.scopes == [.admin])
        #expect(file.match(key: k1 + "x") == nil && file.match(key: "") == nil)
        #expect(!(try String(contentsOfFile: path, encoding: .utf8)).contains(k1))
        try APIKeyFile.add(name: "a", key: k2, scopes: [.read], limits: RateLimits(), to: path)  // replaces "a"
        #expect(try APIKeyFile(path: path).entries.filter { $0.name == "a" }.count == 1)
    }

    @Test func rateLimitsCountRequestsTokensAndConcurrency() throws {
        let limiter = RateLimiter()
        let id = Identity(name: "x", scopes: [.infer], limits: RateLimits(requestsPerMinute: 2, tokensPerMinute: 100, concurrency: 1))
        let t0 = Date()
        try limiter.admit(id, now: t0)
        #expect(throws: APIError.self) { try limiter.admit(id, now: t0) }   // concurrency 1
        limiter.finish(id, tokens: 150, now: t0)
        do { try limiter.admit(id, now: t0); Issue.record("tokens per minute not enforced") } catch let e as APIError {
            #expect(e.status == 429 && e.headers.contains { $0.0 == "Retry-After" })
        }
        try limiter.admit(id, now: t0.addingTimeInterval(61))             // a minute later: both windows are empty
        limiter.finish(id, tokens: 0)
    }

    @Test func corsAllowsLocalhostAndTheListOnly() {
        let p = CORSPolicy(extra: ["https://app.example.com"])
        #expect(p.allows("http://localhost:3000") && p.allows("http://127.0.0.1") && p.allows("https://app.example.com"))
        #expect(!p.allows("https://evil.example") && !p.allows("http://localhost.evil.example") && !p.allows("null"))
    }

    @Test func durations() {
        #expect(LAIServer.parseDuration("5m") == 300 && LAIServer.parseDuration("1h30m") == 5400)
        #expect(LAIServer.parseDuration("-1") == -1 && LAIServer.parseDuration("0") == 0 && LAIServer.parseDuration("250ms") == 0.25)
        #expect(LAIServer.parseDuration("soon") == nil && LAIServer.parseDuration("5x") == nil)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: Fixtures.smolLM2), "needs the demo model (make models)"))
    func streamerHoldsBackWhatMayBeAStopSequence() throws {
        let lm = try LanguageModel(path: Fixtures.smolLM2)
        let tokens = lm.tokenizer.encode("Hello world. END here", addSpecial: false, parseSpecial: false)
        var s = TextStreamer(tokenizer: lm.tokenizer, stop: ["END"])
        var out = ""
        for t in tokens where !s.stopped { out += s.append(t) }
        out += s.finish()
        #expect(out == "Hello world. " && s.stopped)
    }
}
