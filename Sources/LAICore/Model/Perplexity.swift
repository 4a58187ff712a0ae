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
            for j in first..<(context - 1) {
                let row = UnsafeBufferPointer(rebasing: logits[(j * vocab)..<((j + 1) * vocab)])
                var maxLogit = -Float.infinity
                for v in row where v > maxLogit { maxLogit = v }
                var sumExp = 0.0
                for v in row { sumExp += Double(expf(v - maxLogit)) }
                let tok = Int(chunk[j + 1])
                let v = Double(logf(Float(sumExp))) + Double(maxLogit) - Double(row[tok])
                nll += v; nll2 += v * v; count += 1
            }
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
