// VectorStore+Search: exact k-nearest search (SIMD kernels over all rows on all cores), batched search
// through sgemm, and BM25 keyword search over the segments' inverted indexes.
import CBLAS
import Foundation
import LAIKernels

extension VectorStore {
    /// Rows per task of a single-query scan: 4096 scores fit in L1, and 1M rows make ~250 tasks to balance.
    static let scanChunk = 4096

    /// L2-normalizes `v` in place (left as is when its norm is 0).
    package static func normalize(_ v: inout [Float]) {
        var s: Float = 0
        for x in v { s += x * x }
        if s > 0 { let r = 1 / s.squareRoot(); for i in v.indices { v[i] *= r } }
    }

    private func prepared(_ query: [Float]) throws -> [Float] {
        guard query.count == dimension else { throw VectorError.dimensionMismatch(path: path, expected: dimension, got: query.count) }
        var q = query
        if metric == .cosine { Self.normalize(&q) }
        return q
    }

    /// The `k` live rows with the highest scores for `query`, best first (exact, every row scored).
    ///
    /// int8 stores scan with an int8 copy of the query (integer dots), keep 4k candidates and re-rank them
    /// with the f32 query against the dequantized rows, so the final order has only the storage error.
    package func search(_ query: [Float], k: Int, pool: ThreadPool? = nil) throws -> [VectorHit] {
        let pool = pool ?? self.pool
        let q = try prepared(query)
        if k <= 0 || count == 0 { return [] }
        let kk = element == .int8 ? max(4 * k, 40) : k
        var tasks: [(seg: Int, start: Int, n: Int)] = []
        for (si, s) in segments.enumerated() {
            var i = 0
            while i < s.count { let n = min(Self.scanChunk, s.count - i); tasks.append((si, i, n)); i += n }
        }
        let qd = (dimension + 31) & ~31
        var q8 = [Int8](repeating: 0, count: qd)
        let qscale = element == .int8 ? lai_vec_quantize_i8(q, &q8, Int32(dimension)) : 0
        var partial = [TopK](repeating: TopK(k: kk), count: tasks.count)
        let segs = segments, tombs = tombstones, dim = dimension
        q.withUnsafeBufferPointer { qp in
            q8.withUnsafeBufferPointer { q8p in
                partial.withUnsafeMutableBufferPointer { out in
                    pool.parallelFor(tasks.count) { t in
                        let task = tasks[t]
                        let s = segs[task.seg]
                        withUnsafeTemporaryAllocation(of: Float.self, capacity: Self.scanChunk) { scores in
                            let sp = scores.baseAddress!
                            let rows = s.row(task.start)
                            switch s.element {
                            case .f32: lai_vec_scores_f32(qp.baseAddress, rows, s.stride, Int32(task.n), Int32(dim), sp)
                            case .f16: lai_vec_scores_f16(qp.baseAddress, rows, s.stride, Int32(task.n), Int32(dim), sp)
                            case .int8:
                                lai_vec_scores_i8(q8p.baseAddress, qscale, rows, s.stride, s.scales! + task.start,
                                                  Int32(task.n), Int32(qd), sp)
                            }
                            var heap = TopK(k: kk)
                            let base = s.firstRow + task.start
                            var th = heap.threshold
                            for i in 0..<task.n where sp[i] >= th {
                                let row = base + i
                                if !tombs.isEmpty && tombs.contains(row) { continue }
                                heap.insert(sp[i], row)
                                th = heap.threshold
                            }
                            out[t] = heap
                        }
                    }
                }
            }
        }
        var merged = TopK(k: kk)
        for h in partial { for (s, r) in zip(h.scores, h.rows) { merged.insert(s, r) } }
        guard element == .int8 else { return merged.sorted() }
        var final = TopK(k: k)
        for h in merged.sorted() {
            guard let si = segmentIndex(ofRow: h.row) else { continue }
            let s = segments[si], i = h.row - s.firstRow
            let score = lai_vec_dot_f32_i8(q, s.row(i).assumingMemoryBound(to: Int8.self), s.scales![i], Int32(dimension))
            final.insert(score, h.row)
        }
        return final.sorted()
    }

