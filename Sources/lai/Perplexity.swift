// lai perplexity: the perplexity of a model on a text file, computed as llama-perplexity does.
import ArgumentParser
import Foundation
import LAICore

struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of a model on a text file (llama-perplexity's method: chunks of -c tokens, second half scored).")

    @Argument(help: "A GGUF model file or a model name from the store.") var model: String
    @Argument(help: "A UTF-8 text file.") var textFile: String?
    @Option(name: [.customShort("f"), .customLong("file")], help: "The text file, as llama-perplexity's -f (instead of the argument).") var fileOption: String?
    @Option(name: .customShort("c"), help: "Tokens per chunk.") var context = 512
    @Option(name: [.customShort("t"), .long], help: "Threads.") var threads: Int?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard context >= 8 else { throw ValidationError("-c must be at least 8") }
        guard (textFile == nil) != (fileOption == nil) else { throw ValidationError("give the text file once: as an argument or with -f") }
    }

    private var file: String { textFile ?? fileOption ?? "" }

    func run() throws {
        let resolved = try ModelResolution.resolve(model)
        let lm = try LanguageModel(path: resolved.path)
        guard let data = FileManager.default.contents(atPath: file) else {
            throw FileError.cannotOpen(path: file, reason: FileManager.default.fileExists(atPath: file) ? "not readable" : "No such file or directory")
        }
        let text = String(decoding: data, as: UTF8.self)
        let tokens = lm.tokenizer.encode(text, addSpecial: true, parseSpecial: false)
        let pool = threads.map { ThreadPool(threads: $0) } ?? .shared
        let session = DecoderSession(model: lm.model, contextSize: context, batchCapacity: context, pool: pool)
        let t0 = Date()
        let quiet = json
        if !quiet { Stderr.line("perplexity: \(tokens.count) tokens, \(tokens.count / context) chunks of \(context)") }
        let r = try Perplexity.compute(session: session, tokens: tokens, context: context, bos: lm.tokenizer.addBOS ? lm.tokenizer.bos : nil) { i, _, p in
            if !quiet { FileHandle.standardError.write("[\(i)]\(String(format: "%.4f", p)) ".data(using: .utf8)!) }
        }
        let secs = Date().timeIntervalSince(t0)
        if json {
            print(JSON.object([("model", .string(model)), ("file", .string(file)), ("context", .int(context)),
                               ("chunks", .int(r.chunks)), ("perplexity", .double(r.perplexity)), ("error", .double(r.error)),
                               ("running", .array(r.running.map(JSON.double))), ("seconds", .double(secs))]).serialized())
        } else {
            Stderr.line("")
            print("Final estimate: PPL = \(String(format: "%.4f", r.perplexity)) +/- \(String(format: "%.5f", r.error))")
            Stderr.line(String(format: "%.1f s, %.1f tokens/s", secs, Double(r.chunks * context) / secs))
        }
    }
}
