// Quantize+IQuants: ggml's non-linear 4-bit quantizers (quantize_iq4_nl, quantize_iq4_xs), bit-identical.
//
// Both run `quantize_row_iq4_nl_impl` with 16 non-uniform levels (`kvalues_iq4nl`): IQ4_NL on blocks of 32
// with one fp16 scale, IQ4_XS on super-blocks of 256 with one fp16 scale and a 6-bit scale per 32. The
// scale search tries 16 candidate scales per 32 values, each a nearest-level search per value: the hot
// loop. `iq4Search8` runs it for 8 blocks at once, one SIMD lane per block, each lane doing exactly the
// scalar sequence of fp32 operations (no fused multiply-add); `iq4Reference` is the scalar twin.
// ggml always calls these through `ggml_quantize_chunk` (no `_ref` variant exists); without an
// importance matrix the weights are x², with one they are qw·sqrt(σ² + x²).

/// ggml's `kvalues_iq4nl`: the 16 levels of IQ4_NL and IQ4_XS.
package let kvaluesIQ4NL: [Int8] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

/// 32 weights: `x = d · kvalues[q]`. half d; u8 qs[16] (element j low nibble of qs[j], j+16 high nibble).
package enum BlockIQ4_NL { package static let qk = 32, d = 0, qs = 2, size = 18 }
/// 256 weights in 8 groups of 32: `x = d · (ls − 32) · kvalues[q]`, ls 6 bits: low 4 in `scales_l`
/// (group g: nibble g%2 of byte g/2), high 2 in `scales_h` (bits 2g, 2g+1). half d; u16 scales_h;
/// u8 scales_l[4]; u8 qs[128] (per group 16 bytes as IQ4_NL).
package enum BlockIQ4_XS { package static let d = 0, scalesH = 2, scalesL = 4, qs = 8, size = 136 }

private let groupMaxEps: Float = 1e-15

/// |x| per lane (sign bit cleared, as fabsf).
@inline(__always) private func absLanes(_ v: SIMD8<Float>) -> SIMD8<Float> {
    unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: SIMD8<Float>.self)
}

extension Quantize {
    /// ggml's `best_index_int8(16, kvalues_iq4nl, x)`: the nearest level (ties to the upper one; NaN → 15).
    @inline(__always)
    static func iq4BestIndex(_ x: Float) -> Int {
        let v = kvaluesIQ4NL
        if x <= Float(v[0]) { return 0 }
        if x >= Float(v[15]) { return 15 }
        var ml = 0, mu = 15
        while mu - ml > 1 {
            let mav = (ml + mu) / 2
            if x < Float(v[mav]) { mu = mav } else { ml = mav }
        }
        return x - Float(v[mu - 1]) < Float(v[mu]) - x ? mu - 1 : mu
    }

    /// `quantize_iq4_nl`: `nb` blocks of 32. `weights` (an importance matrix row, one value per element of
    /// these `nb` blocks) may be nil.
    static func iq4_nl(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int, weights: UnsafePointer<Float>? = nil, simd: Bool = true) {
        var i = 0
        if simd {
            while i + 8 <= nb {
                iq4Search8(x + i * 32, weights.map { $0 + i * 32 }, y + i * BlockIQ4_NL.size, xs: false)
                i += 8
            }
        }
        while i < nb {
            iq4Reference(superBlock: 32, x + i * 32, weights.map { $0 + i * 32 }, y + i * BlockIQ4_NL.size)
            i += 1
        }
    }

    /// `quantize_iq4_xs`: `nb` super-blocks of 256; `weights` as for `iq4_nl`.
    static func iq4_xs(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int, weights: UnsafePointer<Float>? = nil, simd: Bool = true) {
        for i in 0..<nb {
            let qw = weights.map { $0 + i * QK_K }
            if simd {
                iq4Search8(x + i * QK_K, qw, y + i * BlockIQ4_XS.size, xs: true)
            } else {
                iq4Reference(superBlock: QK_K, x + i * QK_K, qw, y + i * BlockIQ4_XS.size)
            }
        }
    }

