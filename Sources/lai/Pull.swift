// lai pull: download a model into the store — from a registry, hf.co, a URL to a .gguf, or a local .gguf file.
import ArgumentParser
import Foundation
import LAICore

struct Pull: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download a model into the store ($LAI_MODELS, default ~/.lai/models).",
        discussion: """
            MODEL is one of:
              NAME                 [host/][namespace/]name[:tag] from an OCI registry (default registry.ollama.ai)
              hf.co/USER/REPO[:Q]  a GGUF repository on Hugging Face (its Ollama-compatible registry)
              https://…/file.gguf  a GGUF file URL (stored as --name, default the file's name)
              ./file.gguf          a local GGUF file, copied into the store as --name
            Downloads resume after an interruption, every blob is checked against its sha256, and blobs already
            in the store are never downloaded again. HTTP_PROXY, HTTPS_PROXY and NO_PROXY are honoured.
            """)

    @Argument(help: "A model name, hf.co/USER/REPO[:QUANT], a .gguf URL or a .gguf file.")
    var model: String

    @Option(help: "The store name for a URL or file pull.")
    var name: String?

    @Flag(help: "Allow a registry that speaks plain http.")
    var insecure = false

    @Flag(name: .shortAndLong, help: "Print no progress.")
    var quiet = false

    @Flag(help: "Print a JSON summary on stdout when done.")
    var json = false

    func run() throws {
        let store = ModelStore.default()
        let puller = ModelPuller(store: store, progress: PullProgress(mode: PullProgress.mode(quiet: quiet)))
        let summary: PullSummary
        if let url = URL(string: model), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
           url.path.lowercased().hasSuffix(".gguf") {
            summary = try puller.pull(url: url, as: try storeName(default: url.lastPathComponent))
        } else if let path = ModelLocator.filePath(model) {
            guard FileManager.default.fileExists(atPath: path) else { throw FileError.cannotOpen(path: path, reason: "No such file or directory") }
            summary = try puller.importFile(path, as: try storeName(default: URL(fileURLWithPath: path).lastPathComponent))
        } else {
            if model.lowercased().hasPrefix("http://") && !insecure { throw StoreError.insecure(model) }
            summary = try puller.pull(try ModelName(parsing: model), insecure: insecure)
        }
        if json { print(summary.json.serialized()) }
    }

    /// `--name`, else the file name without `.gguf`, lower-cased, with characters names cannot hold made `-`.
    private func storeName(default file: String) throws -> ModelName {
        if let n = name { return try ModelName(parsing: n) }
        var base = file.lowercased().hasSuffix(".gguf") ? String(file.dropLast(5)) : file
        base = String(base.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == ".") ? $0 : "-" })
        while base.hasPrefix(".") || base.hasPrefix("-") { base.removeFirst() }
        return try ModelName(parsing: base)
    }
}
