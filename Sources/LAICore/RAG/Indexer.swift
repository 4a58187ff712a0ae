// Indexer: brings a store up to date with files on disk — new and changed files chunked, embedded and
// added, unchanged ones (same content hash) skipped, removed ones deleted; commits as it goes.
import Foundation

/// Where indexing stands, for progress lines.
package struct IndexProgress: Sendable {
    package var filesDone: Int
    package var filesTotal: Int
    package var chunksDone: Int
    package var bytesDone: Int
    package var bytesTotal: Int
    package var seconds: Double
    package var currentFile: String
    package var chunksPerSecond: Double { seconds > 0 ? Double(chunksDone) / seconds : 0 }
    /// Remaining seconds estimated from the bytes still to read (nil until something was done).
    package var eta: Double? {
        guard bytesDone > 0, seconds > 0.5 else { return nil }
        return seconds * Double(max(0, bytesTotal - bytesDone)) / Double(bytesDone)
    }
}

/// What an indexing run did.
package struct IndexSummary: Sendable {
    package var filesSeen = 0
    package var added = 0
    package var changed = 0
    package var unchanged = 0
    package var removed = 0
    package var skipped: [(path: String, reason: String)] = []
    package var chunksAdded = 0
    package var chunksDeleted = 0
    package var seconds = 0.0
    package var compacted = false
    /// Stopped early (`shouldStop`): what was done is committed; removed files were not looked for.
    package var interrupted = false
    package var liveChunks = 0
    package var chunksPerSecond: Double { seconds > 0 ? Double(chunksAdded) / seconds : 0 }
}

