// LlamaSession: the run state of one conversation with a llama-family model: KV cache, buffers, forward pass.
import Foundation
import LAIKernels

/// Which positions of a forward pass need logits.
package enum LogitsMode: Sendable { case none, last, all }

/// A KV cache and the buffers of one forward pass, all allocated once (llama2.c's RunState).
///
/// `evaluate` runs the transformer over a batch of tokens appended at `position` and returns the logits
/// it was asked for. Prompts are processed many tokens per matrix product (up to `batchCapacity`).
package final class LlamaSession {
    package let model: LlamaModel
    package let config: LlamaConfig
    package let contextSize: Int
    package let batchCapacity: Int
    /// Tokens currently in the KV cache.
    package private(set) var position = 0
    package let matmul: MatMul
    package var pool: ThreadPool { matmul.pool }

    // KV cache, f16 as llama.cpp's default: (layer, ctx, kvDim)
    private let keyCache: UnsafeMutablePointer<UInt16>
    private let valueCache: UnsafeMutablePointer<UInt16>
    // Per-batch activations, (batch, dim) row-major.
    private let x, xb, q, k, v, attn, hb, hb2: UnsafeMutablePointer<Float>
    private let ropeTable: UnsafeMutablePointer<Float>     // (batch, ropeDims)
    private let attnScratch: UnsafeMutableRawPointer      // (batch * heads, 2 * headDim) f16
    private var logitsBuffer: UnsafeMutablePointer<Float>
    private var logitsRows: Int
    private let useKernels: Bool
    // Per layer: the products that share an input, dispatched together.
    private var qkvJobs: [[MatMulJob]] = []
    private var gateUpJobs: [[MatMulJob]] = []

    /// Bytes held by the KV cache.
    package var kvCacheBytes: Int { 2 * config.layers * contextSize * config.kvDim * 2 }

    package init(model: LlamaModel, contextSize: Int, batchCapacity: Int = 512, pool: ThreadPool = .shared, useKernels: Bool = true) {
        self.model = model
        let c = model.config
        config = c
        self.contextSize = max(1, contextSize)
        self.batchCapacity = max(1, min(batchCapacity, self.contextSize))
        matmul = MatMul(pool: pool, useKernels: useKernels)
        self.useKernels = matmul.useKernels
        let cacheCount = c.layers * self.contextSize * c.kvDim
        keyCache = .allocate(capacity: cacheCount)
        valueCache = .allocate(capacity: cacheCount)
        let B = self.batchCapacity
        func buf(_ n: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            p.initialize(repeating: 0, count: n)
            return p
        }
        x = buf(B * c.embedding); xb = buf(B * c.embedding)
        q = buf(B * c.qDim); k = buf(B * c.kvDim); v = buf(B * c.kvDim); attn = buf(B * c.qDim)
        hb = buf(B * c.feedForward); hb2 = buf(B * c.feedForward)
        ropeTable = buf(B * c.ropeDims)
        attnScratch = .allocate(byteCount: B * c.heads * 4 * c.headDim, alignment: 64)
        logitsRows = 1
        logitsBuffer = buf(c.vocabulary)
        qkvJobs = model.layers.map { [MatMulJob($0.wq, q), MatMulJob($0.wk, k), MatMulJob($0.wv, v)] }
        gateUpJobs = model.layers.map { [MatMulJob($0.gate, hb), MatMulJob($0.up, hb2)] }
    }

    deinit {
        keyCache.deallocate(); valueCache.deallocate()
        for p in [x, xb, q, k, v, attn, hb, hb2, ropeTable, logitsBuffer] { p.deallocate() }
        attnScratch.deallocate()
    }

    /// Forgets the conversation (the cache is simply overwritten from position 0).
    package func reset() { position = 0 }

    /// Drops cached tokens after `n` (to re-evaluate from there).
    package func truncate(to n: Int) { position = min(position, max(0, n)) }

    /// Runs `tokens` at the current position and returns logits: the last token's (`.last`, `vocab` floats),
    /// every token's (`.all`, `tokens.count × vocab`), or none. Throws `contextFull` if they do not fit.
    @discardableResult
    package func evaluate(_ tokens: [Int32], logits mode: LogitsMode = .last) throws -> UnsafeBufferPointer<Float> {
        guard position + tokens.count <= contextSize else { throw ModelError.contextFull(limit: contextSize) }
        let vocab = config.vocabulary
        for t in tokens where t < 0 || Int(t) >= vocab {
            throw ModelError.invalid(path: model.file.path, message: "token id \(t) is outside the vocabulary (\(vocab))")
        }
        let rowsNeeded = mode == .all ? tokens.count : (mode == .last ? 1 : 0)
        if rowsNeeded > logitsRows {
            logitsBuffer.deallocate()
            logitsBuffer = .allocate(capacity: rowsNeeded * vocab)
            logitsRows = rowsNeeded
        }
        var start = 0
        while start < tokens.count {
            let n = min(batchCapacity, tokens.count - start)
            let isLast = start + n == tokens.count
            let outRows: Range<Int>? = switch mode {
            case .all: 0..<n
            case .last: isLast ? (n - 1)..<n : nil
            case .none: nil
            }
            let dst = mode == .all ? logitsBuffer + start * vocab : logitsBuffer
            tokens.withUnsafeBufferPointer { forward(UnsafeBufferPointer(rebasing: $0[start..<(start + n)]), logitRows: outRows, logits: dst) }
            start += n
        }
        return UnsafeBufferPointer(start: logitsBuffer, count: rowsNeeded * vocab)
    }

    /// One batch of n ≤ batchCapacity tokens through every layer.
    private func forward(_ tokens: UnsafeBufferPointer<Int32>, logitRows: Range<Int>?, logits: UnsafeMutablePointer<Float>) {
        let c = config, n = tokens.count, p0 = position
        let E = c.embedding, hd = c.headDim, kvd = c.kvDim, qd = c.qDim, ff = c.feedForward
        let x = self.x, xb = self.xb, q = self.q, k = self.k, v = self.v, attn = self.attn, hb = self.hb, hb2 = self.hb2
        let rope = ropeTable, rd = c.ropeDims
        let emb = model.tokenEmbedding
        pool.parallelRanges(n) { r in
            for t in r {
                emb.dequantizeRow(Int(tokens[t]), into: x + t * E)
                Ops.ropeCache(rope + t * rd, position: p0 + t, dims: rd, base: c.ropeBase, freqScale: c.ropeFreqScale)
            }
        }
        let scale = 1 / Float(hd).squareRoot()
        let group = c.heads / c.kvHeads
        let kc = keyCache, vc = valueCache, ctx = contextSize
        let scratch = attnScratch
        let kernels = useKernels
        for (l, L) in model.layers.enumerated() {
            // attention
            pool.parallelRanges(n) { r in for t in r { Ops.rmsNorm(xb + t * E, x + t * E, L.attnNorm, E, eps: c.rmsEps) } }
            matmul.apply(qkvJobs[l], xb, n: n)
            let layerK = kc + l * ctx * kvd, layerV = vc + l * ctx * kvd
            pool.parallelRanges(n) { r in
                for t in r {
                    let qt = q + t * qd, kt = k + t * kvd, vt = v + t * kvd
                    if let b = L.bq { for i in 0..<qd { qt[i] += b[i] } }
                    if let b = L.bk { for i in 0..<kvd { kt[i] += b[i] } }
                    if let b = L.bv { for i in 0..<kvd { vt[i] += b[i] } }
                    if kernels {
                        lai_rope(qt, Int32(c.heads), Int32(hd), Int32(rd), rope + t * rd, c.ropeNeox ? 1 : 0)
                        lai_rope(kt, Int32(c.kvHeads), Int32(hd), Int32(rd), rope + t * rd, c.ropeNeox ? 1 : 0)
                    } else {
                        Ops.rope(qt, heads: c.heads, headDim: hd, dims: rd, cache: rope + t * rd, neox: c.ropeNeox)
                        Ops.rope(kt, heads: c.kvHeads, headDim: hd, dims: rd, cache: rope + t * rd, neox: c.ropeNeox)
                    }
                    let kd = layerK + (p0 + t) * kvd, vd = layerV + (p0 + t) * kvd
                    if kernels { lai_f32_to_f16(kt, kd, Int32(kvd)); lai_f32_to_f16(vt, vd, Int32(kvd)) } else {
                        for i in 0..<kvd { kd[i] = Float16(kt[i]).bitPattern; vd[i] = Float16(vt[i]).bitPattern }
                    }
                }
            }
            pool.parallelFor(n * c.heads) { task in
                let t = task / c.heads, h = task % c.heads, kvh = h / group
                let kp = UnsafeRawPointer(layerK + kvh * hd), vp = UnsafeRawPointer(layerV + kvh * hd)
                let out = attn + t * qd + h * hd
                if kernels {
                    lai_attention_f16(q + t * qd + h * hd, kp, vp, kvd * 2, Int32(p0 + t + 1), Int32(hd), scale, out, scratch + task * 4 * hd)
                } else {
                    Ops.attentionF16Reference(q + t * qd + h * hd, k: kp, v: vp, kvStride: kvd * 2, n: p0 + t + 1, hd: hd, scale: scale, out: out)
                }
            }
            matmul.apply(L.wo, attn, n: n, xb)
            pool.parallelRanges(n) { r in
                for t in r {
                    let xt = x + t * E, bt = xb + t * E
                    for i in 0..<E { xt[i] += bt[i] }
                    Ops.rmsNorm(bt, xt, L.ffnNorm, E, eps: c.rmsEps)
                }
            }
            // feed-forward
            matmul.apply(gateUpJobs[l], xb, n: n)
            pool.parallelRanges(n) { r in
                for t in r { if kernels { lai_swiglu(hb + t * ff, hb2 + t * ff, Int32(ff)) } else { Ops.swiglu(hb + t * ff, hb2 + t * ff, ff) } }
            }
            matmul.apply(L.down, hb, n: n, xb)
            pool.parallelRanges(n) { r in
                for t in r { let xt = x + t * E, bt = xb + t * E; for i in 0..<E { xt[i] += bt[i] } }
            }
        }
        position += n
        guard let rows = logitRows else { return }
        for (i, t) in rows.enumerated() { Ops.rmsNorm(xb + i * E, x + t * E, model.outputNorm, E, eps: c.rmsEps) }
        matmul.apply(model.output, xb, n: rows.count, logits)
    }
}

