// RAG: globs and ignore rules, the file walker, readers, the chunker, hybrid retrieval on a small real
// corpus (Tests/Fixtures/kb) and incremental re-indexing.
import Foundation
import LAICore
import Testing

enum KBFixtures {
    static let corpus = Fixtures.repoRoot.appendingPathComponent("Tests/Fixtures/kb")

    /// A copy of the corpus in a temporary directory (tests edit it).
    static func copy() throws -> URL {
        let dir = try Fixtures.tempDir()
        let dst = dir.appendingPathComponent("kb")
        try FileManager.default.copyItem(at: corpus, to: dst)
        return dst
    }

    /// Questions whose answers sit in one known file of the corpus (question TAB file; `MilvusCLITests` asks them too).
    static let questions = questions("Tests/Fixtures/kb-questions.tsv")

    /// A real documentation corpus (Swift's 46 diagnostic explanations) and 35 held-out questions, one per file.
    static let swiftDocs = Fixtures.repoRoot.appendingPathComponent("Tests/Fixtures/swift-diagnostics/docs")
    static let swiftDocsQuestions = questions("Tests/Fixtures/swift-diagnostics/questions.tsv")

    static func questions(_ path: String) -> [(String, String)] {
        let text = (try? String(contentsOf: Fixtures.repoRoot.appendingPathComponent(path), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { line in
            let parts = line.split(separator: "\t")
            return (String(parts[0]), String(parts[1]))
        }
    }

    static func index(_ root: URL, store: URL, embedder: TextEmbedder = HashingEmbedder(),
                      graphs: GraphParameters? = GraphParameters()) throws -> (VectorStoreWriter, IndexSummary) {
        let w = try VectorStoreWriter(path: store.path, create: StoreOptions(model: embedder.modelName, dimension: embedder.dimension), pool: ThreadPool(threads: 2))
        w.graphParameters = graphs
        let walk = try FileWalker().walk([root.path])
        let summary = try Indexer(writer: w, embedder: embedder).run(walk)
        return (w, summary)
    }
}

@Suite struct GlobTests {
    @Test func patterns() {
        #expect(Glob.matches("*.md", "docs/readme.md"))
        #expect(!Glob.matches("*.md", "docs/readme.mdx"))
        #expect(Glob.matches("docs/*.md", "docs/a.md"))
        #expect(!Glob.matches("docs/*.md", "docs/sub/a.md"))
        #expect(Glob.matches("docs/**/*.md", "docs/sub/deeper/a.md"))
        #expect(Glob.matches("docs/**/*.md", "docs/a.md"))
        #expect(Glob.matches("**/build", "x/y/build"))
        #expect(Glob.matches("/build", "build") && !Glob.matches("/build", "x/build"))
        #expect(Glob.matches("file?.[ch]", "file1.c") && !Glob.matches("file?.[ch]", "file12.c"))
        #expect(Glob.matches("[!a]*", "bcd") && !Glob.matches("[!a]*", "abc"))
    }

    @Test func ignoreRulesLastMatchWins() {
        let r = IgnoreRules(text: "# comment\n*.log\n!keep.log\nbuild/\n")
        #expect(r.ignores("x.log", isDirectory: false) == true)
        #expect(r.ignores("keep.log", isDirectory: false) == false)
        #expect(r.ignores("build", isDirectory: true) == true)
        #expect(r.ignores("build", isDirectory: false) == nil)
    }
}

@Suite struct FileWalkerTests {
    @Test func skipsHiddenIgnoredAndExcluded() throws {
        let root = try KBFixtures.copy(); defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        try "ignored/\n*.log\n".write(to: root.appendingPathComponent(".gitignore"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("ignored"), withIntermediateDirectories: true)
        try "secret".write(to: root.appendingPathComponent("ignored/secret.txt"), atomically: true, encoding: .utf8)
        try "log".write(to: root.appendingPathComponent("debug.log"), atomically: true, encoding: .utf8)
        try "!important.log\n".write(to: root.appendingPathComponent("notes/.gitignore"), atomically: true, encoding: .utf8)
        try "kept".write(to: root.appendingPathComponent("notes/important.log"), atomically: true, encoding: .utf8)
        let all = try FileWalker().walk([root.path]).files.map(\.relative)
        #expect(all.contains("notes/important.log"))
        #expect(!all.contains { $0.hasPrefix("ignored/") || $0 == "debug.log" || $0.hasPrefix(".hidden") })
        #expect(all.contains("blob.dat"))  // binary files are found, then skipped by the reader
        let md = try FileWalker(includes: ["*.md"], excludes: ["tea.md"]).walk([root.path]).files.map(\.relative)
        #expect(Set(md) == ["sourdough.md", "bicycle-repair.md", "houseplants.md", "server-setup.md"])
        #expect(throws: RAGError.self) { try FileWalker().walk([root.path + "/nope"]) }
    }
}

@Suite struct ReaderAndChunkerTests {
    @Test func htmlTextExtraction() {
        let t = HTMLText.extract("<html><head><style>p{}</style><script>var a = '<p>';</script></head><body><h2>Title &amp; more</h2><p>One&nbsp;two\n   three &#x41;&#66;</p><!-- c --><pre>code  here\n  x</pre></body></html>")
        #expect(t.contains("## Title & more"))
        #expect(t.contains("One two three AB"))
        #expect(t.contains("```\ncode  here\n  x\n```"))
        #expect(!t.contains("var a") && !t.contains("p{}") && !t.contains("<!--"))
    }

    @Test func binaryAndPDF() throws {
        let root = KBFixtures.corpus
        #expect(throws: RAGError.self) { try DocumentReader.read(root.appendingPathComponent("blob.dat").path) }
        #expect(DocumentReader.isBinary([0x41, 0, 0x42]) && !DocumentReader.isBinary(Array("héllo\n".utf8)))
        if DocumentReader.pdftotext == nil {
            do { _ = try DocumentReader.read("/tmp/x.pdf", bytes: [1]); Issue.record("read a PDF without pdftotext") } catch let e as RAGError {
                #expect("\(e)".contains("pdftotext"))
            }
        }
    }

    @Test func chunksFollowStructureAndBudget() throws {
        let doc = """
        # Guide

        Intro paragraph one.

        ## Install

        Run the installer.
        Then reboot.

        ```sh
        make install

        make test
        ```

        ## Use

        \((0..<80).map { "word\($0)" }.joined(separator: " "))
        """
        let counter: (String) -> Int = { HashingEmbedder().countTokens($0) }
        let c = Chunker(maxTokens: 30, overlapTokens: 5, countTokens: counter)
        let chunks = c.chunks(doc, kind: .markdown)
        let lines = doc.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let bytes = Array(doc.utf8)
        for ch in chunks {
            #expect(counter(ch.text) <= 30 + 2, "chunk over budget: \(ch.text)")
            // Byte and line ranges point at the chunk's first and last lines in the document.
            let slice = String(decoding: bytes[ch.byteRange], as: UTF8.self)
            #expect(slice.hasPrefix(String(ch.text.prefix(10))) && slice.hasSuffix(String(ch.text.suffix(5))), "\(slice) vs \(ch.text)")
            #expect(lines[ch.lineRange.lowerBound - 1].contains(ch.text.split(separator: "\n")[0].prefix(10)), "\(ch.lineRange): \(ch.text)")
        }
        // The code block stays whole, in the Install section; "Use" starts its own chunk.
        let code = try #require(chunks.first { $0.text.contains("make install") })
        #expect(code.text.contains("make test") && code.title == "Guide > Install")
        #expect(chunks.contains { $0.text.hasPrefix("## Use") && $0.title == "Guide > Use" })
        #expect(chunks.filter { $0.text.contains("word79") }.count >= 1)
        // Overlap: consecutive chunks of the long paragraph share words.
        let use = chunks.filter { $0.title == "Guide > Use" }
        #expect(use.count >= 3)
    }

    @Test func codeIsChunkedAtBlankLines() {
        let src = "import A\n\nfunc a() {\n  1\n}\n\nfunc b() {\n  2\n}\n"
        let chunks = Chunker(maxTokens: 8, overlapTokens: 0, countTokens: { HashingEmbedder().countTokens($0) }).chunks(src, kind: .code)
        #expect(chunks.map(\.lineRange) == [1...1, 3...5, 7...9])
    }
}

@Suite struct RetrievalTests {
    /// With the hashing test embedder (keywords only) and with the real all-MiniLM-L6-v2; the vector ranking
    /// from the exact scan and, forced on with a graph for every segment and a threshold of one row, from
    /// the HNSW graph.
    @Test(arguments: ["hash", "minilm"], [false, true])
    func rightFileInTopFive(embedderName: String, graph: Bool) throws {
        let tmp = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: tmp) }
        let embedder: TextEmbedder = embedderName == "hash" ? HashingEmbedder() : try Embedder(path: Fixtures.miniLM.path)
        let (w, summary) = try KBFixtures.index(KBFixtures.corpus, store: tmp.appendingPathComponent("store"), embedder: embedder,
                                                graphs: graph ? GraphParameters(minRows: 1) : nil)
        #expect(summary.added == 10 && summary.skipped.count == 1, "\(summary.skipped)")  // blob.dat
        try #require(KBFixtures.questions.count == 16, "Tests/Fixtures/kb-questions.tsv")
        let (found, top1) = try Self.score(w.store, embedder, graph: graph, corpus: KBFixtures.corpus, questions: KBFixtures.questions)
        print("OK, retrieval (\(embedderName), \(graph ? "HNSW" : "exact")): right file in top 5 for \(found)/\(KBFixtures.questions.count), top 1 for \(top1)")
        #expect(found * 10 >= KBFixtures.questions.count * 8)
    }

    /// How many `questions` have their file in the top 5 and at rank 1, searching `store` exactly or (forced
    /// on with a threshold of one row) through its HNSW graph; misses are printed.
    static func score(_ store: VectorStore, _ embedder: TextEmbedder, graph: Bool, corpus: URL,
                      questions: [(String, String)]) throws -> (found: Int, top1: Int) {
        var r = try Retriever(store: store, embedder: embedder)
        r.search = SearchOptions(mode: graph ? .automatic : .exact, threshold: 1)
        #expect(store.usesGraphs(r.search) == graph)
        var found = 0, top1 = 0
        for (q, file) in questions {
            let paths = try r.retrieve(q, k: 5).map { String($0.record.path.dropFirst(corpus.path.count + 1)) }
            if paths.contains(file) { found += 1 } else { print("miss: \(q) → \(paths)") }
            if paths.first == file { top1 += 1 }
        }
        return (found, top1)
    }

    /// A real documentation corpus with neighbouring topics (Swift's diagnostic explanations: a dozen files on
    /// concurrency alone) and 35 held-out questions, with the real all-MiniLM-L6-v2 through the exact scan and the
    /// HNSW graph. The issue's bar for such a set is 34/35 in the top 5.
    @Test(arguments: [false, true])
    func realDocsRightFileInTopFive(graph: Bool) throws {
        let tmp = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: tmp) }
        let embedder = try Embedder(path: Fixtures.miniLM.path)
        let (w, summary) = try KBFixtures.index(KBFixtures.swiftDocs, store: tmp.appendingPathComponent("store"), embedder: embedder,
                                                graphs: graph ? GraphParameters(minRows: 1) : nil)
        #expect(summary.added == 46, "\(summary)")
        try #require(KBFixtures.swiftDocsQuestions.count == 35, "Tests/Fixtures/swift-diagnostics/questions.tsv")
        let (found, top1) = try Self.score(w.store, embedder, graph: graph, corpus: KBFixtures.swiftDocs, questions: KBFixtures.swiftDocsQuestions)
        print("OK, retrieval (minilm, Swift diagnostics, \(graph ? "HNSW" : "exact")): right file in top 5 for \(found)/35, top 1 for \(top1)")
        #expect(found >= 34)
    }

    @Test func groundedPromptNumbersSources() {
        let msg = GroundedPrompt.userMessage(question: "Q?", sources: [PromptSource(label: "a.md:1-3", text: "alpha"), PromptSource(label: "b.md:4", text: "beta")])
        #expect(msg.contains("[1] alpha") && msg.contains("[2] beta") && !msg.contains("a.md") && msg.contains("Question: Q?"))
        #expect(GroundedPrompt.system.contains("do not contain"))
        #expect(GroundedPrompt.label(VectorRecord(text: "", path: "x", lineRange: 3...3)) == "x:3")
    }

    @Test func embedderMismatchIsRefused() throws {
        let tmp = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: tmp) }
        let (w, _) = try KBFixtures.index(KBFixtures.corpus, store: tmp.appendingPathComponent("store"))
        #expect(throws: VectorError.self) { try Retriever(store: w.store, embedder: HashingEmbedder(dimension: 128)) }
        w.close()
        #expect(throws: VectorError.self) {
            try VectorStoreWriter(path: tmp.appendingPathComponent("store").path, create: StoreOptions(model: "other", dimension: 384))
        }
    }
}

