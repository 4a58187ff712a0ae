// Benchmark: llama-bench's pp/tg tests (optionally with DEPTH tokens already in the cache) and
// llama-batched-bench's batched generation, timed on one DecoderSession. `lai bench` prints what this returns.
import Foundation

/// What to measure. Token counts follow llama-bench (`-p`, `-n`, `-d`, `-b`, `-r`) and llama-batched-bench
/// (`-npl` = `batchSizes`, `-npp` = `batchPrompt`, `-ntg` = `generate`).
package struct BenchmarkOptions: Sendable {
    /// Prompt tokens of the pp test (0: none).
    package var prompt = 512
    /// Generated tokens of the tg test, and generation steps of every batched test (0: none).
    package var generate = 128
    /// Tokens already in the cache before each timed pp/tg run (llama-bench `-d`).
    package var depth = 0
    package var repetitions = 3
    /// Sequences decoded together, one batched test each (empty: the plain tg test instead).
    package var batchSizes: [Int] = []
    /// Prompt tokens each sequence gets (untimed) before a batched test's generation steps.
    package var batchPrompt = 128
    /// Rows per forward pass (llama-bench `-b`): longer batches are split.
    package var batchCapacity = 512
    package var seed: UInt64 = 1234

    package init() {}

    /// Cells per sequence and sequences the session needs for these tests.
    package var contextSize: Int {
        var n = depth + max(prompt, batchSizes.isEmpty ? generate : 0)
        if !batchSizes.isEmpty { n = max(n, batchPrompt + generate) }
        return n + 1
    }
    package var sequences: Int { batchSizes.max() ?? 1 }
}

/// One test's result: throughput per repetition.
package struct BenchmarkResult: Sendable {
    /// Timed prompt tokens (pp) or generation steps (tg) per sequence.
    package let prompt: Int
    package let generated: Int
    /// Tokens in each sequence's cache before the timed part: `-d` for pp/tg, the batch prompt for batched tests.
    package let depth: Int
    /// Sequences decoded together (1 for pp/tg).
    package let sequences: Int
    package let batched: Bool
    /// Tokens per second of all sequences together, one per repetition.
    package let samples: [Double]
    /// Batched tests: mean throughput over the 1-sequence batched test's (nil when that was not measured).
    package var speedup: Double?

    /// llama-bench's names (`pp512`, `tg128`, `pp512 @ d2048`); a batched test adds its sequence count: `tg32 @ d128 ×4`.
    package var name: String {
        var s = prompt > 0 ? "pp\(prompt)" : "tg\(generated)"
        if depth > 0 { s += " @ d\(depth)" }
        if batched { s += " ×\(sequences)" }
        return s
    }
    package var mean: Double { samples.reduce(0, +) / Double(max(1, samples.count)) }
    /// Sample standard deviation (0 for one sample), as llama-bench reports it.
    package var stddev: Double {
        guard samples.count > 1 else { return 0 }
        let m = mean
        return (samples.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(samples.count - 1)).squareRoot()
    }
}

