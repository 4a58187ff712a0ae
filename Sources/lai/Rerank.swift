// lai rerank: order documents by relevance to a query with a reranker (bge-reranker-v2-m3 and the like, Qwen3-Reranker).
import ArgumentParser
import Foundation
import LAICore

struct Rerank: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Order documents by relevance to a query with a reranker (a cross-encoder, or Qwen3-Reranker).",
        discussion: """
        Documents come from the arguments, else from --file, else one per line on stdin (empty lines skipped; \
        "index" is the 0-based line number). Each (query, document) pair is scored as llama-server's /rerank \
        scores it: <s> query </s></s> document </s> (XLM-RoBERTa) or [CLS] query [SEP] document [SEP] (BERT), \
        the classification head's first output on the first token. Scores are raw logits: higher is more relevant. \
        A model with a "rerank" prompt template (Qwen3-Reranker) is given that template with the query and the \
        document filled in and scores P("yes") at the last token, between 0 and 1.
        """)

    @Argument(help: "A reranker: a GGUF file, a Hugging Face folder (*ForSequenceClassification, Qwen3-Reranker), or a store name.")
    var model: String

    @Argument(help: "The query.")
    var query: String

    @Argument(help: "Documents to rank (else --file, else stdin lines).")
    var documents: [String] = []

    @Option(help: "Read documents from this file, one per line.")
    var file: String?

    @Option(help: "Print only the N most relevant documents.")
    var top: Int?

    @Flag(help: "Print JSON (llama-server's /v1/rerank response, each result with its document).")
    var json = false

    @Flag(inversion: .prefixedNo, help: "Cut pairs longer than the model's context (the document's tail first, with a warning); else fail naming the document.")
    var truncate = true

    @Flag(help: "Print timing on stderr.")
    var verbose = false

    func validate() throws {
        if let t = top, t <= 0 { throw ValidationError("--top must be positive") }
    }

    func run() throws {
        let started = Date()
        let items: [(Int, String)]
        if !documents.isEmpty {
            items = documents.enumerated().map { ($0.offset, $0.element) }
        } else if let f = file {
            items = try Embed.lines(try Embed.read(f), source: f)
        } else {
            items = try Embed.lines(FileHandle.standardInput.readDataToEndOfFile(), source: "stdin")
        }
        guard !items.isEmpty else { throw ValidationError("no documents to rank") }
        let reranker = try Embedder(path: try ModelResolution.modelPath(model), normalize: false, truncate: truncate)
        reranker.onTruncate = { i, n in
            Stderr.line("lai: warning: document \(items[i].0) and the query have \(n) tokens; the document was cut to fit the model's \(reranker.maxTokens)")
        }
        let loaded = Date()
        let ranked: [RankedDocument]
        do {
            ranked = try reranker.rank(query: query, documents: items.map(\.1), top: top)
        } catch let EmbedError.tooLong(i, n, limit) {
            throw CommandError("document \(items[i].0) and the query have \(n) tokens, more than the model's \(limit) (without --no-truncate the document is cut to fit)")
        }
        var out = OutputBuffer()
        if json {
            let tokens = reranker.lastTokenCount
            let results: [JSON] = ranked.map { r in
                .object([("index", .int(items[r.index].0)), ("relevance_score", JSON.float(r.score)),
                         ("document", .object([("text", .string(items[r.index].1))]))])
            }
            out.append(JSON.object([("model", .string(reranker.modelName)), ("object", .string("list")),
                                    ("usage", .object([("prompt_tokens", .int(tokens)), ("total_tokens", .int(tokens))])),
                                    ("results", .array(results))]).serialized() + "\n")
        } else {
            for r in ranked { out.append("\(r.score)\t\(items[r.index].0)\t\(items[r.index].1)\n") }
        }
        out.flush()
        if verbose {
            let secs = Date().timeIntervalSince(loaded)
            Stderr.line(String(format: "lai: %d documents, %d tokens in %.2f s: %.1f documents/s (load %.2f s)", items.count,
                               reranker.lastTokenCount, secs, Double(items.count) / max(secs, 1e-9), loaded.timeIntervalSince(started)))
        }
    }
}
