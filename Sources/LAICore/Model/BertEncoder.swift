// BertEncoder: the run state and forward pass of a BERT encoder over many sequences at once.
//
// Both encoder variants of BertModel run here: learned position embeddings or RoPE on q and k, GELU or SwiGLU
// feed-forward (see BertConfig).
//
// Sequences are packed back to back into one batch of up to `capacity` tokens (no padding): every matrix
// product sees all tokens of the batch, and attention runs per (sequence, head) over that sequence's own
// rows only, so no mask is needed. Products go through OpenBLAS (f32 weights; OpenBLAS held to one thread
// per call while lai's pool splits the rows) or MatMul's quantized kernels.
import CBLAS
import Foundation
import LAIKernels
import Synchronization

package final class BertEncoder {
    package let model: BertModel
    package let config: BertConfig
    /// Most tokens per forward pass (at least the context length, so any one sequence fits).
    package let capacity: Int
    package let matmul: MatMul
    package var pool: ThreadPool { matmul.pool }

    // Per-batch activations, row-major (tokens, dim), allocated once.
    private let x: UnsafeMutablePointer<Float>      // (capacity, E) residual stream
    private let xb: UnsafeMutablePointer<Float>     // (capacity, E)
    private let q, k, v: UnsafeMutablePointer<Float> // (capacity, E)
    private let attn: UnsafeMutablePointer<Float>   // (capacity, E)
    private let hb: UnsafeMutablePointer<Float>     // (capacity, ff)
    private let hb2: UnsafeMutablePointer<Float>?   // (capacity, ff) the up projection beside hb's gate (SwiGLU)
    private let scores: UnsafeMutablePointer<Float> // (threads, context, context) attention probabilities per slot
    private let typeRow: UnsafeMutablePointer<Float> // (E) token type 0's embedding (zeros without token types)
    private let ropeTable: UnsafeMutablePointer<Float>? // (context, dims) cos/sin pairs per position (RoPE models)

    package init(model: BertModel, capacity: Int = 2048, pool: ThreadPool = .shared) {
        self.model = model
        let c = model.config
        config = c
        self.capacity = max(capacity, c.context)
        matmul = MatMul(pool: pool)
        let B = self.capacity, E = c.embedding
        func buf(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            p.initialize(repeating: 0, count: n)
            return p
        }
        x = buf(B * E); xb = buf(B * E); q = buf(B * E); k = buf(B * E); v = buf(B * E); attn = buf(B * E)
        hb = buf(B * c.feedForward)
        hb2 = c.gatedFeedForward ? buf(B * c.feedForward) : nil
        scores = .allocate(capacity: pool.threadCount * c.context * c.context)
        typeRow = buf(E)
        if let tt = model.tokenTypeEmbedding { tt.dequantizeRow(0, into: typeRow) }
        if case let .rope(base, dims) = c.positions {
            let t = buf(c.context * dims)
            for p in 0..<c.context { Ops.ropeCache(t + p * dims, position: p, dims: dims, base: base, freqScale: 1) }
            ropeTable = t
        } else {
            ropeTable = nil
        }
    }

    deinit { for p in [x, xb, q, k, v, attn, hb, hb2, scores, typeRow, ropeTable] { p?.deallocate() } }

    /// Encodes sequences of token ids (each 1…context long, all together ≤ capacity) and writes one pooled
    /// vector of `embedding` floats per sequence to `out` (sequences.count, E). Ids must be < vocabulary.
    /// OpenBLAS is held to one thread per call during the pass (its setting is restored after) unless
    /// `manageBLASThreads` is false because the caller already did so (`withSingleThreadedBLAS`).
    package func encode(_ sequences: [[Int32]], pooling: Pooling, normalize: Bool, into out: UnsafeMutablePointer<Float>,
                        manageBLASThreads: Bool = true) {
        let c = config, E = c.embedding, H = c.heads, hd = c.headDim
        var offsets: [Int] = []
        var positions: [Int] = []   // each token's position in its own sequence
        var total = 0
        for s in sequences { offsets.append(total); positions += 0..<s.count; total += s.count }
        precondition(total <= capacity && sequences.allSatisfy { !$0.isEmpty && $0.count <= c.context })
        let x = self.x, xb = self.xb, q = self.q, k = self.k, v = self.v, attn = self.attn, hb = self.hb
        let m = model, eps = c.layerNormEps, typeRow = self.typeRow

        // Embeddings: token + position (learned models) + token type 0, then LayerNorm.
        pool.parallelFor(sequences.count) { s in
            let seq = sequences[s], o = offsets[s]
            for (p, id) in seq.enumerated() {
                let xt = x + (o + p) * E, tmp = xb + (o + p) * E
                m.tokenEmbedding.dequantizeRow(Int(id), into: xt)
                if let pe = m.positionEmbedding {
                    pe.dequantizeRow(p, into: tmp)
                    for i in 0..<E { xt[i] += tmp[i] + typeRow[i] }
                } else {
                    for i in 0..<E { xt[i] += typeRow[i] }
                }
                BertKernels.layerNorm(xt, xt, m.embNormW, m.embNormB, E, eps: eps)
            }
        }

        let scale = 1 / Float(hd).squareRoot()
        let saved = manageBLASThreads ? openblas_get_num_threads() : 1
        if saved != 1 { openblas_set_num_threads(1) }
        defer { if saved != 1 { openblas_set_num_threads(saved) } }
        for L in model.layers {
            linear(L.q, x, total, q)
            linear(L.k, x, total, k)
            linear(L.v, x, total, v)
            if let table = ropeTable, case let .rope(_, dims) = c.positions {
                let kernels = matmul.useKernels
                pool.parallelRanges(total, minChunk: 16) { r in
                    for t in r {
                        let cs = table + positions[t] * dims, qt = q + t * E, kt = k + t * E
                        if kernels {
                            lai_rope(qt, Int32(H), Int32(hd), Int32(dims), cs, 1)
                            lai_rope(kt, Int32(H), Int32(hd), Int32(dims), cs, 1)
                        } else {
                            Ops.rope(qt, heads: H, headDim: hd, dims: dims, cache: cs, neox: true)
                            Ops.rope(kt, heads: H, headDim: hd, dims: dims, cache: cs, neox: true)
                        }
                    }
                }
            }
            attention(offsets: offsets, lengths: sequences.map(\.count), heads: H, headDim: hd, scale: scale)
            linear(L.output, attn, total, xb)
            pool.parallelRanges(total, minChunk: 16) { r in
                for t in r {
                    let xt = x + t * E, bt = xb + t * E
                    for i in 0..<E { bt[i] += xt[i] }
                    BertKernels.layerNorm(xt, bt, L.attnNormW, L.attnNormB, E, eps: eps)
                }
            }
            if let gate = L.gate, let up = hb2 {
                let ff = c.feedForward, kernels = matmul.useKernels
                linear(gate, x, total, hb)
                linear(L.up, x, total, up)
                pool.parallelRanges(total, minChunk: 16) { r in
                    for t in r {
                        if kernels { lai_swiglu(hb + t * ff, up + t * ff, Int32(ff)) } else { Ops.swiglu(hb + t * ff, up + t * ff, ff) }
                    }
                }
            } else {
                linear(L.up, x, total, hb, gelu: true)
            }
            linear(L.down, hb, total, xb)
            pool.parallelRanges(total, minChunk: 16) { r in
                for t in r {
                    let xt = x + t * E, bt = xb + t * E
                    for i in 0..<E { bt[i] += xt[i] }
                    BertKernels.layerNorm(xt, bt, L.outNormW, L.outNormB, E, eps: eps)
                }
            }
        }
        pool.parallelFor(sequences.count) { s in
            let o = out + s * E
            pooling.pool(x + offsets[s] * E, n: sequences[s].count, dim: E, stride: E, into: o)
            if normalize { Pooling.l2Normalize(o, E) }
        }
    }

    /// Runs `body` with OpenBLAS held to one thread per call (lai's threads call it concurrently), then restores it.
    package static func withSingleThreadedBLAS<T>(_ body: () throws -> T) rethrows -> T {
        let saved = openblas_get_num_threads()
        if saved != 1 { openblas_set_num_threads(1) }
        defer { if saved != 1 { openblas_set_num_threads(saved) } }
        return try body()
    }

    /// x (n, cols) · Wᵀ + b → out (n, rows), optionally followed by GELU; rows split over the pool.
    private func linear(_ l: BertLinear, _ xin: UnsafePointer<Float>, _ n: Int, _ out: UnsafeMutablePointer<Float>, gelu: Bool = false) {
        let rows = l.w.rows, cols = l.w.cols
        if let w = l.dense, n < 128, pool.threadCount > 1 {
            // Few tokens (a query): split the weight rows instead, so every thread has work.
            pool.parallelRanges(rows, minChunk: 64, oversubscribe: 1) { r in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(r.count), Int32(cols),
                            1, xin, Int32(cols), w + r.lowerBound * cols, Int32(cols), 0, out + r.lowerBound, Int32(rows))
            }
            pool.parallelRanges(n, minChunk: 16) { r in Self.finish(out, r, rows: rows, bias: l.bias, gelu: gelu) }
        } else if let w = l.dense {
            pool.parallelRanges(n, minChunk: 64, oversubscribe: 2) { r in
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(r.count), Int32(rows), Int32(cols),
                            1, xin + r.lowerBound * cols, Int32(cols), w, Int32(cols), 0, out + r.lowerBound * rows, Int32(rows))
                Self.finish(out, r, rows: rows, bias: l.bias, gelu: gelu)
            }
        } else {
            matmul.apply(l.w, xin, n: n, out)
            pool.parallelRanges(n, minChunk: 16) { r in Self.finish(out, r, rows: rows, bias: l.bias, gelu: gelu) }
        }
    }

    @inline(__always)
    private static func finish(_ out: UnsafeMutablePointer<Float>, _ r: Range<Int>, rows: Int, bias: UnsafePointer<Float>?, gelu: Bool) {
        for t in r {
            let o = out + t * rows
            if let b = bias { for i in 0..<rows { o[i] += b[i] } }
            if gelu { BertKernels.gelu(o, rows) }
        }
    }

    /// Bidirectional attention for every (sequence, head): softmax(scale · Q Kᵀ) V over the sequence's rows.
    /// Tasks are claimed from a shared counter by one loop per thread, each with its own score buffer.
    private func attention(offsets: [Int], lengths: [Int], heads H: Int, headDim hd: Int, scale: Float) {
        let E = config.embedding, ctx = config.context
        let q = self.q, k = self.k, v = self.v, attn = self.attn, scores = self.scores
        // Longest sequences first so the tail of the loop is short tasks.
        let order = lengths.indices.sorted { lengths[$0] > lengths[$1] }
        let tasks = order.count * H
        let next = TaskCounter()
        pool.parallelFor(pool.threadCount) { slot in
            let S = scores + slot * ctx * ctx
            while true {
                let task = next.claim()
                if task >= tasks { return }
                let s = order[task / H], h = task % H
                let n = lengths[s], o = offsets[s] * E + h * hd
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(hd),
                            scale, q + o, Int32(E), k + o, Int32(E), 0, S, Int32(n))
                for i in 0..<n { BertKernels.softmax(S + i * n, n) }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(hd), Int32(n),
                            1, S, Int32(n), v + o, Int32(E), 0, attn + o, Int32(E))
            }
        }
    }
}

/// A shared task counter for loops that claim work dynamically.
final class TaskCounter: Sendable {
    private let value = Atomic<Int>(0)
    func claim() -> Int { value.add(1, ordering: .relaxed).oldValue }
    /// Adds `n` and returns the new total.
    func add(_ n: Int) -> Int { value.add(n, ordering: .relaxed).newValue }
}