/// Runs the tests of `BenchmarkOptions` on a session sized for them (every sequence `contextSize` cells).
package final class Benchmark {
    package let options: BenchmarkOptions
    package let session: DecoderSession
    private var rng: SeededRandom
    /// Depth whose random tokens sequence 0 holds (its first `depth` cells), so later tests at that depth reuse them
    /// as llama-bench restores its cached state; nil once a batched test has overwritten sequence 0.
    private var cachedDepth: Int?

    package init(model: DecoderModel, options: BenchmarkOptions, pool: ThreadPool = .shared, useKernels: Bool = true) {
        self.options = options
        session = DecoderSession(model: model, contextSize: options.contextSize, batchCapacity: options.batchCapacity,
                                 sequences: options.sequences, pool: pool, useKernels: useKernels)
        rng = SeededRandom(seed: options.seed)
    }

    /// Every test of `options` in order: pp, then tg (no batch sizes) or one batched test per batch size.
    package func run() throws -> [BenchmarkResult] {
        let o = options
        try warmUp()
        var results: [BenchmarkResult] = []
        if o.prompt > 0 { results.append(try promptProcessing(tokens: o.prompt, depth: o.depth)) }
        if o.generate > 0 && o.batchSizes.isEmpty { results.append(try generation(tokens: o.generate, depth: o.depth)) }
        if o.generate > 0 {
            var batched = try o.batchSizes.map { try batchedGeneration(sequences: $0, prompt: o.batchPrompt, steps: o.generate) }
            if let one = batched.first(where: { $0.sequences == 1 })?.mean, one > 0 {
                for i in batched.indices { batched[i].speedup = batched[i].mean / one }
            }
            results += batched
        }
        return results
    }

    /// A short untimed pass that pages in the weights, as llama-bench's warm-up run does.
    package func warmUp() throws {
        session.reset()
        try session.evaluate(randomTokens(4), logits: .last)
        session.reset()
        cachedDepth = nil
    }

    /// pp: `tokens` random tokens in one evaluate call (split into `batchCapacity` rows per pass), logits for the last.
    package func promptProcessing(tokens: Int, depth: Int) throws -> BenchmarkResult {
        var speeds: [Double] = []
        for _ in 0..<options.repetitions {
            try prepareDepth(depth)
            let toks = randomTokens(tokens)
            let t0 = DispatchTime.now().uptimeNanoseconds
            try session.evaluate(toks, logits: .last)
            speeds.append(Double(tokens) / Self.seconds(since: t0))
        }
        return BenchmarkResult(prompt: tokens, generated: 0, depth: depth, sequences: 1, batched: false, samples: speeds)
    }

    /// tg: `tokens` single-token forward passes, each fed the previous one's argmax.
    package func generation(tokens: Int, depth: Int) throws -> BenchmarkResult {
        var speeds: [Double] = []
        for _ in 0..<options.repetitions {
            try prepareDepth(depth)
            var tok = randomTokens(1)[0]
            let t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<tokens {
                tok = Self.argmax(try session.evaluate([tok], logits: .last))
            }
            speeds.append(Double(tokens) / Self.seconds(since: t0))
        }
        return BenchmarkResult(prompt: 0, generated: tokens, depth: depth, sequences: 1, batched: false, samples: speeds)
    }

    /// Batched generation, as llama-batched-bench (not `-pps`): `sequences` sequences each get `prompt` random
    /// tokens, all in one (untimed) batch; then `steps` timed `decode` calls each carry the next token of every
    /// sequence (its own position and sequence id, logits wanted), the argmax of that sequence's last logits.
    /// Throughput is sequences × steps / time.
    package func batchedGeneration(sequences: Int, prompt: Int, steps: Int) throws -> BenchmarkResult {
        precondition(sequences >= 1 && sequences <= session.cache.sequences, "the session was sized for fewer sequences")
        let V = session.config.vocabulary
        var speeds: [Double] = []
        cachedDepth = nil
        for _ in 0..<options.repetitions {
            session.cache.clearAll()
            var next: [Int32]
            if prompt > 0 {
                var b = Batch()
                for s in 0..<sequences {
                    let toks = randomTokens(prompt)
                    for (i, t) in toks.enumerated() { b.add(t, position: i, sequence: s, logits: i == prompt - 1) }
                }
                let l = try session.decode(b)
                next = (0..<sequences).map { Self.argmax(UnsafeBufferPointer(rebasing: l[($0 * V)..<(($0 + 1) * V)])) }
            } else {
                next = randomTokens(sequences)
            }
            let t0 = DispatchTime.now().uptimeNanoseconds
            for i in 0..<steps {
                var b = Batch()
                for s in 0..<sequences { b.add(next[s], position: prompt + i, sequence: s, logits: true) }
                let l = try session.decode(b)
                for s in 0..<sequences { next[s] = Self.argmax(UnsafeBufferPointer(rebasing: l[(s * V)..<((s + 1) * V)])) }
            }
            speeds.append(Double(sequences * steps) / Self.seconds(since: t0))
        }
        session.cache.clearAll()
        return BenchmarkResult(prompt: 0, generated: steps, depth: prompt, sequences: sequences, batched: true, samples: speeds)
    }

    /// Leaves exactly `depth` tokens in sequence 0: random ones decoded once (untimed), then kept across tests
    /// by truncating back to them (a timed run only writes cells from `depth` on).
    private func prepareDepth(_ depth: Int) throws {
        if depth == 0 { session.reset(); return }
        if cachedDepth != depth || session.position < depth {
            session.reset()
            try session.evaluate(randomTokens(depth), logits: .none)
            cachedDepth = depth
        }
        session.truncate(to: depth)
    }

    private func randomTokens(_ n: Int) -> [Int32] {
        let vocab = UInt64(session.config.vocabulary)
        return (0..<n).map { _ in Int32(truncatingIfNeeded: rng.next() % vocab) }
    }

    private static func seconds(since t0: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }

    /// Index of the largest value (the first on ties).
    package static func argmax(_ l: UnsafeBufferPointer<Float>) -> Int32 {
        var best = 0
        var bestValue = -Float.infinity
        for i in 0..<l.count where l[i] > bestValue { best = i; bestValue = l[i] }
        return Int32(best)
    }
}
