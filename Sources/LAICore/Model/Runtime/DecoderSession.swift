// DecoderSession: runs a DecoderModel over batches of (token, position, sequence) rows against a KVCache.
import Foundation
import LAIKernels
import Synchronization

/// The buffers of one forward pass, allocated once for `batchCapacity` rows (llama2.c's RunState), and the
/// KV cache of `sequences` sequences of up to `contextSize` tokens each.
///
/// `decode(batch)` is the general entry point; `evaluate(tokens)` appends to sequence 0 for one-conversation use.
/// Every block runs on all rows of a batch at once: matrix products over the rows, per-row work spread over the
/// thread pool, attention as llama.cpp's CPU flash attention picks it: tiles of 64 rows × head for a batch of ≥ 64
/// rows, the cache split over the threads for one row over ≥ 512 cells, otherwise one task per (row, query heads of one KV head).
package final class DecoderSession {
    package let model: DecoderModel
    package let config: DecoderConfig
    package let contextSize: Int
    package let batchCapacity: Int
    package let cache: KVCache
    package let matmul: MatMul
    package var pool: ThreadPool { matmul.pool }
    /// Tokens of sequence 0 in the cache.
    package var position: Int { cache.lengths[0] }
    /// Bytes held by the KV cache.
    package var kvCacheBytes: Int { cache.bytes }

    private let useKernels: Bool
    private let ropes: [RopeParameters]           // per layer
    private let ropeOfLayer: [Int]                // index into the distinct tables below
    private let distinctRopes: [RopeParameters]
    // Per-batch activations, (rows, dim) row-major.
    private let x, xb, branch, branch2, q, k, v, attn, hb, hb2: UnsafeMutablePointer<Float>
    private let ropeTables: UnsafeMutablePointer<Float>   // (distinct ropes, rows, dims)
    private let attnScratch: UnsafeMutableRawPointer      // (rows * heads, 4 * headDim) bytes per task
    // Tiled attention (batches of ≥ 64 rows): per thread lane, lai_attention_tiled_scratch_floats(headDim) floats;
    // the tiles as (first row, rows) pairs; the next task to claim.
    private let tiledScratch: UnsafeMutablePointer<Float>
    private let tiles: UnsafeMutablePointer<Int>          // (rows, 2)
    private let nextTile = Atomic<Int>(0)
    // Split-KV attention (one row over ≥ 512 cells): (heads, threads, 2 + headDim) partials, and per task 4 * headDim bytes.
    private let splitPartials: UnsafeMutablePointer<Float>
    private let splitScratch: UnsafeMutableRawPointer
    private let rowPositions: UnsafeMutablePointer<Int>
    private let rowSequences: UnsafeMutablePointer<Int>
    // Mixture of experts: router output, choices and weights per row, gathered rows, per-choice outputs.
    private let routerLogits, expertIn, expertOut, choiceOut: UnsafeMutablePointer<Float>
    private let choices: UnsafeMutablePointer<Int32>
    private let choiceWeights: UnsafeMutablePointer<Float>
    private var logitsBuffer: UnsafeMutablePointer<Float>
    private var logitsRows: Int
    private let geluTable: UnsafeMutablePointer<Float>
    // Latent attention: raw Q, the low-rank Q, a per-head gather buffer, the expanded per-head values.
    private let mlaRawQ, mlaQA, mlaGather, mlaValues: UnsafeMutablePointer<Float>

    package init(model: DecoderModel, contextSize: Int, batchCapacity: Int = 512, sequences: Int = 1,
                 pool: ThreadPool = .shared, useKernels: Bool = true) {
        self.model = model
        let c = model.config
        config = c
        self.contextSize = max(1, contextSize)
        self.batchCapacity = max(1, min(batchCapacity, self.contextSize * max(1, sequences)))
        matmul = MatMul(pool: pool, useKernels: useKernels)
        self.useKernels = matmul.useKernels
        cache = KVCache(layers: c.layers, kvDim: c.kvDim, cellsPerSequence: self.contextSize, sequences: sequences)
        let ctx = self.contextSize
        ropes = (0..<c.layers).map { model.rope(layer: $0, contextSize: ctx) }
        var distinct: [RopeParameters] = []
        var index: [Int] = []
        for r in ropes {
            if let i = distinct.firstIndex(where: { $0.base == r.base && $0.freqScale == r.freqScale && $0.factors == r.factors && $0.attnFactor == r.attnFactor }) {
                index.append(i)
            } else { index.append(distinct.count); distinct.append(r) }
        }
        distinctRopes = distinct; ropeOfLayer = index
        let B = self.batchCapacity, E = c.embedding
        func buf(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n))
            p.initialize(repeating: 0, count: max(1, n))
            return p
        }
        let ff = c.largestFeedForward
        x = buf(B * E); xb = buf(B * E); branch = buf(B * E); branch2 = buf(B * E)
        q = buf(B * c.qDim); k = buf(B * c.kvDim); v = buf(B * c.kvDim); attn = buf(B * c.qDim)
        hb = buf(B * ff); hb2 = buf(B * ff)
        ropeTables = buf(distinct.count * B * c.rope.dims)
        attnScratch = .allocate(byteCount: B * c.heads * 4 * c.headDim, alignment: 64)
        let lanes = matmul.pool.threadCount
        tiledScratch = .allocate(capacity: lanes * lai_attention_tiled_scratch_floats(Int32(c.headDim)))
        tiles = .allocate(capacity: 2 * B)
        splitPartials = buf(c.heads * lanes * (2 + c.headDim))
        splitScratch = .allocate(byteCount: c.heads * lanes * 4 * c.headDim, alignment: 64)
        rowPositions = .allocate(capacity: B); rowSequences = .allocate(capacity: B)
        let moe = c.experts > 0
        routerLogits = buf(moe ? B * c.experts : 1)
        expertIn = buf(moe ? B * E : 1); expertOut = buf(moe ? B * E : 1)
        choiceOut = buf(moe ? B * c.expertsUsed * E : 1)
        choices = .allocate(capacity: max(1, B * c.expertsUsed))
        choiceWeights = buf(B * c.expertsUsed)
        logitsRows = 1
        logitsBuffer = buf(c.vocabulary)
        let latent = model.layers.lazy.compactMap(\.latentAttention).first
        let H = c.heads
        mlaRawQ = buf(latent.map { B * H * ($0.nope + $0.rope) } ?? 1)
        mlaQA = buf(latent.map { B * ($0.qA?.rows ?? 1) } ?? 1)
        mlaGather = buf(latent.map { B * max($0.nope, $0.rank) } ?? 1)
        mlaValues = buf(latent.map { B * H * $0.valueDim } ?? 1)
        geluTable = .allocate(capacity: 65536)
        Ops.geluF16Table.withUnsafeBufferPointer { geluTable.initialize(from: $0.baseAddress!, count: 65536) }
    }

    deinit {
        for p in [x, xb, branch, branch2, q, k, v, attn, hb, hb2, ropeTables, routerLogits, expertIn, expertOut, choiceOut,
                  choiceWeights, logitsBuffer, geluTable, mlaRawQ, mlaQA, mlaGather, mlaValues] { p.deallocate() }
        attnScratch.deallocate(); tiledScratch.deallocate(); tiles.deallocate(); splitPartials.deallocate(); splitScratch.deallocate()
        rowPositions.deallocate(); rowSequences.deallocate(); choices.deallocate()
    }

    /// Forgets sequence 0 (the cache is simply overwritten from position 0).
    package func reset() { cache.clear(sequence: 0) }

    /// Drops sequence 0's cached tokens after `n` (to re-evaluate from there).
    package func truncate(to n: Int) { cache.truncate(sequence: 0, to: n) }

    /// Runs `tokens` at the current position of sequence 0 and returns logits: the last token's (`.last`,
    /// `vocab` floats), every token's (`.all`, `tokens.count × vocab`), or none. Throws `contextFull` if they do not fit.
    @discardableResult
    package func evaluate(_ tokens: [Int32], logits mode: LogitsMode = .last) throws -> UnsafeBufferPointer<Float> {
        guard position + tokens.count <= contextSize else { throw ModelError.contextFull(limit: contextSize) }
        return try decode(Batch(tokens: tokens, from: position, sequence: 0, logits: mode))
    }

    /// Runs every row of `batch` and returns the logits of the rows that want them, in row order
    /// (`vocab` floats each). Rows of one sequence must continue it: positions from its current length on.
    @discardableResult
    package func decode(_ batch: Batch) throws -> UnsafeBufferPointer<Float> {
        let vocab = config.vocabulary
        var next = cache.lengths
        for i in 0..<batch.count {
            let t = batch.tokens[i], p = batch.positions[i], s = batch.sequences[i]
            guard t >= 0 && Int(t) < vocab else {
                throw ModelError.invalid(path: model.file.path, message: "token id \(t) is outside the vocabulary (\(vocab))")
            }
            guard s >= 0 && s < cache.sequences else {
                throw ModelError.invalid(path: model.file.path, message: "sequence \(s) does not exist (the session has \(cache.sequences))")
            }
            guard p < contextSize else { throw ModelError.contextFull(limit: contextSize) }
            guard p >= 0 && p <= next[s] else {
                throw ModelError.invalid(path: model.file.path, message: "position \(p) of sequence \(s) leaves a gap (it holds \(next[s]) tokens)")
            }
            next[s] = max(next[s], p + 1)
        }
        let rowsNeeded = batch.logitRows
        if rowsNeeded > logitsRows {
            logitsBuffer.deallocate()
            logitsBuffer = .allocate(capacity: rowsNeeded * vocab)
            logitsRows = rowsNeeded
        }
        var start = 0, written = 0
        while start < batch.count {
            let n = min(batchCapacity, batch.count - start)
            for i in 0..<n { rowPositions[i] = batch.positions[start + i]; rowSequences[i] = batch.sequences[start + i] }
            let wanted = (0..<n).filter { batch.wantsLogits[start + $0] }
            batch.tokens.withUnsafeBufferPointer { forward(UnsafeBufferPointer(rebasing: $0[start..<(start + n)])) }
            for i in 0..<n { cache.extend(sequence: rowSequences[i], to: rowPositions[i] + 1) }
            if !wanted.isEmpty { computeLogits(rows: wanted, into: logitsBuffer + written * vocab) }
            written += wanted.count
            start += n
        }
        return UnsafeBufferPointer(start: logitsBuffer, count: rowsNeeded * vocab)
    }

    // MARK: - Forward pass

    /// n ≤ batchCapacity rows (positions and sequences already in rowPositions/rowSequences) through every layer;
    /// leaves the last hidden states in `x`.
    private func forward(_ tokens: UnsafeBufferPointer<Int32>) {
        let c = config, n = tokens.count, E = c.embedding
        let x = self.x, emb = model.tokenEmbedding, scale = c.embeddingScale
        let pos = rowPositions, B = batchCapacity, rd = c.rope.dims
        let tables = ropeTables, ropesList = distinctRopes
        pool.parallelRanges(n) { r in
            for t in r {
                emb.dequantizeRow(Int(tokens[t]), into: x + t * E)
                if scale != 1 { for i in 0..<E { x[t * E + i] *= scale } }
                for (j, rope) in ropesList.enumerated() { rope.fill(tables + (j * B + t) * rd, position: pos[t]) }
            }
        }
        for (l, L) in model.layers.enumerated() {
            let residual = c.residualScale
            if L.parallel {
                normRows(L.attentionNorm, n)
                attention(l, L, n, out: branch)
                normRows(L.feedForwardNorm, n)
                feedForward(L.feedForward, n, out: branch2)
                pool.parallelRanges(n) { r in
                    for t in r {
                        let xt = x + t * E, a = self.branch + t * E, f = self.branch2 + t * E
                        for i in 0..<E { xt[i] += f[i] + a[i] }
                    }
                }
                continue
            }
            normRows(L.attentionNorm, n)
            attention(l, L, n, out: branch)
            addResidual(L.attentionPostNorm, n, scale: residual)
            normRows(L.feedForwardNorm, n)
            feedForward(L.feedForward, n, out: branch)
            addResidual(L.feedForwardPostNorm, n, scale: residual)
        }
    }

    /// xb ← norm(x) row by row (a copy of x when the block has no pre-norm).
    private func normRows(_ norm: Norm?, _ n: Int) {
        let E = config.embedding, x = self.x, xb = self.xb
        pool.parallelRanges(n) { r in
            for t in r {
                if let norm { norm.apply(xb + t * E, x + t * E) } else { (xb + t * E).update(from: x + t * E, count: E) }
            }
        }
    }

    /// x ← x + scale · post(branch).
    private func addResidual(_ post: Norm?, _ n: Int, scale: Float) {
        let E = config.embedding, x = self.x, b = branch
        pool.parallelRanges(n) { r in
            for t in r {
                let bt = b + t * E, xt = x + t * E
                post?.apply(bt, bt)
                if scale != 1 { for i in 0..<E { xt[i] += bt[i] * scale } } else { for i in 0..<E { xt[i] += bt[i] } }
            }
        }
    }

    /// Self-attention of xb's rows into `out` (n × E).
    private func attention(_ l: Int, _ L: DecoderLayer, _ n: Int, out: UnsafeMutablePointer<Float>) {
        if let latent = L.latentAttention { latentAttention(l, latent, n, out: out); return }
        guard let a = L.attention else { return }
        let c = config
        let hd = c.headDim, kvd = c.kvDim, qd = c.qDim
        let q = self.q, k = self.k, v = self.v, attn = self.attn
        matmul.apply([MatMulJob(a.q, q), MatMulJob(a.k, k), MatMulJob(a.v, v)], xb, n: n)
        let rope = ropes[l], rd = rope.dims, table = ropeTables + ropeOfLayer[l] * batchCapacity * rd
        let kernels = useKernels, pos = rowPositions, seqs = rowSequences
        let cache = self.cache
        let qScale = c.scalesQuery ? c.attentionScale : 1
        let temperature = c.attentionTemperatureScale, temperatureFloor = max(1, c.attentionTemperatureFloor)
        pool.parallelRanges(n) { r in
            for t in r {
                let qt = q + t * qd, kt = k + t * kvd, vt = v + t * kvd
                if let b = a.qBias { for i in 0..<qd { qt[i] += b[i] } }
                if let b = a.kBias { for i in 0..<kvd { kt[i] += b[i] } }
                if let b = a.vBias { for i in 0..<kvd { vt[i] += b[i] } }
                if let qn = a.qNorm { qn.apply(qt, qt, vectors: qd / qn.count) }
                if let kn = a.kNorm { kn.apply(kt, kt, vectors: kvd / kn.count) }
                let cs = table + t * rd
                if kernels {
                    lai_rope(qt, Int32(c.heads), Int32(hd), Int32(rd), cs, rope.neox ? 1 : 0)
                    lai_rope(kt, Int32(c.kvHeads), Int32(hd), Int32(rd), cs, rope.neox ? 1 : 0)
                } else {
                    Ops.rope(qt, heads: c.heads, headDim: hd, dims: rd, cache: cs, neox: rope.neox)
                    Ops.rope(kt, heads: c.kvHeads, headDim: hd, dims: rd, cache: cs, neox: rope.neox)
                }
                if temperature != 0 {
                    // llama.cpp computes this per position in double, then multiplies Q in f32
                    let f = Float(log(floor(Double(pos[t]) / Double(temperatureFloor)) + 1) * Double(temperature) + 1)
                    for i in 0..<qd { qt[i] *= f }
                }
                if qScale != 1 { for i in 0..<qd { qt[i] *= qScale } }
                let kd = cache.keys(layer: l, sequence: seqs[t]) + pos[t] * kvd
                let vd = cache.values(layer: l, sequence: seqs[t]) + pos[t] * kvd
                if kernels { lai_f32_to_f16(kt, kd, Int32(kvd)); lai_f32_to_f16(vt, vd, Int32(kvd)) } else {
                    for i in 0..<kvd { kd[i] = Float16(kt[i]).bitPattern; vd[i] = Float16(vt[i]).bitPattern }
                }
            }
        }
        let scale = c.scalesQuery ? 1 : c.attentionScale, softcap = c.attentionSoftcap
        let window = c.slidingLayers[l] ? c.slidingWindow : 0
        let causal = c.causal
        if causal && n >= Int(LAI_FA_TILE_Q) {
            tiledAttention(l, n, scale: scale, softcap: softcap, window: window)
        } else if causal && n == 1 && pool.threadCount > 1 && splitKVCells(position: pos[0]) >= 512 {
            splitAttention(l, scale: scale, softcap: softcap, window: window)
        } else {
            let group = c.heads / c.kvHeads, heads = c.heads, scratch = attnScratch
            let headsPerCall = useKernels ? headsPerTask(group: group, tasks: n * heads) : 1, tasksPerRow = heads / headsPerCall
            pool.parallelFor(n * tasksPerRow) { task in
                let t = task / tasksPerRow, h = task % tasksPerRow * headsPerCall, kvh = h / group
                // Keys lo...hi: causal up to the token itself (within the window); bidirectional over the whole
                // text, which is all in this batch (within ±window/2: llama.cpp's symmetric window).
                let p = pos[t]
                let lo = causal ? (window > 0 ? max(0, p - window + 1) : 0) : (window > 0 ? max(0, p - window / 2) : 0)
                let hi = causal ? p : (window > 0 ? min(n - 1, p + window / 2) : n - 1)
                let kp = UnsafeRawPointer(cache.keys(layer: l, sequence: seqs[t]) + lo * kvd + kvh * hd)
                let vp = UnsafeRawPointer(cache.values(layer: l, sequence: seqs[t]) + lo * kvd + kvh * hd)
                let o = attn + t * qd + h * hd
                if kernels {
                    lai_attention_f16_heads(q + t * qd + h * hd, Int32(headsPerCall), kp, vp, kvd * 2, Int32(hi - lo + 1), Int32(hd), scale, softcap, o,
                                            scratch + (t * heads + h) * 4 * hd)
                } else {
                    Ops.attentionF16Reference(q + t * qd + h * hd, k: kp, v: vp, kvStride: kvd * 2, n: hi - lo + 1, hd: hd, scale: scale, softcap: softcap, out: o)
                }
            }
        }
        matmul.apply(a.output, attn, n: n, out)
        if let b = a.outputBias { addBias(out, b, rows: n, cols: c.embedding) }
    }

    /// llama.cpp's tiled flash attention (ggml_compute_forward_flash_attn_ext_tiled), which ggml runs when the
    /// ubatch has ≥ GGML_FA_TILE_Q query rows: tasks of up to 64 consecutive rows of one sequence × one head,
    /// heaviest (latest) tiles first, claimed by one lane per thread so each lane reuses its scratch. A row's
    /// result does not depend on which rows share its tile (KV tiles start at cell 0 and fully masked ones are
    /// skipped), so this tiling gives ggml's values whatever its thread chunking.
    private func tiledAttention(_ l: Int, _ n: Int, scale: Float, softcap: Float, window: Int) {
        let c = config, hd = c.headDim, kvd = c.kvDim, qd = c.qDim, heads = c.heads, group = c.heads / c.kvHeads
        let q = self.q, attn = self.attn, pos = rowPositions, seqs = rowSequences, cache = self.cache, tiles = self.tiles
        var count = 0, t = 0
        while t < n {
            var e = t + 1
            while e < n && e - t < Int(LAI_FA_TILE_Q) && seqs[e] == seqs[t] { e += 1 }
            tiles[2 * count] = t; tiles[2 * count + 1] = e - t
            count += 1; t = e
        }
        let tasks = count * heads, kernels = useKernels
        let perLane = lai_attention_tiled_scratch_floats(Int32(hd)), scratch = tiledScratch
        nextTile.store(0, ordering: .relaxed)
        pool.parallelFor(min(pool.threadCount, tasks)) { lane in
            while true {
                let task = nextTile.wrappingAdd(1, ordering: .relaxed).oldValue
                if task >= tasks { break }
                let tile = count - 1 - task / heads, h = task % heads, kvh = h / group
                let t0 = tiles[2 * tile], rows = tiles[2 * tile + 1]
                let kp = UnsafeRawPointer(cache.keys(layer: l, sequence: seqs[t0]) + kvh * hd)
                let vp = UnsafeRawPointer(cache.values(layer: l, sequence: seqs[t0]) + kvh * hd)
                let qp = q + t0 * qd + h * hd, o = attn + t0 * qd + h * hd
                if kernels {
                    lai_attention_tiled_f16(qp, qd, pos + t0, Int32(rows), kp, vp, kvd * 2, Int32(window), Int32(hd),
                                            scale, softcap, o, qd, scratch + lane * perLane)
                } else {
                    Ops.attentionTiledReference(qp, qStride: qd, positions: pos + t0, rows: rows, k: kp, v: vp, kvStride: kvd * 2,
                                                window: window, hd: hd, scale: scale, softcap: softcap, out: o, outStride: qd)
                }
            }
        }
    }

    /// Query heads per one-query attention task: the largest divisor of the heads sharing a KV head (at most
    /// LAI_FA_MAX_HEADS) that still leaves two tasks per thread, of `tasks` one-head tasks. A task's heads run
    /// interleaved in one kernel call (lai_attention_f16_heads), each with the one-head kernel's exact arithmetic.
    private func headsPerTask(group: Int, tasks: Int) -> Int {
        var best = 1
        for d in 1...max(1, min(group, Int(LAI_FA_MAX_HEADS))) where group % d == 0 && tasks / d >= 2 * pool.threadCount { best = d }
        return best
    }

    /// llama.cpp's n_kv, the cache cells its attention reads, for a row at position p: the used cells rounded up to
    /// 256, at least 256, at most the cache size (llama_kv_cache::get_n_kv). Its split-KV path runs when the ubatch
    /// is one row and n_kv ≥ 512; with one thread it equals the one-query kernel.
    private func splitKVCells(position p: Int) -> Int { min(contextSize, max(256, (p + 1 + 255) / 256 * 256)) }

    /// llama.cpp's split-KV attention for one row: per (head, chunk of ⌈n_kv / threads⌉ cells) the one-query f16
    /// kernel leaves (max, sum, unnormalized values); then per head the chunks are merged in order
    /// (ggml_flash_attn_ext_reduce_partials). The chunks follow this session's thread count, so the values equal
    /// llama.cpp's run with the same number of threads.
    private func splitAttention(_ l: Int, scale: Float, softcap: Float, window: Int) {
        let c = config, hd = c.headDim, kvd = c.kvDim, heads = c.heads, group = c.heads / c.kvHeads
        let p = rowPositions[0], seq = rowSequences[0], lo = window > 0 ? max(0, p - window + 1) : 0
        let chunks = pool.threadCount, nKV = splitKVCells(position: p)
        let size = (nKV + chunks - 1) / chunks, part = 2 + hd
        let q = self.q, attn = self.attn, partials = splitPartials, scratch = splitScratch, kernels = useKernels
        let keys = cache.keys(layer: l, sequence: seq), values = cache.values(layer: l, sequence: seq)
        let headsPerCall = kernels ? headsPerTask(group: group, tasks: heads * chunks) : 1
        pool.parallelFor(heads / headsPerCall * chunks) { task in
            let h = task / chunks * headsPerCall, chunk = task % chunks, kvh = h / group
            let j0 = max(lo, chunk * size), j1 = min(p + 1, (chunk + 1) * size)
            // head h's partial of this chunk (the heads' partials are chunks * part floats apart)
            let out = partials + (h * chunks + chunk) * part
            if j0 >= j1 {
                for g in 0..<headsPerCall { out[g * chunks * part] = -.infinity; out[g * chunks * part + 1] = 0 }
                return
            }
            let kp = UnsafeRawPointer(keys + kvh * hd), vp = UnsafeRawPointer(values + kvh * hd)
            if kernels {
                lai_attention_f16_partial_heads(q + h * hd, Int32(headsPerCall), kp, vp, kvd * 2, Int32(j0), Int32(j1), Int32(hd), scale, softcap,
                                                out, chunks * part, scratch + task * headsPerCall * 4 * hd)
            } else {
                Ops.attentionF16PartialReference(q + h * hd, k: kp, v: vp, kvStride: kvd * 2, range: j0..<j1, hd: hd, scale: scale,
                                                 softcap: softcap, partial: out)
            }
        }
        for h in 0..<heads {
            if kernels {
                lai_attention_reduce_partials(partials + h * chunks * part, Int32(chunks), Int32(hd), attn + h * hd)
            } else {
                Ops.attentionReducePartialsReference(partials + h * chunks * part, chunks: chunks, hd: hd, out: attn + h * hd)
            }
        }
    }

    /// Multi-head latent attention (llama.cpp's absorbed MLA): the cache holds [normed latent | roped k_pe] per
    /// token as one KV head; Q becomes [k_b·q_nope | roped q_pe] per head; the values are the latent itself
    /// (the first `rank` dims of each cached key), expanded per head by v_b before the output projection.
    private func latentAttention(_ l: Int, _ a: LatentAttentionWeights, _ n: Int, out: UnsafeMutablePointer<Float>) {
        let c = config, H = c.heads, rank = a.rank, nope = a.nope, rd = a.rope, kq = nope + rd, kd = rank + rd
        let raw = mlaRawQ, q = self.q, kv = self.k, attn = self.attn, gather = mlaGather, values = mlaValues
        if let qA = a.qA, let qB = a.qB, let norm = a.qANorm {
            matmul.apply(qA, xb, n: n, mlaQA)
            let qa = mlaQA, r = qA.rows
            pool.parallelRanges(n) { rows in for t in rows { norm.apply(qa + t * r, qa + t * r) } }
            matmul.apply(qB, mlaQA, n: n, raw)
            matmul.apply(a.kvA, xb, n: n, kv)
        } else if let wq = a.q {
            matmul.apply([MatMulJob(wq, raw), MatMulJob(a.kvA, kv)], xb, n: n)
        }
        let rope = ropes[l], table = ropeTables + ropeOfLayer[l] * batchCapacity * rope.dims
        let kernels = useKernels, pos = rowPositions, seqs = rowSequences, cache = self.cache
        pool.parallelRanges(n) { r in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: H * rd) { pe in
                let pe = pe.baseAddress!
                for t in r {
                    let cs = table + t * rope.dims
                    // latent: normed; k_pe: roped; both into the cache cell as f16
                    let kt = kv + t * kd
                    a.kvANorm.apply(kt, kt)
                    if kernels { lai_rope(kt + rank, 1, Int32(rd), Int32(rd), cs, 0) } else { Ops.rope(kt + rank, heads: 1, headDim: rd, dims: rd, cache: cs, neox: false) }
                    let cell = cache.keys(layer: l, sequence: seqs[t]) + pos[t] * kd
                    if kernels { lai_f32_to_f16(kt, cell, Int32(kd)) } else { for i in 0..<kd { cell[i] = Float16(kt[i]).bitPattern } }
                    // q_pe of every head, roped, into the tail of each absorbed head
                    let qt = raw + t * H * kq
                    for h in 0..<H { (pe + h * rd).update(from: qt + h * kq + nope, count: rd) }
                    if kernels { lai_rope(pe, Int32(H), Int32(rd), Int32(rd), cs, 0) } else { Ops.rope(pe, heads: H, headDim: rd, dims: rd, cache: cs, neox: false) }
                    for h in 0..<H { (q + (t * H + h) * kd + rank).update(from: pe + h * rd, count: rd) }
                }
            }
        }
        // absorb: q[h][0..<rank] = k_b[h] · q_nope[h], one product per head over all rows
        for h in 0..<H {
            pool.parallelRanges(n) { r in for t in r { (gather + t * nope).update(from: raw + t * H * kq + h * kq, count: nope) } }
            matmul.apply(a.kB[h], gather, n: n, q + h * kd, outStride: H * kd)
        }
        let scale = c.attentionScale, scratch = attnScratch
        let headsPerCall = kernels ? headsPerTask(group: H, tasks: n * H) : 1, tasksPerRow = H / headsPerCall
        pool.parallelFor(n * tasksPerRow) { task in
            let t = task / tasksPerRow, h = task % tasksPerRow * headsPerCall
            let kp = UnsafeRawPointer(cache.keys(layer: l, sequence: seqs[t]))
            let o = attn + (t * H + h) * kd, qh = q + (t * H + h) * kd
            // values are the keys' first `rank` dims: run the kernel over all kd dims and keep those
            if kernels {
                lai_attention_f16_heads(qh, Int32(headsPerCall), kp, kp, kd * 2, Int32(pos[t] + 1), Int32(kd), scale, 0, o, scratch + (t * H + h) * 4 * kd)
            } else {
                Ops.attentionF16Reference(qh, k: kp, v: kp, kvStride: kd * 2, n: pos[t] + 1, hd: kd, scale: scale, out: o)
            }
        }
        // expand: values[h] = v_b[h] · o[h][0..<rank]
        let vd = a.valueDim
        for h in 0..<H {
            pool.parallelRanges(n) { r in for t in r { (gather + t * rank).update(from: attn + (t * H + h) * kd, count: rank) } }
            matmul.apply(a.vB[h], gather, n: n, values + h * vd, outStride: H * vd)
        }
        matmul.apply(a.output, values, n: n, out)
    }

    private func addBias(_ y: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, rows n: Int, cols: Int) {
        pool.parallelRanges(n) { r in for t in r { let yt = y + t * cols; for i in 0..<cols { yt[i] += b[i] } } }
    }

    /// The feed-forward block of xb's rows into `out` (n × E).
    private func feedForward(_ f: FeedForward, _ n: Int, out: UnsafeMutablePointer<Float>) {
        switch f {
        case let .dense(d): dense(d, input: xb, n, out: out)
        case let .experts(m): experts(m, n, out: out)
        }
    }

    /// One dense FFN over `n` rows of `input` into `out`.
    private func dense(_ d: DenseFeedForward, input: UnsafePointer<Float>, _ n: Int, out: UnsafeMutablePointer<Float>) {
        let ff = d.up.rows, hb = self.hb, hb2 = self.hb2, kernels = useKernels, table = UnsafePointer(geluTable)
        if let gate = d.gate {
            matmul.apply([MatMulJob(gate, hb), MatMulJob(d.up, hb2)], input, n: n)
            let gb = d.gateBias, ub = d.upBias
            pool.parallelRanges(n) { r in
                for t in r {
                    if let gb { let h = hb + t * ff; for i in 0..<ff { h[i] += gb[i] } }
                    if let ub { let h = hb2 + t * ff; for i in 0..<ff { h[i] += ub[i] } }
                    switch d.activation {
                    case .silu: if kernels { lai_swiglu(hb + t * ff, hb2 + t * ff, Int32(ff)) } else { Ops.swiglu(hb + t * ff, hb2 + t * ff, ff) }
                    case .gelu: Ops.geglu(hb + t * ff, hb2 + t * ff, ff, table: table)
                    }
                }
            }
        } else {
            matmul.apply(d.up, input, n: n, hb)
            let bias = d.upBias
            pool.parallelRanges(n) { r in
                for t in r {
                    let h = hb + t * ff
                    if let bias { for i in 0..<ff { h[i] += bias[i] } }
                    switch d.activation {
                    case .silu: for i in 0..<ff { h[i] = h[i] / (1 + expf(-h[i])) }
                    case .gelu: Ops.geluInPlace(h, ff, table: table)
                    }
                }
            }
        }
        matmul.apply(d.down, hb, n: n, out)
        if let b = d.downBias { addBias(out, b, rows: n, cols: d.down.rows) }
    }

    /// Mixture of experts: softmax router, top-k per row, each expert run once over the rows that chose it,
    /// outputs summed per row in choice order (as llama.cpp's build_moe_ffn), plus the shared expert.
    private func experts(_ m: MixtureOfExperts, _ n: Int, out: UnsafeMutablePointer<Float>) {
        let c = config, E = c.embedding, nExp = m.experts.count, K = m.used
        let logits = routerLogits, choices = self.choices, weights = choiceWeights
        matmul.apply(m.router, xb, n: n, logits)
        pool.parallelRanges(n) { r in
            for t in r {
                let lt = logits + t * nExp
                if m.sigmoidGating {
                    for e in 0..<nExp { lt[e] = 1 / (1 + expf(-lt[e])) }
                } else {
                    var mx = -Float.infinity
                    for e in 0..<nExp { mx = max(mx, lt[e]) }
                    var sum: Double = 0
                    for e in 0..<nExp { let v = expf(lt[e] - mx); lt[e] = v; sum += Double(v) }
                    let inv = Float(1 / sum)
                    for e in 0..<nExp { lt[e] *= inv }
                }
                // top-k by probability (plus the selection-only bias), lowest index first on ties
                let bias = m.selectionBias
                for j in 0..<K {
                    var best = -1
                    var bestScore = -Float.infinity
                    for e in 0..<nExp {
                        let score = lt[e] + (bias?[e] ?? 0)
                        guard best < 0 || score > bestScore else { continue }
                        if (0..<j).contains(where: { choices[t * K + $0] == Int32(e) }) { continue }
                        best = e; bestScore = score
                    }
                    choices[t * K + j] = Int32(best); weights[t * K + j] = lt[best]
                }
                if m.normalizeWeights {
                    var s: Float = 0
                    for j in 0..<K { s += weights[t * K + j] }
                    for j in 0..<K { weights[t * K + j] /= s }
                }
                if m.weightsScale != 1 { for j in 0..<K { weights[t * K + j] *= m.weightsScale } }
            }
        }
        let xin = expertIn, xout = expertOut, per = choiceOut, xb = self.xb
        var rows: [Int] = []
        rows.reserveCapacity(n * K)
        for e in 0..<nExp {
            rows.removeAll(keepingCapacity: true)
            for i in 0..<(n * K) where choices[i] == Int32(e) { rows.append(i) }
            if rows.isEmpty { continue }
            for (j, i) in rows.enumerated() { (xin + j * E).update(from: xb + (i / K) * E, count: E) }
            dense(m.experts[e], input: xin, rows.count, out: xout)
            for (j, i) in rows.enumerated() {
                let w = weights[i], src = xout + j * E, dst = per + i * E
                for d in 0..<E { dst[d] = src[d] * w }
            }
        }
        pool.parallelRanges(n) { r in
            for t in r {
                let o = out + t * E
                o.update(from: per + t * K * E, count: E)
                for j in 1..<max(1, K) { let s = per + (t * K + j) * E; for d in 0..<E { o[d] += s[d] } }
            }
        }
        if let shared = m.shared {
            dense(shared, input: xb, n, out: xout)
            let g = m.sharedGate
            pool.parallelRanges(n) { r in
                for t in r {
                    // Qwen2-MoE weighs the shared expert by sigmoid(g · x); DeepSeek adds it as is
                    var gate: Float = 1
                    if let g {
                        let xt = xb + t * E
                        var dot: Float = 0
                        for d in 0..<E { dot += g[d] * xt[d] }
                        gate = 1 / (1 + expf(-dot))
                    }
                    let o = out + t * E, s = xout + t * E
                    for d in 0..<E { o[d] += s[d] * gate }
                }
            }
        }
    }

    /// Final norm, output projection, softcap and logit scale for the chosen rows of `x`.
    private func computeLogits(rows: [Int], into logits: UnsafeMutablePointer<Float>) {
        let c = config, E = c.embedding, vocab = c.vocabulary
        for (i, t) in rows.enumerated() { model.outputNorm.apply(xb + i * E, x + t * E) }
        matmul.apply(model.output, xb, n: rows.count, logits)
        let bias = model.outputBias, cap = c.finalLogitSoftcap, inv = 1 / c.logitScale
        if bias == nil && cap == 0 && c.logitScale == 1 { return }
        pool.parallelRanges(rows.count) { r in
            for i in r {
                let l = logits + i * vocab
                if let bias { for j in 0..<vocab { l[j] += bias[j] } }
                if cap != 0 { for j in 0..<vocab { l[j] = tanhf(l[j] * (1 / cap)) * cap } }
                if inv != 1 { for j in 0..<vocab { l[j] *= inv } }
            }
        }
    }
}

