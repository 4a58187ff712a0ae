// lai index: build or update a knowledge base from files; list and remove knowledge bases.
import ArgumentParser
import Foundation
import LAICore

struct Index: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Index files into a knowledge base (incremental), list or remove knowledge bases.",
        discussion: """
        Walks PATHs (hidden and binary files skipped, .gitignore honoured), chunks text, Markdown, source, HTML
        and PDF (with pdftotext) by structure, embeds the chunks and stores them in ~/.lai/kb/NAME (LAI_HOME
        overrides ~/.lai). Indexing again updates the knowledge base: unchanged files are skipped, changed ones
        replaced and removed ones deleted. Progress goes to stderr, the summary to stdout.
        """)

    @Argument(help: "Files and directories to index.") var paths: [String] = []
    @Option(help: "Knowledge base name.") var kb: String = KnowledgeBase.defaultName
    @Option(name: .customLong("embed-model"), help: "Embedding model: GGUF file or Hugging Face folder (default ~/.cache/lai/minilm).")
    var embedModel: String?
    @Option(help: "Only index files matching this glob (repeatable).") var include: [String] = []
    @Option(help: "Skip paths matching this glob (repeatable).") var exclude: [String] = []
    @Option(help: "Vector storage for a new knowledge base: f32 (default), f16 or int8.") var storage: String?
    @Option(name: .customLong("chunk-tokens"), help: "Token budget per chunk (default: fits the embedder, at most 200).")
    var chunkTokens: Int?
    @Flag(help: "List knowledge bases.") var list = false
    @Option(help: "Remove the knowledge base NAME.") var rm: String?
    @Flag(help: "Rewrite the knowledge base without deleted rows.") var compact = false
    @Flag(help: "Check every checksum of the knowledge base.") var verify = false
    @Flag(help: "List the kept generations (every commit is one): time, files added/changed/removed, chunks.") var history = false
    @Option(help: "Make generation GEN current again (as a new generation).") var rollback: Int?
    @Option(help: "Retention: compaction keeps the newest N generations (recorded in the knowledge base; default all).")
    var keep: Int?
    @Flag(help: "Encrypt a new knowledge base (AES-256-GCM; key from LAI_KB_KEY or --key-file, 32 bytes as hex or base64).")
    var encrypt = false
    @Option(name: .customLong("key-file"), help: "The key of an encrypted knowledge base (else LAI_KB_KEY).") var keyFile: String?
    @Option(help: ArgumentHelp("Keep the knowledge base in Milvus instead of a directory: milvus://HOST:19530/COLLECTION.",
                               discussion: "LAI_MILVUS_TOKEN is sent as the bearer token (user:password or an API key). lai ask takes the same --store."))
    var store: String?
    @Flag(help: "No progress on stderr.") var quiet = false
    @Option(name: .customLong("commit-every"), help: .hidden) var commitEvery: Int?
    @Option(name: .customLong("commit-seconds"), help: .hidden) var commitSeconds: Double?
    /// Tests: every live chunk as `path, bytes, SHA-256 of text, SHA-256 of vector`, sorted (row ids left out).
    @Flag(help: .hidden) var dump = false
    @Option(name: .customLong("hnsw-m"), help: "HNSW links per node for new segments' graphs (default \(GraphParameters.defaultM)).")
    var hnswM: Int?
    @Option(name: .customLong("ef-construction"), help: "HNSW build beam for new segments' graphs (default \(GraphParameters.defaultEfConstruction)).")
    var efConstruction: Int?
    @Flag(name: .customLong("no-graph"), help: "Build no HNSW graphs (lai ask then always scans).") var noGraph = false

    func validate() throws {
        let modes = [!paths.isEmpty, list, rm != nil, compact || verify, history, rollback != nil, dump].filter { $0 }.count
        if modes != 1 { throw ValidationError("give PATHs to index, or one of --list, --rm NAME, --compact/--verify, --history, --rollback GEN") }
        if let k = keep, k < 1 { throw ValidationError("--keep must be at least 1") }
        if store != nil {
            if list || compact || verify || history || rollback != nil || encrypt || keep != nil || storage != nil || noGraph || hnswM != nil || efConstruction != nil {
                throw ValidationError("--store milvus:// takes PATHs to index (or --rm): --list, --compact, --verify, --history, --rollback, --keep, --encrypt, --storage and the HNSW options are for lai's own knowledge bases")
            }
            if rm != nil { throw ValidationError("remove a Milvus knowledge base with: lai index --rm milvus://HOST:PORT/COLLECTION") }
        }
        if let s = storage, VectorElement(name: s) == nil { throw ValidationError("--storage must be f32, f16 or int8") }
        if let c = chunkTokens, c < 16 { throw ValidationError("--chunk-tokens must be at least 16") }
        if let m = hnswM, !(2...256).contains(m) { throw ValidationError("--hnsw-m must be 2 … 256") }
        if let e = efConstruction, !(1...4096).contains(e) { throw ValidationError("--ef-construction must be 1 … 4096") }
    }

    /// Graph settings for the segments this run writes.
    var graphParameters: GraphParameters? {
        noGraph ? nil : GraphParameters(m: hnswM ?? GraphParameters.defaultM, efConstruction: efConstruction ?? GraphParameters.defaultEfConstruction)
    }

    func run() throws {
        if list { return try listAll() }
        if let name = rm, MilvusAddress.isMilvus(name) {
            try MilvusStore.drop(try MilvusAddress(name))
            print("removed knowledge base '\(name)'")
            return
        }
        if let s = store { return try indexMilvus(try MilvusAddress(s)) }
        if let name = rm {
            try KnowledgeBase.remove(name)
            print("removed knowledge base '\(name)'")
            return
        }
        let dir = try KnowledgeBase.directory(kb)
        let key = try knowledgeBaseKey(keyFile: keyFile, dir: dir)
        if encrypt && key == nil { throw CommandError("--encrypt needs a key: set LAI_KB_KEY or pass --key-file (make one with: openssl rand -hex 32)") }
        if !paths.isEmpty { return try indexPaths(dir, key: key) }
        guard VectorStore.exists(at: dir) else { throw RAGError.noKnowledgeBase(name: kb, path: dir) }
        if history { return try printHistory(dir, key: key) }
        if dump {
            let s = try VectorStore(path: dir, key: key)
            var lines: [String] = []
            for (row, r) in try s.liveRecords() {
                let v = try s.vector(row)
                let vh = v.withUnsafeBytes { SHA256.hash($0).hex }
                lines.append("\(r.path)\t\(r.byteRange.lowerBound)-\(r.byteRange.upperBound)\t\(SHA256.hash(Array(r.text.utf8)).hex)\t\(vh)")
            }
            print(lines.sorted().joined(separator: "\n"))
            return
        }
        if let g = rollback {
            let w = try VectorStoreWriter(path: dir, key: key)
            try w.rollback(to: g)
            print("\(kb): generation \(g) restored as generation \(w.store.manifest.generation), \(w.store.count) chunks")
            return
        }
        if verify { try VectorStore(path: dir, verify: .full, key: key).verify(); print("\(kb): all checksums match") }
        if compact {
            let w = try VectorStoreWriter(path: dir, key: key)
            w.graphParameters = graphParameters
            let before = w.store.diskBytes
            try w.compact(keep: keep)
            let kept = try VectorStore.history(path: dir, key: key).count
            let graph = w.store.graphSegments > 0 ? " (with its HNSW graph)" : ""
            print("\(kb): compacted, \(w.store.count) chunks\(graph), \(Formatting.bytes(before)) → \(Formatting.bytes(w.store.diskBytes)), \(kept) generation\(kept == 1 ? "" : "s") kept")
        }
    }

    private func printHistory(_ dir: String, key: StoreKey?) throws {
        let gens = try VectorStore.history(path: dir, key: key)
        func col(_ s: String, _ w: Int) -> String { s.padding(toLength: max(w, s.count + 1), withPad: " ", startingAt: 0) }
        print(col("GEN", 8) + col("TIME (UTC)", 22) + col("ACTION", 12) + col("FILES +ADDED ~CHANGED -REMOVED", 32)
              + col("CHUNKS +ADDED -DELETED", 25) + "LIVE")
        let fmt = ISO8601DateFormatter()
        for m in gens {
            let n = m.note
            let time = m.time > 0 ? fmt.string(from: Date(timeIntervalSince1970: m.time)) : "-"
            var action = n?.action ?? "-"
            if let g = n?.restoredGeneration { action += " \(g)" }
            let live = m.segments.reduce(0) { $0 + $1.rows } - m.tombstones.count
            print(col(String(m.generation), 8) + col(time, 22) + col(action, 12)
                  + col(n.map { "+\($0.filesAdded) ~\($0.filesChanged) -\($0.filesRemoved)" } ?? "-", 32)
                  + col(n.map { "+\($0.chunksAdded) -\($0.chunksDeleted)" } ?? "-", 25) + String(live))
        }
    }

    private func listAll() throws {
        let names = KnowledgeBase.names()
        if names.isEmpty { print("no knowledge bases in \(KnowledgeBase.root) (create one with: lai index PATH)"); return }
        print("NAME".padding(toLength: 20, withPad: " ", startingAt: 0) + "CHUNKS    FILES   SIZE        STORAGE  MODEL")
        for n in names {
            let dir = KnowledgeBase.root + "/" + n
            let key: StoreKey? = try? knowledgeBaseKey(keyFile: keyFile, dir: dir)
            if VectorStore.isEncrypted(path: dir) && key == nil {
                print(n.padding(toLength: 20, withPad: " ", startingAt: 0) + "encrypted (set LAI_KB_KEY or --key-file to see more)")
                continue
            }
            do {
                let s = try VectorStore(path: dir, key: key)
                let files = Set(try s.liveRecords().map(\.record.path)).count
                print(n.padding(toLength: 20, withPad: " ", startingAt: 0)
                      + String(s.count).padding(toLength: 10, withPad: " ", startingAt: 0)
                      + String(files).padding(toLength: 8, withPad: " ", startingAt: 0)
                      + Formatting.bytes(s.diskBytes).padding(toLength: 12, withPad: " ", startingAt: 0)
                      + s.element.description.padding(toLength: 9, withPad: " ", startingAt: 0) + s.model)
            } catch {
                print(n.padding(toLength: 20, withPad: " ", startingAt: 0) + "error: \(error)")
            }
        }
    }

    private func indexPaths(_ dir: String, key: StoreKey?) throws {
        let embedder = try makeEmbedder(embedModel ?? defaultEmbedModel)
        let walk = try FileWalker(includes: include, excludes: exclude).walk(paths)
        try FileManager.default.createDirectory(atPath: KnowledgeBase.root, withIntermediateDirectories: true)
        let writer = try VectorStoreWriter(path: dir, create: StoreOptions(
            model: embedder.modelName, dimension: embedder.dimension, element: storage.flatMap { VectorElement(name: $0) } ?? .f32, metric: .cosine,
            queryPrefix: embedder.queryPrefix, documentPrefix: embedder.documentPrefix, encryptWith: encrypt ? key : nil), key: key)
        writer.retention = keep
        if let s = storage.flatMap({ VectorElement(name: $0) }), s != writer.store.element {
            Stderr.line("lai: \(kb) stores \(writer.store.element) vectors; --storage \(s) applies to new knowledge bases only")
        }
        writer.graphParameters = graphParameters
        try run(writer, embedder: embedder, walk: walk, name: kb, size: { Formatting.bytes(writer.store.diskBytes) }, close: writer.close)
    }

    /// `lai index PATH… --store milvus://…`: the same run into a Milvus collection.
    private func indexMilvus(_ address: MilvusAddress) throws {
        if dump {
            let s = try MilvusStore(address)
            print(try s.dump().map { "\($0.record.path)\t\($0.record.byteRange.lowerBound)-\($0.record.byteRange.upperBound)\t\(SHA256.hash(Array($0.record.text.utf8)).hex)" }
                  .sorted().joined(separator: "\n"))
            return
        }
        guard !paths.isEmpty else { throw ValidationError("give PATHs to index into \(address.text)") }
        let embedder = try makeEmbedder(embedModel ?? defaultEmbedModel)
        let walk = try FileWalker(includes: include, excludes: exclude).walk(paths)
        let writer = try MilvusStore(address, create: StoreOptions(model: embedder.modelName, dimension: embedder.dimension, metric: .cosine,
                                                                   queryPrefix: embedder.queryPrefix, documentPrefix: embedder.documentPrefix))
        try writer.lockWriter()
        try run(writer, embedder: embedder, walk: walk, name: address.text, size: { "Milvus" }, close: {})
    }

    /// Indexes `walk` into `writer` with progress, Ctrl-C handling and the summary.
    private func run(_ writer: any ChunkWriter, embedder: TextEmbedder, walk: FileWalker.Result, name kb: String,
                     size: () -> String, close: () -> Void) throws {
        let indexer = Indexer(writer: writer, embedder: embedder)
        if let c = chunkTokens { indexer.chunker.maxTokens = c; indexer.chunker.overlapTokens = c / 6 }
        if let c = commitEvery { indexer.commitEvery = max(1, c) }
        if let c = commitSeconds { indexer.commitInterval = c }
        // Ctrl-C: finish the batch in hand, commit, and stop (a second Ctrl-C exits at once).
        Interrupts.cancelOnInterrupt = true
        Interrupts.secondInterruptExits = true
        indexer.shouldStop = { Interrupts.cancelled.load(ordering: .relaxed) }
        let progress = ProgressLine(enabled: !quiet)
        let summary = try indexer.run(walk) { p in progress.update(p) }
        progress.finish()
        if summary.interrupted {
            close()
            Stderr.line("lai: interrupted; \(kb) keeps the \(summary.chunksAdded) chunks embedded so far (\(writer.liveCount) in all); index again to continue")
            exitNow(130)
        }
        // The first skipped files by name, the rest counted by reason.
        for s in summary.skipped.prefix(10) { Stderr.line("lai: skipped \(s.path): \(s.reason)") }
        if summary.skipped.count > 10 {
            var reasons: [String: Int] = [:]
            for s in summary.skipped.dropFirst(10) { reasons[s.reason, default: 0] += 1 }
            Stderr.line("lai: skipped \(summary.skipped.count - 10) more: " + reasons.sorted { $0.value > $1.value }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        }
        print("""
        \(kb): \(summary.filesSeen) files: \(summary.added) added, \(summary.changed) changed, \(summary.unchanged) unchanged, \
        \(summary.removed) removed, \(summary.skipped.count) skipped
        \(summary.chunksAdded) chunks embedded (\(String(format: "%.1f", summary.chunksPerSecond)) chunks/s), \
        \(summary.chunksDeleted) deleted\(summary.compacted ? ", compacted" : ""); \(summary.liveChunks) chunks in \
        \(size()), \(String(format: "%.1f", summary.seconds)) s
        """)
    }
}