@Suite struct IncrementalIndexTests {
    @Test func editAddDelete() throws {
        let root = try KBFixtures.copy(); defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let store = root.deletingLastPathComponent().appendingPathComponent("store")
        var (w, s1) = try KBFixtures.index(root, store: store)
        #expect(s1.added == 10)
        w.close()
        (w, s1) = try KBFixtures.index(root, store: store)
        #expect(s1.unchanged == 10 && s1.added == 0 && s1.chunksAdded == 0)
        w.close()
        try "# Brewing green tea\n\nGreen tea wants water at 80 degrees and a porcelain kyusu teapot.\n"
            .write(to: root.appendingPathComponent("tea.md"), atomically: true, encoding: .utf8)
        try "Parking: the garage closes at 22:00; visitors park on level minus two.\n"
            .write(to: root.appendingPathComponent("notes/parking.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: root.appendingPathComponent("houseplants.md"))
        let (w2, s2) = try KBFixtures.index(root, store: store)
        #expect(s2.changed == 1 && s2.added == 1 && s2.removed == 1 && s2.unchanged == 8, "\(s2)")
        let recs = try w2.store.liveRecords().map(\.record)
        #expect(!recs.contains { $0.path.hasSuffix("houseplants.md") })
        #expect(recs.contains { $0.text.contains("kyusu") } && !recs.contains { $0.text.contains("sencha") })
        let r = try Retriever(store: w2.store, embedder: HashingEmbedder())
        #expect(try r.retrieve("When does the garage close for parking?", k: 3).first?.record.path.hasSuffix("notes/parking.txt") == true)
        // Deleting everything and compaction: the store shrinks to nothing but stays usable.
        w2.close()
        try FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let (w3, s3) = try KBFixtures.index(root, store: store)
        #expect(s3.removed == 10 && s3.compacted && w3.store.count == 0)
        #expect(try w3.store.search(HashingEmbedder().embed(["x"])[0], k: 5).isEmpty)
    }
}

/// The hashing embedder with task prefixes, remembering every text it was given.
final class PrefixedRecordingEmbedder: TextEmbedder {
    let inner = HashingEmbedder()
    var seen: [String] = []
    var dimension: Int { inner.dimension }
    var modelName: String { "prefixed-hash" }
    var maxTokens: Int { inner.maxTokens }
    var queryPrefix: String { "search_query: " }
    var documentPrefix: String { "search_document: " }
    func countTokens(_ text: String) -> Int { inner.countTokens(text) }
    func embed(_ texts: [String]) throws -> [[Float]] { seen += texts; return try inner.embed(texts) }
}

@Suite struct EmbeddingPrefixTests {
    /// The store records the model's prefixes; documents are embedded with the document prefix and
    /// questions with the query prefix the store names (not whatever the embedder says later).
    @Test func prefixesRecordedAndApplied() throws {
        let tmp = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: tmp) }
        let e = PrefixedRecordingEmbedder()
        let store = tmp.appendingPathComponent("store").path
        let w = try VectorStoreWriter(path: store, create: StoreOptions(model: e.modelName, dimension: e.dimension,
                                                                         queryPrefix: e.queryPrefix, documentPrefix: e.documentPrefix))
        _ = try Indexer(writer: w, embedder: e).run(try FileWalker().walk([KBFixtures.corpus.path]))
        #expect(!e.seen.isEmpty && e.seen.allSatisfy { $0.hasPrefix("search_document: ") })
        w.close()
        let s = try VectorStore(path: store)
        #expect(s.manifest.queryPrefix == "search_query: " && s.manifest.documentPrefix == "search_document: ")
        e.seen = []
        let hits = try Retriever(store: s, embedder: e).retrieve("What are the moons of Mars called?", k: 3)
        #expect(e.seen == ["search_query: What are the moons of Mars called?"])
        #expect(hits.first?.record.path.hasSuffix("astronomy.html") == true)
    }

