// Quantize+Weighted: ggml's quantizers with importance weights (quantize_row_*_impl with quant_weights),
// the paths llama-quantize takes when given an imatrix.
//
// As the reference quantizers beside them: every arithmetic step in ggml-quants.c's order and precision
// (fp32, no fused multiply-add), scratch on the stack. They work on one row at a time because Q4_0–Q5_1
// weigh by the variance of the whole row; `weights` holds one value per column of that row.

/// ggml's GROUP_MAX_EPS.
private let groupMaxEps: Float = 1e-15

extension Quantize {
    /// The types whose quantization uses importance weights; the others ignore them, as ggml does.
    package static let weightedTypes: Set<GGMLType> = [.q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_nl, .iq4_xs]

    /// One row of `count` elements with per-column importance `weights` (`count` values). `simd` false runs the
    /// scalar reference twins of the Q4_0–Q5_1, Q2_K–Q6_K and IQ4 searches (the SIMD ones run 8 groups per lane set).
    static func weightedRow(_ type: GGMLType, _ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, count n: Int, _ qw: UnsafePointer<Float>,
                            simd: Bool = true) {
        switch type {
        case .q4_0: q4_0(x, y, n, qw, simd: simd)
        case .q4_1: q4_1(x, y, n, qw, simd: simd)
        case .q5_0: q5_0(x, y, n, qw, simd: simd)
        case .q5_1: q5_1(x, y, n, qw, simd: simd)
        case .q2_K: q2_K(x, y, n / QK_K, qw, simd: simd)
        case .q3_K: q3_K(x, y, n / QK_K, qw, simd: simd)
        case .q4_K: q4_K(x, y, n / QK_K, qw, simd: simd)
        case .q5_K: q5_K(x, y, n / QK_K, qw, simd: simd)
        case .q6_K: q6_K(x, y, n / QK_K, qw, simd: simd)
        case .iq4_nl: iq4_nl(x, y, n / 32, weights: qw, simd: simd)
        case .iq4_xs: iq4_xs(x, y, n / QK_K, weights: qw, simd: simd)
        default: preconditionFailure("\(type.name) has no weighted quantizer")
        }
    }

    // MARK: - Searches

    /// `make_qx_quants` with `rmse_type` 1 and weights `qw`: symmetric levels in [-nmax, nmax), 18 trial
    /// scales. `L` gets levels offset by nmax.
    static func makeQxQuants(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>, weights qw: UnsafePointer<Float>) -> Float {
        var max: Float = 0, amax: Float = 0
        for i in 0..<n {
            let ax = abs(x[i])
            if ax > amax { amax = ax; max = x[i] }
        }
        if amax < groupMaxEps {
            for i in 0..<n { L[i] = 0 }
            return 0
        }
        var iscale = Float(-nmax) / max
        var sumlx: Float = 0, suml2: Float = 0
        for i in 0..<n {
            let l = Swift.max(-nmax, Swift.min(nmax - 1, nearestInt(iscale * x[i])))
            L[i] = Int8(truncatingIfNeeded: l + nmax)
            let w = qw[i], lf = Float(l)
            sumlx += w * x[i] * lf
            suml2 += w * lf * lf
        }
        var scale: Float = suml2 != 0 ? sumlx / suml2 : 0
        var best = scale * sumlx
        for step in -9...9 where step != 0 {
            iscale = -(Float(nmax) + 0.1 * Float(step)) / max
            sumlx = 0; suml2 = 0
            for i in 0..<n {
                let lf = Float(Swift.max(-nmax, Swift.min(nmax - 1, nearestInt(iscale * x[i]))))
                let w = qw[i]
                sumlx += w * x[i] * lf
                suml2 += w * lf * lf
            }
            if suml2 > 0 && sumlx * sumlx > best * suml2 {
                for i in 0..<n {
                    L[i] = Int8(truncatingIfNeeded: nmax + Swift.max(-nmax, Swift.min(nmax - 1, nearestInt(iscale * x[i]))))
                }
                scale = sumlx / suml2; best = scale * sumlx
            }
        }
        return scale
    }

