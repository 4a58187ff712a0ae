// ChunkStore: what indexing writes to and retrieval reads from — lai's own vector store, or a Milvus
// collection (MilvusStore) when one machine is not enough.
import Foundation

/// The chunks of a knowledge base as `Retriever` reads them.
package protocol ChunkReader: AnyObject {
    /// Where the chunks are (a directory or a `milvus://` address), for messages.
    var location: String { get }
    var model: String { get }
    var dimension: Int { get }
    /// Live chunks.
    var count: Int { get }
    /// The prefix questions are embedded with (the one the documents were embedded for).
    var queryPrefix: String { get }
    /// The `k` nearest chunks by vector, best first.
    func search(_ query: [Float], k: Int, options: SearchOptions) throws -> [VectorHit]
    /// The `k` best chunks by BM25 over title and text, best first.
    func keywordSearch(_ text: String, k: Int) throws -> [VectorHit]
    /// Text and metadata of the given chunks.
    func records(_ rows: [Int]) throws -> [Int: VectorRecord]
}

/// Where `Indexer` writes: changes are queued and become visible together in `commit()`.
package protocol ChunkWriter: AnyObject {
    var location: String { get }
    /// The prefix documents are embedded with (recorded when the knowledge base was created).
    var documentPrefix: String { get }
    /// The chunk ids of every indexed file with the content hash they were made from; a file whose chunks
    /// are not all there or do not agree (an interrupted write) has hash "", so it is indexed again.
    func files() throws -> [String: (hash: String, rows: [Int])]
    var hasPendingChanges: Bool { get }
    var pendingAdds: Int { get }
    /// What the pending changes are (for the history).
    var pendingNote: CommitNote { get set }
    func add(_ vectors: [[Float]], _ records: [VectorRecord]) throws
    func delete(rows: [Int])
    func commit() throws
    /// Called before a run reads `files()`.
    func beginRun() throws
    /// Called after a run's last commit (`complete` false: it was interrupted, what was done is committed);
    /// returns whether the store was compacted.
    func finishRun(_ summary: IndexSummary, complete: Bool) throws -> Bool
    /// Live chunks after the last commit.
    var liveCount: Int { get }
}

extension ChunkWriter {
    /// Groups (row, path, hash) triples by path; paths whose rows disagree on the hash get "".
    static func groupFiles(_ rows: [(row: Int, path: String, hash: String)]) -> [String: (hash: String, rows: [Int])] {
        var out: [String: (hash: String, rows: [Int])] = [:]
        for r in rows {
            if var e = out[r.path] {
                if e.hash != r.hash { e.hash = "" }
                e.rows.append(r.row)
                out[r.path] = e
            } else {
                out[r.path] = (r.hash, [r.row])
            }
        }
        return out
    }
}

/// Okapi BM25 (k1 = 1.2, b = 0.75) as both stores score keywords.
package enum BM25 {
    static let k1 = 1.2, b = 0.75

    /// Inverse document frequency of a term found in `df` of `n` chunks.
    static func idf(n: Double, df: Double) -> Double { log(1 + (n - df + 0.5) / (df + 0.5)) }

    /// One term's contribution for a chunk of `dl` terms where it occurs `tf` times.
    static func term(idf: Double, tf: Double, dl: Double, avgdl: Double) -> Double {
        idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))
    }
}

// MARK: lai's own store

extension VectorStore: ChunkReader {
    package var location: String { path }
    package var queryPrefix: String { manifest.queryPrefix }

    package func search(_ query: [Float], k: Int, options: SearchOptions) throws -> [VectorHit] {
        try search(query, k: k, options: options, pool: nil)
    }

    package func records(_ rows: [Int]) throws -> [Int: VectorRecord] {
        var out: [Int: VectorRecord] = [:]
        for r in rows { out[r] = try record(r) }
        return out
    }
}

extension VectorStoreWriter: ChunkWriter {
    package var location: String { path }
    package var documentPrefix: String { manifest.documentPrefix }
    package var liveCount: Int { store.count }

    package func files() throws -> [String: (hash: String, rows: [Int])] {
        Self.groupFiles(try store.liveRecords().map { ($0.row, $0.record.path, $0.record.contentHash) })
    }

    package func beginRun() {
        runStart = (manifest.segments.count, manifest.generation)
        // Checkpoint segments get no graphs; the run's segments are merged into one with one graph at the end.
        deferGraphs = true
    }

    package func finishRun(_ summary: IndexSummary, complete: Bool) throws -> Bool {
        deferGraphs = false
        let start = runStart ?? (manifest.segments.count, manifest.generation)
        runStart = nil
        // An interrupted run keeps its checkpoints as they are (scanned exactly until a compaction).
        guard complete else { return false }
        let s = store
        if s.tombstones.count > 0 && s.tombstones.count * 3 >= s.storedCount {
            try compact()
            return true
        }
        if needsMerge(since: start.segments) {
            // This run's commits (checkpoints) become one segment with one HNSW graph, and one generation.
            var note = CommitNote(action: "index")
            note.filesAdded = summary.added; note.filesChanged = summary.changed; note.filesRemoved = summary.removed
            note.chunksAdded = summary.chunksAdded; note.chunksDeleted = summary.chunksDeleted
            try merge(from: start.segments, note: note, replacingAfter: start.generation)
        }
        return false
    }

    /// Whether the segments since index `first` should become one: several of them, or one big enough for a graph.
    private func needsMerge(since first: Int) -> Bool {
        let new = manifest.segments.dropFirst(first)
        if new.count > 1 { return true }
        guard let only = new.first, let gp = graphParameters else { return false }
        return !only.hasGraph && only.rows >= gp.minRows
    }
}
