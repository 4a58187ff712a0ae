// HNSWGraph: approximate nearest-neighbour graphs over segments (seg-NNNNNN.hnsw), built by the C kernels
// in LAIKernels/hnsw.c and searched memory-mapped. Layout in docs/FORMATS.md ("seg-NNNNNN.hnsw").
import Foundation
import LAIKernels

/// How HNSW graphs are built. The search beam is chosen per query (`SearchOptions.efSearch`).
package struct GraphParameters: Sendable, Equatable {
    /// Links per node on the upper levels; level 0 keeps up to 2M.
    package var m: Int
    /// Beam width while inserting a node.
    package var efConstruction: Int
    /// Segments with fewer rows get no graph: scanning them costs less than a graph search.
    package var minRows: Int

    package static let defaultM = 16
    package static let defaultEfConstruction = 200
    package static let defaultMinRows = 1000

    package init(m: Int = defaultM, efConstruction: Int = defaultEfConstruction, minRows: Int = defaultMinRows) {
        self.m = m; self.efConstruction = efConstruction; self.minRows = minRows
    }
}

/// Exact scan or graph search; `SearchOptions` picks per store.
package enum SearchMode: Sendable { case automatic, exact, approximate }

/// How `VectorStore.search(_:k:options:)` searches.
package struct SearchOptions: Sendable {
    package var mode: SearchMode
    /// In `.automatic` mode, stores with at least this many live rows search their graphs.
    package var threshold: Int
    /// Beam width of a graph search (at least k is used); nil: `defaultEfSearch(rows:)` for the store's size.
    package var efSearch: Int?

    package static let defaultThreshold = 50_000

    package init(mode: SearchMode = .automatic, threshold: Int = defaultThreshold, efSearch: Int? = nil) {
        self.mode = mode; self.threshold = threshold; self.efSearch = efSearch
    }

    /// The beam a store of `rows` live rows is searched with unless one is given. A fixed beam finds fewer of
    /// the true neighbours as the graph grows (MiniLM-shaped vectors, M 16: ef 128 gives recall@10 0.984 at
    /// 119,000 rows but 0.959 at 1M, where 256 gives 0.980 and 384 0.988 — docs/KNOWLEDGE_BASE.md), so it
    /// grows as (rows / 200,000)^0.6 beyond 200,000 rows: 128 → 224 at 500k → 352 at 1M, at most 1,024.
    package static func defaultEfSearch(rows: Int) -> Int {
        guard rows > 200_000 else { return 128 }
        let ef = 128 * pow(Double(rows) / 200_000, 0.6)
        return min(1024, Int((ef / 32).rounded(.up)) * 32)
    }
}

extension VectorSegment {
    /// The segment's rows as the graph kernels see them.
    var graphRows: lai_hnsw_rows {
        lai_hnsw_rows(rows: rows, stride: stride, scales: scales, element: Int32(element.rawValue), d: Int32(dimension))
    }
}

/// Builds a segment's graph and writes it.
enum GraphWriter {
    /// Inserts every row of `segment` (on all of `pool`'s threads) and writes the graph atomically to `path`
    /// (with `cipher`, sealed: size and SHA-256 are then the sealed file's).
    static func write(segment: VectorSegment, parameters: GraphParameters, path: String, pool: ThreadPool,
                      cipher: StoreCipher? = nil) throws -> (bytes: Int, sha256: String) {
        let n = segment.count
        guard n > 0, n < Int(UInt32.max), let b = lai_hnsw_builder_new(segment.graphRows, UInt32(n), Int32(parameters.m),
                                                                         Int32(parameters.efConstruction), UInt64(segment.entry.id)) else {
            throw VectorError.invalid("\(path): cannot build a graph of \(n) rows with M = \(parameters.m)")
        }
        defer { lai_hnsw_builder_free(b) }
        let threads = max(1, min(pool.threadCount, n / 256))
        var scratches: [OpaquePointer] = []
        defer { for s in scratches { lai_hnsw_scratch_free(s) } }
        for _ in 0..<threads {
            guard let s = lai_hnsw_scratch_new(UInt32(n), Int32(segment.dimension)) else { throw VectorError.invalid("\(path): out of memory") }
            scratches.append(s)
        }
        lai_hnsw_builder_insert(b, 0, scratches[0])
        // Blocks of 256 rows dealt round-robin, so the threads grow the graph evenly from the start.
        let block = 256
        pool.parallelFor(threads) { t in
            var start = 1 + t * block
            while start < n {
                for node in start..<min(start + block, n) { lai_hnsw_builder_insert(b, UInt32(node), scratches[t]) }
                start += threads * block
            }
        }
        var header = [UInt8](repeating: 0, count: 64)
        var level0: UnsafeRawPointer?
        var level0Bytes = 0, tailBytes = 0
        lai_hnsw_builder_layout(b, &header, &level0, &level0Bytes, &tailBytes)
        let tail = UnsafeMutableRawPointer.allocate(byteCount: max(tailBytes, 1), alignment: 64)
        defer { tail.deallocate() }
        lai_hnsw_builder_tail(b, tail)
        let l0 = UnsafeRawBufferPointer(start: level0, count: level0Bytes)
        let tb = UnsafeRawBufferPointer(start: tail, count: tailBytes)
        if let cipher {
            return try writeSmallFile(path: path, bytes: header + Array(l0) + Array(tb), cipher: cipher)
        }
        let w = try AtomicFileWriter(path: path)
        var sha = SHA256()
        try header.withUnsafeBytes { sha.update($0); try w.write($0) }
        sha.update(l0); try w.write(l0)
        sha.update(tb); try w.write(tb)
        let bytes = w.offset
        try w.commit()
        return (bytes, sha.finalize().hex)
    }
}