    /// `quantize_row_iq4_nl_impl(superBlock, 32, …, ntry = 7)` for one IQ4_NL block (superBlock 32) or one
    /// IQ4_XS super-block (256), scalar, operation for operation as ggml.
    static func iq4Reference(superBlock sbs: Int, _ x: UnsafePointer<Float>, _ qw: UnsafePointer<Float>?, _ b: UnsafeMutableRawPointer) {
        let ntry = 7
        let values = kvaluesIQ4NL.map(Float.init)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: QK_K) { Lbuf in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 + 32) { fbuf in
                let L = Lbuf.baseAddress!, scales = fbuf.baseAddress!, weight = scales + 8
                var sigma2: Float = 0
                for j in 0..<sbs { sigma2 += x[j] * x[j] }
                sigma2 *= 2 / Float(sbs)
                var maxScale: Float = 0, amaxScale: Float = 0
                for ib in 0..<(sbs / 32) {
                    let xb = x + ib * 32
                    if let qw {
                        for j in 0..<32 { weight[j] = qw[ib * 32 + j] * (sigma2 + xb[j] * xb[j]).squareRoot() }
                    } else {
                        for j in 0..<32 { weight[j] = xb[j] * xb[j] }
                    }
                    var amax: Float = 0, max: Float = 0
                    for j in 0..<32 {
                        let ax = abs(xb[j])
                        if ax > amax { amax = ax; max = xb[j] }
                    }
                    if amax < groupMaxEps { scales[ib] = 0; continue }
                    var d = -max / values[0]
                    var id = 1 / d
                    var sumqx: Float = 0, sumq2: Float = 0
                    for j in 0..<32 {
                        let q = values[iq4BestIndex(id * xb[j])], w = weight[j]
                        sumqx += w * q * xb[j]
                        sumq2 += w * q * q
                    }
                    d = sumq2 > 0 ? sumqx / sumq2 : 0
                    var best = d * sumqx
                    for itry in -ntry...ntry {
                        id = Float(itry + Int(kvaluesIQ4NL[0])) / max
                        sumqx = 0; sumq2 = 0
                        for j in 0..<32 {
                            let q = values[iq4BestIndex(id * xb[j])], w = weight[j]
                            sumqx += w * q * xb[j]
                            sumq2 += w * q * q
                        }
                        if sumq2 > 0 && sumqx * sumqx > best * sumq2 { d = sumqx / sumq2; best = d * sumqx }
                    }
                    scales[ib] = d
                    if abs(d) > amaxScale { amaxScale = abs(d); maxScale = d }
                }
                if sbs > 32 {
                    iq4StoreXSScales(x, scales, maxScale, L, b)
                } else {
                    storeF16(b, BlockIQ4_NL.d, scales[0])
                    let id: Float = scales[0] != 0 ? 1 / scales[0] : 0
                    for j in 0..<32 { L[j] = UInt8(iq4BestIndex(id * x[j])) }
                }
                iq4Pack(L, sbs, b + (sbs > 32 ? BlockIQ4_XS.qs : BlockIQ4_NL.qs))
            }
        }
    }

    /// IQ4_XS's second stage: the super-block scale `-max_scale/32`, each group's 6-bit scale and its levels.
    @inline(__always)
    private static func iq4StoreXSScales(_ x: UnsafePointer<Float>, _ scales: UnsafePointer<Float>, _ maxScale: Float,
                                         _ L: UnsafeMutablePointer<UInt8>, _ b: UnsafeMutableRawPointer) {
        let d = -maxScale / 32
        storeF16(b, BlockIQ4_XS.d, d)
        let id: Float = d != 0 ? 1 / d : 0
        var scalesH: UInt16 = 0
        for ib in 0..<8 {
            var l = nearestInt(id * scales[ib])
            l = Swift.max(-32, Swift.min(31, l))
            let dl = d * Float(l)
            let idl: Float = dl != 0 ? 1 / dl : 0
            for j in 0..<32 { L[ib * 32 + j] = UInt8(iq4BestIndex(idl * x[ib * 32 + j])) }
            let u = UInt8(truncatingIfNeeded: l + 32)
            let lo = u & 0xF, hi = UInt16(u >> 4)
            if ib % 2 == 0 {
                b.storeBytes(of: lo, toByteOffset: BlockIQ4_XS.scalesL + ib / 2, as: UInt8.self)
            } else {
                b.storeBytes(of: loadU8(b, BlockIQ4_XS.scalesL + ib / 2) | (lo << 4), toByteOffset: BlockIQ4_XS.scalesL + ib / 2, as: UInt8.self)
            }
            scalesH |= hi << UInt16(2 * ib)
        }
        b.storeBytes(of: scalesH.littleEndian, toByteOffset: BlockIQ4_XS.scalesH, as: UInt16.self)
    }

    /// Levels of 32-groups to nibbles: element j in the low nibble of byte j, j+16 in the high one.
    @inline(__always)
    private static func iq4Pack(_ L: UnsafePointer<UInt8>, _ n: Int, _ qs: UnsafeMutableRawPointer) {
        for i in 0..<(n / 32) {
            for j in 0..<16 { qs.storeBytes(of: L[32 * i + j] | (L[32 * i + 16 + j] << 4), toByteOffset: 16 * i + j, as: UInt8.self) }
        }
    }

    /// `best_index_int8` for 8 values at once: the level per lane, the same choice as `iq4BestIndex`
    /// (ml = the last level ≤ x among 0…14 — levels increase, so the masks are monotonic — then ml or ml+1).
    @inline(__always)
    private static func iq4Level8(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var lo = SIMD8<Float>(repeating: -127), hi = SIMD8<Float>(repeating: -104)
        @inline(__always) func step(_ a: Float, _ b: Float) {
            let m = SIMD8<Float>(repeating: a) .<= x
            lo.replace(with: a, where: m)
            hi.replace(with: b, where: m)
        }
        step(-104, -83); step(-83, -65); step(-65, -49); step(-49, -35); step(-35, -22); step(-22, -10); step(-10, 1)
        step(1, 13); step(13, 25); step(25, 38); step(38, 53); step(53, 69); step(69, 89); step(89, 113)
        var q = hi
        q.replace(with: lo, where: (x - lo) .< (hi - x))
        q.replace(with: 113, where: x .!= x)
        return q
    }

    /// The level index of `iq4Level8`'s choice (levels are distinct).
    @inline(__always)
    private static func iq4Index8(_ q: SIMD8<Float>) -> SIMD8<Int32> {
        var idx = SIMD8<Int32>(repeating: 0)
        for (k, v) in kvaluesIQ4NL.enumerated() where k > 0 { idx.replace(with: Int32(k), where: q .== Float(v)) }
        return idx
    }

    /// `quantize_row_iq4_nl_impl` for 8 groups of 32 at once (one lane each): 8 consecutive IQ4_NL blocks
    /// (`xs` false; `x` holds 256 values, written to 8 blocks at `b`) or the 8 groups of one IQ4_XS
    /// super-block (`xs` true).
    private static func iq4Search8(_ x: UnsafePointer<Float>, _ qw: UnsafePointer<Float>?,
                                   _ b: UnsafeMutableRawPointer, xs: Bool) {
        let ntry = 7
        withUnsafeTemporaryAllocation(of: SIMD8<Float>.self, capacity: 64) { buf in
            let xt = buf.baseAddress!, wt = xt + 32
            // Transpose: xt[j] lane k = element j of group k.
            for j in 0..<32 {
                xt[j] = SIMD8<Float>(x[j], x[32 + j], x[64 + j], x[96 + j], x[128 + j], x[160 + j], x[192 + j], x[224 + j])
            }
            if let qw {
                var sigma2v = SIMD8<Float>(repeating: 0)
                if xs {
                    var s: Float = 0
                    for j in 0..<QK_K { s += x[j] * x[j] }
                    sigma2v = SIMD8<Float>(repeating: s * (2 / Float(QK_K)))
                } else {
                    for j in 0..<32 { sigma2v += xt[j] * xt[j] }
                    sigma2v *= SIMD8<Float>(repeating: 2 / Float(32))
                }
                for j in 0..<32 {
                    let q = SIMD8<Float>(qw[j], qw[32 + j], qw[64 + j], qw[96 + j], qw[128 + j], qw[160 + j], qw[192 + j], qw[224 + j])
                    wt[j] = q * (sigma2v + xt[j] * xt[j]).squareRoot()
                }
            } else {
                for j in 0..<32 { wt[j] = xt[j] * xt[j] }
            }
            var amax = SIMD8<Float>(repeating: 0), max = SIMD8<Float>(repeating: 0)
            for j in 0..<32 {
                let ax = absLanes(xt[j])
                let m = ax .> amax
                amax.replace(with: ax, where: m)
                max.replace(with: xt[j], where: m)
            }
            var d = -max / SIMD8<Float>(repeating: -127)
            var id = 1 / d
            var sumqx = SIMD8<Float>(repeating: 0), sumq2 = SIMD8<Float>(repeating: 0)
            for j in 0..<32 {
                let q = iq4Level8(id * xt[j])
                let w = wt[j]
                sumqx += w * q * xt[j]
                sumq2 += w * q * q
            }
            d = sumqx / sumq2
            d.replace(with: 0, where: .!(sumq2 .> 0))
            var best = d * sumqx
            for itry in -ntry...ntry {
                id = SIMD8<Float>(repeating: Float(itry - 127)) / max
                sumqx = SIMD8<Float>(repeating: 0); sumq2 = SIMD8<Float>(repeating: 0)
                for j in 0..<32 {
                    let q = iq4Level8(id * xt[j])
                    let w = wt[j]
                    sumqx += w * q * xt[j]
                    sumq2 += w * q * q
                }
                let better = (sumq2 .> 0) .& (sumqx * sumqx .> best * sumq2)
                let nd = sumqx / sumq2
                d.replace(with: nd, where: better)
                best.replace(with: nd * sumqx, where: better)
            }
            d.replace(with: 0, where: amax .< groupMaxEps)
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: QK_K) { Lbuf in
                let L = Lbuf.baseAddress!
                if xs {
                    var maxScale: Float = 0, amaxScale: Float = 0
                    for k in 0..<8 where abs(d[k]) > amaxScale { amaxScale = abs(d[k]); maxScale = d[k] }
                    // The second stage of iq4StoreXSScales, lane k = group k.
                    let dx = -maxScale / 32
                    storeF16(b, BlockIQ4_XS.d, dx)
                    let idx: Float = dx != 0 ? 1 / dx : 0
                    var idl = SIMD8<Float>(repeating: 0)
                    var scalesH: UInt16 = 0
                    for k in 0..<8 {
                        let l = Swift.max(-32, Swift.min(31, nearestInt(idx * d[k])))
                        let dl = dx * Float(l)
                        idl[k] = dl != 0 ? 1 / dl : 0
                        let u = UInt8(truncatingIfNeeded: l + 32)
                        if k % 2 == 0 {
                            b.storeBytes(of: u & 0xF, toByteOffset: BlockIQ4_XS.scalesL + k / 2, as: UInt8.self)
                        } else {
                            b.storeBytes(of: loadU8(b, BlockIQ4_XS.scalesL + k / 2) | ((u & 0xF) << 4), toByteOffset: BlockIQ4_XS.scalesL + k / 2, as: UInt8.self)
                        }
                        scalesH |= UInt16(u >> 4) << UInt16(2 * k)
                    }
                    b.storeBytes(of: scalesH.littleEndian, toByteOffset: BlockIQ4_XS.scalesH, as: UInt16.self)
                    for j in 0..<32 {
                        let li = iq4Index8(iq4Level8(idl * xt[j]))
                        for k in 0..<8 { L[k * 32 + j] = UInt8(truncatingIfNeeded: li[k]) }
                    }
                    iq4Pack(L, QK_K, b + BlockIQ4_XS.qs)
                } else {
                    var inv = 1 / d
                    inv.replace(with: 0, where: d .== 0)
                    for j in 0..<32 {
                        let idx = iq4Index8(iq4Level8(inv * xt[j]))
                        for k in 0..<8 { L[k * 32 + j] = UInt8(truncatingIfNeeded: idx[k]) }
                    }
                    for k in 0..<8 {
                        let blk = b + k * BlockIQ4_NL.size
                        storeF16(blk, BlockIQ4_NL.d, d[k])
                        iq4Pack(L + k * 32, 32, blk + BlockIQ4_NL.qs)
                    }
                }
            }
        }
    }
}

