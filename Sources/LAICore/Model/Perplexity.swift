// Perplexity: llama-perplexity's measurement — non-overlapping chunks, second half of each scored.
import Foundation

package struct PerplexityResult: Sendable {
    package var perplexity: Double
    package var error: Double
    package var chunks: Int
    package var scoredTokens: Int
    /// Running perplexity after each chunk, as llama-perplexity prints `[1]16.2664 [2]…`.
    package var running: [Double]
}

package enum Perplexity {
    /// Splits `tokens` into `tokens.count / context` chunks of `context` tokens (the rest is dropped), runs
    /// each from an empty cache (the first token replaced by BOS when the model adds one) and scores the
    /// predictions of tokens `context/2 + 1 ..< context`, exactly as llama.cpp's `perplexity()`.
    /// -log p(tokens[j + 1]) summed (and squared) over rows `first ..< tokens.count - 1` of `logits`.
    static func score(logits: UnsafeBufferPointer<Float>, tokens: [Int32], vocabulary vocab: Int, from first: Int) -> (nll: Double, nll2: Double, count: Int) {
        var nll = 0.0, nll2 = 0.0, count = 0
        for j in first..<max(first, tokens.count - 1) {
            let row = UnsafeBufferPointer(rebasing: logits[(j * vocab)..<((j + 1) * vocab)])
            var maxLogit = -Float.infinity
            for v in row where v > maxLogit { maxLogit = v }
            var sumExp = 0.0
            for v in row { sumExp += Double(expf(v - maxLogit)) }
            let tok = Int(tokens[j + 1])
            let v = Double(logf(Float(sumExp))) + Double(maxLogit) - Double(row[tok])
            nll += v; nll2 += v * v; count += 1
        }
        return (nll, nll2, count)
    }

    package static func compute(session: DecoderSession, tokens: [Int32], context: Int, bos: Int32?,
                                progress: (Int, Int, Double) -> Void = { _, _, _ in }) throws -> PerplexityResult {
        let nChunks = tokens.count / context
        guard nChunks > 0 else {
            throw ModelError.invalid(path: "perplexity", message: "the text has \(tokens.count) tokens; at least \(context) are needed (use a smaller -c)")
        }
        let vocab = session.config.vocabulary
        let first = context / 2
        var nll = 0.0, nll2 = 0.0, count = 0
        var running: [Double] = []
        for c in 0..<nChunks {
            var chunk = Array(tokens[(c * context)..<((c + 1) * context)])
            if let b = bos { chunk[0] = b }
            session.reset()
            let logits = try session.evaluate(chunk, logits: .all)
            let s = score(logits: logits, tokens: chunk, vocabulary: vocab, from: first)
            nll += s.nll; nll2 += s.nll2; count += s.count
            running.append(exp(nll / Double(count)))
            progress(c + 1, nChunks, running.last!)
        }
        let mean = nll / Double(count)
        var variance = nll2 / Double(count) - mean * mean
        variance = variance > 0 ? (variance / Double(count - 1)).squareRoot() : 0
        let ppl = exp(mean)
        return PerplexityResult(perplexity: ppl, error: ppl * variance, chunks: nChunks, scoredTokens: count, running: running)
    }
}