/// Progress on stderr: one rewritten line on a terminal, a plain line every few seconds otherwise.
final class ProgressLine {
    let enabled: Bool
    let tty = isatty(2) == 1
    var last = Date.distantPast
    var shown = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ p: IndexProgress) {
        guard enabled else { return }
        let now = Date()
        let done = p.filesDone == p.filesTotal
        guard done || now.timeIntervalSince(last) >= (tty ? 0.1 : 2) else { return }
        last = now
        let eta = p.eta.map { String(format: ", ETA %.0fs", $0) } ?? ""
        let line = "indexing: \(p.filesDone)/\(p.filesTotal) files, \(p.chunksDone) chunks, "
            + String(format: "%.1f chunks/s", p.chunksPerSecond) + eta
        if tty {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line + "  " + String(p.currentFile.suffix(40))).utf8))
            shown = true
        } else {
            Stderr.line(line)
        }
    }

    func finish() { if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
}

/// `lai bench-vector`: exact-search speed of the vector store on random unit vectors (not a test; numbers
/// depend on the machine and its load). Builds f32 and int8 stores from the same vectors, then reports open
/// time, size on disk, single-query latency, batch QPS and the int8 store's recall@k against exact f32.
struct VectorBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-vector", abstract: "Benchmark exact vector search.", shouldDisplay: false)

    @Option(help: "Rows.") var rows = 100_000
    @Option(help: "Dimensions.") var dim = 384
    @Option(help: "k.") var k = 10
    @Option(help: "Queries timed one at a time.") var single = 100
    @Option(help: "Queries in the batch.") var batch = 1000
    @Option(help: "Storage types to build, comma-separated.") var storage = "f32,int8"
    @Option(help: "Directory for the stores (default: a temporary one, removed after).") var dir: String?
    @Option(name: [.customShort("t"), .long], help: "Threads.") var threads: Int?
    @Flag(help: "Reuse the stores in --dir when they have --rows rows (skip building).") var reuse = false
    @Flag(help: "Encrypted stores (AES-256-GCM, a fixed test key): open time includes decrypting the vectors.") var encrypt = false

    /// The key of --encrypt stores (a benchmark's, not a secret).
    var benchKey: StoreKey? {
        guard encrypt else { return nil }
        return try? StoreKey(bytes: [UInt8](repeating: 0x5a, count: 32))
    }
    @Option(help: "Real vectors (.npy, float32, rows × dim): build an f32 store with an HNSW graph from them and compare graph search with the exact scan.")
    var vectors: String?
    @Option(help: "Queries for --vectors (.npy, float32).") var queries: String?
    @Option(help: "HNSW search beams to measure, comma-separated.") var ef = "16,32,64,96,128,192,256"
    @Option(name: .customLong("hnsw-m"), help: "HNSW M.") var hnswM = GraphParameters.defaultM
    @Option(name: .customLong("ef-construction"), help: "HNSW build beam.") var efConstruction = GraphParameters.defaultEfConstruction

    func run() throws {
        let pool = threads.map { ThreadPool(threads: $0) } ?? .shared
        if let v = vectors {
            guard let q = queries else { throw ValidationError("--vectors needs --queries") }
            return try graphBench(v, q, pool)
        }
        let root = dir ?? (NSTemporaryDirectory() + "lai-bench-vector-\(getpid())")
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: root) } }
        let elements = storage.split(separator: ",").compactMap { VectorElement(name: String($0)) }
        var rng = SeededRandom(seed: 42)
        func unitVectors(_ n: Int) -> [Float] {
            let dim = self.dim
            var v = [Float](repeating: 0, count: n * dim)
            var i = 0
            while i < v.count {
                let u1 = max(rng.unit(), 1e-300), u2 = rng.unit()
                let r = (-2 * log(u1)).squareRoot()
                v[i] = Float(r * cos(2 * .pi * u2)); if i + 1 < v.count { v[i + 1] = Float(r * sin(2 * .pi * u2)) }
                i += 2
            }
            for r in 0..<n {
                var s: Float = 0
                for j in 0..<dim { s += v[r * dim + j] * v[r * dim + j] }
                let inv = 1 / s.squareRoot()
                for j in 0..<dim { v[r * dim + j] *= inv }
            }
            return v
        }
        let t0 = Date()
        let existing = elements.allSatisfy { (try? VectorStore(path: root + "/" + $0.description, key: benchKey))?.count == rows }
        if !(reuse && existing) { try build(root, elements, unitVectors) }
        print(String(format: "built %d × %d in %.1f s (%@)", rows, dim, Date().timeIntervalSince(t0), elements.map(\.description).joined(separator: ", ")))
        rng = SeededRandom(seed: 7)  // queries independent of the rows, built or reused
        try measure(root, elements, unitVectors(max(single, batch)), pool)
    }

    private func build(_ root: String, _ elements: [VectorElement], _ unitVectors: (Int) -> [Float]) throws {
        var writers: [VectorStoreWriter] = []
        for e in elements {
            let p = root + "/" + e.description
            try? FileManager.default.removeItem(atPath: p)
            writers.append(try VectorStoreWriter(path: p, create: StoreOptions(model: "random", dimension: dim, element: e, metric: .dot, encryptWith: benchKey)))
            writers.last!.graphParameters = nil  // the exact scan's benchmark
        }
        let part = 100_000
        var done = 0
        while done < rows {
            let n = min(part, rows - done)
            let v = unitVectors(n)
            let recs = (0..<n).map { VectorRecord(text: "", path: "row \(done + $0)") }
            for w in writers { try w.add(flat: v, recs); try w.commit() }
            done += n
        }
        for w in writers { w.close() }
    }

    private func measure(_ root: String, _ elements: [VectorElement], _ queries: [Float], _ pool: ThreadPool) throws {
        var exact: [[VectorHit]]?
        for e in elements {
            let p = root + "/" + e.description
            var opens: [Double] = []
            var store: VectorStore?
            for _ in 0..<5 { let t = Date(); store = try VectorStore(path: p, key: benchKey); opens.append(Date().timeIntervalSince(t)) }
            guard let s = store else { continue }
            var lat: [Double] = []
            for i in 0..<single {
                let q = Array(queries[(i * dim)..<((i + 1) * dim)])
                let t = Date(); _ = try s.search(q, k: k, pool: pool); lat.append(Date().timeIntervalSince(t))
            }
            lat.sort()
            let bq = Array(queries[0..<(batch * dim)])
            let tb = Date()
            let results = try s.search(batch: bq, k: k, pool: pool)
            let bs = Date().timeIntervalSince(tb)
            var recall = ""
            if e == .f32 { exact = results } else if let ex = exact {
                // recall@k of the single-query path (the int8 kernel + re-rank) against exact f32.
                var hit = 0, tot = 0
                for i in 0..<min(single, batch) {
                    let q = Array(queries[(i * dim)..<((i + 1) * dim)])
                    let got = Set(try s.search(q, k: k, pool: pool).map(\.row))
                    hit += ex[i].filter { got.contains($0.row) }.count; tot += ex[i].count
                }
                var bhit = 0
                for i in 0..<batch { let got = Set(results[i].map(\.row)); bhit += ex[i].filter { got.contains($0.row) }.count }
                recall = String(format: ", recall@%d %.4f (single), %.4f (batch)", k, Double(hit) / Double(max(tot, 1)), Double(bhit) / Double(batch * k))
            }
            print(String(format: "%@ %d×%d: open %.2f ms (min of 5), %@ on disk; one query p50 %.2f ms p90 %.2f ms min %.2f ms; batch of %d: %.0f QPS%@",
                         e.description, rows, dim, (opens.min() ?? 0) * 1000, Formatting.bytes(s.diskBytes), lat[lat.count / 2] * 1000,
                         lat[lat.count * 9 / 10] * 1000, lat[0] * 1000, batch, Double(batch) / bs, recall))
        }
    }
}

