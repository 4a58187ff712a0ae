// BertKernels: the per-row operations of a BERT encoder in SIMD form (LayerNorm, exact GELU, softmax),
// each with its scalar reference twin (Ops.layerNorm, erff, expf) and a test comparing the two.
import Foundation

package enum BertKernels {
    typealias V = SIMD16<Float>

    /// e^x for 16 lanes, Cephes-style: x = n·ln2 + r, e^r by a degree-6 polynomial, 2^n built in the exponent
    /// bits. Relative error about 2e-7 for x in [-87, 88]; inputs outside are clamped (e^-87 ≈ 1.6e-38, not 0).
    @inline(__always)
    static func exp(_ x0: V) -> V {
        // Clamp with selects (pointwiseMin/Max are not always inlined).
        let lo = V(repeating: -87.3), hi = V(repeating: 88.3)
        var x = x0.replacing(with: lo, where: x0 .< lo)
        x = x.replacing(with: hi, where: x .> hi)
        let magic = V(repeating: 12_582_912)  // 1.5 · 2^23: adding it rounds to an integer in the low mantissa bits
        let t = x * 1.442_695_040_888_963_4 + magic
        let n = t - magic
        var r = x - n * 0.693_359_375
        r = r - n * -2.121_944_400_546_905_8e-4
        var p = V(repeating: 1.987_569_150_0e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * (r * r) + r + 1
        let bits = unsafeBitCast(t, to: SIMD16<UInt32>.self) &- unsafeBitCast(magic, to: SIMD16<UInt32>.self)
        let scale = unsafeBitCast((bits &+ 127) &<< 23, to: V.self)
        return p * scale
    }

    /// GELU with the exact erf (Hugging Face's "gelu", which BERT and MiniLM were trained with), in place:
    /// x ← x/2 · (1 + erf(x/√2)). erf by Abramowitz–Stegun 7.1.26 (|error| ≤ 1.5e-7). llama.cpp uses the tanh
    /// approximation instead (ggml_gelu); the two differ by up to ~1e-3 per element.
    package static func gelu(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 16 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(x + i).storeBytes(of: geluLanes(v), as: V.self)
            i += 16
        }
        if i < n {
            var v = V()
            for j in 0..<(n - i) { v[j] = x[i + j] }
            let g = geluLanes(v)
            for j in 0..<(n - i) { x[i + j] = g[j] }
        }
    }

    @inline(__always)
    static func geluLanes(_ v: V) -> V {
        let z = v * 0.707_106_781_186_547_5
        let a = z.replacing(with: -z, where: z .< 0)
        let t = 1 / (1 + 0.327_591_1 * a)
        var p = V(repeating: 1.061_405_429)
        p = p * t - 1.453_152_027
        p = p * t + 1.421_413_741
        p = p * t - 0.284_496_736
        p = p * t + 0.254_829_592
        p = p * t
        let e = 1 - p * exp(-(a * a))          // erf(|z|)
        let erf = e.replacing(with: -e, where: z .< 0)
        return 0.5 * v * (1 + erf)
    }

    /// Reference twin of `gelu`: glibc's erff.
    package static func geluReference(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { let v = x[i]; x[i] = 0.5 * v * (1 + erff(v * 0.707_106_781_186_547_5)) }
    }

    /// LayerNorm of one row (mean and variance in Float, 16 lanes): out = (x − mean)/sqrt(var + eps) · w + b.
    /// `out` may alias `x`. Twin: `Ops.layerNorm` (Double sums, as ggml_norm).
    package static func layerNorm(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                  _ b: UnsafePointer<Float>, _ n: Int, eps: Float) {
        let body = n / 16 * 16
        var s = V()
        var i = 0
        while i < body { s += UnsafeRawPointer(x + i).loadUnaligned(as: V.self); i += 16 }
        var sum = s.sum()
        for j in body..<n { sum += x[j] }
        let mean = sum / Float(n)
        var s2 = V()
        i = 0
        while i < body { let d = UnsafeRawPointer(x + i).loadUnaligned(as: V.self) - mean; s2 += d * d; i += 16 }
        var sum2 = s2.sum()
        for j in body..<n { let d = x[j] - mean; sum2 += d * d }
        let scale = 1 / (sum2 / Float(n) + eps).squareRoot()
        i = 0
        while i < body {
            let d = UnsafeRawPointer(x + i).loadUnaligned(as: V.self) - mean
            let r = d * scale * UnsafeRawPointer(w + i).loadUnaligned(as: V.self) + UnsafeRawPointer(b + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: r, as: V.self)
            i += 16
        }
        for j in body..<n { out[j] = (x[j] - mean) * scale * w[j] + b[j] }
    }

    /// Softmax of one row in place (max subtracted first).
    package static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        let body = n / 16 * 16
        var mv = V(repeating: -.infinity)
        var i = 0
        while i < body { let e = UnsafeRawPointer(x + i).loadUnaligned(as: V.self); mv = mv.replacing(with: e, where: e .> mv); i += 16 }
        var m = mv.max()
        for j in body..<n { m = Swift.max(m, x[j]) }
        var s = V()
        i = 0
        while i < body {
            let e = exp(UnsafeRawPointer(x + i).loadUnaligned(as: V.self) - m)
            UnsafeMutableRawPointer(x + i).storeBytes(of: e, as: V.self)
            s += e
            i += 16
        }
        var sum = s.sum()
        if body < n {
            var v = V(repeating: -.infinity)
            for j in 0..<(n - body) { v[j] = x[body + j] - m }
            let e = exp(v)
            for j in 0..<(n - body) { x[body + j] = e[j]; sum += e[j] }
        }
        let inv = 1 / sum
        i = 0
        while i < body {
            let r = UnsafeRawPointer(x + i).loadUnaligned(as: V.self) * inv
            UnsafeMutableRawPointer(x + i).storeBytes(of: r, as: V.self)
            i += 16
        }
        for j in body..<n { x[j] *= inv }
    }

    /// Reference twin of `softmax`: expf in Double sums.
    package static func softmaxReference(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        var m = -Float.infinity
        for j in 0..<n { m = Swift.max(m, x[j]) }
        var sum: Double = 0
        for j in 0..<n { x[j] = expf(x[j] - m); sum += Double(x[j]) }
        for j in 0..<n { x[j] = Float(Double(x[j]) / sum) }
    }

    /// Vector exp over a buffer (for tests of the lane function).
    package static func exp(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i < n {
            var v = V()
            let k = Swift.min(16, n - i)
            for j in 0..<k { v[j] = x[i + j] }
            let e = exp(v)
            for j in 0..<k { x[i + j] = e[j] }
            i += 16
        }
    }
}
