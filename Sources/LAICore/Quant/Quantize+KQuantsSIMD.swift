// Quantize+KQuantsSIMD: the K-quant search loops run for 8 groups at once (one SIMD lane per group).
//
// ggml's make_qkx2_quants / make_qx_quants are long chains of dependent fp32 additions, so the scalar
// twins (Quantize+KQuants.swift) are latency-bound. Here lane k follows exactly the scalar sequence of
// operations for group k — same order, same rounding, no FMA — so results are bit-identical; the tests
// compare both on random, real and edge-case data.

typealias F8 = SIMD8<Float>
typealias I8 = SIMD8<Int32>

@inline(__always) private func nearestInt8(_ f: F8) -> I8 {
    let v = f + F8(repeating: 12_582_912.0)
    return I8(truncatingIfNeeded: unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x007F_FFFF) &- 0x0040_0000
}

@inline(__always) private func abs8(_ v: F8) -> F8 {
    unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: F8.self)
}

/// -v with the sign bit flipped, as C's unary minus (SIMD's prefix minus is 0 - v, which gives +0 for +0).
@inline(__always) private func negate8(_ v: F8) -> F8 {
    unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) ^ 0x8000_0000, to: F8.self)
}

@inline(__always) private func float8(_ v: I8) -> F8 {
    F8(v)  // exact: levels are small integers
}

extension F8 {
    /// `x`, or |x| (sign bit cleared, as fabsf) when `abs`.
    @inline(__always) init(x: F8, abs: Bool) { self = abs ? abs8(x) : x }
}

extension Quantize {
    /// Runs a per-group search for `groups` (8 or 16) consecutive groups of `n` elements, 8 groups per
    /// call of `search`: transposes the data so lane k holds group k, then writes the levels back to
    /// `L[group * n + i]` and the results to `scales` / `mins`.
    @inline(__always)
    static func groupSearch8(_ x: UnsafePointer<Float>, groups: Int, n: Int, L: UnsafeMutablePointer<UInt8>,
                             scales: UnsafeMutablePointer<Float>, mins: UnsafeMutablePointer<Float>,
                             _ search: (UnsafePointer<F8>, UnsafeMutablePointer<F8>, UnsafeMutablePointer<I8>, UnsafeMutablePointer<I8>) -> (scale: F8, theMin: F8)) {
        withUnsafeTemporaryAllocation(of: F8.self, capacity: 2 * n) { fb in
        withUnsafeTemporaryAllocation(of: I8.self, capacity: 2 * n) { ib in
            let xT = fb.baseAddress!, wT = xT + n, LT = ib.baseAddress!, LauxT = LT + n
            for g0 in stride(from: 0, to: groups, by: 8) {
                for i in 0..<n {
                    let p = x + g0 * n + i
                    xT[i] = F8(p[0], p[n], p[2 * n], p[3 * n], p[4 * n], p[5 * n], p[6 * n], p[7 * n])
                }
                let (sc, mn) = search(xT, wT, LT, LauxT)
                for k in 0..<8 {
                    scales[g0 + k] = sc[k]
                    mins[g0 + k] = mn[k]
                    for i in 0..<n { L[(g0 + k) * n + i] = UInt8(truncatingIfNeeded: LT[i][k]) }
                }
            }
        }
        }
    }

    /// Q6_K's 16 `make_qx_quants(16, 32)` searches, 8 groups at a time; `L` gets int8 levels (offset 32).
    @inline(__always)
    static func qxSearch8(_ x: UnsafePointer<Float>, _ L: UnsafeMutablePointer<Int8>, _ scales: UnsafeMutablePointer<Float>) {
        withUnsafeTemporaryAllocation(of: F8.self, capacity: 16) { fb in
        withUnsafeTemporaryAllocation(of: I8.self, capacity: 16) { ib in
            let xT = fb.baseAddress!, LT = ib.baseAddress!
            for g0 in stride(from: 0, to: 16, by: 8) {
                for i in 0..<16 {
                    let p = x + g0 * 16 + i
                    xT[i] = F8(p[0], p[16], p[32], p[48], p[64], p[80], p[96], p[112])
                }
                let sc = makeQxQuants8(16, 32, xT, LT)
                for k in 0..<8 {
                    scales[g0 + k] = sc[k]
                    for i in 0..<16 { L[(g0 + k) * 16 + i] = Int8(truncatingIfNeeded: LT[i][k]) }
                }
            }
        }
        }
    }

