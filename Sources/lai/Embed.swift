// lai embed: turn texts into embedding vectors with a BERT-family model (or a llama-family decoder).
import ArgumentParser
import Foundation
import LAICore

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Embed texts as vectors (one per text; NDJSON by default).",
        discussion: """
        Texts come from the arguments, else from --file, else one per line on stdin. In line input, empty \
        (or whitespace-only) lines are skipped and "index" is the 0-based line number, so gaps show where \
        lines were skipped; an empty argument is embedded as the empty text. Invalid UTF-8 is replaced by \
        U+FFFD with a warning naming the line.
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case ndjson, json, tsv }
    enum TaskKind: String, ExpressibleByArgument, CaseIterable { case query, document }

    @Argument(help: "A GGUF file (bert, nomic-bert, or any decoder lai runs) or a Hugging Face BERT folder.")
    var model: String

    @Argument(help: "Texts to embed (else --file, else stdin lines).")
    var texts: [String] = []

    @Option(help: "Read texts from this file, one per line.")
    var file: String?

    @Option(help: "Output format: ndjson, json or tsv.")
    var format: Format = .ndjson

    @Flag(help: "Do not L2-normalize the vectors.")
    var noNormalize = false

    @Flag(inversion: .prefixedNo, help: "Cut texts longer than the model's context (with a warning); else fail naming the text.")
    var truncate = true

    @Option(help: "Most tokens per forward pass (encoder models; at least the context length).")
    var batch: Int = 2048

    @Option(help: "Embed as search queries or as documents: the model's task prefix goes before each text (nomic-embed-text: 'search_query: ' / 'search_document: '; none for models without one).")
    var task: TaskKind?

    @Option(help: "Pooling: mean, cls or last (default: the model's).")
    var pooling: String?

    @Option(help: "Embed the lines of FILE without printing vectors; report texts/s and tokens/s.")
    var bench: String?

    @Flag(help: "Print timing (texts/s, tokens/s) on stderr.")
    var verbose = false

    func validate() throws {
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        if let p = pooling, Pooling(name: p) == nil { throw ValidationError("--pooling must be mean, cls or last") }
        if bench != nil && (file != nil || !texts.isEmpty) { throw ValidationError("--bench takes its texts from its own file") }
    }

    func run() throws {
        let started = Date()
        // Inputs: (index, text).
        var items: [(Int, String)] = []
        if let b = bench {
            items = try Self.lines(try Self.read(b), source: b)
        } else if !texts.isEmpty {
            items = texts.enumerated().map { ($0.offset, $0.element) }
        } else if let f = file {
            items = try Self.lines(try Self.read(f), source: f)
        } else {
            items = try Self.lines(FileHandle.standardInput.readDataToEndOfFile(), source: "stdin")
        }
        let embedder = try Embedder(path: try ModelResolution.modelPath(model), normalize: !noNormalize, truncate: truncate)
        embedder.batchTokens = batch
        if let p = pooling.flatMap(Pooling.init(name:)) { embedder.pooling = p }
        let prefix: String
        switch task {
        case .query?: prefix = embedder.queryPrefix
        case .document?: prefix = embedder.documentPrefix
        case nil: prefix = ""
        }
        if task != nil && prefix.isEmpty { Stderr.line("lai: note: \(embedder.modelName) has no \(task!.rawValue) prefix; texts are embedded as given") }
        let loaded = Date()

        let chunk = 8192
        let showProgress = items.count > chunk / 4 && isatty(STDERR_FILENO) != 0
        var out = OutputBuffer()
        if format == .json && bench == nil {
            out.append("{\"model\":\(JSON.string(embedder.modelName).serialized()),\"dimension\":\(embedder.dimension),\"data\":[")
        }
        var tokens = 0
        var first = true
        var start = 0
        while start < items.count {
            let part = Array(items[start..<min(items.count, start + chunk)])
            let base = start
            embedder.onTruncate = { i, n in
                Stderr.line("lai: warning: text \(part[i].0) has \(n) tokens; truncated to the model's \(embedder.maxTokens)")
            }
            if showProgress {
                let total = items.count
                embedder.progress = { done, _ in
                    FileHandle.standardError.write(Data("\rembedding \(base + done)/\(total)".utf8))
                }
            }
            let vectors: [[Float]]
            do {
                vectors = try embedder.embed(part.map { prefix + $0.1 })
            } catch let EmbedError.tooLong(i, n, limit) {
                if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
                throw EmbedError.tooLong(index: part[i].0, tokens: n, limit: limit)
            }
            tokens += embedder.lastTokenCount
            if bench == nil {
                for (j, v) in vectors.enumerated() {
                    let (index, text) = part[j]
                    switch format {
                    case .ndjson:
                        out.append("{\"index\":\(index),\"text\":\(JSON.string(text).serialized()),\"embedding\":")
                        out.appendVector(v, separator: ",", open: "[", close: "]}\n")
                    case .json:
                        out.append(first ? "\n" : ",\n")
                        out.append("{\"index\":\(index),\"text\":\(JSON.string(text).serialized()),\"embedding\":")
                        out.appendVector(v, separator: ",", open: "[", close: "]}")
                    case .tsv:
                        out.append("\(index)")
                        out.appendVector(v, separator: "\t", open: "\t", close: "\n")
                    }
                    first = false
                }
                out.flush()
            }
            start += chunk
        }
        if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        if format == .json && bench == nil { out.append("\n]}\n") }
        out.flush()
        let end = Date()
        let secs = end.timeIntervalSince(loaded)
        let report = String(format: "%d texts, %d tokens in %.2f s: %.1f texts/s, %.0f tokens/s (load %.2f s, wall %.2f s, %d threads)",
                            items.count, tokens, secs, Double(items.count) / max(secs, 1e-9), Double(tokens) / max(secs, 1e-9),
                            loaded.timeIntervalSince(started), end.timeIntervalSince(started), ThreadPool.shared.threadCount)
        if bench != nil { print(report) } else if verbose { Stderr.line("lai: " + report) }
    }

    static func read(_ path: String) throws -> Data {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw ValidationError("\(path): cannot read the file")
        }
        return d
    }

    /// Non-empty lines as (0-based line number, text); "\r\n" endings accepted; invalid UTF-8 replaced, with a warning.
    static func lines(_ data: Data, source: String) throws -> [(Int, String)] {
        var result: [(Int, String)] = []
        let bytes = [UInt8](data)
        var lineNo = 0
        for var line in bytes.split(separator: 10, omittingEmptySubsequences: false) {
            defer { lineNo += 1 }
            if line.last == 13 { line = line.dropLast() }
            if line.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
            guard let s = String(validating: line, as: UTF8.self) else {
                Stderr.line("lai: warning: \(source): line \(lineNo + 1) is not valid UTF-8; invalid bytes replaced by U+FFFD")
                result.append((lineNo, String(decoding: line, as: UTF8.self)))
                continue
            }
            result.append((lineNo, s))
        }
        return result
    }
}

/// Output text gathered in memory and written to stdout in large pieces.
struct OutputBuffer {
    private var bytes: [UInt8] = []

    mutating func append(_ s: String) { bytes.append(contentsOf: s.utf8) }

    mutating func appendVector(_ v: [Float], separator: String, open: String, close: String) {
        append(open)
        for (i, x) in v.enumerated() {
            if i > 0 { append(separator) }
            append(x.isFinite ? x.description : "0")
        }
        append(close)
    }

    mutating func flush() {
        if bytes.isEmpty { return }
        FileHandle.standardOutput.write(Data(bytes))
        bytes.removeAll(keepingCapacity: true)
    }
}
