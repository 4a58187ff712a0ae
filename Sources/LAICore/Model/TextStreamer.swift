// TextStreamer: generated tokens → text that is final, with stop sequences cut out (shared by Generator and
// the server's engine, so `lai run` and `lai serve` stop at exactly the same place).

/// Turns tokens into text as it becomes final: never half a UTF-8 character, never the beginning of what may
/// turn out to be a stop sequence (that part is held back until it is decided).
package struct TextStreamer {
    private var decoder: StreamingDecoder
    private var pending = ""
    private let stops: [String]
    /// True once a stop sequence appeared; the text before it has been returned, nothing after it will be.
    package private(set) var stopped = false

    /// `special`: control tokens render as their text (the server) or as nothing (`lai run`, as llama-cli).
    package init(tokenizer: Tokenizer, stop: [String], special: Bool = true) {
        decoder = StreamingDecoder(tokenizer: tokenizer)
        decoder.skipControl = !special
        stops = stop.filter { !$0.isEmpty }
    }

    /// Adds one generated token; returns the text that is now final (possibly empty).
    package mutating func append(_ token: Int32) -> String {
        guard !stopped else { return "" }
        pending += decoder.append(token)
        guard !stops.isEmpty else { defer { pending = "" }; return pending }
        if let r = stops.compactMap({ pending.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            let before = String(pending[..<r.lowerBound])
            pending = ""
            stopped = true
            return before
        }
        // Emit all but the longest suffix that is a prefix of some stop sequence.
        var hold = 0
        for s in stops {
            for k in stride(from: min(s.count - 1, pending.count), to: 0, by: -1) where pending.hasSuffix(s.prefix(k)) {
                hold = max(hold, k); break
            }
        }
        let cut = pending.index(pending.endIndex, offsetBy: -hold)
        let out = String(pending[..<cut])
        pending = String(pending[cut...])
        return out
    }

    /// At the end of generation: what was held back (an incomplete character becomes U+FFFD), unless a stop
    /// sequence completes in it.
    package mutating func finish() -> String {
        guard !stopped else { return "" }
        let tail = pending + decoder.flush()
        pending = ""
        if let r = stops.compactMap({ tail.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            stopped = true
            return String(tail[..<r.lowerBound])
        }
        return tail
    }
}
