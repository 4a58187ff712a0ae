// Quantize+KQuants: ggml's reference K-quantizers (quantize_row_q{2..6,8}_K_ref) and their helpers.
//
// Every arithmetic step follows ggml-quants.c in the same order and precision (fp32, no fused
// multiply-add), so results are bit-identical. Scratch lives on the stack; nothing allocates.

/// ggml's GROUP_MAX_EPS: below this a group counts as all zero.
private let groupMaxEps: Float = 1e-15

extension Quantize {
    /// ggml's `make_qx_quants` with `rmse_type` 1 and no weights (the only form the reference
    /// quantizers use): symmetric levels in [-nmax, nmax), scale refined over 18 trial scales.
    /// Returns the scale; `L` gets levels offset by nmax.
    static func makeQxQuants(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>) -> Float {
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
            var l = nearestInt(iscale * x[i])
            l = Swift.max(-nmax, Swift.min(nmax - 1, l))
            L[i] = Int8(truncatingIfNeeded: l + nmax)
            let w = x[i] * x[i]
            let lf = Float(l)
            sumlx += w * x[i] * lf
            suml2 += w * lf * lf
        }
        var scale: Float = suml2 != 0 ? sumlx / suml2 : 0
        var best = scale * sumlx
        for step in -9...9 where step != 0 {
            iscale = -(Float(nmax) + 0.1 * Float(step)) / max
            sumlx = 0; suml2 = 0
            for i in 0..<n {
                var l = nearestInt(iscale * x[i])
                l = Swift.max(-nmax, Swift.min(nmax - 1, l))
                let w = x[i] * x[i]
                let lf = Float(l)
                sumlx += w * x[i] * lf
                suml2 += w * lf * lf
            }
            if suml2 > 0 && sumlx * sumlx > best * suml2 {
                for i in 0..<n {
                    let l = nearestInt(iscale * x[i])
                    L[i] = Int8(truncatingIfNeeded: nmax + Swift.max(-nmax, Swift.min(nmax - 1, l)))
                }
                scale = sumlx / suml2; best = scale * sumlx
            }
        }
        return scale
    }

    /// ggml's `make_q3_quants` with `do_rmse` true: levels in [-nmax, nmax) refined one at a time
    /// (up to 5 passes) to maximise the weighted fit. `L` gets levels offset by nmax.
    static func makeQ3Quants(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>) -> Float {
        var max: Float = 0, amax: Float = 0
        for i in 0..<n {
            let ax = abs(x[i])
            if ax > amax { amax = ax; max = x[i] }
        }
        if amax < groupMaxEps {
            for i in 0..<n { L[i] = 0 }
            return 0
        }
        let iscale = Float(-nmax) / max
        var sumlx: Float = 0, suml2: Float = 0
        for i in 0..<n {
            var l = nearestInt(iscale * x[i])
            l = Swift.max(-nmax, Swift.min(nmax - 1, l))
            L[i] = Int8(truncatingIfNeeded: l)
            let w = x[i] * x[i]
            sumlx += w * x[i] * Float(l)
            suml2 += w * Float(l) * Float(l)
        }
        for _ in 0..<5 {
            var changed = 0
            for i in 0..<n {
                let w = x[i] * x[i]
                let li = Float(L[i])
                var slx = sumlx - w * x[i] * li
                if slx > 0 {
                    var sl2 = suml2 - w * li * li
                    var newL = nearestInt(x[i] * sl2 / slx)
                    newL = Swift.max(-nmax, Swift.min(nmax - 1, newL))
                    if newL != Int32(L[i]) {
                        slx += w * x[i] * Float(newL)
                        sl2 += w * Float(newL) * Float(newL)
                        if sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2 {
                            L[i] = Int8(truncatingIfNeeded: newL); sumlx = slx; suml2 = sl2
                            changed += 1
                        }
                    }
                }
            }
            if changed == 0 { break }
        }
        for i in 0..<n { L[i] = L[i] &+ Int8(truncatingIfNeeded: nmax) }
        return suml2 > 0 ? sumlx / suml2 : 0
    }

    /// ggml's `make_qkx2_quants`: asymmetric levels in [0, nmax] with a min ≤ 0, searching
    /// `nstep + 1` trial scales and keeping the least weighted error (squared, or absolute if `useMad`).
    /// Returns the scale; `theMin` gets -min (≥ 0).
    static func makeQkx2Quants(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<Float>, _ weights: UnsafePointer<Float>,
                               _ L: UnsafeMutablePointer<UInt8>, _ theMin: inout Float, _ Laux: UnsafeMutablePointer<UInt8>,
                               _ rmin: Float, _ rdelta: Float, _ nstep: Int, _ useMad: Bool) -> Float {
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
        if max == min {
            for i in 0..<n { L[i] = 0 }
            theMin = -min
            return 0
        }
        var iscale = Float(nmax) / (max - min)
        var scale = 1 / iscale
        var bestError: Float = 0
        for i in 0..<n {
            let l = nearestInt(iscale * (x[i] - min))
            L[i] = UInt8(truncatingIfNeeded: Swift.max(0, Swift.min(nmax, l)))
            var diff = scale * Float(L[i]) + min - x[i]
            diff = useMad ? abs(diff) : diff * diff
            bestError += weights[i] * diff
        }
        if nstep < 1 { theMin = -min; return scale }
        for step in 0...nstep {
            iscale = (rmin + rdelta * Float(step) + Float(nmax)) / (max - min)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for i in 0..<n {
                var l = nearestInt(iscale * (x[i] - min))
                l = Swift.max(0, Swift.min(nmax, l))
                Laux[i] = UInt8(truncatingIfNeeded: l)
                let w = weights[i]
                let lf = Float(l)
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
                var curError: Float = 0
                for i in 0..<n {
                    var diff = thisScale * Float(Laux[i]) + thisMin - x[i]
                    diff = useMad ? abs(diff) : diff * diff
                    curError += weights[i] * diff
                }
                if curError < bestError {
                    for i in 0..<n { L[i] = Laux[i] }
                    bestError = curError
                    scale = thisScale
                    min = thisMin
                }
            }
        }
        theMin = -min
        return scale
    }

    /// Packs 2-bit levels of 256 elements the Q2_K/Q3_K way: byte n/4 + l of each 128-half holds
    /// elements n+l, +32, +64, +96.
    @inline(__always)
    static func pack2Bit(_ L: UnsafePointer<UInt8>, _ qs: UnsafeMutableRawPointer) {
        for j in stride(from: 0, to: QK_K, by: 128) {
            for l in 0..<32 {
                let v = L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6)
                qs.storeBytes(of: v, toByteOffset: j / 4 + l, as: UInt8.self)
            }
        }
    }

    // MARK: - Q2_K

    /// `quantize_row_q2_K_ref`.
    static func q2_K(_ x0: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int, simd: Bool = true) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: QK_K + 16) { u8 in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16 + 16 + 16) { f in
            let L = u8.baseAddress!, Laux = L + QK_K
            let weights = f.baseAddress!, mins = weights + 16, scales = mins + 16
            let q4scale: Float = 15
            for i in 0..<nb {
                let x = x0 + i * QK_K, b = y + i * BlockQ2_K.size
                var maxScale: Float = 0, maxMin: Float = 0
                if simd {
                    groupSearch8(x, groups: 16, n: 16, L: L, scales: scales, mins: mins) { xT, wT, LT, LauxT in
                        for l in 0..<16 { wT[l] = F8(x: xT[l], abs: true) }
                        return makeQkx2Quants8(16, 3, xT, wT, LT, LauxT, -0.5, 0.1, 15, true)
                    }
                } else {
                    for j in 0..<16 {
                        for l in 0..<16 { weights[l] = abs(x[16 * j + l]) }
                        var m: Float = 0
                        scales[j] = makeQkx2Quants(16, 3, x + 16 * j, weights, L + 16 * j, &m, Laux, -0.5, 0.1, 15, true)
                        mins[j] = m
                    }
                }
                for j in 0..<16 {
                    if scales[j] > maxScale { maxScale = scales[j] }
                    if mins[j] > maxMin { maxMin = mins[j] }
                }
                if maxScale > 0 {
                    let iscale = q4scale / maxScale
                    for j in 0..<16 {
                        b.storeBytes(of: UInt8(truncatingIfNeeded: nearestInt(iscale * scales[j])), toByteOffset: BlockQ2_K.scales + j, as: UInt8.self)
                    }
                    storeF16(b, BlockQ2_K.d, maxScale / q4scale)
                } else {
                    for j in 0..<16 { b.storeBytes(of: UInt8(0), toByteOffset: BlockQ2_K.scales + j, as: UInt8.self) }
                    storeF16(b, BlockQ2_K.d, 0)
                }
                if maxMin > 0 {
                    let iscale = q4scale / maxMin
                    for j in 0..<16 {
                        let l = UInt8(truncatingIfNeeded: nearestInt(iscale * mins[j]))
                        let s = loadU8(b, BlockQ2_K.scales + j) | (l << 4)
                        b.storeBytes(of: s, toByteOffset: BlockQ2_K.scales + j, as: UInt8.self)
                    }
                    storeF16(b, BlockQ2_K.dmin, maxMin / q4scale)
                } else {
                    storeF16(b, BlockQ2_K.dmin, 0)
                }
                let dAll = loadF16(b, BlockQ2_K.d), dminAll = loadF16(b, BlockQ2_K.dmin)
                for j in 0..<16 {
                    let s = loadU8(b, BlockQ2_K.scales + j)
                    let d = dAll * Float(s & 0xF)
                    if d == 0 { continue }
                    let dm = dminAll * Float(s >> 4)
                    for ii in 0..<16 {
                        let l = nearestInt((x[16 * j + ii] + dm) / d)
                        L[16 * j + ii] = UInt8(truncatingIfNeeded: Swift.max(0, Swift.min(3, l)))
                    }
                }
                pack2Bit(L, b + BlockQ2_K.qs)
            }
        }
        }
    }

    // MARK: - Q3_K

    /// `quantize_row_q3_K_ref`.
    static func q3_K(_ x0: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int) {
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: QK_K) { l8 in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { f in
            let L = l8.baseAddress!, scales = f.baseAddress!
            for i in 0..<nb {
                let x = x0 + i * QK_K, b = y + i * BlockQ3_K.size
                var maxScale: Float = 0, amax: Float = 0
                for j in 0..<16 {
                    scales[j] = makeQ3Quants(16, 4, x + 16 * j, L + 16 * j)
                    let s = abs(scales[j])
                    if s > amax { amax = s; maxScale = scales[j] }
                }
                let sc = b + BlockQ3_K.scales
                for j in 0..<12 { sc.storeBytes(of: UInt8(0), toByteOffset: j, as: UInt8.self) }
                if maxScale != 0 {
                    let iscale = -32 / maxScale
                    for j in 0..<16 {
                        var l = Int8(truncatingIfNeeded: nearestInt(iscale * scales[j]))
                        l = Swift.max(-32, Swift.min(31, l)) + 32
                        let u = UInt8(bitPattern: l)
                        if j < 8 {
                            sc.storeBytes(of: u & 0xF, toByteOffset: j, as: UInt8.self)
                        } else {
                            sc.storeBytes(of: loadU8(sc, j - 8) | ((u & 0xF) << 4), toByteOffset: j - 8, as: UInt8.self)
                        }
                        let h = u >> 4
                        sc.storeBytes(of: loadU8(sc, j % 4 + 8) | (h << UInt8(2 * (j / 4))), toByteOffset: j % 4 + 8, as: UInt8.self)
                    }
                    storeF16(b, BlockQ3_K.d, 1 / iscale)
                } else {
                    storeF16(b, BlockQ3_K.d, 0)
                }
                q3KStoreLevels(x, b, L)
            }
        }
        }
    }

    /// The end of `quantize_row_q3_K_ref` / `_impl` once d and the scales are stored: levels against the
    /// stored scales, high bits into hmask, low bits packed.
    static func q3KStoreLevels(_ x: UnsafePointer<Float>, _ b: UnsafeMutableRawPointer, _ L: UnsafeMutablePointer<Int8>) {
        let sc = b + BlockQ3_K.scales
        let dAll = loadF16(b, BlockQ3_K.d)
        for j in 0..<16 {
            let s = Dequantize.q3KScale(sc, j) - 32
            let d = dAll * Float(s)
            if d == 0 { continue }
            for ii in 0..<16 {
                let l = nearestInt(x[16 * j + ii] / d)
                L[16 * j + ii] = Int8(truncatingIfNeeded: Swift.max(-4, Swift.min(3, l)) + 4)
            }
        }
        let hmask = b + BlockQ3_K.hmask
        for j in 0..<32 { hmask.storeBytes(of: UInt8(0), toByteOffset: j, as: UInt8.self) }
        var m = 0
        var hm: UInt8 = 1
        for j in 0..<QK_K {
            if L[j] > 3 {
                hmask.storeBytes(of: loadU8(hmask, m) | hm, toByteOffset: m, as: UInt8.self)
                L[j] -= 4
            }
            m += 1
            if m == 32 { m = 0; hm <<= 1 }
        }
        L.withMemoryRebound(to: UInt8.self, capacity: QK_K) { pack2Bit($0, b + BlockQ3_K.qs) }
    }

    // MARK: - Q4_K / Q5_K

    /// Stores the eight 6-bit scales and mins of a Q4_K/Q5_K block into `scales[12]`.
    @inline(__always)
    static func storeScaleMinK4(_ s: UnsafeMutableRawPointer, _ j: Int, _ ls: UInt8, _ lm: UInt8) {
        if j < 4 {
            s.storeBytes(of: ls, toByteOffset: j, as: UInt8.self)
            s.storeBytes(of: lm, toByteOffset: j + 4, as: UInt8.self)
        } else {
            s.storeBytes(of: (ls & 0xF) | ((lm & 0xF) << 4), toByteOffset: j + 4, as: UInt8.self)
            s.storeBytes(of: loadU8(s, j - 4) | ((ls >> 4) << 6), toByteOffset: j - 4, as: UInt8.self)
            s.storeBytes(of: loadU8(s, j) | ((lm >> 4) << 6), toByteOffset: j, as: UInt8.self)
        }
    }

    /// The shared first half of `quantize_row_q4_K_ref` / `quantize_row_q5_K_ref`: per-group scales
    /// and mins, their 6-bit codes, d and dmin, then the final levels in `L` (0...nmax).
    @inline(__always)
    static func kx2Block(_ x: UnsafePointer<Float>, _ b: UnsafeMutableRawPointer, nmax: Int32, rmin: Float, rdelta: Float, nstep: Int,
                         dOff: Int, dminOff: Int, scalesOff: Int,
                         _ L: UnsafeMutablePointer<UInt8>, _ Laux: UnsafeMutablePointer<UInt8>,
                         _ weights: UnsafeMutablePointer<Float>, _ mins: UnsafeMutablePointer<Float>, _ scales: UnsafeMutablePointer<Float>,
                         simd: Bool) {
        var maxScale: Float = 0, maxMin: Float = 0
        if simd {
            groupSearch8(x, groups: 8, n: 32, L: L, scales: scales, mins: mins) { xT, wT, LT, LauxT in
                var sumX2 = F8.zero
                for l in 0..<32 { sumX2 += xT[l] * xT[l] }
                let q = sumX2 / 32
                let avX = F8(q[0].squareRoot(), q[1].squareRoot(), q[2].squareRoot(), q[3].squareRoot(),
                             q[4].squareRoot(), q[5].squareRoot(), q[6].squareRoot(), q[7].squareRoot())
                for l in 0..<32 { wT[l] = avX + F8(x: xT[l], abs: true) }
                return makeQkx2Quants8(32, nmax, xT, wT, LT, LauxT, rmin, rdelta, nstep, false)
            }
        } else {
            for j in 0..<8 {
                var sumX2: Float = 0
                for l in 0..<32 { sumX2 += x[32 * j + l] * x[32 * j + l] }
                let avX = (sumX2 / 32).squareRoot()
                for l in 0..<32 { weights[l] = avX + abs(x[32 * j + l]) }
                var m: Float = 0
                scales[j] = makeQkx2Quants(32, nmax, x + 32 * j, weights, L + 32 * j, &m, Laux, rmin, rdelta, nstep, false)
                mins[j] = m
            }
        }
        for j in 0..<8 {
            if scales[j] > maxScale { maxScale = scales[j] }
            if mins[j] > maxMin { maxMin = mins[j] }
        }
        let invScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let invMin: Float = maxMin > 0 ? 63 / maxMin : 0
        let s = b + scalesOff
        for j in 0..<8 {
            let ls = Swift.min(63, UInt8(truncatingIfNeeded: nearestInt(invScale * scales[j])))
            let lm = Swift.min(63, UInt8(truncatingIfNeeded: nearestInt(invMin * mins[j])))
            storeScaleMinK4(s, j, ls, lm)
        }
        storeF16(b, dOff, maxScale / 63)
        storeF16(b, dminOff, maxMin / 63)
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

    /// `quantize_row_q4_K_ref`.
    static func q4_K(_ x0: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int, simd: Bool = true) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: QK_K + 32) { u8 in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32 + 8 + 8) { f in
            let L = u8.baseAddress!, Laux = L + QK_K
            let weights = f.baseAddress!, mins = weights + 32, scales = mins + 8
            for i in 0..<nb {
                let x = x0 + i * QK_K, b = y + i * BlockQ4_K.size
                kx2Block(x, b, nmax: 15, rmin: -1, rdelta: 0.1, nstep: 20,
                         dOff: BlockQ4_K.d, dminOff: BlockQ4_K.dmin, scalesOff: BlockQ4_K.scales, L, Laux, weights, mins, scales, simd: simd)
                var q = BlockQ4_K.qs
                for j in stride(from: 0, to: QK_K, by: 64) {
                    for l in 0..<32 { b.storeBytes(of: L[j + l] | (L[j + l + 32] << 4), toByteOffset: q + l, as: UInt8.self) }
                    q += 32
                }
            }
        }
        }
    }

    /// `quantize_row_q5_K_ref`.
    static func q5_K(_ x0: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int, simd: Bool = true) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: QK_K + 32) { u8 in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32 + 8 + 8) { f in
            let L = u8.baseAddress!, Laux = L + QK_K
            let weights = f.baseAddress!, mins = weights + 32, scales = mins + 8
            for i in 0..<nb {
                let x = x0 + i * QK_K, b = y + i * BlockQ5_K.size
                kx2Block(x, b, nmax: 31, rmin: -0.5, rdelta: 0.1, nstep: 15,
                         dOff: BlockQ5_K.d, dminOff: BlockQ5_K.dmin, scalesOff: BlockQ5_K.scales, L, Laux, weights, mins, scales, simd: simd)
                q5KStoreLevels(L, b)
            }
        }
        }
    }

    /// Packs Q5_K levels (0...31): low nibbles in qs, fifth bits in qh.
    static func q5KStoreLevels(_ L: UnsafePointer<UInt8>, _ b: UnsafeMutableRawPointer) {
        let qh = b + BlockQ5_K.qh
        for j in 0..<32 { qh.storeBytes(of: UInt8(0), toByteOffset: j, as: UInt8.self) }
        var m1: UInt8 = 1, m2: UInt8 = 2
        var ql = BlockQ5_K.qs
        for n in stride(from: 0, to: QK_K, by: 64) {
            for j in 0..<32 {
                var l1 = L[n + j], l2 = L[n + j + 32]
                var h = loadU8(qh, j)
                if l1 > 15 { l1 -= 16; h |= m1 }
                if l2 > 15 { l2 -= 16; h |= m2 }
                qh.storeBytes(of: h, toByteOffset: j, as: UInt8.self)
                b.storeBytes(of: l1 | (l2 << 4), toByteOffset: ql + j, as: UInt8.self)
            }
            m1 <<= 2; m2 <<= 2
            ql += 32
        }
    }

    // MARK: - Q6_K

    /// `quantize_row_q6_K_ref`.
    static func q6_K(_ x0: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int, simd: Bool = true) {
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: QK_K) { l8 in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { f in
            let L = l8.baseAddress!, scales = f.baseAddress!
            for i in 0..<nb {
                let x = x0 + i * QK_K, b = y + i * BlockQ6_K.size
                if simd {
                    qxSearch8(x, L, scales)
                } else {
                    for ib in 0..<16 { scales[ib] = makeQxQuants(16, 32, x + 16 * ib, L + 16 * ib) }
                }
                q6KStoreBlock(x, b, L, scales)
            }
        }
        }
    }

    /// The end of `quantize_row_q6_K_ref` / `_impl` once the 16 sub-block scales are found: d, the 8-bit
    /// scales, levels against them, packed.
    static func q6KStoreBlock(_ x: UnsafePointer<Float>, _ b: UnsafeMutableRawPointer, _ L: UnsafeMutablePointer<Int8>, _ scales: UnsafePointer<Float>) {
        var maxScale: Float = 0, maxAbsScale: Float = 0
        for ib in 0..<16 {
            let s = scales[ib]
            if abs(s) > maxAbsScale { maxAbsScale = abs(s); maxScale = s }
        }
        if maxAbsScale < groupMaxEps {
            b.initializeMemory(as: UInt8.self, repeating: 0, count: BlockQ6_K.size)
            return
        }
        let iscale = -128 / maxScale
        storeF16(b, BlockQ6_K.d, 1 / iscale)
        for ib in 0..<16 {
            let s = Int8(truncatingIfNeeded: Swift.min(127, nearestInt(iscale * scales[ib])))
            b.storeBytes(of: s, toByteOffset: BlockQ6_K.scales + ib, as: Int8.self)
        }
        let dAll = loadF16(b, BlockQ6_K.d)
        for j in 0..<16 {
            let d = dAll * Float(b.load(fromByteOffset: BlockQ6_K.scales + j, as: Int8.self))
            if d == 0 { continue }
            for ii in 0..<16 {
                let l = nearestInt(x[16 * j + ii] / d)
                L[16 * j + ii] = Int8(truncatingIfNeeded: Swift.max(-32, Swift.min(31, l)) + 32)
            }
        }
        var ql = BlockQ6_K.ql, qh = BlockQ6_K.qh
        L.withMemoryRebound(to: UInt8.self, capacity: QK_K) { L in
            for j in stride(from: 0, to: QK_K, by: 128) {
                for l in 0..<32 {
                    let q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF
                    let q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF
                    b.storeBytes(of: q1 | (q3 << 4), toByteOffset: ql + l, as: UInt8.self)
                    b.storeBytes(of: q2 | (q4 << 4), toByteOffset: ql + l + 32, as: UInt8.self)
                    let h = (L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6)
                    b.storeBytes(of: h, toByteOffset: qh + l, as: UInt8.self)
                }
                ql += 64; qh += 32
            }
        }
    }

    // MARK: - Q8_K

    /// `quantize_row_q8_K_ref`: d = max / -127 (max = signed value of largest magnitude), plus group sums.
    static func q8_K(_ x0: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int) {
        for i in 0..<nb {
            let x = x0 + i * QK_K, b = y + i * BlockQ8_K.size
            var max: Float = 0, amax: Float = 0
            for j in 0..<QK_K {
                let ax = abs(x[j])
                if ax > amax { amax = ax; max = x[j] }
            }
            if amax == 0 {
                b.storeBytes(of: Float(0).bitPattern.littleEndian, toByteOffset: BlockQ8_K.d, as: UInt32.self)
                for j in 0..<QK_K { b.storeBytes(of: Int8(0), toByteOffset: BlockQ8_K.qs + j, as: Int8.self) }
                // ggml leaves bsums untouched here; lai writes zeros so output never depends on old memory.
                for j in 0..<16 { b.storeBytes(of: Int16(0), toByteOffset: BlockQ8_K.bsums + 2 * j, as: Int16.self) }
                continue
            }
            let iscale = -127 / max
            for j in 0..<QK_K {
                let v = Swift.min(127, nearestInt(iscale * x[j]))
                b.storeBytes(of: Int8(truncatingIfNeeded: v), toByteOffset: BlockQ8_K.qs + j, as: Int8.self)
            }
            for j in 0..<16 {
                var sum: Int32 = 0
                for ii in 0..<16 { sum += Int32(b.load(fromByteOffset: BlockQ8_K.qs + 16 * j + ii, as: Int8.self)) }
                b.storeBytes(of: Int16(truncatingIfNeeded: sum).littleEndian, toByteOffset: BlockQ8_K.bsums + 2 * j, as: Int16.self)
            }
            b.storeBytes(of: (1 / iscale).bitPattern.littleEndian, toByteOffset: BlockQ8_K.d, as: UInt32.self)
        }
    }
}