    /// 16 `make_qx_quants(16, nmax)` searches with weights `qw` (16 per group), 8 groups at a time (Q3_K's and
    /// Q6_K's weighted paths); `L` gets int8 levels offset by nmax.
    @inline(__always)
    static func qxSearchWeighted8(_ x: UnsafePointer<Float>, _ qw: UnsafePointer<Float>, nmax: Int32, _ L: UnsafeMutablePointer<Int8>,
                                  _ scales: UnsafeMutablePointer<Float>) {
        withUnsafeTemporaryAllocation(of: F8.self, capacity: 32) { fb in
        withUnsafeTemporaryAllocation(of: I8.self, capacity: 16) { ib in
            let xT = fb.baseAddress!, wT = xT + 16, LT = ib.baseAddress!
            for g0 in stride(from: 0, to: 16, by: 8) {
                for i in 0..<16 {
                    let p = x + g0 * 16 + i, q = qw + g0 * 16 + i
                    xT[i] = F8(p[0], p[16], p[32], p[48], p[64], p[80], p[96], p[112])
                    wT[i] = F8(q[0], q[16], q[32], q[48], q[64], q[80], q[96], q[112])
                }
                let sc = makeQxQuantsWeighted8(16, nmax, xT, wT, LT)
                for k in 0..<8 {
                    scales[g0 + k] = sc[k]
                    for i in 0..<16 { L[(g0 + k) * 16 + i] = Int8(truncatingIfNeeded: LT[i][k]) }
                }
            }
        }
        }
    }

    /// Element i of `lanes` consecutive groups of `n` into lane k of `out[i]`; spare lanes are zero.
    @inline(__always)
    private static func transposeGroups(_ x: UnsafePointer<Float>, lanes: Int, n: Int, into out: UnsafeMutablePointer<F8>) {
        if lanes == 8 {
            for i in 0..<n {
                let p = x + i
                out[i] = F8(p[0], p[n], p[2 * n], p[3 * n], p[4 * n], p[5 * n], p[6 * n], p[7 * n])
            }
        } else {
            for i in 0..<n {
                var v = F8.zero
                for k in 0..<lanes { v[k] = x[k * n + i] }
                out[i] = v
            }
        }
    }

    /// `count` weighted `make_qx_quants(n, nmax)` searches over consecutive groups of `n` (x and weights `w` alike),
    /// 8 per lane set; a last partial set runs with zero groups in its spare lanes (a zero group is its own
    /// answer: scale 0, levels 0, and lanes do not mix). `L` gets int8 levels offset by nmax.
    static func qxSearchWeightedGroups(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, count: Int, n: Int, nmax: Int32,
                                       _ L: UnsafeMutablePointer<Int8>, _ scales: UnsafeMutablePointer<Float>) {
        withUnsafeTemporaryAllocation(of: F8.self, capacity: 2 * n) { fb in
        withUnsafeTemporaryAllocation(of: I8.self, capacity: n) { ib in
            let xT = fb.baseAddress!, wT = xT + n, LT = ib.baseAddress!
            for g0 in stride(from: 0, to: count, by: 8) {
                let lanes = Swift.min(8, count - g0)
                transposeGroups(x + g0 * n, lanes: lanes, n: n, into: xT)
                transposeGroups(w + g0 * n, lanes: lanes, n: n, into: wT)
                let sc = makeQxQuantsWeighted8(n, nmax, xT, wT, LT)
                for k in 0..<lanes {
                    scales[g0 + k] = sc[k]
                    for i in 0..<n { L[(g0 + k) * n + i] = Int8(truncatingIfNeeded: LT[i][k]) }
                }
            }
        }
        }
    }