    /// `make_qkx3_quants` (squared error): asymmetric levels in [0, nmax] with a min ≤ 0, `nstep + 1` trial
    /// scales, least-squares scale and min per trial. Returns the scale; `theMin` gets -min.
    static func makeQkx3Quants(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ weights: UnsafePointer<Float>,
                               _ L: UnsafeMutablePointer<UInt8>, _ theMin: inout Float, _ Laux: UnsafeMutablePointer<UInt8>,
                               _ rmin: Float, _ rdelta: Float, _ nstep: Int) -> Float {
        var min = x[0], max = x[0]
        var sumW = weights[0]
        var sumX = sumW * x[0]
        for i in 1..<n {
            if x[i] < min { min = x[i] }
            if x[i] > max { max = x[i] }
            let w = weights[i]
            sumW += w
            sumX += w * x[i]
        }
        if min > 0 { min = 0 }
        if max <= min {
            for i in 0..<n { L[i] = 0 }
            theMin = -min
            return 0
        }
        let fmax = Float(nmax)
        var iscale = fmax / (max - min)
        var scale = 1 / iscale
        var bestMad: Float = 0
        for i in 0..<n {
            let l = Swift.max(0, Swift.min(nmax, nearestInt(iscale * (x[i] - min))))
            L[i] = UInt8(truncatingIfNeeded: l)
            var diff = scale * Float(l) + min - x[i]
            diff = diff * diff
            bestMad += weights[i] * diff
        }
        if nstep < 1 { theMin = -min; return scale }
        for step in 0...nstep {
            iscale = (rmin + rdelta * Float(step) + fmax) / (max - min)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for i in 0..<n {
                let l = Swift.max(0, Swift.min(nmax, nearestInt(iscale * (x[i] - min))))
                Laux[i] = UInt8(truncatingIfNeeded: l)
                let w = weights[i], lf = Float(l)
                sumL += w * lf
                sumL2 += w * lf * lf
                sumXL += w * lf * x[i]
            }
            let D = sumW * sumL2 - sumL * sumL
            if D > 0 {
                var thisScale = (sumW * sumXL - sumX * sumL) / D
                var thisMin = (sumL2 * sumX - sumL * sumXL) / D
                if thisMin > 0 {
                    thisMin = 0
                    thisScale = sumXL / sumL2
                }
                var mad: Float = 0
                for i in 0..<n {
                    var diff = thisScale * Float(Laux[i]) + thisMin - x[i]
                    diff = diff * diff
                    mad += weights[i] * diff
                }
                if mad < bestMad {
                    for i in 0..<n { L[i] = Laux[i] }
                    bestMad = mad
                    scale = thisScale
                    min = thisMin
                }
            }
        }
        theMin = -min
        return scale
    }

    /// `make_qp_quants`: non-negative levels in [0, nmax] for non-negative `x` (sub-block scales or mins),
    /// 9 trial scales, then up to 5 passes moving single levels while the weighted fit improves.
    static func makeQpQuants(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<UInt8>,
                             _ qw: UnsafePointer<Float>) -> Float {
        var max: Float = 0
        for i in 0..<n { max = Swift.max(max, x[i]) }
        if max < groupMaxEps {
            for i in 0..<n { L[i] = 0 }
            return 0
        }
        let fmax = Float(nmax)
        var iscale = fmax / max
        for i in 0..<n { L[i] = UInt8(truncatingIfNeeded: nearestInt(iscale * x[i])) }
        let scale = 1 / iscale
        var bestMse: Float = 0
        for i in 0..<n {
            let diff = x[i] - scale * Float(L[i])
            bestMse += qw[i] * diff * diff
        }
        for step in -4...4 where step != 0 {
            let iscaleIs = (0.1 * Float(step) + fmax) / max
            let scaleIs = 1 / iscaleIs
            var mse: Float = 0
            for i in 0..<n {
                let l = Swift.min(nmax, nearestInt(iscaleIs * x[i]))
                let diff = x[i] - scaleIs * Float(l)
                mse += qw[i] * diff * diff
            }
            if mse < bestMse { bestMse = mse; iscale = iscaleIs }
        }
        var sumlx: Float = 0, suml2: Float = 0
        for i in 0..<n {
            let l = Swift.min(nmax, nearestInt(iscale * x[i]))
            L[i] = UInt8(truncatingIfNeeded: l)
            let w = qw[i], lf = Float(l)
            sumlx += w * x[i] * lf
            suml2 += w * lf * lf
        }
        for _ in 0..<5 {
            var changed = 0
            for i in 0..<n {
                let w = qw[i], li = Float(L[i])
                var slx = sumlx - w * x[i] * li
                var sl2 = suml2 - w * li * li
                if slx > 0 && sl2 > 0 {
                    let newL = Swift.min(nmax, nearestInt(x[i] * sl2 / slx))
                    if newL != Int32(L[i]) {
                        let nl = Float(newL)
                        slx += w * x[i] * nl
                        sl2 += w * nl * nl
                        if slx * slx * suml2 > sumlx * sumlx * sl2 {
                            L[i] = UInt8(truncatingIfNeeded: newL); sumlx = slx; suml2 = sl2
                            changed += 1
                        }
                    }
                }
            }
            if changed == 0 { break }
        }
        return suml2 > 0 ? sumlx / suml2 : 0
    }

