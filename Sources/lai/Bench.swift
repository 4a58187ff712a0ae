// lai bench: prompt-processing and generation speed, as llama-bench measures them, and batched generation
// throughput, as llama-batched-bench measures it (the tests themselves are LAICore's Benchmark).
import ArgumentParser
import Foundation
import LAICore

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure prompt processing (pp) and generation (tg) speed in tokens/s, as llama-bench does.",
        discussion: """
            -d DEPTH puts DEPTH random tokens into the cache (untimed) before each pp/tg run: the test is then named \
            `pp512 @ d2048`, as llama-bench names it.

            --batch 1,2,4,8 replaces the tg test with batched generation, as llama-batched-bench measures it: for each N, \
            N sequences each get --batch-prompt random tokens (one untimed batch), then -n forward passes each carry \
            the next token of all N sequences. t/s is the aggregate (N × n / time), `speedup` its ratio to N=1.
            """)

    @Argument(help: "A GGUF model file.")
    var model: String

    @Option(name: [.customShort("p"), .long], help: "Prompt tokens per pp test (0 skips it).")
    var nPrompt = 512

    @Option(name: [.customShort("n"), .long], help: "Generated tokens per tg test, and generation steps per batched test (0 skips them).")
    var nGen = 128

    @Option(name: [.customShort("d"), .long], help: "Tokens already in the cache before each pp/tg run.")
    var depth = 0

    @Option(name: [.customShort("t"), .long], help: "Threads (default: all cores).")
    var threads: Int?

    @Option(name: [.customShort("r"), .long], help: "Repetitions.")
    var repetitions = 3

    @Option(name: [.customShort("b"), .customLong("batch-size")], help: "Tokens per forward pass during prompt processing (llama-bench's n_batch).")
    var batchSize = 512

    @Option(name: .customLong("batch"), help: ArgumentHelp("Batched generation: sequences decoded together, comma-separated (e.g. 1,2,4,8).", valueName: "LIST"))
    var batchList: String?

    @Option(name: .customLong("batch-prompt"), help: "Prompt tokens per sequence before the batched generation steps.")
    var batchPrompt = 128

    @Flag(help: "Use the portable Swift kernels instead of the AVX2 ones.")
    var portable = false

    @Flag(help: "Print JSON.")
    var json = false

    /// `--batch`'s sequence counts.
    var batchSizes: [Int] {
        get throws {
            guard let batchList else { return [] }
            let parts = batchList.split(separator: ",", omittingEmptySubsequences: false)
            let sizes = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, sizes.count == parts.count, sizes.allSatisfy({ $0 >= 1 }) else {
                throw ValidationError("--batch takes sequence counts ≥ 1 separated by commas, like 1,2,4,8 (not '\(batchList)')")
            }
            return sizes
        }
    }

    func validate() throws {
        guard repetitions >= 1, batchSize >= 1 else { throw ValidationError("-r and -b must be at least 1") }
        guard nPrompt >= 0, nGen >= 0, depth >= 0, batchPrompt >= 0 else { throw ValidationError("-p, -n, -d and --batch-prompt must not be negative") }
        if let t = threads, t < 1 { throw ValidationError("-t must be at least 1") }
        if try !batchSizes.isEmpty && nGen == 0 { throw ValidationError("--batch needs -n generation steps (at least 1)") }
    }

    func run() throws {
        let pool = threads.map { ThreadPool(threads: $0) } ?? .shared
        let m = try DecoderModel(path: model)
        m.file.file.adviseWillNeed()
        var o = BenchmarkOptions()
        o.prompt = nPrompt; o.generate = nGen; o.depth = depth; o.repetitions = repetitions
        o.batchSizes = try batchSizes; o.batchPrompt = batchPrompt; o.batchCapacity = batchSize
        let results = try Benchmark(model: m, options: o, pool: pool, useKernels: !portable).run()

        let size = m.file.fileSize
        let params = m.file.tensors.reduce(0) { $0 + $1.elementCount }
        let tensorBytes = m.file.tensors.reduce(0) { $0 + $1.byteCount }
        let type = ModelSummary(m.file).fileType ?? "?"
        if json {
            print(JSON.array(results.map { r in
                var fields: [(String, JSON)] = [
                    ("model", .string(model)), ("architecture", .string(m.config.architecture)), ("type", .string(type)),
                    ("model_size", .int(tensorBytes)), ("model_n_params", .int(params)), ("threads", .int(pool.threadCount)),
                    ("kernels", .string(portable ? "portable" : CPUFeatures.active.level.name)), ("cpu", .string(CPUFeatures.active.detected.name)),
                    ("n_batch", .int(batchSize)), ("n_prompt", .int(r.prompt)), ("n_gen", .int(r.generated)),
                    ("n_depth", .int(r.depth)), ("n_seq", .int(r.sequences)), ("batched", .bool(r.batched)),
                    ("test", .string(r.name)), ("avg_ts", .double(r.mean)), ("stddev_ts", .double(r.stddev)),
                    ("samples_ts", .array(r.samples.map(JSON.double))),
                ]
                if let s = r.speedup { fields.append(("speedup", .double(s))) }
                return .object(fields)
            }).serialized())
            return
        }
        // Which kernels ran (LAI_CPU=avx2 on an AVX-512 machine gives the figures most users see).
        FileHandle.standardError.write(Data("kernels: \(portable ? "portable" : CPUFeatures.active.description)\n".utf8))
        let speedups = results.contains { $0.batched }
        print("| model | size | params | threads | test | t/s |" + (speedups ? " speedup |" : ""))
        print("| --- | ---: | ---: | ---: | ---: | ---: |" + (speedups ? " ---: |" : ""))
        for r in results {
            var line = "| \(m.config.architecture) \(type) | \(Formatting.bytes(size)) | \(Formatting.count(params)) | \(pool.threadCount) | \(r.name) | \(String(format: "%.2f ± %.2f", r.mean, r.stddev)) |"
            if speedups { line += r.speedup.map { String(format: " %.2f× |", $0) } ?? " |" }
            print(line)
        }
    }
}
