// Ops: the element-wise and per-row operations of a transformer layer (norms, RoPE, SwiGLU, attention).
import Foundation
import LAIKernels

package enum Ops {
    /// RMSNorm as ggml: sum of squares accumulated in Double, scale 1/sqrt(mean + eps), then × weight.
    @inline(__always)
    package static func rmsNorm(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ n: Int, eps: Float) {
        var sum: Double = 0
        for i in 0..<n { sum += Double(x[i] * x[i]) }
        let mean = Float(sum / Double(n))
        let scale = 1 / (mean + eps).squareRoot()
        for i in 0..<n { out[i] = (x[i] * scale) * w[i] }
    }

    /// LayerNorm (BERT, Falcon): mean/variance in Double as ggml's norm, then × weight (+ bias when there is one).
    package static func layerNorm(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, _ n: Int, eps: Float) {
        var sum: Double = 0
        for i in 0..<n { sum += Double(x[i]) }
        let mean = Float(sum / Double(n))
        var sum2: Double = 0
        for i in 0..<n { let v = x[i] - mean; out[i] = v; sum2 += Double(v * v) }
        let variance = Float(sum2 / Double(n))
        let scale = 1 / (variance + eps).squareRoot()
        if let b { for i in 0..<n { out[i] = out[i] * scale * w[i] + b[i] } } else { for i in 0..<n { out[i] = out[i] * scale * w[i] } }
    }

    /// ggml's GELU table: the tanh GELU of every f16 value, rounded to f16 (index = the f16 bit pattern).
    package static let geluF16Table: [Float] = (0..<65536).map { bits in
        let x = Float(Float16(bitPattern: UInt16(bits)))
        let c: Float = 0.7978845608028654
        return Float(Float16(0.5 * x * (1 + tanhf(c * x * (1 + 0.044715 * x * x)))))
    }

    /// GELU as ggml computes it on CPU: x ≤ -10 → 0, x ≥ 10 → x, else the table entry of x rounded to f16.
    @inline(__always)
    package static func geluGGML(_ x: Float, _ table: UnsafePointer<Float>) -> Float {
        if x <= -10 { return 0 }
        if x >= 10 { return x }
        return table[Int(Float16(x).bitPattern)]
    }

    /// gate ← gelu(gate) × up (GeGLU, ggml_vec_geglu_f32).
    package static func geglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int, table: UnsafePointer<Float>) {
        for i in 0..<n { gate[i] = geluGGML(gate[i], table) * up[i] }
    }

    /// x ← gelu(x) (ggml_vec_gelu_f32).
    package static func geluInPlace(_ x: UnsafeMutablePointer<Float>, _ n: Int, table: UnsafePointer<Float>) {
        for i in 0..<n { x[i] = geluGGML(x[i], table) }
    }

    /// The cos/sin table of RoPE for one position, computed as ggml's rope cache (theta multiplied
    /// step by step by theta_scale in Float, cosf/sinf), `dims / 2` pairs.
    package static func ropeCache(_ cache: UnsafeMutablePointer<Float>, position: Int, dims: Int, base: Float, freqScale: Float) {
        let thetaScale = powf(base, -2.0 / Float(dims))
        var theta = Float(position)
        for i in 0..<(dims / 2) {
            let t = freqScale * theta
            cache[2 * i] = cosf(t)
            cache[2 * i + 1] = sinf(t)
            theta *= thetaScale
        }
    }

    /// Rotates `heads` vectors of `headDim` (first `dims` entries) in place. `neox` pairs element i with
    /// i + dims/2 (GPT-NeoX, Qwen2); otherwise adjacent pairs (LLaMA, whose GGUF Q/K rows are permuted for it).
    package static func rope(_ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, dims: Int, cache: UnsafePointer<Float>, neox: Bool) {
        for h in 0..<heads {
            let v = x + h * headDim
            if neox {
                let half = dims / 2
                for i in 0..<half {
                    let c = cache[2 * i], s = cache[2 * i + 1]
                    let x0 = v[i], x1 = v[i + half]
                    v[i] = x0 * c - x1 * s
                    v[i + half] = x0 * s + x1 * c
                }
            } else {
                for i in 0..<(dims / 2) {
                    let c = cache[2 * i], s = cache[2 * i + 1]
                    let x0 = v[2 * i], x1 = v[2 * i + 1]
                    v[2 * i] = x0 * c - x1 * s
                    v[2 * i + 1] = x0 * s + x1 * c
                }
            }
        }
    }

    /// gate ← silu(gate) × up, silu(x) = x / (1 + e^-x).
    @inline(__always)
    package static func swiglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, _ n: Int) {
        for i in 0..<n { let g = gate[i]; gate[i] = (g / (1 + expf(-g))) * up[i] }
    }

    /// GELU (tanh approximation, as ggml's gelu used by BERT in llama.cpp).
    package static func gelu(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        let c: Float = 0.7978845608028654  // sqrt(2/pi)
        for i in 0..<n { let v = x[i]; x[i] = 0.5 * v * (1 + tanhf(c * v * (1 + 0.044715 * v * v))) }
    }

    /// Portable twin of `lai_attention_f16`: one head, one query, over `n` f16 cached positions.
    package static func attentionF16Reference(_ q: UnsafePointer<Float>, k: UnsafeRawPointer, v: UnsafeRawPointer, kvStride: Int, n: Int, hd: Int, scale: Float, softcap: Float = 0, out: UnsafeMutablePointer<Float>) {
        let scale = softcap != 0 ? scale / softcap : scale
        let qh = (0..<hd).map { Float(Float16(q[$0])) }
        var acc = [Float](repeating: 0, count: hd)
        var S: Float = 0, M = -Float.infinity
        for j in 0..<n {
            let kj = k + j * kvStride, vj = v + j * kvStride
            var s: Float = 0
            for i in 0..<hd { s += ReferenceKernels.h2f(kj, 2 * i) * qh[i] }
            s *= scale
            if softcap != 0 { s = softcap * tanhf(s) }
            let mOld = M
            var ms: Float = 1, vs: Float = 1
            if s > M {
                M = s; ms = expf(mOld - M)
                for i in 0..<hd { acc[i] = Float(Float16(acc[i] * ms)) }
            } else {
                vs = expf(s - M)
            }
            for i in 0..<hd { acc[i] = Float(Float16(ReferenceKernels.h2f(vj, 2 * i) * vs + acc[i])) }
            S = S * ms + vs
        }
        let inv: Float = S == 0 ? 0 : 1 / S
        for i in 0..<hd { out[i] = acc[i] * inv }
    }
}