extension VectorBench {
    /// A float32 .npy file (C order, rows × columns), memory-mapped.
    struct NPY {
        let file: MappedFile
        let rows: Int, cols: Int
        let data: UnsafePointer<Float>
        init(_ path: String) throws {
            file = try MappedFile(path: path)
            let b = file.bytes
            guard b.count > 12, b[0] == 0x93, Array(b[1..<6]) == Array("NUMPY".utf8) else { throw ValidationError("\(path): not a .npy file") }
            let major = b[6]
            let headerLen = major == 1 ? Int(b[8]) | Int(b[9]) << 8 : Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24
            let start = major == 1 ? 10 : 12
            let header = String(decoding: b[start..<(start + headerLen)], as: UTF8.self)
            guard header.contains("'descr': '<f4'"), header.contains("'fortran_order': False"),
                  let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
                throw ValidationError("\(path): not a C-order float32 .npy file")
            }
            let dims = header[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard dims.count == 2, (start + headerLen) % 4 == 0, b.count == start + headerLen + dims[0] * dims[1] * 4 else {
                throw ValidationError("\(path): expected a 2-d float32 array")
            }
            rows = dims[0]; cols = dims[1]
            data = (file.base + start + headerLen).assumingMemoryBound(to: Float.self)
        }
        func row(_ i: Int) -> [Float] { Array(UnsafeBufferPointer(start: data + i * cols, count: cols)) }
    }

