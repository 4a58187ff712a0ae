// WeightMatrix: a 2-D weight tensor viewed in the model file, and the products that use it.
import LAIKernels

/// Errors about tensors a model needs.
package enum TensorError: Error, CustomStringConvertible {
    case missing(path: String, tensor: String)
    case badShape(path: String, tensor: String, shape: [Int], expected: [Int])
    case unsupportedType(path: String, tensor: String, type: String)

    package var description: String {
        switch self {
        case let .missing(p, t): "\(p): tensor '\(t)' is missing"
        case let .badShape(p, t, s, e): "\(p): tensor '\(t)' has shape \(s), expected \(e)"
        case let .unsupportedType(p, t, ty): "\(p): tensor '\(t)' has type \(ty), which lai cannot compute with yet"
        }
    }
}

/// The encoding a product converts its activations to (ggml's vec_dot_type, plus q8_0s: q8_0 blocks
/// that carry their integer sum, for the packed q4_0/q5_0/q8_0 kernels, q8_0p: the same quants split
/// into two parts for the AVX2 q8_0x8 kernel, and q8_Kw: q8_K with word-interleaved quants for the q6_K kernel).
package enum ActivationEncoding: Sendable {
    /// f16Rounded / bf16Rounded: f32 values rounded to f16 / bf16 (ggml's F16 and BF16 activations), stored
    /// widened for the F16 and BF16 kernels.
    case f32, f16Rounded, bf16Rounded, q8_0, q8_0s, q8_0p, q8_1, q8_K, q8_Kw

    package func rowBytes(_ cols: Int) -> Int {
        switch self {
        case .q8_0: cols / 32 * 34
        case .q8_0s, .q8_1: cols / 32 * 36
        case .q8_0p: cols / 32 * 72
        case .q8_K: cols / 256 * 292
        case .q8_Kw: cols / 256 * 320
        case .f16Rounded, .bf16Rounded: cols * 4
        case .f32: cols * 4
        }
    }
}

/// A copy of a matrix's weights interleaved in groups of 8 rows for the packed kernels (llama.cpp repacks
/// q4_0 and q4_K in the same spirit on AVX2; q5_0 and q8_0 are ours). The original rows stay valid in the
/// model file for everything else (embedding lookups, the portable path).
package final class PackedWeights: @unchecked Sendable {
    package enum Layout: Sendable { case q4_0x8, q4_Kx8, q5_0x8, q8_0x8 }
    package let layout: Layout
    /// Bytes per group of 8 rows.
    package let groupBytes: Int
    let storage: UnsafeMutableRawPointer

    /// Packs `rows` × `cols` weights of `type` when a packed kernel exists for it on this CPU, else nil.
    /// `release`, when given, is called with each stretch of original rows once it is packed (so a mapped
    /// file's pages can go before the next stretch is read, keeping the peak resident set flat).
    package static func make(type: GGMLType, rows: Int, cols: Int, data: UnsafeRawPointer, rowBytes: Int,
                             pool: ThreadPool = .shared, release: ((UnsafeRawPointer, Int) -> Void)? = nil) -> PackedWeights? {
        guard CPUFeatures.active.kernels, rows % 8 == 0, rows > 0 else { return nil }
        let layout: Layout, nb: Int
        switch type {
        case .q4_0 where cols % 32 == 0: layout = .q4_0x8; nb = cols / 32
        case .q4_K where cols % 256 == 0: layout = .q4_Kx8; nb = cols / 256
        case .q8_0 where cols % 32 == 0: layout = .q8_0x8; nb = cols / 32
        case .q5_0 where cols % 32 == 0: layout = .q5_0x8; nb = cols / 32
        default: return nil
        }
        let total = switch layout {
        case .q4_0x8: lai_packed_bytes_q4_0x8(Int32(rows), Int32(nb))
        case .q4_Kx8: lai_packed_bytes_q4_Kx8(Int32(rows), Int32(nb))
        case .q8_0x8: lai_packed_bytes_q8_0x8(Int32(rows), Int32(nb))
        case .q5_0x8: lai_packed_bytes_q5_0x8(Int32(rows), Int32(nb))
        }
        let p = PackedWeights(layout: layout, groupBytes: total / (rows / 8), bytes: total)
        let gb = p.groupBytes, out = p.storage
        // Groups are independent: pack them in parallel (a 1.5B model's matrices take a few hundred ms).
        pool.parallelRanges(rows / 8, minChunk: 16) { r in
            let src = data + r.lowerBound * 8 * rowBytes, dst = out + r.lowerBound * gb
            switch layout {
            case .q4_0x8: lai_pack_q4_0x8(src, rowBytes, Int32(r.count * 8), Int32(nb), dst)
            case .q4_Kx8: lai_pack_q4_Kx8(src, rowBytes, Int32(r.count * 8), Int32(nb), dst)
            case .q8_0x8: lai_pack_q8_0x8(src, rowBytes, Int32(r.count * 8), Int32(nb), dst)
            case .q5_0x8: lai_pack_q5_0x8(src, rowBytes, Int32(r.count * 8), Int32(nb), dst)
            }
            release?(src, r.count * 8 * rowBytes)
        }
        return p
    }

    private init(layout: Layout, groupBytes: Int, bytes: Int) {
        self.layout = layout; self.groupBytes = groupBytes
        storage = .allocate(byteCount: max(bytes, 1), alignment: 64)
    }

    deinit { storage.deallocate() }
}