package final class Indexer {
    package let writer: any ChunkWriter
    package let embedder: TextEmbedder
    package var chunker: Chunker
    package var batchSize = 32
    /// Commit after this many new chunks or this many seconds of work (between files), whichever comes
    /// first, so a killed run keeps its progress and a restart skips the files already committed.
    package var commitEvery = 1024
    package var commitInterval: Double = 5
    /// Asked between files; when true the run commits what it has and returns (Ctrl-C).
    package var shouldStop: () -> Bool = { false }

    package init(writer: any ChunkWriter, embedder: TextEmbedder, chunker: Chunker? = nil) {
        self.writer = writer
        self.embedder = embedder
        let budget = max(32, min(200, embedder.maxTokens - 24))
        self.chunker = chunker ?? Chunker(maxTokens: budget, overlapTokens: budget / 6, countTokens: { [unowned embedder] in embedder.countTokens($0) })
    }

    /// Indexes `walk.files`; files the store holds under `walk.roots` that are no longer there are deleted.
    package func run(_ walk: FileWalker.Result, progress: (IndexProgress) -> Void = { _ in }) throws -> IndexSummary {
        let start = Date()
        try writer.beginRun()
        var summary = IndexSummary()
        summary.skipped = walk.skipped
        summary.filesSeen = walk.files.count
        let existing = try writer.files()
        let sizes = walk.files.map { (try? FileManager.default.attributesOfItem(atPath: $0.path)[.size] as? Int) ?? 0 }
        var p = IndexProgress(filesDone: 0, filesTotal: walk.files.count, chunksDone: 0, bytesDone: 0,
                              bytesTotal: sizes.reduce(0, +), seconds: 0, currentFile: "")
        var failed = Set<String>()
        // The store's prefix, not the embedder's: every document of a store is embedded the same way.
        let prefix = writer.documentPrefix
        var lastCommit = Date()
        func checkpoint() throws {
            if writer.hasPendingChanges { try writer.commit() }
            lastCommit = Date()
        }
        // Chunks of several files are embedded together, so small files still make full batches.
        var pending: [(path: String, hash: String, chunks: [Chunk], oldRows: [Int]?)] = []
        var pendingChunks = 0
        func flush() throws {
            if pending.isEmpty { return }
            let texts = pending.flatMap { $0.chunks.map { prefix + $0.embeddingText } }
            var vectors: [[Float]] = []
            vectors.reserveCapacity(texts.count)
            var i = 0
            while i < texts.count {
                let end = min(i + batchSize, texts.count)
                vectors += try embedder.embed(Array(texts[i..<end]))
                i = end
            }
            guard vectors.count == texts.count else { throw RAGError.invalid("the embedder returned \(vectors.count) vectors for \(texts.count) texts") }
            var at = 0
            for f in pending {
                let records = f.chunks.map {
                    VectorRecord(text: $0.text, path: f.path, contentHash: f.hash, byteRange: $0.byteRange, lineRange: $0.lineRange, title: $0.title)
                }
                if let rows = f.oldRows {
                    writer.delete(rows: rows); summary.chunksDeleted += rows.count; summary.changed += 1; writer.pendingNote.filesChanged += 1
                } else {
                    summary.added += 1; writer.pendingNote.filesAdded += 1
                }
                try writer.add(Array(vectors[at..<(at + records.count)]), records)
                at += records.count
                summary.chunksAdded += records.count
                p.chunksDone += records.count
            }
            pending = []; pendingChunks = 0
            // Commit between files only: a file's old rows go in the same commit as its new ones.
            // The interval grows to 1/20 of the run so far: a long run makes tens of generations, not thousands,
            // and a kill loses at most that share of it.
            let interval = max(commitInterval, Date().timeIntervalSince(start) / 20)
            if writer.pendingAdds >= commitEvery || Date().timeIntervalSince(lastCommit) >= interval { try checkpoint() }
        }
        for (fi, f) in walk.files.enumerated() {
            if shouldStop() {
                try flush()
                try checkpoint()
                summary.interrupted = true
                break
            }
            p.currentFile = f.relative
            defer {
                p.filesDone = fi + 1; p.bytesDone += sizes[fi]; p.seconds = Date().timeIntervalSince(start)
                progress(p)
            }
            // Hash first: an unchanged file is never parsed again.
            guard let data = FileManager.default.contents(atPath: f.path) else {
                summary.skipped.append((f.path, "permission denied or not a file")); failed.insert(f.path); continue
            }
            let bytes = [UInt8](data)
            let old = existing[f.path]
            if let o = old, o.hash == SHA256.hash(bytes).hex { summary.unchanged += 1; continue }
            let doc: Document
            do { doc = try DocumentReader.read(f.path, bytes: bytes) } catch let e as RAGError {
                summary.skipped.append((f.path, skipReason(e))); failed.insert(f.path); continue
            }
            let chunks = chunker.chunks(doc.text, kind: doc.kind)
            if chunks.isEmpty {
                if let o = old {
                    writer.delete(rows: o.rows); summary.chunksDeleted += o.rows.count; summary.changed += 1; writer.pendingNote.filesChanged += 1
                } else {
                    summary.skipped.append((f.path, "no text"))
                }
                continue
            }
            pending.append((f.path, doc.contentHash, chunks, old?.rows))
            pendingChunks += chunks.count
            if pendingChunks >= batchSize { try flush() }
        }
        if summary.interrupted {
            _ = try writer.finishRun(summary, complete: false)
            summary.liveChunks = writer.liveCount
            summary.seconds = Date().timeIntervalSince(start)
            return summary
        }
        try flush()
        let walked = Set(walk.files.map(\.path))
        for (path, e) in existing where !walked.contains(path) && !failed.contains(path) {
            guard walk.roots.contains(where: { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) else { continue }
            writer.delete(rows: e.rows)
            summary.removed += 1
            summary.chunksDeleted += e.rows.count
            writer.pendingNote.filesRemoved += 1
        }
        try writer.commit()
        summary.compacted = try writer.finishRun(summary, complete: true)
        summary.liveChunks = writer.liveCount
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    private func skipReason(_ e: RAGError) -> String {
        switch e {
        case let .unreadable(_, reason): return reason
        case .pdfToolMissing: return "PDF needs pdftotext (apt-get install poppler-utils)"
        default: return "\(e)"
        }
    }
}
