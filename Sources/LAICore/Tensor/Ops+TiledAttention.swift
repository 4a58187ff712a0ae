// Ops+TiledAttention: reference twins of attention_kernels.c — ggml's tiled flash attention (batches of
// >= 64 query rows) and its split-KV path (one query over >= 512 cells) — with the same roundings in the
// same order, so the C kernels must equal them bit for bit. They are also the portable path.
import Foundation
import LAIKernels

extension Ops {
    /// ggml_v_expf for one lane (the Arm optimized-routines expf ggml vectorizes; max error ~1.5 ulp).
    @inline(__always)
    package static func ggmlExpf(_ x: Float) -> Float {
        let r: Float = 0x1.8p23
        let z = r.addingProduct(x, 0x1.715476p+0)
        let n = z - r
        let b = x.addingProduct(-n, 0x1.62e4p-1).addingProduct(-n, 0x1.7f7d1cp-20)
        let e = z.bitPattern &<< 23
        let k = Float(bitPattern: e &+ Float(1).bitPattern)
        let u = b * b
        let p1 = Float(0x1.573e2ep-5).addingProduct(0x1.0e4020p-7, b)
        let p2 = Float(0x1.fffdb6p-2).addingProduct(0x1.555e66p-3, b)
        let j = (0x1.ffffecp-1 * b).addingProduct(p2.addingProduct(p1, u), u)
        if !(abs(n) > 126) { return k.addingProduct(j, k) }
        let g: UInt32 = n <= 0 ? 0x8200_0000 : 0
        let s1 = Float(bitPattern: g &+ 0x7f00_0000), s2 = Float(bitPattern: e &- g)
        if abs(n) > 192 { return s1 * s1 }
        return s2.addingProduct(s2, j) * s1
    }

    /// Twin of `lai_attention_tiled_f16` (ggml_compute_forward_flash_attn_ext_tiled): `rows` (≤ 64) query rows
    /// of one head at `positions`, against cells 0… of a KV head (k, v at cell 0, `kvStride` bytes apart).
    /// Cells after a row's position or `window` (> 0) or more before it are masked. Writes hd floats per row.
    package static func attentionTiledReference(_ q: UnsafePointer<Float>, qStride: Int, positions: UnsafePointer<Int>, rows: Int,
                                                k: UnsafeRawPointer, v: UnsafeRawPointer, kvStride: Int, window: Int, hd: Int,
                                                scale: Float, softcap: Float, out: UnsafeMutablePointer<Float>, outStride: Int) {
        let T = Int(LAI_FA_TILE_KV)
        let scale = softcap != 0 ? scale / softcap : scale
        var S = [Float](repeating: 0, count: rows), M = [Float](repeating: -.infinity, count: rows)
        let lo = (0..<rows).map { window > 0 ? max(0, positions[$0] - window + 1) : 0 }
        let first = lo.min() ?? 0, last = (0..<rows).map { positions[$0] }.max() ?? 0
        var acc = [Float](repeating: 0, count: rows * hd), p = [Float](repeating: 0, count: T)
        var ic = first / T * T
        while ic <= last {
            defer { ic += T }
            guard (0..<rows).contains(where: { lo[$0] < ic + T && positions[$0] >= ic }) else { continue }
            for r in 0..<rows {
                for t in 0..<T {
                    let j = ic + t
                    if j > last || j > positions[r] || j < lo[r] { p[t] = -.infinity; continue }
                    var s: Float = 0
                    for d in 0..<hd { s = s.addingProduct(ReferenceKernels.h2f(k, j * kvStride + 2 * d), q[r * qStride + d]) }
                    s *= scale
                    if softcap != 0 { s = tanhf(s) * softcap }
                    p[t] = s
                }
                let tileMax = p.reduce(-Float.infinity) { $1 > $0 ? $1 : $0 }
                if tileMax == -.infinity {
                    for t in 0..<T { p[t] = 0 }  // ggml zeroes the row and still runs the V product over it
                } else {
                    let mNew = max(M[r], tileMax)
                    if mNew > M[r] {
                        let ms = expf(M[r] - mNew)
                        for d in 0..<hd { acc[r * hd + d] *= ms }
                        S[r] *= ms
                    }
                    M[r] = mNew
                    var sum: Double = 0
                    for g in stride(from: 0, to: T, by: 8) {
                        var e = [Float](repeating: 0, count: 8)
                        for l in 0..<8 { e[l] = ggmlExpf(p[g + l] - mNew); p[g + l] = e[l] }
                        sum += Double(((e[4] + e[0]) + (e[6] + e[2])) + ((e[5] + e[1]) + (e[7] + e[3])))
                    }
                    S[r] = Float(Double(S[r]) + sum)
                }
                for d in 0..<hd {  // cells past `last` are zero in ggml's V tile
                    var a = acc[r * hd + d]
                    for t in 0..<T { a = a.addingProduct(ic + t <= last ? ReferenceKernels.h2f(v, (ic + t) * kvStride + 2 * d) : 0, p[t]) }
                    acc[r * hd + d] = a
                }
            }
        }
        for r in 0..<rows {
            let inv: Float = S[r] == 0 ? 0 : 1 / S[r]
            for d in 0..<hd { out[r * outStride + d] = acc[r * hd + d] * inv }
        }
    }

