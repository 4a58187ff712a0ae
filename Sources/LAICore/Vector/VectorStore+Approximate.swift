// VectorStore+Approximate: k-nearest search through the segments' HNSW graphs (segments without one are
// scanned), and the choice between that and the exact scan.
import Foundation
import LAIKernels

extension VectorStore {
    /// Segments that have a usable graph.
    package var graphSegments: Int { graphs.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// Whether `options` send a search of this store through its graphs: `.approximate`, or `.automatic` with
    /// at least `threshold` live rows; either way only when some segment has a graph.
    package func usesGraphs(_ options: SearchOptions) -> Bool {
        switch options.mode {
        case .exact: return false
        case .approximate: return graphSegments > 0 || !graphProblems.isEmpty
        case .automatic: return count >= options.threshold && (graphSegments > 0 || !graphProblems.isEmpty)
        }
    }

    /// The `k` best live rows for `query`: through the graphs when `usesGraphs(options)`, else exactly.
    package func search(_ query: [Float], k: Int, options: SearchOptions, pool: ThreadPool? = nil) throws -> [VectorHit] {
        guard usesGraphs(options) else { return try search(query, k: k, pool: pool) }
        return try approximateSearch(query, k: k, efSearch: options.efSearch ?? SearchOptions.defaultEfSearch(rows: count), pool: pool)
    }

    /// Graph search of every segment that has a graph (a beam of max(efSearch, k)) and an exact scan of the
    /// others, one task per segment; scores are the dequantized dot products, as the exact search's final ones.
    package func approximateSearch(_ query: [Float], k: Int, efSearch: Int, pool: ThreadPool? = nil) throws -> [VectorHit] {
        let pool = pool ?? self.pool
        guard query.count == dimension else { throw VectorError.dimensionMismatch(path: path, expected: dimension, got: query.count) }
        var q = query
        if metric == .cosine { Self.normalize(&q) }
        if k <= 0 || count == 0 { return [] }
        warnAboutGraphs()
        let segs = segments, graphs = self.graphs, tombs = tombstones
        var partial = [[VectorHit]](repeating: [], count: segs.count)
        q.withUnsafeBufferPointer { qp in
            partial.withUnsafeMutableBufferPointer { out in
                pool.parallelFor(segs.count) { si in
                    if let g = graphs[si] { out[si] = g.search(qp.baseAddress!, k: k, ef: max(efSearch, k)); return }
                    out[si] = Self.scan(segs[si], qp.baseAddress!, k: k, tombstones: tombs)
                }
            }
        }
        var merged = TopK(k: k)
        for hits in partial { for h in hits { merged.insert(h.score, h.row) } }
        return merged.sorted()
    }

    /// Exact top k of one segment with an f32 query (int8 rows scored dequantized).
    private static func scan(_ s: VectorSegment, _ q: UnsafePointer<Float>, k: Int, tombstones: Set<Int>) -> [VectorHit] {
        var heap = TopK(k: k)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: scanChunk) { scores in
            let sp = scores.baseAddress!
            var start = 0
            while start < s.count {
                let n = min(scanChunk, s.count - start)
                switch s.element {
                case .f32: lai_vec_scores_f32(q, s.row(start), s.stride, Int32(n), Int32(s.dimension), sp)
                case .f16: lai_vec_scores_f16(q, s.row(start), s.stride, Int32(n), Int32(s.dimension), sp)
                case .int8:
                    for i in 0..<n {
                        sp[i] = lai_vec_dot_f32_i8(q, s.row(start + i).assumingMemoryBound(to: Int8.self), s.scales![start + i], Int32(s.dimension))
                    }
                }
                for i in 0..<n where sp[i] >= heap.threshold {
                    let row = s.firstRow + start + i
                    if !tombstones.isEmpty && tombstones.contains(row) { continue }
                    heap.insert(sp[i], row)
                }
                start += n
            }
        }
        return heap.sorted()
    }
}