    /// `count` weighted `make_qkx3_quants(n, nmax, …, rmin -0.9, rdelta 0.05, nstep 36)` searches (Q4_1, Q5_1, Q2_K with
    /// weights) over consecutive groups of `n`, 8 per lane set, a partial last set padded with zero groups;
    /// `L` gets the levels, `scales` and `mins` (-min) each group's results.
    static func qkx3SearchWeightedGroups(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, count: Int, n: Int, nmax: Int32,
                                         _ L: UnsafeMutablePointer<UInt8>, _ scales: UnsafeMutablePointer<Float>,
                                         _ mins: UnsafeMutablePointer<Float>) {
        withUnsafeTemporaryAllocation(of: F8.self, capacity: 2 * n) { fb in
        withUnsafeTemporaryAllocation(of: I8.self, capacity: 2 * n) { ib in
            let xT = fb.baseAddress!, wT = xT + n, LT = ib.baseAddress!, LauxT = LT + n
            for g0 in stride(from: 0, to: count, by: 8) {
                let lanes = Swift.min(8, count - g0)
                transposeGroups(x + g0 * n, lanes: lanes, n: n, into: xT)
                transposeGroups(w + g0 * n, lanes: lanes, n: n, into: wT)
                let (sc, mn) = makeQkx2Quants8(n, nmax, xT, wT, LT, LauxT, -0.9, 0.05, 36, false)
                for k in 0..<lanes {
                    scales[g0 + k] = sc[k]
                    mins[g0 + k] = mn[k]
                    for i in 0..<n { L[(g0 + k) * n + i] = UInt8(truncatingIfNeeded: LT[i][k]) }
                }
            }
        }
        }
    }

    /// `make_qkx2_quants` for 8 groups: `x[i]`, `w[i]` hold element i of each group (lane = group).
    /// `L[i]` receives the levels. Returns each group's scale and -min.
    static func makeQkx2Quants8(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<F8>, _ w: UnsafePointer<F8>,
                                _ L: UnsafeMutablePointer<I8>, _ Laux: UnsafeMutablePointer<I8>,
                                _ rmin: Float, _ rdelta: Float, _ nstep: Int, _ useMad: Bool) -> (scale: F8, theMin: F8) {
        var min = x[0], max = x[0]
        var sumW = w[0]
        var sumX = sumW * x[0]
        for i in 1..<n {
            let xi = x[i]
            min.replace(with: xi, where: xi .< min)
            max.replace(with: xi, where: xi .> max)
            sumW += w[i]
            sumX += w[i] * xi
        }
        min.replace(with: 0, where: min .> 0)
        let degenerate = max .== min
        let degenerateMin = min
        let nmaxF = F8(repeating: Float(nmax))
        let top = I8(repeating: nmax)
        var iscale = nmaxF / (max - min)
        var scale = 1 / iscale
        var best = F8.zero
        for i in 0..<n {
            let l = nearestInt8(iscale * (x[i] - min)).clamped(lowerBound: .zero, upperBound: top)
            L[i] = l
            var diff = scale * float8(l) + min - x[i]
            diff = useMad ? abs8(diff) : diff * diff
            best += w[i] * diff
        }
        if nstep >= 1 {
            for step in 0...nstep {
                iscale = (F8(repeating: rmin + rdelta * Float(step)) + nmaxF) / (max - min)
                var sl = F8.zero, sl2 = F8.zero, sxl = F8.zero
                for i in 0..<n {
                    let l = nearestInt8(iscale * (x[i] - min)).clamped(lowerBound: .zero, upperBound: top)
                    Laux[i] = l
                    let lf = float8(l), wi = w[i]
                    sl += wi * lf
                    sl2 += wi * lf * lf
                    sxl += wi * lf * x[i]
                }
                let D = sumW * sl2 - sl * sl
                let ok = D .> 0
                if !any(ok) { continue }
                var ts = (sumW * sxl - sumX * sl) / D
                var tm = (sl2 * sumX - sl * sxl) / D
                let clampMin = tm .> 0
                tm.replace(with: 0, where: clampMin)
                ts.replace(with: sxl / sl2, where: clampMin)
                var cur = F8.zero
                for i in 0..<n {
                    var diff = ts * float8(Laux[i]) + tm - x[i]
                    diff = useMad ? abs8(diff) : diff * diff
                    cur += w[i] * diff
                }
                let better = ok .& (cur .< best)
                if any(better) {
                    for i in 0..<n { L[i].replace(with: Laux[i], where: better) }
                    best.replace(with: cur, where: better)
                    scale.replace(with: ts, where: better)
                    min.replace(with: tm, where: better)
                }
            }
        }
        if any(degenerate) {
            for i in 0..<n { L[i].replace(with: I8.zero, where: degenerate) }
            scale.replace(with: 0, where: degenerate)
            min.replace(with: degenerateMin, where: degenerate)
        }
        return (scale, negate8(min))
    }