/// `rows` × `cols` weights (ggml shape [cols, rows]) stored row by row in ggml blocks.
package struct WeightMatrix: @unchecked Sendable {
    package let name: String
    package let type: GGMLType
    package let rows: Int
    package let cols: Int
    package let data: UnsafeRawPointer
    package let rowBytes: Int
    /// The packed copy, if any, and where this matrix's first group starts in it (row views share it).
    package let packed: PackedWeights?
    package let packedBase: UnsafeRawPointer?

    /// Types whose products run on quantized activations or f16/f32 kernels.
    package static let kernelTypes: Set<GGMLType> = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q6_K, .iq4_nl, .iq4_xs]
    /// Types lai can compute with: the kernel types, plus every type the reference dequantizer knows
    /// (K-quants, BF16), multiplied row by row after dequantizing to f32.
    package static var computeTypes: Set<GGMLType> { kernelTypes.union(Dequantize.supported.subtracting([.q8_1, .q8_K])) }

    /// A matrix over bytes the caller keeps alive (tests, in-memory models).
    package init(name: String, type: GGMLType, rows: Int, cols: Int, data: UnsafeRawPointer, rowBytes: Int,
                 packed: PackedWeights? = nil, packedBase: UnsafeRawPointer? = nil) {
        self.name = name; self.type = type; self.rows = rows; self.cols = cols; self.data = data; self.rowBytes = rowBytes
        self.packed = packed; self.packedBase = packedBase ?? packed.map { UnsafeRawPointer($0.storage) }
    }

    /// This matrix with a packed copy for the packed kernels, when one exists for its type on this CPU.
    package func packedForKernels() -> WeightMatrix {
        guard packed == nil, let p = PackedWeights.make(type: type, rows: rows, cols: cols, data: data, rowBytes: rowBytes) else { return self }
        return WeightMatrix(name: name, type: type, rows: rows, cols: cols, data: data, rowBytes: rowBytes, packed: p)
    }

    package init(file: GGUFFile, name: String, rows: Int, cols: Int) throws {
        guard let t = file.tensor(named: name) else { throw TensorError.missing(path: file.path, tensor: name) }
        guard t.shape == [cols, rows] || (rows == 1 && t.shape == [cols]) else {
            throw TensorError.badShape(path: file.path, tensor: name, shape: t.shape, expected: [cols, rows])
        }
        guard Self.computeTypes.contains(t.type) else {
            throw TensorError.unsupportedType(path: file.path, tensor: name, type: t.type.name)
        }
        self.name = name; self.type = t.type; self.rows = rows; self.cols = cols
        self.data = file.data(t).baseAddress!
        self.rowBytes = t.type.rowBytes(cols)!
        // The products read the packed copy: the original pages go as they are packed (a tied embedding's
        // lookups fault the few rows they need back in from the file).
        let mapping = file.file
        packed = PackedWeights.make(type: type, rows: rows, cols: cols, data: data, rowBytes: rowBytes) { mapping.adviseDontNeed($0, bytes: $1) }
        packedBase = packed.map { UnsafeRawPointer($0.storage) }
        if packed != nil { mapping.adviseDontNeed(data, bytes: rows * rowBytes) }  // pages split between stretches
    }

    /// Rows `r` of this matrix as a matrix of their own over the same bytes (a fused QKV's q, k or v).
    package func rows(_ r: Range<Int>) -> WeightMatrix {
        precondition(r.lowerBound >= 0 && r.upperBound <= rows)
        // A view keeps the packed copy when it covers whole groups of 8 rows.
        let keep = r.lowerBound % 8 == 0 && r.count % 8 == 0 ? packed : nil
        return WeightMatrix(name: "\(name)[\(r.lowerBound)..<\(r.upperBound)]", type: type, rows: r.count, cols: cols,
                            data: data + r.lowerBound * rowBytes, rowBytes: rowBytes,
                            packed: keep, packedBase: keep.flatMap { p in packedBase.map { $0 + r.lowerBound / 8 * p.groupBytes } })
    }

    /// The activation encoding this weight type multiplies with (ggml's vec_dot_type) in the AVX2 kernels
    /// (`kernels`) or the portable path.
    package func activationType(kernels: Bool) -> ActivationEncoding {
        if let p = packed {
            switch p.layout {
            case .q4_Kx8: return .q8_K
            // VNNI multiplies the plain quants; the AVX2 kernel takes them split
            case .q8_0x8: return CPUFeatures.active.level >= .avx512vnni ? .q8_0s : .q8_0p
            case .q4_0x8, .q5_0x8: return .q8_0s
            }
        }
        switch type {
        case .q4_1, .q5_1: return .q8_1
        case .q4_0, .q5_0, .q8_0, .iq4_nl: return .q8_0
        case .q6_K: return kernels ? .q8_Kw : .q8_K
        case .q4_K, .iq4_xs: return .q8_K
        case .f16: return .f16Rounded
        case .bf16: return .bf16Rounded
        default: return .f32
        }
    }

    /// Whether products use the block kernels (else rows are dequantized to f32 first).
    package var hasKernel: Bool { Self.kernelTypes.contains(type) }

    /// Row `r` as floats (ggml's dequantization, exactly).
    package func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        let row = data + r * rowBytes
        if type == .f32 { out.update(from: row.assumingMemoryBound(to: Float.self), count: cols); return }
        // Validated at load (computeTypes ⊆ Dequantize.supported), so this cannot throw.
        try? Dequantize.row(type, row, out, count: cols)
    }
}

