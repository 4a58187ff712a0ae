// VectorStoreWriter: the one writer of a store (advisory lock), adding rows, tombstoning and compacting.
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Settings of a new store.
package struct StoreOptions: Sendable {
    package var model: String
    package var dimension: Int
    package var element: VectorElement
    package var metric: VectorMetric
    /// The embedding model's task prefixes (recorded in the manifest).
    package var queryPrefix = ""
    package var documentPrefix = ""
    /// Encrypt every file of the new store with this key (AES-256-GCM); the key is not stored.
    package var encryptWith: StoreKey?
    package init(model: String, dimension: Int, element: VectorElement = .f32, metric: VectorMetric = .cosine,
                 queryPrefix: String = "", documentPrefix: String = "", encryptWith: StoreKey? = nil) {
        self.model = model; self.dimension = dimension; self.element = element; self.metric = metric
        self.queryPrefix = queryPrefix; self.documentPrefix = documentPrefix; self.encryptWith = encryptWith
    }
}

/// Holds the store's writer lock (`flock` on `LOCK`), buffers additions and deletions, and makes them
/// visible in `commit()`: new segment files first (each written to a temporary name, fsynced, renamed),
/// then a new MANIFEST replacing the old one atomically. Until the rename, readers and a restarted writer
/// see the previous commit; files a crashed writer left behind are removed when the next writer opens.
package final class VectorStoreWriter {
    package let path: String
    private var lockFD: Int32 = -1
    private let pool: ThreadPool
    private let key: StoreKey?
    /// Encrypted stores: seals every file this writer writes.
    private var cipher: StoreCipher? { store.manifest.encryptionSalt.flatMap { salt in key.map { StoreCipher(key: $0, salt: salt) } } }
    /// The last committed state.
    package private(set) var store: VectorStore
    private var pendingVectors: [Float] = []
    private var pendingRecords: [VectorRecord] = []
    private var pendingDeletes = Set<Int>()
    /// What the pending changes are, for the history (callers count files; rows are counted here).
    package var pendingNote = CommitNote()
    /// Retention to record with the next commit: compactions keep the newest `retention` generations.
    package var retention: Int?
    /// HNSW graphs for segments written from now on (commits and compactions); nil: none.
    package var graphParameters: GraphParameters? = GraphParameters()
    /// While true, commits write no graphs (`lai index` builds one for the whole run when it merges).
    package var deferGraphs = false
    /// Segment count and generation when `lai index`'s run began (`beginRun`).
    var runStart: (segments: Int, generation: Int)?

    package var manifest: StoreManifest { store.manifest }
    package var hasPendingChanges: Bool { !pendingRecords.isEmpty || !pendingDeletes.isEmpty }
    package var pendingAdds: Int { pendingRecords.count }

    /// Opens (with `create`, creates when absent) the store at `path` and takes its writer lock.
    /// Throws `VectorError.locked` at once when another process holds it. An encrypted store needs `key`
    /// (`create.encryptWith` is the key of a new one).
    package init(path: String, create: StoreOptions? = nil, pool: ThreadPool = .shared, key: StoreKey? = nil) throws {
        self.path = path
        self.pool = pool
        self.key = key ?? create?.encryptWith
        let fm = FileManager.default
        if !VectorStore.exists(at: path) {
            guard create != nil else { throw VectorError.notAStore(path: path) }
            do { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
                throw FileError.cannotWrite(path: path, reason: "\(error.localizedDescription)")
            }
        }
        lockFD = try Self.lock(path)
        if !VectorStore.exists(at: path), let o = create {
            guard o.dimension > 0, o.dimension <= 1 << 16 else { throw VectorError.invalid("\(path): dimension \(o.dimension) out of range") }
            var m = StoreManifest(model: o.model, dimension: o.dimension, element: o.element, metric: o.metric)
            m.queryPrefix = o.queryPrefix; m.documentPrefix = o.documentPrefix
            m.time = Date().timeIntervalSince1970
            m.note = CommitNote(action: "create")
            if o.encryptWith != nil { m.encryptionSalt = StoreCipher.newSalt() }
            let bytes = try m.encodeFile(key: o.encryptWith)
            _ = try writeSmallFile(path: path + "/" + StoreManifest.generationFileName(0), bytes: bytes)
            _ = try writeSmallFile(path: path + "/" + StoreManifest.fileName, bytes: bytes)
        }
        do {
            store = try VectorStore(path: path, pool: pool, key: self.key)
        } catch {
            Glibc.close(lockFD); lockFD = -1
            throw error
        }
        if let o = create {
            if o.model != store.model { Glibc.close(lockFD); lockFD = -1; throw VectorError.modelMismatch(path: path, store: store.model, requested: o.model) }
            if o.dimension != store.dimension { Glibc.close(lockFD); lockFD = -1; throw VectorError.dimensionMismatch(path: path, expected: store.dimension, got: o.dimension) }
            if o.encryptWith != nil && !store.manifest.isEncrypted {
                Glibc.close(lockFD); lockFD = -1
                throw VectorError.invalid("\(path): not encrypted; encryption applies to new knowledge bases (remove it and index again with --encrypt)")
            }
        }
        removeGarbage()
        // Stores from before generations were kept: the current one becomes the first of the history.
        let own = path + "/" + StoreManifest.generationFileName(manifest.generation)
        if !FileManager.default.fileExists(atPath: own), let bytes = try? manifest.encodeFile(key: self.key) {
            _ = try? writeSmallFile(path: own, bytes: bytes)
        }
    }

    deinit { if lockFD >= 0 { Glibc.close(lockFD) } }

    /// Gives up the lock (also released when the process exits or is killed).
    package func close() { if lockFD >= 0 { Glibc.close(lockFD); lockFD = -1 } }

    /// Takes the writer lock of `dir` (returns the descriptor holding it; closing it releases the lock).
    package static func lock(_ dir: String) throws -> Int32 {
        let p = dir + "/LOCK"
        let fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw FileError.cannotWrite(path: p, reason: String(cString: strerror(errno))) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buf = [UInt8](repeating: 0, count: 64)
            let n = pread(fd, &buf, 64, 0)
            Glibc.close(fd)
            let holder = n > 0 ? String(decoding: buf[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "unknown"
            throw VectorError.locked(path: dir, holder: holder.isEmpty ? "unknown" : holder)
        }
        let s = Array("pid \(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, s, s.count, 0)
        return fd
    }

    /// Removes what no kept generation refers to: segment files, generation manifests newer than the
    /// committed one (written just before a crash) and temporary files (a crashed writer's leftovers).
    private func removeGarbage() {
        let current = manifest.generation
        var live = Set(manifest.segments.flatMap(\.files) + [StoreManifest.fileName, "LOCK"])
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for name in names {
            guard let g = StoreManifest.generation(ofFileName: name) else { continue }
            if g > current { unlink(path + "/" + name); continue }
            live.insert(name)
            // A generation file that does not decode cannot be opened; its segments need not be kept.
            if let m = try? VectorStore.readManifest(path, fileName: name, key: key) { live.formUnion(m.segments.flatMap(\.files)) }
        }
        for name in names where !live.contains(name) {
            if name.hasPrefix("seg-") || name.contains(".lai-tmp-") { unlink(path + "/" + name) }
        }
    }

    // MARK: Changes

    /// Queues one row per vector (normalized for cosine stores); visible after `commit()`.
    package func add(_ vectors: [[Float]], _ records: [VectorRecord]) throws {
        guard vectors.count == records.count else { throw VectorError.invalid("\(path): \(vectors.count) vectors for \(records.count) records") }
        for v in vectors {
            guard v.count == store.dimension else { throw VectorError.dimensionMismatch(path: path, expected: store.dimension, got: v.count) }
            guard v.allSatisfy(\.isFinite) else { throw VectorError.invalid("\(path): a vector has a NaN or infinite value") }
            var x = v
            if store.metric == .cosine { VectorStore.normalize(&x) }
            pendingVectors += x
        }
        pendingRecords += records
    }

    /// Adds flat vectors (count × dimension) without per-row arrays (bulk loads, benchmarks).
    package func add(flat vectors: [Float], _ records: [VectorRecord]) throws {
        guard vectors.count == records.count * store.dimension else { throw VectorError.invalid("\(path): vector data does not match \(records.count) records") }
        let start = pendingVectors.count
        pendingVectors += vectors
        if store.metric == .cosine {
            let d = store.dimension
            pendingVectors.withUnsafeMutableBufferPointer { p in
                for i in 0..<records.count {
                    var s: Float = 0
                    for j in 0..<d { s += p[start + i * d + j] * p[start + i * d + j] }
                    if s > 0 { let r = 1 / s.squareRoot(); for j in 0..<d { p[start + i * d + j] *= r } }
                }
            }
        }
        pendingRecords += records
    }

    /// Tombstones committed rows (ids from search or `rows(forPath:)`).
    package func delete(rows: [Int]) {
        for r in rows where store.segmentIndex(ofRow: r) != nil && !store.tombstones.contains(r) { pendingDeletes.insert(r) }
    }

    /// Drops the queued, uncommitted changes.
    package func discardPending() { pendingVectors = []; pendingRecords = []; pendingDeletes = []; pendingNote = CommitNote() }

    /// Writes the queued changes as one new commit (a new generation).
    package func commit() throws {
        if !hasPendingChanges { return }
        var m = store.manifest
        m.note = pendingNote
        m.note?.chunksAdded = pendingRecords.count
        m.note?.chunksDeleted = pendingDeletes.count
        if !pendingRecords.isEmpty {
            var entry = try writeSegment(id: m.nextSegment, firstRow: m.nextRow, count: pendingRecords.count, records: pendingRecords) { i, dst in
                pendingVectors.withUnsafeBufferPointer { p in
                    SegmentWriter.encode(p.baseAddress! + i * m.dimension, dimension: m.dimension, element: m.element, into: dst)
                }
            }
            try writeGraph(&entry, m)
            m.segments.append(entry)
            m.nextSegment += 1
            m.nextRow += pendingRecords.count
        }
        m.tombstones = Array(Set(m.tombstones).union(pendingDeletes)).sorted()
        try publish(m)
        discardPending()
    }

    /// Rewrites all live rows into one new segment (rows copied byte for byte, not re-quantized) and drops
    /// tombstones. Row ids change. Then applies retention: only the newest `keep` generations (`keep` given
    /// here is recorded for later compactions; nil uses the recorded one; none recorded keeps all) stay, and
    /// segment files no kept generation lists are deleted after the new manifest is in place; readers that
    /// mapped them keep reading their (unlinked) copies.
    package func compact(keep: Int? = nil) throws {
        if let k = keep { retention = k }
        try merge(from: 0, note: CommitNote(action: "compact"))
        try applyRetention()
    }

    /// Rewrites the live rows of the segments from index `start` on as one new segment (with one graph) at
    /// the end; earlier segments, their row ids and tombstones stay. `lai index` merges the segments of one
    /// run this way, so a large index gets one graph instead of one per checkpoint. With `replacingAfter`,
    /// the generations after that one (the run's checkpoints) leave the history: the merged generation
    /// stands for them. Segment files no kept generation lists are deleted.
    package func merge(from start: Int, note: CommitNote = CommitNote(action: "merge"), replacingAfter: Int? = nil) throws {
        try commit()
        let old = store
        var m = old.manifest
        guard start < m.segments.count else { return }
        m.note = note
        let merged = Array(m.segments[start...])
        let firstMerged = merged[0].firstRow
        let live = old.liveRows.filter { $0 >= firstMerged }
        var records: [VectorRecord] = []
        records.reserveCapacity(live.count)
        for r in live { records.append(try old.record(r)) }
        m.segments.removeSubrange(start...)
        m.tombstones = m.tombstones.filter { $0 < firstMerged }
        if !live.isEmpty {
            let stride = m.element.rowStride(dimension: m.dimension)
            var entry = try writeSegment(id: m.nextSegment, firstRow: m.nextRow, count: live.count, records: records) { i, dst in
                let row = live[i]
                guard let si = old.segmentIndex(ofRow: row) else { return 0 }
                let s = old.segments[si], j = row - s.firstRow
                dst.copyMemory(from: s.row(j), byteCount: stride)
                return s.scales?[j] ?? 0
            }
            try writeGraph(&entry, m, always: true)
            m.segments.append(entry)
            m.nextSegment += 1
            m.nextRow += live.count
        }
        try publish(m)
        if let g = replacingAfter {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
                if let n = StoreManifest.generation(ofFileName: name), n > g, n < manifest.generation { unlink(path + "/" + name) }
            }
            syncDirectory(of: path + "/" + StoreManifest.fileName)
        }
        removeGarbage()
    }

    /// Drops generation files older than the newest `manifest.keep`, then the segment files no remaining
    /// generation lists (manifests first: a crash in between leaves segments that the next open removes).
    private func applyRetention() throws {
        guard let keep = manifest.keep else { return }
        let current = manifest.generation
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            if let g = StoreManifest.generation(ofFileName: name), g <= current - keep { unlink(path + "/" + name) }
        }
        syncDirectory(of: path + "/" + StoreManifest.fileName)
        removeGarbage()
    }

    /// Makes generation `generation` current again, as a new generation (the history keeps everything after it).
    package func rollback(to generation: Int) throws {
        try commit()
        let target = try VectorStore(path: path, pool: pool, generation: generation, key: key)
        var m = target.manifest
        let cur = store.manifest
        // Row and segment numbers only grow, so later segments never reuse a name or a row id.
        m.generation = cur.generation
        m.nextRow = cur.nextRow
        m.nextSegment = cur.nextSegment
        m.keep = cur.keep
        m.note = CommitNote(action: "rollback")
        m.note?.restoredGeneration = generation
        try publish(m)
    }

    private func writeSegment(id: Int, firstRow: Int, count: Int, records: [VectorRecord],
                              fill: (Int, UnsafeMutableRawPointer) -> Float) throws -> SegmentEntry {
        var e = SegmentEntry(id: id, firstRow: firstRow, rows: count, vectorsBytes: 0, vectorsSHA256: "",
                             textBytes: 0, textSHA256: "", keywordsBytes: 0, keywordsSHA256: "")
        let cipher = self.cipher
        let v = try SegmentWriter.write(path: path + "/" + e.vectorsFile, element: store.element, dimension: store.dimension,
                                        firstRow: firstRow, rows: count, cipher: cipher, fill: fill)
        e.vectorsBytes = v.bytes; e.vectorsSHA256 = v.sha256
        let t = try writeSmallFile(path: path + "/" + e.textFile, bytes: try Zstd.compress(RecordCodec.encode(records)), cipher: cipher)
        e.textBytes = t.bytes; e.textSHA256 = t.sha256
        let kw = try writeSmallFile(path: path + "/" + e.keywordsFile,
                                    bytes: try Zstd.compress(KeywordSegment(texts: records.map { $0.title.isEmpty ? $0.text : $0.title + "\n" + $0.text }).encode()),
                                    cipher: cipher)
        e.keywordsBytes = kw.bytes; e.keywordsSHA256 = kw.sha256
        return e
    }

    /// Builds the HNSW graph of the segment just written (when it has enough rows) and records it in `entry`.
    private func writeGraph(_ entry: inout SegmentEntry, _ m: StoreManifest, always: Bool = false) throws {
        guard always || !deferGraphs, let gp = graphParameters, entry.rows >= max(gp.minRows, 1) else { return }
        let segment = try VectorSegment(directory: path, entry: entry, manifest: m, verify: false, cipher: cipher)
        let g = try GraphWriter.write(segment: segment, parameters: gp, path: path + "/" + entry.graphFile, pool: pool, cipher: cipher)
        entry.graphBytes = g.bytes; entry.graphSHA256 = g.sha256
    }

        /// The commit point: the generation's own MANIFEST-NNNNNN written, then MANIFEST replaced atomically
    /// (each temp, fsync, rename, fsync directory). A crash between the two leaves a generation file newer
    /// than MANIFEST, which the next writer removes.
    private func publish(_ m: StoreManifest) throws {
        var m = m
        m.generation += 1
        m.time = Date().timeIntervalSince1970
        if let k = retention { m.keep = max(1, k) }
        let bytes = try m.encodeFile(key: key)
        _ = try writeSmallFile(path: path + "/" + StoreManifest.generationFileName(m.generation), bytes: bytes)
        _ = try writeSmallFile(path: path + "/" + StoreManifest.fileName, bytes: bytes)
        pendingNote = CommitNote()
        store = try VectorStore(path: path, pool: pool, key: key)
    }
}