    /// Peak resident memory of this process (VmHWM in /proc/self/status), 0 where unknown.
    static func peakRSS() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return (Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") ?? 0) * 1024
    }

    /// Builds (or with --reuse, reopens) an f32 cosine store of the vectors, its graph at compaction, then
    /// measures the exact scan and graph search at each beam: recall@k against the exact results, latency of
    /// one query at a time, and throughput with one query per thread.
    func graphBench(_ vectorsPath: String, _ queriesPath: String, _ pool: ThreadPool) throws {
        let x = try NPY(vectorsPath), qs = try NPY(queriesPath)
        guard x.cols == qs.cols else { throw ValidationError("vectors have \(x.cols) columns, queries \(qs.cols)") }
        let root = dir ?? (NSTemporaryDirectory() + "lai-bench-vector-\(getpid())")
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: root) } }
        let path = root + "/hnsw-m\(hnswM)-efc\(efConstruction)"
        let params = GraphParameters(m: hnswM, efConstruction: efConstruction)
        if !(reuse && (try? VectorStore(path: path))?.count == x.rows && (try? VectorStore(path: path))?.graphSegments == 1) {
            try? FileManager.default.removeItem(atPath: path)
            let w = try VectorStoreWriter(path: path, create: StoreOptions(model: "bench", dimension: x.cols), pool: pool)
            w.graphParameters = nil
            let t0 = Date()
            var done = 0
            while done < x.rows {
                let n = min(100_000, x.rows - done)
                try w.add(flat: Array(UnsafeBufferPointer(start: x.data + done * x.cols, count: n * x.cols)),
                          (0..<n).map { VectorRecord(text: "", path: "row \(done + $0)") })
                try w.commit()
                done += n
            }
            let tSeg = Date().timeIntervalSince(t0)
            let rss0 = Self.peakRSS()
            w.graphParameters = params
            let t1 = Date()
            try w.compact()
            let tGraph = Date().timeIntervalSince(t1)
            let gb = w.store.manifest.segments.first?.graphBytes ?? 0
            print(String(format: "lai: %d × %d, segments written in %.1f s; HNSW M=%d efConstruction=%d built in %.1f s on %d threads (%.0f rows/s), graph file %@, peak RSS %@ (%@ before the graph)",
                         x.rows, x.cols, tSeg, hnswM, efConstruction, tGraph, pool.threadCount, Double(x.rows) / tGraph,
                         Formatting.bytes(gb), Formatting.bytes(Self.peakRSS()), Formatting.bytes(rss0)))
            w.close()
        }
        var opens: [Double] = []
        var store: VectorStore?
        for _ in 0..<5 { let t = Date(); store = try VectorStore(path: path, pool: pool); opens.append(Date().timeIntervalSince(t)) }
        let s = store!
        let nq = qs.rows
        let t0 = Date()
        var exact: [[VectorHit]] = []
        for i in 0..<nq { exact.append(try s.search(qs.row(i), k: k, pool: pool)) }
        let exactMs = Date().timeIntervalSince(t0) * 1000 / Double(nq)
        print(String(format: "lai: open %.2f ms; exact scan %.2f ms per query (%d queries, %d threads)", (opens.min() ?? 0) * 1000, exactMs, nq, pool.threadCount))
        let single = ThreadPool(threads: 1)
        for e in ef.split(separator: ",").compactMap({ Int($0) }) {
            var hit = 0
            var lat: [Double] = []
            for i in 0..<nq {
                let q = qs.row(i)
                let t = Date()
                let got = try s.approximateSearch(q, k: k, efSearch: e, pool: single)
                lat.append(Date().timeIntervalSince(t))
                let g = Set(got.map(\.row))
                hit += exact[i].filter { g.contains($0.row) }.count
            }
            // Throughput: one query per thread.
            let tp = Date()
            pool.parallelFor(nq) { i in _ = try? s.approximateSearch(qs.row(i), k: k, efSearch: e, pool: single) }
            let qps = Double(nq) / Date().timeIntervalSince(tp)
            lat.sort()
            let mean = lat.reduce(0, +) / Double(lat.count)
            print(String(format: "lai hnsw ef=%d: recall@%d %.4f, %.3f ms per query (p50 %.3f, p90 %.3f), %.0f QPS on %d threads",
                         e, k, Double(hit) / Double(max(nq * k, 1)), mean * 1000, lat[lat.count / 2] * 1000, lat[lat.count * 9 / 10] * 1000, qps, pool.threadCount))
        }
        print("lai: peak RSS \(Formatting.bytes(Self.peakRSS()))")
    }
}
