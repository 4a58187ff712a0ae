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

    /// F16 weights with F16 activations (ggml's vec_dot_f16), accumulated in Float.
    package static func dotF16(_ w: UnsafeRawPointer, _ a: UnsafeRawPointer, n: Int) -> Float {
        var s = SIMD8<Float>()
        var i = 0
        while i + 8 <= n {
            var x = SIMD8<Float>(), y = SIMD8<Float>()
            for j in 0..<8 { x[j] = h2f(w, 2 * (i + j)); y[j] = h2f(a, 2 * (i + j)) }
            s.addProduct(x, y)
            i += 8
        }
        var r = s.sum()
        while i < n { r += h2f(w, 2 * i) * h2f(a, 2 * i); i += 1 }
        return r
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
}
