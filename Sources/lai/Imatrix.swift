// lai imatrix: an importance matrix of a model on a text file, as llama-imatrix computes and writes it.
import ArgumentParser
import Foundation
import LAICore

struct ImatrixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imatrix",
        abstract: "Compute an importance matrix (llama-imatrix's GGUF, or .dat) for lai quantize --imatrix.",
        discussion: """
        The text is tokenized and cut into chunks of -c tokens (at least two chunks are needed); each chunk runs \
        from an empty cache with its first token replaced by BOS when the model adds one. For every weight matrix \
        of the blocks the sum of each input column's square over the tokens is gathered (per expert for MoE \
        experts); output.weight only with --process-output. The perplexity of each chunk's second half is printed \
        as llama-imatrix prints it.
        """)

    @Argument(help: "A GGUF model file or a model name from the store.") var model: String
    @Argument(help: "A UTF-8 text file.") var textFile: String
    @Option(name: .shortAndLong, help: "The output file: GGUF, or llama.cpp's legacy format when it ends in .dat.") var output = "imatrix.gguf"
    @Option(help: "gguf or dat (default: dat when the output ends in .dat, else gguf), as llama-imatrix's --output-format.") var outputFormat: String?
    @Option(name: .customShort("c"), help: "Tokens per chunk.") var context = 512
    @Option(help: "At most this many chunks (default: all).") var chunks: Int?
    @Option(name: [.customShort("t"), .long], help: "Threads.") var threads: Int?
    @Flag(help: "Also gather output.weight's statistics.") var processOutput = false

    func validate() throws {
        guard context >= 8 else { throw ValidationError("-c must be at least 8") }
        if let c = chunks { guard c >= 1 else { throw ValidationError("--chunks must be at least 1") } }
        if let t = threads { guard t >= 1 else { throw ValidationError("--threads must be at least 1") } }
        if let f = outputFormat { guard f == "gguf" || f == "dat" else { throw ValidationError("--output-format must be gguf or dat") } }
    }

    func run() throws {
        let resolved = try ModelResolution.resolve(model)
        let lm = try LanguageModel(path: resolved.path)
        guard let data = FileManager.default.contents(atPath: textFile) else {
            throw FileError.cannotOpen(path: textFile, reason: FileManager.default.fileExists(atPath: textFile) ? "not readable" : "No such file or directory")
        }
        let tokens = lm.tokenizer.encode(String(decoding: data, as: UTF8.self), addSpecial: true, parseSpecial: false)
        let pool = threads.map { ThreadPool(threads: $0) } ?? .shared
        let session = DecoderSession(model: lm.model, contextSize: context, batchCapacity: context, pool: pool)
        let collector = ImatrixCollector(file: lm.model.file, processOutput: processOutput)
        let total = chunks.map { min($0, tokens.count / context) } ?? tokens.count / context
        if tokens.count >= 2 * context { Stderr.line("imatrix: \(tokens.count) tokens, \(total) chunks of \(context)") }
        let t0 = Date()
        let r = try ImatrixComputation.run(session: session, tokens: tokens, context: context, chunks: chunks,
                                           bos: lm.tokenizer.addBOS ? lm.tokenizer.bos : nil, collector: collector,
                                           source: textFile) { i, _, p in
            FileHandle.standardError.write(Data("[\(i)]\(String(format: "%.4f", p)),".utf8))
        }
        Stderr.line("")
        let m = collector.importanceMatrix(datasets: [textFile], chunkSize: context)
        switch outputFormat ?? (output.hasSuffix(".dat") ? "dat" : "gguf") {
        case "dat": try m.writeLegacy(path: output)
        default: try m.writeGGUF(path: output)
        }
        let secs = Date().timeIntervalSince(t0)
        Stderr.line(String(format: "Final estimate: PPL = %.4f; %d chunks in %.1f s", r.perplexity, r.chunks, secs))
        print("\(output): \(m.entries.count) entries, \(m.chunkCount) chunks of \(context)")
    }
}