    @Test func conventionsFromConfigsAndTable() throws {
        #expect(EmbeddingConventions.known(name: "nomic-embed-text-v1.5") == EmbeddingConventions(queryPrefix: "search_query: ", documentPrefix: "search_document: "))
        #expect(EmbeddingConventions.known(name: "embeddinggemma-300M").queryPrefix == "task: search result | query: ")
        #expect(EmbeddingConventions.known(name: "all-MiniLM-L6-v2").maxSequenceLength == 256)
        #expect(EmbeddingConventions.known(name: "bge-small") == EmbeddingConventions())
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try EmbeddingConventions.read(folder: dir.path) == nil)
        try #"{"max_seq_length": 128, "do_lower_case": false}"#.write(to: dir.appendingPathComponent("sentence_bert_config.json"), atomically: true, encoding: .utf8)
        try #"{"prompts": {"query": "q: ", "passage": "p: "}, "default_prompt_name": null}"#.write(to: dir.appendingPathComponent("config_sentence_transformers.json"), atomically: true, encoding: .utf8)
        #expect(try EmbeddingConventions.read(folder: dir.path) == EmbeddingConventions(maxSequenceLength: 128, queryPrefix: "q: ", documentPrefix: "p: "))
        try #"{"max_seq_length": "long"}"#.write(to: dir.appendingPathComponent("sentence_bert_config.json"), atomically: true, encoding: .utf8)
        #expect(throws: ModelError.self) { try EmbeddingConventions.read(folder: dir.path) }
    }
}
