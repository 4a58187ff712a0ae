// lai create: build a stored model from a Modelfile (FROM a GGUF file or a stored model).
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

    @Flag(name: .shortAndLong, help: "Print no progress.")
    var quiet = false

    func run() throws {
        let name = try ModelName(parsing: model)
        guard let data = FileManager.default.contents(atPath: file) else {
            throw FileError.cannotOpen(path: file, reason: FileManager.default.fileExists(atPath: file) ? "cannot read" : "No such file or directory")
        }
        let mf: Modelfile
        do { mf = try Modelfile(parsing: String(decoding: data, as: UTF8.self)) } catch let e as StoreError {
            throw StoreError.unsupported("\(file): \(e)")
        }
        let dir = URL(fileURLWithPath: file).standardized.deletingLastPathComponent().path
        let progress = PullProgress(mode: PullProgress.mode(quiet: quiet))
        try ModelCreator(store: .default()).create(name, modelfile: mf, directory: dir, status: progress.status)
        progress.status("success")
    }
}