    /// Searches many queries at once (`queries` holds `queries.count / dimension` rows): scores come from
    /// sgemm over blocks of rows (f16/int8 rows dequantized per block first), then per-query heaps.
    /// Results equal `search` for f32 (up to float summation order); for int8 they are the re-ranked scores.
    ///
    /// Threads split the rows (each runs a single-threaded sgemm on its blocks and keeps its own heaps,
    /// merged at the end); OpenBLAS's own threads are set to 1 meanwhile, so its spinning workers and ours
    /// do not fight over the cores.
    package func search(batch queries: [Float], k: Int, pool: ThreadPool? = nil) throws -> [[VectorHit]] {
        let pool = pool ?? self.pool
        guard queries.count % dimension == 0 else {
            throw VectorError.dimensionMismatch(path: path, expected: dimension, got: queries.count % dimension)
        }
        let nq = queries.count / dimension
        if nq == 0 { return [] }
        if k <= 0 || count == 0 { return [[VectorHit]](repeating: [], count: nq) }
        var q = queries
        if metric == .cosine {
            for i in 0..<nq {
                var s: Float = 0
                for j in 0..<dimension { s += q[i * dimension + j] * q[i * dimension + j] }
                if s > 0 { let r = 1 / s.squareRoot(); for j in 0..<dimension { q[i * dimension + j] *= r } }
            }
        }
        let qBlock = 512, rBlock = 1024, dim = dimension, tombs = tombstones, segs = segments
        // Contiguous row ranges, about 4 per thread, never splitting a segment's 1024-row blocks.
        var blocks: [(seg: Int, start: Int, n: Int)] = []
        for (si, s) in segs.enumerated() {
            var r = 0
            while r < s.count { let n = min(rBlock, s.count - r); blocks.append((si, r, n)); r += n }
        }
        let taskCount = min(blocks.count, pool.threadCount * 4)
        let savedThreads = openblas_get_num_threads()
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(savedThreads) }
        var results = [[VectorHit]](repeating: [], count: nq)
        q.withUnsafeBufferPointer { qp in
            var q0 = 0
            while q0 < nq {
                let qn = min(qBlock, nq - q0)
                var heaps = [TopK](repeating: TopK(k: k), count: taskCount * qn)
                heaps.withUnsafeMutableBufferPointer { hp in
                    pool.parallelFor(taskCount) { t in
                        let scores = UnsafeMutablePointer<Float>.allocate(capacity: qn * rBlock)
                        let decoded = UnsafeMutablePointer<Float>.allocate(capacity: rBlock * dim)
                        defer { scores.deallocate(); decoded.deallocate() }
                        let lo = blocks.count * t / taskCount, hi = blocks.count * (t + 1) / taskCount
                        for bi in lo..<hi {
                            let (si, r0, rn) = blocks[bi]
                            let s = segs[si]
                            let b: UnsafePointer<Float>
                            let ldb: Int
                            if s.element == .f32 {
                                b = s.row(r0).assumingMemoryBound(to: Float.self); ldb = s.stride / 4
                            } else {
                                for i in 0..<rn { s.decode(r0 + i, into: decoded + i * dim) }
                                b = UnsafePointer(decoded); ldb = dim
                            }
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(qn), Int32(rn), Int32(dim), 1,
                                        qp.baseAddress! + q0 * dim, Int32(dim), b, Int32(ldb), 0, scores, Int32(rn))
                            let base = s.firstRow + r0
                            for qi in 0..<qn {
                                let row = scores + qi * rn
                                var th = hp[t * qn + qi].threshold
                                for i in 0..<rn where row[i] >= th {
                                    if !tombs.isEmpty && tombs.contains(base + i) { continue }
                                    hp[t * qn + qi].insert(row[i], base + i)
                                    th = hp[t * qn + qi].threshold
                                }
                            }
                        }
                    }
                }
                for qi in 0..<qn {
                    var merged = TopK(k: k)
                    for t in 0..<taskCount { let h = heaps[t * qn + qi]; for (sc, r) in zip(h.scores, h.rows) { merged.insert(sc, r) } }
                    results[q0 + qi] = merged.sorted()
                }
                q0 += qn
            }
        }
        return results
    }

    /// BM25 (k1 = 1.2, b = 0.75) over live rows; the `k` best rows with a positive score, best first.
    package func keywordSearch(_ text: String, k: Int) throws -> [VectorHit] {
        let terms = Array(Set(KeywordTokenizer.terms(text)))
        if terms.isEmpty || k <= 0 || count == 0 { return [] }
        var totalLength = 0.0
        var df = [Int](repeating: 0, count: terms.count)
        var indexes: [KeywordSegment] = []
        for (i, s) in segments.enumerated() {
            let kw = try keywords(segment: i)
            indexes.append(kw)
            for (j, l) in kw.rowLengths.enumerated() where !tombstones.contains(s.firstRow + j) { totalLength += Double(l) }
            for (ti, t) in terms.enumerated() {
                for p in kw.postings[t] ?? [] where !tombstones.contains(s.firstRow + Int(p.row)) { df[ti] += 1 }
            }
        }
        let n = Double(count), avgdl = max(totalLength / n, 1)
        var acc: [Int: Double] = [:]
        for (i, s) in segments.enumerated() {
            let kw = indexes[i]
            for (ti, t) in terms.enumerated() where df[ti] > 0 {
                let idf = BM25.idf(n: n, df: Double(df[ti]))
                for p in kw.postings[t] ?? [] {
                    let row = s.firstRow + Int(p.row)
                    if tombstones.contains(row) { continue }
                    let tf = Double(p.tf), dl = Double(kw.rowLengths[Int(p.row)])
                    acc[row, default: 0] += BM25.term(idf: idf, tf: tf, dl: dl, avgdl: avgdl)
                }
            }
        }
        var heap = TopK(k: k)
        for (row, s) in acc { heap.insert(Float(s), row) }
        return heap.sorted()
    }
}
