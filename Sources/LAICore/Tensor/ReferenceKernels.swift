// ReferenceKernels: portable Swift versions of the block kernels — the arm64 path and the reference
// the AVX2 kernels are tested against.

/// Plain-Swift twins of the kernels in LAIKernels, block for block the same arithmetic.
package enum ReferenceKernels {
    @inline(__always) static func h2f(_ p: UnsafeRawPointer, _ off: Int) -> Float {
        Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: off, as: UInt16.self)))
    }
    @inline(__always) static func f2h(_ x: Float) -> UInt16 { Float16(x).bitPattern }

    /// q8_0 (and q8_1 when `withSum`) activation quantization, round to nearest even as the AVX2 path.
    package static func quantizeRowQ8(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ n: Int, withSum: Bool) {
        let bs = withSum ? 36 : 34
        for b in 0..<(n / 32) {
            let xb = x + 32 * b
            var amax: Float = 0
            for i in 0..<32 { amax = max(amax, abs(xb[i])) }
            let d = amax / 127
            let id: Float = amax != 0 ? 127 / amax : 0
            let blk = y + b * bs
            let qs = (blk + (withSum ? 4 : 2)).assumingMemoryBound(to: Int8.self)
            var sum = 0
            for i in 0..<32 {
                let q = Int((xb[i] * id).rounded(.toNearestOrEven))
                qs[i] = Int8(clamping: q); sum += Int(qs[i])
            }
            blk.storeBytes(of: f2h(d), as: UInt16.self)
            if withSum { (blk + 2).storeBytes(of: f2h(d * Float(sum)), as: UInt16.self) }
        }
    }

    /// Weight block `b` of `type` unpacked to 32 integer values and its scale `d` and offset `m`
    /// (value = d * q + m).
    @inline(__always) static func unpack(_ type: GGMLType, _ row: UnsafeRawPointer, _ b: Int, _ q: inout SIMD32<Int32>) -> (Float, Float) {
        switch type {
        case .q4_0:
            let blk = row + 18 * b
            for j in 0..<16 { let v = blk.load(fromByteOffset: 2 + j, as: UInt8.self); q[j] = Int32(v & 15) - 8; q[j + 16] = Int32(v >> 4) - 8 }
            return (h2f(blk, 0), 0)
        case .q4_1:
            let blk = row + 20 * b
            for j in 0..<16 { let v = blk.load(fromByteOffset: 4 + j, as: UInt8.self); q[j] = Int32(v & 15); q[j + 16] = Int32(v >> 4) }
            return (h2f(blk, 0), h2f(blk, 2))
        case .q5_0:
            let blk = row + 22 * b
            let qh = blk.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
            for j in 0..<16 {
                let v = blk.load(fromByteOffset: 6 + j, as: UInt8.self)
                q[j] = Int32(v & 15) | Int32((qh >> UInt32(j)) & 1) << 4 - 16
                q[j + 16] = Int32(v >> 4) | Int32((qh >> UInt32(j + 16)) & 1) << 4 - 16
            }
            return (h2f(blk, 0), 0)
        case .q5_1:
            let blk = row + 24 * b
            let qh = blk.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
            for j in 0..<16 {
                let v = blk.load(fromByteOffset: 8 + j, as: UInt8.self)
                q[j] = Int32(v & 15) | Int32((qh >> UInt32(j)) & 1) << 4
                q[j + 16] = Int32(v >> 4) | Int32((qh >> UInt32(j + 16)) & 1) << 4
            }
            return (h2f(blk, 0), h2f(blk, 2))
        case .q8_0:
            let blk = row + 34 * b
            for j in 0..<32 { q[j] = Int32(blk.load(fromByteOffset: 2 + j, as: Int8.self)) }
            return (h2f(blk, 0), 0)
        case .iq4_nl:
            let blk = row + 18 * b
            for j in 0..<16 {
                let v = blk.load(fromByteOffset: 2 + j, as: UInt8.self)
                q[j] = Int32(kvaluesIQ4NL[Int(v & 15)]); q[j + 16] = Int32(kvaluesIQ4NL[Int(v >> 4)])
            }
            return (h2f(blk, 0), 0)
        default:
            return (0, 0)
        }
    }

    /// Dot product of a weight row (nb blocks of `type`) with a q8_0/q8_1 activation row, as ggml's vec_dot.
    package static func dotBlocks(_ type: GGMLType, _ w: UnsafeRawPointer, _ a: UnsafeRawPointer, nb: Int) -> Float {
        let withSum = type == .q4_1 || type == .q5_1
        let abs = withSum ? 36 : 34
        var acc: Float = 0, summs: Float = 0
        var q = SIMD32<Int32>()
        for b in 0..<nb {
            let (dw, mw) = unpack(type, w, b, &q)
            let blk = a + b * abs
            let qa = blk + (withSum ? 4 : 2)
            var s: Int32 = 0
            for j in 0..<32 { s &+= q[j] &* Int32(qa.load(fromByteOffset: j, as: Int8.self)) }
            acc += dw * h2f(blk, 0) * Float(s)
            if withSum { summs += mw * h2f(blk, 2) }
        }
        return acc + summs
    }

    /// F16 weights with F16 activations (ggml's vec_dot_f16; the activations' f16 values held as f32), accumulated
    /// in Float.
    package static func dotF16(_ w: UnsafeRawPointer, _ a: UnsafePointer<Float>, n: Int) -> Float {
        dotHalf(a, n) { h2f(w, 2 * $0) }
    }

    /// BF16 weights with BF16-rounded activations held as f32, in the F16 order (llama.cpp's tinyBLAS on AVX2).
    package static func dotBF16(_ w: UnsafeRawPointer, _ a: UnsafePointer<Float>, n: Int) -> Float {
        dotHalf(a, n) { Float(bitPattern: UInt32(w.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)) << 16) }
    }

    /// One 8-lane fused accumulator over steps of 8, its sum, then the tail one by one.
    @inline(__always) static func dotHalf(_ a: UnsafePointer<Float>, _ n: Int, _ weight: (Int) -> Float) -> Float {
        var s = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            var x = SIMD8<Float>(), y = SIMD8<Float>()
            for j in 0..<8 { x[j] = weight(i + j); y[j] = a[i + j] }
            s.addProduct(x, y)
            i += 8
        }
        var r = s.sum()
        while i < n { r += weight(i) * a[i]; i += 1 }
        return r
    }

    /// ggml's GGML_FP32_TO_BF16 (nearest even; a NaN stays a quiet NaN), widened back to f32.
    package static func roundToBF16(_ x: Float) -> Float {
        let u = x.bitPattern
        if u & 0x7fff_ffff > 0x7f80_0000 { return Float(bitPattern: (u | (64 << 16)) & 0xffff_0000) }
        return Float(bitPattern: (u &+ (0x7fff + ((u >> 16) & 1))) & 0xffff_0000)
    }

    package static func dotF32(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var s = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            s.addProduct(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self), UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self))
            i += 8
        }
        var r = s.sum()
        while i < n { r += a[i] * b[i]; i += 1 }
        return r
    }

    /// Each block of 32 values of x quantized as q8_0 (quantizeRowQ8): `body(block, f16 scale bits, quants)`.
    @inline(__always) static func q8Blocks(_ x: UnsafePointer<Float>, _ n: Int, _ body: (Int, UInt16, UnsafePointer<Int8>) -> Void) {
        withUnsafeTemporaryAllocation(byteCount: 34, alignment: 4) { tmp in
            let t = tmp.baseAddress!
            for b in 0..<(n / 32) {
                quantizeRowQ8(x + 32 * b, t, 32, withSum: false)
                body(b, t.load(as: UInt16.self), UnsafePointer((t + 2).assumingMemoryBound(to: Int8.self)))
            }
        }
    }

    /// q8_0s activation blocks (f16 d, int16 sum of the quants, 32 quants): q8_0 plus the sum.
    package static func quantizeRowQ8S(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ n: Int) {
        q8Blocks(x, n) { b, d, qs in
            let blk = y + 36 * b
            var sum: Int16 = 0
            for j in 0..<32 { sum += Int16(qs[j]); blk.storeBytes(of: qs[j], toByteOffset: 4 + j, as: Int8.self) }
            blk.storeBytes(of: d, as: UInt16.self)
            blk.storeBytes(of: sum, toByteOffset: 2, as: Int16.self)
        }
    }

    /// q8_0p activation blocks (f32 d = the q8_0 f16 scale, int32 128 · sum, 32 low and 32 high parts of each
    /// quant a = 16·hi + lo, hi = floor((a + 8) / 16)): the split the AVX2 q8_0x8 kernel multiplies.
    package static func quantizeRowQ8P(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ n: Int) {
        q8Blocks(x, n) { b, d, qs in
            let blk = y + 72 * b
            var sum: Int32 = 0
            for j in 0..<32 {
                let q = Int32(qs[j]), hi = (q + 8) >> 4
                sum += q
                blk.storeBytes(of: Int8(q - 16 * hi), toByteOffset: 8 + j, as: Int8.self)
                blk.storeBytes(of: Int8(hi), toByteOffset: 40 + j, as: Int8.self)
            }
            blk.storeBytes(of: Float(Float16(bitPattern: d)), as: Float.self)
            blk.storeBytes(of: 128 * sum, toByteOffset: 4, as: Int32.self)
        }
    }

    /// Twin of the packed kernels, computed from the original (unpacked) rows: per block the exact integer
    /// dot product, accumulated with one fused multiply-add by (weight scale × activation scale); q4_K
    /// does the same for the mins and subtracts (llama.cpp's repacked q4_0/q4_K arithmetic).
    /// q8_0x8 takes q8_0s or q8_0p activations (`activations`); the others q8_0s, q4_Kx8 q8_K.
    package static func gemmPacked(_ layout: PackedWeights.Layout, _ w: UnsafeRawPointer, _ ws: Int, nr: Int, cols: Int,
                                   _ a: UnsafeRawPointer, _ abs: Int, nc: Int, _ out: UnsafeMutablePointer<Float>, _ os: Int,
                                   activations: ActivationEncoding = .q8_0s) {
        for c in 0..<nc {
            let ac = a + c * abs
            for r in 0..<nr {
                let wr = w + r * ws
                var acc: Float = 0, accm: Float = 0
                switch layout {
                case .q4_0x8:
                    for b in 0..<(cols / 32) {
                        let wb = wr + 18 * b, ab = ac + 36 * b
                        var s: Int32 = 0
                        for j in 0..<16 {
                            let v = wb.load(fromByteOffset: 2 + j, as: UInt8.self)
                            s += (Int32(v & 15) - 8) * Int32(ab.load(fromByteOffset: 4 + j, as: Int8.self))
                            s += (Int32(v >> 4) - 8) * Int32(ab.load(fromByteOffset: 4 + j + 16, as: Int8.self))
                        }
                        acc = acc.addingProduct(Float(s), h2f(wb, 0) * h2f(ab, 0))
                    }
                case .q5_0x8:
                    var q = SIMD32<Int32>()
                    for b in 0..<(cols / 32) {
                        let (dw, _) = unpack(.q5_0, wr, b, &q)
                        let ab = ac + 36 * b
                        var s: Int32 = 0
                        for j in 0..<32 { s += q[j] * Int32(ab.load(fromByteOffset: 4 + j, as: Int8.self)) }
                        acc = acc.addingProduct(Float(s), dw * h2f(ab, 0))
                    }
                case .q8_0x8 where activations == .q8_0p:
                    for b in 0..<(cols / 32) {
                        let wb = wr + 34 * b, ab = ac + 72 * b
                        var s: Int32 = 0
                        for j in 0..<32 {
                            let q = 16 * Int32(ab.load(fromByteOffset: 40 + j, as: Int8.self)) + Int32(ab.load(fromByteOffset: 8 + j, as: Int8.self))
                            s += Int32(wb.load(fromByteOffset: 2 + j, as: Int8.self)) * q
                        }
                        acc = acc.addingProduct(Float(s), h2f(wb, 0) * ab.load(as: Float.self))
                    }
                case .q8_0x8:
                    for b in 0..<(cols / 32) {
                        let wb = wr + 34 * b, ab = ac + 36 * b
                        var s: Int32 = 0
                        for j in 0..<32 { s += Int32(wb.load(fromByteOffset: 2 + j, as: Int8.self)) * Int32(ab.load(fromByteOffset: 4 + j, as: Int8.self)) }
                        acc = acc.addingProduct(Float(s), h2f(wb, 0) * h2f(ab, 0))
                    }
                case .q4_Kx8:
                    for b in 0..<(cols / 256) {
                        let wb = wr + 144 * b, ab = ac + 292 * b
                        let da = ab.load(as: Float.self)
                        var isum: Int32 = 0, imin: Int32 = 0
                        for j in 0..<8 {
                            let (sc, m) = scaleMinK4(j, wb + 4)
                            var s: Int32 = 0, sa: Int32 = 0
                            for k in 0..<32 {
                                let v = wb.load(fromByteOffset: 16 + 32 * (j / 2) + k, as: UInt8.self)
                                let q = Int32(j % 2 == 0 ? v & 15 : v >> 4)
                                let x = Int32(ab.load(fromByteOffset: 4 + 32 * j + k, as: Int8.self))
                                s += q * x; sa += x
                            }
                            isum += Int32(sc) * s; imin += Int32(m) * sa
                        }
                        acc = acc.addingProduct(Float(isum), h2f(wb, 0) * da)
                        accm = accm.addingProduct(Float(imin), h2f(wb, 2) * da)
                    }
                }
                out[c * os + r] = acc - accm
            }
        }
    }

    /// ggml's get_scale_min_k4: sub-block j's 6-bit scale and min from a q4_K block's 12 scale bytes.
    @inline(__always) static func scaleMinK4(_ j: Int, _ q: UnsafeRawPointer) -> (UInt8, UInt8) {
        func b(_ i: Int) -> UInt8 { q.load(fromByteOffset: i, as: UInt8.self) }
        if j < 4 { return (b(j) & 63, b(j + 4) & 63) }
        return ((b(j + 4) & 0xF) | ((b(j - 4) >> 6) << 4), (b(j + 4) >> 4) | ((b(j) >> 6) << 4))
    }
}