    /// `make_qx_quants(n, nmax, x, L, rmse_type 1, no weights)` for 8 groups (lane = group).
    /// `L[i]` receives levels offset by nmax. Returns each group's scale.
    static func makeQxQuants8(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<F8>, _ L: UnsafeMutablePointer<I8>) -> F8 {
        qxQuants8(n, nmax, x, nil, L)
    }

    /// `make_qx_quants` with weights `w` (lane = group), as Quantize+Weighted's makeQxQuants(weights:).
    static func makeQxQuantsWeighted8(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<F8>, _ w: UnsafePointer<F8>, _ L: UnsafeMutablePointer<I8>) -> F8 {
        qxQuants8(n, nmax, x, w, L)
    }

    /// Both: the weight of element i is w[i], or x[i]² without weights (the branch is the same for every
    /// element, so it folds once inlined).
    @inline(__always)
    private static func qxQuants8(_ n: Int, _ nmax: Int32, _ x: UnsafePointer<F8>, _ w: UnsafePointer<F8>?, _ L: UnsafeMutablePointer<I8>) -> F8 {
        var max = F8.zero, amax = F8.zero
        for i in 0..<n {
            let ax = abs8(x[i])
            let up = ax .> amax
            amax.replace(with: ax, where: up)
            max.replace(with: x[i], where: up)
        }
        let zero = amax .< F8(repeating: 1e-15)
        let lo = I8(repeating: -nmax), hi = I8(repeating: nmax - 1), off = I8(repeating: nmax)
        var iscale = F8(repeating: Float(-nmax)) / max
        var sumlx = F8.zero, suml2 = F8.zero
        for i in 0..<n {
            let l = nearestInt8(iscale * x[i]).clamped(lowerBound: lo, upperBound: hi)
            L[i] = l &+ off
            let wgt = w?[i] ?? x[i] * x[i], lf = float8(l)
            sumlx += wgt * x[i] * lf
            suml2 += wgt * lf * lf
        }
        var scale = sumlx / suml2
        scale.replace(with: 0, where: suml2 .== 0)
        var best = scale * sumlx
        for step in -9...9 where step != 0 {
            iscale = -(F8(repeating: Float(nmax)) + F8(repeating: 0.1 * Float(step))) / max
            sumlx = .zero; suml2 = .zero
            for i in 0..<n {
                let l = nearestInt8(iscale * x[i]).clamped(lowerBound: lo, upperBound: hi)
                let wgt = w?[i] ?? x[i] * x[i], lf = float8(l)
                sumlx += wgt * x[i] * lf
                suml2 += wgt * lf * lf
            }
            let better = (suml2 .> 0) .& (sumlx * sumlx .> best * suml2)
            if any(better) {
                for i in 0..<n {
                    let l = nearestInt8(iscale * x[i]).clamped(lowerBound: lo, upperBound: hi)
                    L[i].replace(with: l &+ off, where: better)
                }
                scale.replace(with: sumlx / suml2, where: better)
                best.replace(with: scale * sumlx, where: better)
            }
        }
        if any(zero) {
            for i in 0..<n { L[i].replace(with: I8.zero, where: zero) }
            scale.replace(with: 0, where: zero)
        }
        return scale
    }
}