// Embeddings from a decoder (for users without a dedicated embedding model).
extension LlamaSession {
    /// Runs `tokens` from position 0 (the cache is reset) and returns the final hidden state after output_norm,
    /// averaged over all tokens (`last: false`) or of the last token; `embedding` floats, not normalized.
    package func pooledHiddenState(_ tokens: [Int32], last: Bool) throws -> [Float] {
        reset()
        guard !tokens.isEmpty else { throw ModelError.invalid(path: model.file.path, message: "nothing to embed (no tokens)") }
        guard tokens.count <= contextSize else { throw ModelError.contextFull(limit: contextSize) }
        let vocab = config.vocabulary
        for t in tokens where t < 0 || Int(t) >= vocab {
            throw ModelError.invalid(path: model.file.path, message: "token id \(t) is outside the vocabulary (\(vocab))")
        }
        let E = config.embedding
        var sum = [Double](repeating: 0, count: E)
        var out = [Float](repeating: 0, count: E)
        var start = 0
        while start < tokens.count {
            let n = min(batchCapacity, tokens.count - start)
            tokens.withUnsafeBufferPointer { forward(UnsafeBufferPointer(rebasing: $0[start..<(start + n)]), logitRows: nil, logits: logitsBuffer) }
            for t in 0..<n {
                if last && start + t != tokens.count - 1 { continue }
                Ops.rmsNorm(xb, x + t * E, model.outputNorm, E, eps: config.rmsEps)
                for i in 0..<E { sum[i] += Double(xb[i]) }
            }
            start += n
        }
        let count = last ? 1 : tokens.count
        for i in 0..<E { out[i] = Float(sum[i] / Double(count)) }
        reset()
        return out
    }
}