    // MARK: - 32-element blocks

    /// σ² of a row as Q4_0–Q5_1 weigh it: the mean square of all its elements.
    private static func rowSigma2(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var s: Float = 0
        for j in 0..<n { s += x[j] * x[j] }
        return s / Float(n)
    }

    /// weight[j] = qw[j] · √(σ² + x[j]²) for one block of `n`.
    @inline(__always)
    private static func blockWeights(_ w: UnsafeMutablePointer<Float>, _ qw: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, _ sigma2: Float) {
        for j in 0..<n { w[j] = qw[j] * (sigma2 + x[j] * x[j]).squareRoot() }
    }

    /// Q4_0/Q5_0's weighted blocks with the SIMD search: every block's weights, then 8 searches per lane set;
    /// `store` packs block ib's 32 levels. Same bytes as one block at a time.
    @inline(__always)
    private static func qxBlocksSIMD(_ x: UnsafePointer<Float>, _ n: Int, _ qw: UnsafePointer<Float>, nmax: Int32,
                                     _ store: (_ ib: Int, _ d: Float, _ L: UnsafeMutablePointer<Int8>) -> Void) {
        let nb = n / 32
        withUnsafeTemporaryAllocation(of: Float.self, capacity: n + nb) { wb in
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: n) { lb in
            let weight = wb.baseAddress!, scales = weight + n, L = lb.baseAddress!
            let sigma2 = rowSigma2(x, n)
            for ib in 0..<nb { blockWeights(weight + 32 * ib, qw + 32 * ib, x + 32 * ib, 32, sigma2) }
            qxSearchWeightedGroups(x, weight, count: nb, n: 32, nmax: nmax, L, scales)
            for ib in 0..<nb { store(ib, scales[ib], L + 32 * ib) }
        }
        }
    }

    /// `quantize_row_q4_0_impl`.
    static func q4_0(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ n: Int, _ qw: UnsafePointer<Float>, simd: Bool = true) {
        if simd {
            qxBlocksSIMD(x, n, qw, nmax: 8) { ib, d, L in
                let b = y + ib * BlockQ4_0.size
                storeF16(b, BlockQ4_0.d, d)
                for j in 0..<16 {
                    b.storeBytes(of: UInt8(bitPattern: L[j]) | (UInt8(bitPattern: L[j + 16]) << 4), toByteOffset: BlockQ4_0.qs + j, as: UInt8.self)
                }
            }
            return
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { wb in
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 32) { lb in
            let weight = wb.baseAddress!, L = lb.baseAddress!
            let sigma2 = rowSigma2(x, n)
            for ib in 0..<(n / 32) {
                let xb = x + 32 * ib, b = y + ib * BlockQ4_0.size
                blockWeights(weight, qw + 32 * ib, xb, 32, sigma2)
                storeF16(b, BlockQ4_0.d, makeQxQuants(32, 8, xb, L, weights: weight))
                for j in 0..<16 {
                    b.storeBytes(of: UInt8(bitPattern: L[j]) | (UInt8(bitPattern: L[j + 16]) << 4), toByteOffset: BlockQ4_0.qs + j, as: UInt8.self)
                }
            }
        }
        }
    }

    /// Q4_1/Q5_1's weighted blocks with the SIMD search: every block's weights, then 8 searches per lane set;
    /// `store` packs block ib's levels with its scale and -min.
    @inline(__always)
    private static func kx3BlocksSIMD(_ x: UnsafePointer<Float>, _ n: Int, _ qw: UnsafePointer<Float>, nmax: Int32,
                                      _ store: (_ ib: Int, _ d: Float, _ min: Float, _ L: UnsafeMutablePointer<UInt8>) -> Void) {
        let nb = n / 32
        withUnsafeTemporaryAllocation(of: Float.self, capacity: n + 2 * nb) { wb in
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { lb in
            let weight = wb.baseAddress!, scales = weight + n, mins = scales + nb, L = lb.baseAddress!
            let sigma2 = rowSigma2(x, n)
            for ib in 0..<nb { blockWeights(weight + 32 * ib, qw + 32 * ib, x + 32 * ib, 32, sigma2) }
            qkx3SearchWeightedGroups(x, weight, count: nb, n: 32, nmax: nmax, L, scales, mins)
            for ib in 0..<nb { store(ib, scales[ib], mins[ib], L + 32 * ib) }
        }
        }
    }

    /// `quantize_row_q4_1_impl`.
    static func q4_1(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ n: Int, _ qw: UnsafePointer<Float>, simd: Bool = true) {
        if simd {
            kx3BlocksSIMD(x, n, qw, nmax: 15) { ib, d, min, L in
                let b = y + ib * BlockQ4_1.size
                storeF16(b, BlockQ4_1.d, d)
                storeF16(b, BlockQ4_1.m, -min)
                for j in 0..<16 { b.storeBytes(of: L[j] | (L[j + 16] << 4), toByteOffset: BlockQ4_1.qs + j, as: UInt8.self) }
            }
            return
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { wb in
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { lb in
            let weight = wb.baseAddress!, L = lb.baseAddress!, Laux = L + 32
            let sigma2 = rowSigma2(x, n)
            for ib in 0..<(n / 32) {
                let xb = x + 32 * ib, b = y + ib * BlockQ4_1.size
                blockWeights(weight, qw + 32 * ib, xb, 32, sigma2)
                var min: Float = 0
                let d = makeQkx3Quants(32, 15, xb, weight, L, &min, Laux, -0.9, 0.05, 36)
                storeF16(b, BlockQ4_1.d, d)
                storeF16(b, BlockQ4_1.m, -min)
                for j in 0..<16 { b.storeBytes(of: L[j] | (L[j + 16] << 4), toByteOffset: BlockQ4_1.qs + j, as: UInt8.self) }
            }
        }
        }
    }

    /// Packs 32 five-bit levels the Q5_0/Q5_1 way: low nibbles in qs, the fifth bits in qh.
    @inline(__always)
    private static func store5Bit(_ L: UnsafePointer<UInt8>, _ b: UnsafeMutableRawPointer, qs: Int, qh qhOff: Int) {
        var qh: UInt32 = 0
        for j in 0..<16 {
            let x0 = L[j], x1 = L[j + 16]
            b.storeBytes(of: (x0 & 0x0F) | ((x1 & 0x0F) << 4), toByteOffset: qs + j, as: UInt8.self)
            qh |= UInt32((x0 & 0x10) >> 4) << UInt32(j)
            qh |= UInt32((x1 & 0x10) >> 4) << UInt32(j + 16)
        }
        b.storeBytes(of: qh.littleEndian, toByteOffset: qhOff, as: UInt32.self)
    }

    /// `quantize_row_q5_0_impl`.
    static func q5_0(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ n: Int, _ qw: UnsafePointer<Float>, simd: Bool = true) {
        if simd {
            qxBlocksSIMD(x, n, qw, nmax: 16) { ib, d, L in
                let b = y + ib * BlockQ5_0.size
                storeF16(b, BlockQ5_0.d, d)
                L.withMemoryRebound(to: UInt8.self, capacity: 32) { store5Bit($0, b, qs: BlockQ5_0.qs, qh: BlockQ5_0.qh) }
            }
            return
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { wb in
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 32) { lb in
            let weight = wb.baseAddress!, L = lb.baseAddress!
            let sigma2 = rowSigma2(x, n)
            for ib in 0..<(n / 32) {
                let xb = x + 32 * ib, b = y + ib * BlockQ5_0.size
                blockWeights(weight, qw + 32 * ib, xb, 32, sigma2)
                storeF16(b, BlockQ5_0.d, makeQxQuants(32, 16, xb, L, weights: weight))
                L.withMemoryRebound(to: UInt8.self, capacity: 32) { store5Bit($0, b, qs: BlockQ5_0.qs, qh: BlockQ5_0.qh) }
            }
        }
        }
    }

    /// `quantize_row_q5_1_impl`.
    static func q5_1(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ n: Int, _ qw: UnsafePointer<Float>, simd: Bool = true) {
        if simd {
            kx3BlocksSIMD(x, n, qw, nmax: 31) { ib, d, min, L in
                let b = y + ib * BlockQ5_1.size
                storeF16(b, BlockQ5_1.d, d)
                storeF16(b, BlockQ5_1.m, -min)
                store5Bit(L, b, qs: BlockQ5_1.qs, qh: BlockQ5_1.qh)
            }
            return
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { wb in
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { lb in
            let weight = wb.baseAddress!, L = lb.baseAddress!, Laux = L + 32
            let sigma2 = rowSigma2(x, n)
            for ib in 0..<(n / 32) {
                let xb = x + 32 * ib, b = y + ib * BlockQ5_1.size
                blockWeights(weight, qw + 32 * ib, xb, 32, sigma2)
                var min: Float = 0
                let d = makeQkx3Quants(32, 31, xb, weight, L, &min, Laux, -0.9, 0.05, 36)
                storeF16(b, BlockQ5_1.d, d)
                storeF16(b, BlockQ5_1.m, -min)
                store5Bit(L, b, qs: BlockQ5_1.qs, qh: BlockQ5_1.qh)
            }
        }
        }
    }

    // MARK: - K-quants

    /// Σx² of one super-block.
    @inline(__always)
    private static func sumSquares(_ x: UnsafePointer<Float>) -> Float {
        var s: Float = 0
        for j in 0..<QK_K { s += x[j] * x[j] }
        return s
    }

    /// `quantize_row_q2_K_impl`.
    static func q2_K(_ x0: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int, _ qw0: UnsafePointer<Float>, simd: Bool = true) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: QK_K + 16 + 32) { u8 in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 * 3 + QK_K) { f in
            let L = u8.baseAddress!, Laux = L + QK_K, Ls = Laux + 16, Lm = Ls + 16
            let mins = f.baseAddress!, scales = mins + 16, sw = scales + 16, weight = sw + 16
            for i in 0..<nb {
                let x = x0 + i * QK_K, b = y + i * BlockQ2_K.size
                for j in 0..<16 { sw[j] = 0 }
                let sigma2 = sumSquares(x) / Float(QK_K)
                for j in 0..<16 {
                    blockWeights(weight + 16 * j, qw0 + QK_K * i + 16 * j, x + 16 * j, 16, sigma2)
                    for l in 0..<16 { sw[j] += weight[16 * j + l] }
                }
                if simd {
                    qkx3SearchWeightedGroups(x, weight, count: 16, n: 16, nmax: 3, L, scales, mins)
                } else {
                    for j in 0..<16 {
                        var m: Float = 0
                        scales[j] = makeQkx3Quants(16, 3, x + 16 * j, weight + 16 * j, L + 16 * j, &m, Laux, -0.9, 0.05, 36)
                        mins[j] = m
                    }
                }
                storeF16(b, BlockQ2_K.d, makeQpQuants(16, 15, scales, Ls, sw))
                storeF16(b, BlockQ2_K.dmin, makeQpQuants(16, 15, mins, Lm, sw))
                let dm = loadF16(b, BlockQ2_K.d), mm = loadF16(b, BlockQ2_K.dmin)
                for j in 0..<16 { b.storeBytes(of: Ls[j] | (Lm[j] << 4), toByteOffset: BlockQ2_K.scales + j, as: UInt8.self) }
                for j in 0..<16 {
                    let sc = loadU8(b, BlockQ2_K.scales + j)
                    let d = dm * Float(sc & 0xF)
                    if d == 0 { continue }
                    let m = mm * Float(sc >> 4)
                    for ii in 0..<16 {
                        let l = nearestInt((x[16 * j + ii] + m) / d)
                        L[16 * j + ii] = UInt8(truncatingIfNeeded: Swift.max(0, Swift.min(3, l)))
                    }
                }
                pack2Bit(L, b + BlockQ2_K.qs)
            }
        }
        }
    }

    /// `quantize_row_q3_K_impl`.
    static func q3_K(_ x0: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int, _ qw0: UnsafePointer<Float>, simd: Bool = true) {
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: QK_K + 16) { l8 in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 * 2 + QK_K) { f in
            let L = l8.baseAddress!, Ls = L + QK_K
            let scales = f.baseAddress!, sw = scales + 16, weight = sw + 16
            for i in 0..<nb {
                let x = x0 + i * QK_K, b = y + i * BlockQ3_K.size
                let sigma2 = 2 * sumSquares(x) / Float(QK_K)
                // Every group's weights first (same values as one group at a time), then the 16 searches.
                for j in 0..<16 {
                    blockWeights(weight + 16 * j, qw0 + QK_K * i + 16 * j, x + 16 * j, 16, sigma2)
                    var sumw: Float = 0
                    for l in 0..<16 { sumw += weight[16 * j + l] }
                    sw[j] = sumw
                }
                if simd {
                    qxSearchWeighted8(x, weight, nmax: 4, L, scales)
                } else {
                    for j in 0..<16 { scales[j] = makeQxQuants(16, 4, x + 16 * j, L + 16 * j, weights: weight + 16 * j) }
                }
                let sc = b + BlockQ3_K.scales
                for j in 0..<12 { sc.storeBytes(of: UInt8(0), toByteOffset: j, as: UInt8.self) }
                let dBlock = makeQxQuants(16, 32, scales, Ls, weights: sw)
                for j in 0..<16 {
                    let l = UInt8(bitPattern: Ls[j])
                    if j < 8 {
                        sc.storeBytes(of: l & 0xF, toByteOffset: j, as: UInt8.self)
                    } else {
                        sc.storeBytes(of: loadU8(sc, j - 8) | ((l & 0xF) << 4), toByteOffset: j - 8, as: UInt8.self)
                    }
                    sc.storeBytes(of: loadU8(sc, j % 4 + 8) | ((l >> 4) << UInt8(2 * (j / 4))), toByteOffset: j % 4 + 8, as: UInt8.self)
                }
                storeF16(b, BlockQ3_K.d, dBlock)
                q3KStoreLevels(x, b, L)
            }
        }
        }
    }

    /// `quantize_row_q4_K_impl` / `quantize_row_q5_K_impl` up to the final levels: weighted per-group
    /// scales and mins (make_qkx3_quants), their 6-bit codes by make_qp_quants, d and dmin, then `L` (0...nmax).
    @inline(__always)
    private static func kx3Block(_ x: UnsafePointer<Float>, _ b: UnsafeMutableRawPointer, _ qw: UnsafePointer<Float>, nmax: Int32,
                                 dOff: Int, dminOff: Int, scalesOff: Int,
                                 _ L: UnsafeMutablePointer<UInt8>, _ Laux: UnsafeMutablePointer<UInt8>,
                                 _ Ls: UnsafeMutablePointer<UInt8>, _ Lm: UnsafeMutablePointer<UInt8>,
                                 _ weights: UnsafeMutablePointer<Float>, _ sw: UnsafeMutablePointer<Float>,
                                 _ mins: UnsafeMutablePointer<Float>, _ scales: UnsafeMutablePointer<Float>, simd: Bool) {
        let sigma2 = 2 * sumSquares(x) / Float(QK_K)
        // Every group's weights first (`weights` holds QK_K), then the 8 searches.
        for j in 0..<8 {
            blockWeights(weights + 32 * j, qw + 32 * j, x + 32 * j, 32, sigma2)
            var sumw: Float = 0
            for l in 0..<32 { sumw += weights[32 * j + l] }
            sw[j] = sumw
        }
        if simd {
            // make_qkx3_quants without use_mad is make_qkx2_quants's arithmetic (their degenerate tests, max <= min
            // and max == min, agree once min is clamped to ≤ 0 and the values are finite).
            groupSearch8(x, groups: 8, n: 32, L: L, scales: scales, mins: mins) { xT, wT, LT, LauxT in
                for l in 0..<32 {
                    let p = weights + l
                    wT[l] = F8(p[0], p[32], p[64], p[96], p[128], p[160], p[192], p[224])
                }
                return makeQkx2Quants8(32, nmax, xT, wT, LT, LauxT, -0.9, 0.05, 36, false)
            }
        } else {
            for j in 0..<8 {
                var m: Float = 0
                scales[j] = makeQkx3Quants(32, nmax, x + 32 * j, weights + 32 * j, L + 32 * j, &m, Laux, -0.9, 0.05, 36)
                mins[j] = m
            }
        }
        let dBlock = makeQpQuants(8, 63, scales, Ls, sw)
        let mBlock = makeQpQuants(8, 63, mins, Lm, sw)
        let s = b + scalesOff
        for j in 0..<8 { storeScaleMinK4(s, j, Swift.min(63, Ls[j]), Swift.min(63, Lm[j])) }
        storeF16(b, dOff, dBlock)
        storeF16(b, dminOff, mBlock)
        let dAll = loadF16(b, dOff), dminAll = loadF16(b, dminOff)
        for j in 0..<8 {
            let (sc, m) = BlockLayouts.scaleMinK4(j, s)
            let d = dAll * Float(sc)
            if d == 0 { continue }
            let dm = dminAll * Float(m)
            for ii in 0..<32 {
                let l = nearestInt((x[32 * j + ii] + dm) / d)
                L[32 * j + ii] = UInt8(truncatingIfNeeded: Swift.max(0, Swift.min(nmax, l)))
            }
        }
    }

    /// `quantize_row_q4_K_impl`.
    static func q4_K(_ x0: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int, _ qw0: UnsafePointer<Float>, simd: Bool = true) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: QK_K + 32 + 16) { u8 in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: QK_K + 8 * 3) { f in
            let L = u8.baseAddress!, Laux = L + QK_K, Ls = Laux + 32, Lm = Ls + 8
            let weights = f.baseAddress!, sw = weights + QK_K, mins = sw + 8, scales = mins + 8
            for i in 0..<nb {
                let x = x0 + i * QK_K, b = y + i * BlockQ4_K.size
                kx3Block(x, b, qw0 + QK_K * i, nmax: 15, dOff: BlockQ4_K.d, dminOff: BlockQ4_K.dmin, scalesOff: BlockQ4_K.scales,
                         L, Laux, Ls, Lm, weights, sw, mins, scales, simd: simd)
                var q = BlockQ4_K.qs
                for j in stride(from: 0, to: QK_K, by: 64) {
                    for l in 0..<32 { b.storeBytes(of: L[j + l] | (L[j + l + 32] << 4), toByteOffset: q + l, as: UInt8.self) }
                    q += 32
                }
            }
        }
        }
    }

    /// `quantize_row_q5_K_impl`.
    static func q5_K(_ x0: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int, _ qw0: UnsafePointer<Float>, simd: Bool = true) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: QK_K + 32 + 16) { u8 in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: QK_K + 8 * 3) { f in
            let L = u8.baseAddress!, Laux = L + QK_K, Ls = Laux + 32, Lm = Ls + 8
            let weights = f.baseAddress!, sw = weights + QK_K, mins = sw + 8, scales = mins + 8
            for i in 0..<nb {
                let x = x0 + i * QK_K, b = y + i * BlockQ5_K.size
                kx3Block(x, b, qw0 + QK_K * i, nmax: 31, dOff: BlockQ5_K.d, dminOff: BlockQ5_K.dmin, scalesOff: BlockQ5_K.scales,
                         L, Laux, Ls, Lm, weights, sw, mins, scales, simd: simd)
                q5KStoreLevels(L, b)
            }
        }
        }
    }

    /// `quantize_row_q6_K_impl`: the reference's search with the imatrix values themselves as weights.
    static func q6_K(_ x0: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int, _ qw0: UnsafePointer<Float>, simd: Bool = true) {
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: QK_K) { l8 in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { f in
            let L = l8.baseAddress!, scales = f.baseAddress!
            for i in 0..<nb {
                let x = x0 + i * QK_K, b = y + i * BlockQ6_K.size
                if simd {
                    qxSearchWeighted8(x, qw0 + QK_K * i, nmax: 32, L, scales)
                } else {
                    for ib in 0..<16 { scales[ib] = makeQxQuants(16, 32, x + 16 * ib, L + 16 * ib, weights: qw0 + QK_K * i + 16 * ib) }
                }
                q6KStoreBlock(x, b, L, scales)
            }
        }
        }
    }
}
