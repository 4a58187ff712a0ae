// lai create: build a stored model from a Modelfile (FROM a GGUF file or a stored model), quantized on the way with -q.
import ArgumentParser
import Foundation
import LAICore

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a model from a Modelfile (FROM, PARAMETER, TEMPLATE, SYSTEM, MESSAGE, LICENSE).")

    @Argument(help: "The new model's name.")
    var model: String

    @Option(name: .shortAndLong, help: "The Modelfile.")
    var file = "Modelfile"

    @Option(name: .shortAndLong, help: "Quantize the model (an F32/F16/BF16 GGUF) to this type on the way, e.g. q4_K_M.")
    var quantize: String?

    @Flag(name: .long, help: "Print no progress (-q is --quantize, as in ollama create).")
    var quiet = false

    func run() throws {
        let name = try ModelName(parsing: model)
        let target = try quantize.map { q in
            guard let t = QuantTarget(name: q) else {
                throw ValidationError("unknown --quantize type '\(q)' (one of \(QuantTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return t
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw FileError.cannotOpen(path: file, reason: FileManager.default.fileExists(atPath: file) ? "cannot read" : "No such file or directory")
        }
        let mf: Modelfile
        do { mf = try Modelfile(parsing: String(decoding: data, as: UTF8.self)) } catch let e as StoreError {
            throw StoreError.unsupported("\(file): \(e)")
        }
        let dir = URL(fileURLWithPath: file).standardized.deletingLastPathComponent().path
        let progress = PullProgress(mode: PullProgress.mode(quiet: quiet))
        try ModelCreator(store: .default()).create(name, modelfile: mf, directory: dir, quantize: target, status: progress.status)
        progress.status("success")
    }
}