/// One product of a `MatMul.apply` call: a weight matrix and where its output goes.
package struct MatMulJob: @unchecked Sendable {
    package let w: WeightMatrix
    package let out: UnsafeMutablePointer<Float>
    package let outStride: Int
    package init(_ w: WeightMatrix, _ out: UnsafeMutablePointer<Float>, outStride: Int? = nil) {
        self.w = w; self.out = out; self.outStride = outStride ?? w.rows
    }
}

/// Computes `out = x · Wᵀ` for a batch of activation rows, splitting the work over the thread pool.
///
/// Activations are converted once per call to the weight type's activation encoding (q8_0, q8_1 or
/// f16, as ggml does), then integer (or f16) dot products run on tiles of weight rows × tokens.
package final class MatMul {
    package let pool: ThreadPool
    private var scratch: UnsafeMutableRawPointer
    private var scratchBytes: Int
    /// Whether to use the AVX2 kernels (false forces the portable Swift path).
    package var useKernels: Bool
    /// Sees the input of every product when set (`lai imatrix`); nil otherwise, one check per call.
    package var collector: ImatrixCollector?

    package init(pool: ThreadPool = .shared, useKernels: Bool = CPUFeatures.active.kernels) {
        self.pool = pool
        self.useKernels = useKernels && CPUFeatures.active.kernels
        scratchBytes = 1 << 20
        scratch = .allocate(byteCount: scratchBytes, alignment: 64)
    }

    deinit { scratch.deallocate() }

    /// W (rows, cols) @ x (n, cols) -> out (n, rows); `out` rows are `outStride` floats apart.
    package func apply(_ w: WeightMatrix, _ x: UnsafePointer<Float>, n: Int, _ out: UnsafeMutablePointer<Float>, outStride: Int? = nil) {
        apply([MatMulJob(w, out, outStride: outStride)], x, n: n)
    }

    /// Several products of the same input (Q, K and V; gate and up) in one parallel dispatch, with the
    /// activations quantized once: fewer synchronizations per token, which is what generation is made of.
    package func apply(_ jobs: [MatMulJob], _ x: UnsafePointer<Float>, n: Int) {
        if let c = collector { c.observe(jobs, x, n: n) }
        multiply(jobs, x, n: n)
    }

    private func multiply(_ jobs: [MatMulJob], _ x: UnsafePointer<Float>, n: Int) {
        guard let first = jobs.first else { return }
        let shared = jobs.allSatisfy { $0.w.hasKernel && $0.w.cols == first.w.cols }
        if !shared || jobs.count > 4 {
            for j in jobs {
                if j.w.hasKernel { multiply([j], x, n: n) } else { applyDequantized(j.w, x, n: n, j.out, outStride: j.outStride) }
            }
            return
        }
        // Each encoding the jobs need, made once (a Q4_K_M layer's q/k and v differ: q8_K and q8_Kw).
        let kernels = useKernels
        let encodings = jobs.map { $0.w.activationType(kernels: kernels) }
        var distinct: [ActivationEncoding] = []
        for e in encodings where !distinct.contains(e) { distinct.append(e) }
        let made = quantizeActivations(x, n: n, types: distinct, cols: first.w.cols)
        let acts = encodings.map { e in made[distinct.firstIndex(of: e)!] }
        // Tasks: blocks of weight rows × blocks of tokens, so a tile's activations stay in cache.
        let totalRows = jobs.reduce(0) { $0 + $1.w.rows }
        // Small batches (generation, batched decoding) are memory-bound: about 8 tasks per thread, so the
        // weight stream splits evenly; multiples of 8 rows, as the packed kernels take whole groups.
        let rowBlock = n <= 8 ? max(8, (totalRows + pool.threadCount * 8 - 1) / (pool.threadCount * 8) / 8 * 8) : 48
        let colBlock = 64
        let colTasks = (n + colBlock - 1) / colBlock
        let counts = jobs.map { ($0.w.rows + rowBlock - 1) / rowBlock }   // row tasks per job
        let perJob = counts.map { $0 * colTasks }
        let total = perJob.reduce(0, +)
        let xin = UnsafeRawPointer(x)
        pool.parallelFor(total) { t in
            var task = t, j = 0
            while task >= perJob[j] { task -= perJob[j]; j += 1 }
            let job = jobs[j]
            let rt = counts[j]
            let r0 = (task % rt) * rowBlock, c0 = (task / rt) * colBlock
            let nr = min(rowBlock, job.w.rows - r0), nc = min(colBlock, n - c0)
            Self.tile(job.w, act: acts[j].base, arb: acts[j].rowBytes, xin: xin, out: job.out, os: job.outStride, r0: r0, nr: nr, c0: c0, nc: nc, kernels: kernels)
        }
    }

    /// Converts x (n, cols) to each activation encoding of `types` in the scratch buffer, one region per
    /// encoding (64-byte aligned, rows `rowBytes` apart).
    private func quantizeActivations(_ x: UnsafePointer<Float>, n: Int, types: [ActivationEncoding], cols: Int)
        -> [(base: UnsafeRawPointer, rowBytes: Int)] {
        let rowBytes = types.map { $0.rowBytes(cols) }
        let regionBytes = rowBytes.map { ($0 * n + 63) / 64 * 64 }
        let need = regionBytes.reduce(0, +)
        if need > scratchBytes {
            scratch.deallocate()
            scratchBytes = need
            scratch = .allocate(byteCount: need, alignment: 64)
        }
        var offsets = [0]
        for b in regionBytes.dropLast() { offsets.append(offsets.last! + b) }
        let base = UnsafeMutableRawPointer(scratch)
        let kernels = useKernels
        if types == [.f32] { return [(UnsafeRawPointer(base), rowBytes[0])] }  // f32 products read x itself
        // one task per (encoding, row): every thread helps, also with the few rows of batched decoding
        pool.parallelRanges(types.count * n) { range in
            for t in range {
                let e = t / n, i = t % n, at = types[e], arb = rowBytes[e]
                let src = x + i * cols, dst = base + offsets[e] + i * arb
                switch at {
                case .q8_0: kernels ? lai_quantize_row_q8_0(src, dst, Int32(cols)) : ReferenceKernels.quantizeRowQ8(src, dst, cols, withSum: false)
                case .q8_0s: kernels ? lai_quantize_row_q8_0s(src, dst, Int32(cols)) : ReferenceKernels.quantizeRowQ8S(src, dst, cols)
                case .q8_0p: kernels ? lai_quantize_row_q8_0p(src, dst, Int32(cols)) : ReferenceKernels.quantizeRowQ8P(src, dst, cols)
                case .q8_1: kernels ? lai_quantize_row_q8_1(src, dst, Int32(cols)) : ReferenceKernels.quantizeRowQ8(src, dst, cols, withSum: true)
                case .q8_K: if kernels { lai_quantize_row_q8_K(src, dst, Int32(cols)) } else { try? Quantize.row(.q8_K, src, dst, count: cols) }
                case .q8_Kw: lai_quantize_row_q8_Kw(src, dst, Int32(cols))  // a kernels-only encoding
                case .f32: break
                case .f16Rounded:
                    let d = dst.assumingMemoryBound(to: Float.self)
                    if kernels { lai_round_to_f16(src, d, Int32(cols)) } else { for j in 0..<cols { d[j] = Float(Float16(src[j])) } }
                case .bf16Rounded:
                    let d = dst.assumingMemoryBound(to: Float.self)
                    if kernels { lai_round_to_bf16(src, d, Int32(cols)) } else { for j in 0..<cols { d[j] = ReferenceKernels.roundToBF16(src[j]) } }
                }
            }
        }
        return (0..<types.count).map { (UnsafeRawPointer(base + offsets[$0]), rowBytes[$0]) }
    }

    /// Rows r0..<r0+nr of `w` against tokens c0..<c0+nc.
    @inline(__always)
    private static func tile(_ w: WeightMatrix, act: UnsafeRawPointer, arb: Int, xin: UnsafeRawPointer, out: UnsafeMutablePointer<Float>, os: Int,
                             r0: Int, nr: Int, c0: Int, nc: Int, kernels: Bool) {
        let wrb = w.rowBytes, type = w.type, cols = w.cols
        let wp = w.data + r0 * wrb
        let o = out + c0 * os + r0
        if type == .f32 {
            for c in 0..<nc {
                let xa = (xin + (c0 + c) * cols * 4).assumingMemoryBound(to: Float.self)
                for r in 0..<nr { o[c * os + r] = lai_dot_f32((wp + r * wrb).assumingMemoryBound(to: Float.self), xa, Int32(cols)) }
            }
            return
        }
        let ap = act + c0 * arb
        if let packed = w.packed, let base = w.packedBase {
            // r0 and nr are multiples of 8 here (row blocks are, and packed matrices have rows % 8 == 0).
            let gs = packed.groupBytes, pw = base + r0 / 8 * gs
            if kernels {
                let k = CPUFeatures.active.packed
                switch packed.layout {
                case .q4_0x8: k.q4_0x8(Int32(cols / 32), pw, gs, Int32(nr / 8), ap, arb, Int32(nc), o, os)
                case .q4_Kx8: k.q4_Kx8(Int32(cols / 256), pw, gs, Int32(nr / 8), ap, arb, Int32(nc), o, os)
                case .q8_0x8: k.q8_0x8(Int32(cols / 32), pw, gs, Int32(nr / 8), ap, arb, Int32(nc), o, os)
                case .q5_0x8: k.q5_0x8(Int32(cols / 32), pw, gs, Int32(nr / 8), ap, arb, Int32(nc), o, os)
                }
            } else {
                ReferenceKernels.gemmPacked(packed.layout, w.data + r0 * wrb, wrb, nr: nr, cols: cols, ap, arb, nc: nc, o, os,
                                            activations: w.activationType(kernels: false))
            }
            return
        }
        if kernels {
            let nb = Int32(cols / 32)
            switch type {
            case .q4_0: lai_gemm_q4_0_q8_0(nb, wp, wrb, Int32(nr), ap, arb, Int32(nc), o, os)
            case .q4_1: lai_gemm_q4_1_q8_1(nb, wp, wrb, Int32(nr), ap, arb, Int32(nc), o, os)
            case .q5_0: lai_gemm_q5_0_q8_0(nb, wp, wrb, Int32(nr), ap, arb, Int32(nc), o, os)
            case .q5_1: lai_gemm_q5_1_q8_1(nb, wp, wrb, Int32(nr), ap, arb, Int32(nc), o, os)
            case .q8_0: lai_gemm_q8_0_q8_0(nb, wp, wrb, Int32(nr), ap, arb, Int32(nc), o, os)
            case .q4_K: lai_gemm_q4_K_q8_K(Int32(cols / 256), wp, wrb, Int32(nr), ap, arb, Int32(nc), o, os)
            case .q6_K: lai_gemm_q6_K_q8_Kw(Int32(cols / 256), wp, wrb, Int32(nr), ap, arb, Int32(nc), o, os)
            case .iq4_nl: lai_gemm_iq4_nl_q8_0(nb, wp, wrb, Int32(nr), ap, arb, Int32(nc), o, os)
            case .iq4_xs: lai_gemm_iq4_xs_q8_K(Int32(cols / 256), wp, wrb, Int32(nr), ap, arb, Int32(nc), o, os)
            case .f16: lai_gemm_f16_f32(Int32(cols), wp, wrb, Int32(nr), ap, arb, Int32(nc), o, os)
            case .bf16: lai_gemm_bf16_f32(Int32(cols), wp, wrb, Int32(nr), ap, arb, Int32(nc), o, os)
            default: break
            }
            return
        }
        if w.activationType(kernels: false) == .q8_K {
            // K-quants: both sides dequantized to f32 (the portable path's reference, not bit-exact).
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * cols) { buf in
                let wf = buf.baseAddress!, af = wf + cols
                for c in 0..<nc {
                    try? Dequantize.row(.q8_K, ap + c * arb, af, count: cols)
                    for r in 0..<nr {
                        try? Dequantize.row(type, wp + r * wrb, wf, count: cols)
                        o[c * os + r] = ReferenceKernels.dotF32(wf, af, cols)
                    }
                }
            }
            return
        }
        for c in 0..<nc {
            for r in 0..<nr {
                let wr = wp + r * wrb, a = ap + c * arb
                switch type {
                case .f16: o[c * os + r] = ReferenceKernels.dotF16(wr, a.assumingMemoryBound(to: Float.self), n: cols)
                case .bf16: o[c * os + r] = ReferenceKernels.dotBF16(wr, a.assumingMemoryBound(to: Float.self), n: cols)
                default: o[c * os + r] = ReferenceKernels.dotBlocks(type, wr, a, nb: cols / 32)
                }
            }
        }
    }

    /// Products for weight types without a block kernel: each thread dequantizes one weight row at a
    /// time into its own scratch row and takes f32 dot products with every activation row.
    private func applyDequantized(_ w: WeightMatrix, _ x: UnsafePointer<Float>, n: Int, _ out: UnsafeMutablePointer<Float>, outStride os: Int) {
        let slots = pool.threadCount
        let need = slots * w.cols * 4
        if need > scratchBytes {
            scratch.deallocate()
            scratchBytes = need
            scratch = .allocate(byteCount: need, alignment: 64)
        }
        let rowsScratch = scratch.bindMemory(to: Float.self, capacity: slots * w.cols)
        let per = (w.rows + slots - 1) / slots
        let cols = w.cols
        pool.parallelFor(slots) { slot in
            let row = rowsScratch + slot * cols
            for r in (slot * per)..<min(w.rows, (slot + 1) * per) {
                w.dequantizeRow(r, into: row)
                for c in 0..<n { out[c * os + r] = lai_dot_f32(row, x + c * cols, Int32(cols)) }
            }
        }
    }
}
