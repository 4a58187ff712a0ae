// lai ask: answer a question from a knowledge base (hybrid retrieval + grounded prompt), or from stdin.
import ArgumentParser
import Foundation
import LAICore

struct Ask: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer a question from your knowledge base, citing its sources.",
        discussion: """
        Retrieves the k best chunks (vector search and BM25 keywords, fused by reciprocal rank), asks the chat
        model to answer only from them with citations like [1], streams the answer, then lists the sources.
        Text piped on stdin is extra context (cat notes.md | lai ask "what did we decide?"), or the question
        when no QUESTION is given. Without a knowledge base, stdin alone is the source.
        """)

    @Argument(parsing: .remaining, help: "The question (default: stdin).") var question: [String] = []
    @Option(help: "Knowledge base name (default: 'default' when it exists).") var kb: String?
    @Option(help: "Chat model (GGUF file; default the demo SmolLM2).") var model: String?
    @Option(name: .customLong("embed-model"), help: "Embedding model (default ~/.cache/lai/minilm); must be the one the knowledge base was built with.")
    var embedModel: String?
    @Option(name: .customShort("k"), help: "Number of sources.") var k = 5
    @Option(help: "Answer from generation GEN of the knowledge base (lai index --history lists them).") var at: Int?
    @Option(name: .customLong("key-file"), help: "The key of an encrypted knowledge base (else LAI_KB_KEY).") var keyFile: String?
    @Flag(help: "Print one JSON object {answer, sources:[{path, lines, score, text}]}.") var json = false
    @Flag(help: "Scan every vector (exact search) even where the knowledge base's HNSW graph would be used.") var exact = false
    @Option(name: .customLong("ef-search"), help: "HNSW search beam (default \(SearchOptions.defaultEfSearch(rows: 0)), growing beyond 200,000 chunks to \(SearchOptions.defaultEfSearch(rows: 1_000_000)) at 1M; larger finds more of the exact neighbours, slower).")
    var efSearch: Int?
    @Option(help: "Ask a knowledge base kept in Milvus: milvus://HOST:19530/COLLECTION (what lai index --store made).") var store: String?
    @Option(help: "Reorder the retrieved chunks with this reranker (a cross-encoder such as bge-reranker-v2-m3, or Qwen3-Reranker: GGUF, folder or store name).") var rerank: String?
    @Option(name: .customLong("rerank-depth"), help: "How many retrieved candidates the reranker scores (default 20).") var rerankDepth = 20
    @Flag(name: .customLong("retrieve-only"), help: "Print the ranked sources only (no model is loaded).") var retrieveOnly = false
    @OptionGroup var sampling: SamplingOptions

    func validate() throws {
        if k < 1 || k > 100 { throw ValidationError("-k must be between 1 and 100") }
        if let e = efSearch, !(1...4096).contains(e) { throw ValidationError("--ef-search must be 1 … 4096") }
        if !(1...1000).contains(rerankDepth) { throw ValidationError("--rerank-depth must be 1 … 1000") }
    }

    /// A source for the prompt and the output.
    struct Source {
        var label: String
        var path: String
        var lines: String
        var score: Double
        var rerankScore: Float? = nil
        var text: String
    }

    func run() throws {
        var text = question.joined(separator: " ")
        var stdinText = ""
        if !LineEditor.stdinIsTerminal {
            stdinText = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if text.isEmpty { text = stdinText; stdinText = "" }
        text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw ValidationError("no question: give QUESTION or pipe it on stdin") }

        var sources: [Source] = []
        if !stdinText.isEmpty { sources.append(Source(label: "stdin", path: "stdin", lines: "", score: 0, text: stdinText)) }
        let name = kb ?? KnowledgeBase.defaultName
        let dir = try KnowledgeBase.directory(name)
        if store != nil || VectorStore.exists(at: dir) {
            if store != nil && (at != nil || kb != nil) { throw ValidationError("--store milvus:// takes neither --kb nor --at") }
            let store: any ChunkReader = try self.store.map { try MilvusStore(try MilvusAddress($0)) }
                ?? VectorStore(path: dir, generation: at, key: try knowledgeBaseKey(keyFile: keyFile, dir: dir))
            let embedder = try makeEmbedder(embedModel ?? defaultEmbedModel)
            var retriever = try Retriever(store: store, embedder: embedder)
            retriever.search = SearchOptions(mode: exact ? .exact : .automatic, efSearch: efSearch)
            if let r = rerank {
                let reranker = try Embedder(path: try ModelResolution.modelPath(r), normalize: false)
                guard reranker.classifier != nil else {
                    throw ValidationError("--rerank: \(r) is not a reranker (it has no classification head)")
                }
                reranker.onTruncate = { _, _ in }  // long chunks are cut to the reranker's context, quietly
                retriever.reranker = reranker
                retriever.rerankDepth = rerankDepth
            }
            for c in try retriever.retrieve(text, k: k) {
                let r = c.record
                let lines = "\(r.lineRange.lowerBound)-\(r.lineRange.upperBound)"
                var shown = r
                shown.path = Self.display(r.path)
                sources.append(Source(label: GroundedPrompt.label(shown) + (r.title.isEmpty ? "" : " (\(r.title))"),
                                      path: r.path, lines: lines, score: c.score, rerankScore: c.rerankScore, text: r.text))
            }
        } else if kb != nil || at != nil {
            throw RAGError.noKnowledgeBase(name: name, path: dir)
        } else if stdinText.isEmpty && !retrieveOnly {
            throw RAGError.invalid("no knowledge base '\(name)' in \(KnowledgeBase.root) and no context on stdin; index files with: lai index PATH")
        }

        if retrieveOnly { return printSources(sources, answer: nil) }

        let lm = try LanguageModel(path: model ?? laiCache + "/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        var params = sampling.apply(to: SamplingParameters())
        if sampling.temperature == nil { params.temperature = 0.2 }
        if sampling.numPredict == nil { params.numPredict = 512 }
        let ctx = lm.contextSize(requested: sampling.context)
        let formatter = lm.chatFormatter()
        // Fit the prompt: drop the weakest sources, then shorten the last one, until the answer has room.
        let room = max(64, ctx - max(params.numPredict, 128))
        var used = sources
        var tokens: [Int32] = []
        while true {
            let msg = GroundedPrompt.userMessage(question: text, sources: used.map { PromptSource(label: $0.label, text: $0.text) })
            let rendered = formatter.render([ChatMessage(role: "system", content: GroundedPrompt.system),
                                             ChatMessage(role: "user", content: msg)], addGenerationPrompt: true)
            tokens = lm.tokenizer.encode(rendered, addSpecial: true, parseSpecial: true)
            if tokens.count <= room || used.isEmpty { break }
            if used.count > 1 { used.removeLast() } else {
                let t = used[0].text
                used[0].text = String(t.prefix(max(0, t.count * room / max(tokens.count, 1) - 16)))
                if used[0].text.isEmpty { used.removeAll() }
            }
        }
        if used.count < sources.count && !json { Stderr.line("lai: \(sources.count - used.count) source(s) left out to fit the context window (\(ctx) tokens; --ctx for more)") }
        let session = DecoderSession(model: lm.model, contextSize: ctx, pool: sampling.pool)
        var sampler = Sampler(params)
        var answer = ""
        _ = try Generator(lm: lm, session: session).generate(prompt: tokens, sampler: &sampler) { piece in
            answer += piece
            if !json { Stdout.write(piece) }
            return true
        }
        if json { return printSources(used, answer: answer) }
        Stdout.write(answer.hasSuffix("\n") ? "\n" : "\n\n")
        printSources(used, answer: nil)
    }

    /// A path as shown to people and the model: relative to the working directory when below it.
    static func display(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        return path.hasPrefix(cwd + "/") ? String(path.dropFirst(cwd.count + 1)) : path
    }

    private func printSources(_ sources: [Source], answer: String?) {
        if json {
            var fields: [(String, JSON)] = []
            if let a = answer { fields.append(("answer", .string(a))) }
            fields.append(("sources", .array(sources.map { s in
                .object([("path", .string(s.path)), ("lines", .string(s.lines)), ("score", .double(s.score))]
                        + (s.rerankScore.map { [("rerank_score", JSON.float($0))] } ?? []) + [("text", .string(s.text))])
            })))
            print(JSON.object(fields).serialized())
            return
        }
        if sources.isEmpty { print("(no sources)"); return }
        if !retrieveOnly { print("Sources:") }
        for (i, s) in sources.enumerated() {
            if retrieveOnly {
                print("[\(i + 1)] \(s.label)  score \(String(format: "%.4f", s.score))" + (s.rerankScore.map { "  rerank \(String(format: "%.4f", $0))" } ?? ""))
                let preview = s.text.split(separator: "\n").prefix(3).joined(separator: " ").prefix(200)
                print("    \(preview)")
            } else {
                print("[\(i + 1)] \(s.label)")
            }
        }
    }
}