    /// Twin of `lai_attention_f16_partial`: the one-query f16 kernel over cells j0..<j1, unnormalized
    /// ([M, S, hd accumulator values] into `partial`). The QK dot follows ggml's vec_dot_f16 lane order.
    package static func attentionF16PartialReference(_ q: UnsafePointer<Float>, k: UnsafeRawPointer, v: UnsafeRawPointer, kvStride: Int,
                                                     range: Range<Int>, hd: Int, scale: Float, softcap: Float, partial: UnsafeMutablePointer<Float>) {
        let scale = softcap != 0 ? scale / softcap : scale
        let qh = (0..<hd).map { Float(Float16(q[$0])) }
        var acc = [Float](repeating: 0, count: hd)
        var S: Float = 0, M = -Float.infinity
        for j in range {
            let kj = k + j * kvStride, vj = v + j * kvStride
            var lanes = [Float](repeating: 0, count: 32)
            let np = hd & ~31
            for i in stride(from: 0, to: np, by: 32) {
                for l in 0..<32 { lanes[l] = lanes[l].addingProduct(ReferenceKernels.h2f(kj, 2 * (i + l)), qh[i + l]) }
            }
            var t = [Float](repeating: 0, count: 8)
            for l in 0..<8 { t[l] = (lanes[l] + lanes[16 + l]) + (lanes[8 + l] + lanes[24 + l]) }
            let t0 = (0..<4).map { t[$0] + t[$0 + 4] }
            var r = Double((t0[0] + t0[1]) + (t0[2] + t0[3]))
            for i in np..<hd { r += Double(ReferenceKernels.h2f(kj, 2 * i) * qh[i]) }
            var s = Float(r) * scale
            if softcap != 0 { s = softcap * tanhf(s) }
            let mOld = M
            var ms: Float = 1, vs: Float = 1
            if s > M {
                M = s; ms = expf(mOld - M)
                for i in 0..<hd { acc[i] = Float(Float16(acc[i] * ms)) }
            } else {
                vs = expf(s - M)
            }
            for i in 0..<hd { acc[i] = Float(Float16(acc[i].addingProduct(ReferenceKernels.h2f(vj, 2 * i), vs))) }
            S = vs.addingProduct(S, ms)
        }
        partial[0] = M; partial[1] = S
        for i in 0..<hd { partial[2 + i] = acc[i] }
    }

    /// Twin of `lai_attention_reduce_partials` (ggml_flash_attn_ext_reduce_partials, as GCC compiles it).
    package static func attentionReducePartialsReference(_ partials: UnsafePointer<Float>, chunks: Int, hd: Int, out: UnsafeMutablePointer<Float>) {
        var mF = -Float.infinity, sF: Float = 0
        for d in 0..<hd { out[d] = 0 }
        for c in 0..<chunks {
            let p = partials + c * (2 + hd)
            if p[1] == 0 { continue }
            let mN = max(mF, p[0])
            let so = expf(mF - mN), sn = expf(p[0] - mN)
            for d in 0..<hd { out[d] = (p[2 + d] * sn).addingProduct(out[d], so) }
            sF = (p[1] * sn).addingProduct(sF, so)
            mF = mN
        }
        if sF != 0 { let inv = 1 / sF; for d in 0..<hd { out[d] *= inv } }
    }
}