extension Dequantize {
    /// `dequantize_row_iq4_nl`.
    static func iq4_nl(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ nb: Int) {
        let v = kvaluesIQ4NL
        for i in 0..<nb {
            let b = src + i * BlockIQ4_NL.size, o = y + i * 32
            let d = loadF16(b, BlockIQ4_NL.d)
            for j in 0..<16 {
                let q = loadU8(b, BlockIQ4_NL.qs + j)
                o[j] = d * Float(v[Int(q & 0xF)])
                o[j + 16] = d * Float(v[Int(q >> 4)])
            }
        }
    }

    /// `dequantize_row_iq4_xs`.
    static func iq4_xs(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ nb: Int) {
        let v = kvaluesIQ4NL
        for i in 0..<nb {
            let b = src + i * BlockIQ4_XS.size
            let d = loadF16(b, BlockIQ4_XS.d)
            let sh = UInt16(littleEndian: b.loadUnaligned(fromByteOffset: BlockIQ4_XS.scalesH, as: UInt16.self))
            for ib in 0..<8 {
                let ls = Int32((loadU8(b, BlockIQ4_XS.scalesL + ib / 2) >> (4 * UInt8(ib % 2))) & 0xF) | Int32((sh >> UInt16(2 * ib)) & 3) << 4
                let dl = d * Float(ls - 32)
                let o = y + i * QK_K + ib * 32
                for j in 0..<16 {
                    let q = loadU8(b, BlockIQ4_XS.qs + 16 * ib + j)
                    o[j] = dl * Float(v[Int(q & 0xF)])
                    o[j + 16] = dl * Float(v[Int(q >> 4)])
                }
            }
        }
    }
}