// Embeddings from a decoder (for users without a dedicated embedding model).
extension DecoderSession {
    /// Runs `tokens` from position 0 (the cache is reset) and returns the final hidden state after output_norm,
    /// averaged over all tokens (`last: false`) or of the last token; `embedding` floats, not normalized.
    /// `reusing` n > 0 (last-token pooling of a causal model): the cache already holds `tokens[..<n]` from the
    /// previous call, which kept it (`keepCache`), and only the rest is run — a reranker's prompts share their
    /// template and query. The values are the whole run's: chunks keep the whole run's boundaries (multiples of
    /// batchCapacity), and when the rows left in the first chunk would take the one-query attention where the
    /// whole chunk takes the tiled one (≥ LAI_FA_TILE_Q rows), that chunk is run whole.
    package func pooledHiddenState(_ tokens: [Int32], last: Bool, reusing cached: Int = 0, keepCache: Bool = false) throws -> [Float] {
        guard !tokens.isEmpty else { throw ModelError.invalid(path: model.file.path, message: "nothing to embed (no tokens)") }
        var first = 0
        if cached > 0 {
            precondition(last && config.causal && cached < tokens.count && cached <= cache.lengths[0], "pooledHiddenState: bad reuse")
            let chunkStart = cached / batchCapacity * batchCapacity, chunkEnd = min(tokens.count, chunkStart + batchCapacity)
            let tile = Int(LAI_FA_TILE_Q)
            first = chunkEnd - chunkStart >= tile && chunkEnd - cached < tile ? chunkStart : cached
            truncate(to: first)
        } else {
            reset()
        }
        guard tokens.count <= contextSize else { throw ModelError.contextFull(limit: contextSize) }
        let vocab = config.vocabulary
        for t in tokens where t < 0 || Int(t) >= vocab {
            throw ModelError.invalid(path: model.file.path, message: "token id \(t) is outside the vocabulary (\(vocab))")
        }
        // A bidirectional model sees the whole text at once: it must fit in one batch.
        if !config.causal && tokens.count > batchCapacity {
            throw ModelError.invalid(path: model.file.path, message: "the text has \(tokens.count) tokens; this model embeds at most \(batchCapacity) at once")
        }
        let E = config.embedding
        var sum = [Double](repeating: 0, count: E)
        var start = first
        while start < tokens.count {
            let n = min(batchCapacity - start % batchCapacity, tokens.count - start)
            for i in 0..<n { rowPositions[i] = start + i; rowSequences[i] = 0 }
            tokens.withUnsafeBufferPointer { forward(UnsafeBufferPointer(rebasing: $0[start..<(start + n)])) }
            cache.extend(sequence: 0, to: start + n)
            for t in 0..<n {
                if last && start + t != tokens.count - 1 { continue }
                model.outputNorm.apply(xb, x + t * E)
                for i in 0..<E { sum[i] += Double(xb[i]) }
            }
            start += n
        }
        let count = Double(last ? 1 : tokens.count)
        if !keepCache { reset() }
        var pooled = sum.map { Float($0 / count) }
        // sentence-transformers Dense layers (no bias, identity activation), as llama.cpp's build_dense_out.
        for w in model.poolingProjections {
            var out = [Float](repeating: 0, count: w.rows)
            pooled.withUnsafeBufferPointer { x in out.withUnsafeMutableBufferPointer { matmul.apply(w, x.baseAddress!, n: 1, $0.baseAddress!) } }
            pooled = out
        }
        return pooled
    }
}