/// A segment's graph, memory-mapped, with the segment's tombstones as a bitmap.
final class SegmentGraph: @unchecked Sendable {
    let file: MappedFile
    /// The C views, allocated once so concurrent searches share them without Swift inout accesses.
    private let graph = UnsafeMutablePointer<lai_hnsw_graph>.allocate(capacity: 1)
    private let rows = UnsafeMutablePointer<lai_hnsw_rows>.allocate(capacity: 1)
    private let firstRow: Int
    /// Bit i set: local row i is tombstoned (traversed, never returned). nil when none is.
    private let deleted: [UInt8]?
    private let lock = NSLock()
    private var idle: [OpaquePointer] = []

    var m: Int { Int(graph.pointee.m) }
    var efConstruction: Int { Int(graph.pointee.ef_construction) }

    /// Maps and checks the graph file of `segment` (size from the manifest, header, every node's block).
    /// An encrypted store's graph (`cipher`) is decrypted into memory, which also verifies it.
    init(directory: String, segment: VectorSegment, tombstones: [Int], cipher: StoreCipher? = nil) throws {
        let e = segment.entry
        let path = directory + "/" + e.graphFile
        graph.initialize(to: lai_hnsw_graph())
        rows.initialize(to: segment.graphRows)
        firstRow = segment.firstRow
        guard FileManager.default.fileExists(atPath: path) else { throw VectorError.missingFile(path: path) }
        let source = try MappedFile(path: path)
        guard source.count == e.graphBytes else { throw VectorError.corrupt(path: path, reason: "\(source.count) bytes, the manifest says \(e.graphBytes)") }
        if let cipher {
            let plain = try cipher.openData(source.bytes, name: e.graphFile, path: path)
            let f = MappedFile(owning: plain.count, name: path)
            plain.withUnsafeBytes { if let b = $0.baseAddress { f.mutableBase?.copyMemory(from: b, byteCount: $0.count) } }
            file = f
        } else {
            file = source
        }
        var reason: UnsafePointer<CChar>?
        guard lai_hnsw_graph_open(file.base, file.count, UInt32(segment.count), UInt32(segment.dimension), graph, &reason) == 0 else {
            throw VectorError.corrupt(path: path, reason: reason.map { String(cString: $0) } ?? "invalid graph")
        }
        if tombstones.isEmpty { deleted = nil } else {
            var bits = [UInt8](repeating: 0, count: (segment.count + 7) / 8)
            for r in tombstones { let i = r - segment.firstRow; bits[i >> 3] |= UInt8(1 << (i & 7)) }
            deleted = bits
        }
    }

    deinit {
        for s in idle { lai_hnsw_scratch_free(s) }
        graph.deallocate(); rows.deallocate()
    }

    /// The k best live rows (global ids) for a prepared query, best first.
    func search(_ q: UnsafePointer<Float>, k: Int, ef: Int) -> [VectorHit] {
        lock.lock()
        let s = idle.popLast() ?? lai_hnsw_scratch_new(graph.pointee.n, rows.pointee.d)
        lock.unlock()
        guard let s else { return [] }
        defer { lock.lock(); idle.append(s); lock.unlock() }
        var scores = [Float](repeating: 0, count: k), ids = [UInt32](repeating: 0, count: k)
        let found: Int32
        if let d = deleted {
            found = d.withUnsafeBufferPointer { lai_hnsw_search(graph, rows, q, Int32(k), Int32(ef), $0.baseAddress, s, &scores, &ids) }
        } else {
            found = lai_hnsw_search(graph, rows, q, Int32(k), Int32(ef), nil, s, &scores, &ids)
        }
        return (0..<Int(found)).map { VectorHit(row: firstRow + Int(ids[$0]), score: scores[$0]) }
    }
}
