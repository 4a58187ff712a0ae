// lai bench: prompt-processing and generation speed, as llama-bench measures them.
import ArgumentParser
import Foundation
import LAICore

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure prompt processing (pp) and generation (tg) speed in tokens/s, as llama-bench does.")

    @Argument(help: "A GGUF model file.")
    var model: String

    @Option(name: [.customShort("p"), .long], help: "Prompt tokens per pp test (0 skips it).")
    var nPrompt = 512

    @Option(name: [.customShort("n"), .long], help: "Generated tokens per tg test (0 skips it).")
    var nGen = 128

    @Option(name: [.customShort("t"), .long], help: "Threads (default: all cores).")
    var threads: Int?

    @Option(name: [.customShort("r"), .long], help: "Repetitions.")
    var repetitions = 3

    @Option(name: [.customShort("b"), .long], help: "Tokens per forward pass during prompt processing.")
    var batch = 512

    @Flag(help: "Use the portable Swift kernels instead of the AVX2 ones.")
    var portable = false

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard repetitions >= 1, nPrompt >= 0, nGen >= 0, batch >= 1 else { throw ValidationError("-r, -p, -n and -b must be positive") }
        if let t = threads, t < 1 { throw ValidationError("-t must be at least 1") }
    }

    func run() throws {
        let pool = threads.map { ThreadPool(threads: $0) } ?? .shared
        let m = try DecoderModel(path: model)
        m.file.file.adviseWillNeed()
        let session = DecoderSession(model: m, contextSize: max(nPrompt, nGen) + 1, batchCapacity: batch, pool: pool, useKernels: !portable)
        var rng = SystemRandomNumberGenerator()
        let vocab = Int32(m.config.vocabulary)
        // Warm-up (pages in the weights), as llama-bench does.
        session.reset(); try session.evaluate([1, 2, 3, 4], logits: .last)
        var results: [(String, [Double])] = []
        if nPrompt > 0 {
            var speeds: [Double] = []
            for _ in 0..<repetitions {
                let toks = (0..<nPrompt).map { _ in Int32.random(in: 0..<vocab, using: &rng) }
                session.reset()
                let t0 = DispatchTime.now().uptimeNanoseconds
                try session.evaluate(toks, logits: .last)
                speeds.append(Double(nPrompt) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9))
            }
            results.append(("pp\(nPrompt)", speeds))
        }
        if nGen > 0 {
            var speeds: [Double] = []
            for _ in 0..<repetitions {
                session.reset()
                var tok = Int32.random(in: 0..<vocab, using: &rng)
                let t0 = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<nGen {
                    let l = try session.evaluate([tok], logits: .last)
                    tok = Int32(l.indices.max { l[$0] < l[$1] } ?? 0)
                }
                speeds.append(Double(nGen) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9))
            }
            results.append(("tg\(nGen)", speeds))
        }
        let size = m.file.fileSize
        let params = m.file.tensors.reduce(0) { $0 + $1.elementCount }
        let type = ModelSummary(m.file).fileType ?? "?"
        if json {
            print(JSON.array(results.map { name, s in
                .object([("model", .string(model)), ("type", .string(type)), ("threads", .int(pool.threadCount)),
                         ("test", .string(name)), ("avg_ts", .double(mean(s))), ("stddev_ts", .double(stddev(s))),
                         ("samples_ts", .array(s.map(JSON.double)))])
            }).serialized())
            return
        }
        print("| model | size | params | threads | test | t/s |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for (name, s) in results {
            print("| \(m.config.architecture) \(type) | \(Formatting.bytes(size)) | \(Formatting.count(params)) | \(pool.threadCount) | \(name) | \(String(format: "%.2f ± %.2f", mean(s), stddev(s))) |")
        }
    }

    func mean(_ s: [Double]) -> Double { s.reduce(0, +) / Double(s.count) }
    func stddev(_ s: [Double]) -> Double {
        guard s.count > 1 else { return 0 }
        let m = mean(s)
        return (s.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(s.count - 1)).squareRoot()
    }
}
