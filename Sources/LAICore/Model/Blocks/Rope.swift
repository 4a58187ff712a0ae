// Rope: rotary position embedding parameters and their cos/sin tables, with every scaling llama.cpp reads from GGUF
// (linear, YaRN, Llama 3 `rope_freqs`, Phi-3 LongRoPE short/long factors).
import Foundation

/// How one attention layer rotates Q and K (ggml_rope_ext's parameters).
package struct RopeParameters: @unchecked Sendable {
    /// Rotated dimensions per head (n_rot).
    package var dims: Int
    /// NeoX pairing (i, i + dims/2); otherwise adjacent pairs.
    package var neox: Bool
    package var base: Float
    /// 1 / (linear or YaRN scaling factor).
    package var freqScale: Float = 1
    /// Per-pair divisors of the angle: Llama 3's `rope_freqs`, or Phi-3's short factors.
    package var factors: UnsafePointer<Float>? = nil
    /// YaRN: extrapolation mix (0 = off), and the correction dims from beta fast/slow.
    package var extFactor: Float = 0
    package var correctionDims: (Float, Float) = (0, 0)
    /// Multiplies cos and sin (Phi-3's attn_factor; YaRN's magnitude correction).
    package var attnFactor: Float = 1

    package init(dims: Int, neox: Bool, base: Float) { self.dims = dims; self.neox = neox; self.base = base }

    /// Enables YaRN like llama.cpp's context setup: ext_factor 1, corr dims from beta fast/slow at the original context.
    package mutating func enableYaRN(factor: Float, originalContext: Int, betaFast: Float, betaSlow: Float, logMultiplier: Float,
                                     mscale m0: Float = 1) {
        freqScale = 1 / factor
        extFactor = 1
        func corrDim(_ rot: Float) -> Float {
            Float(dims) * logf(Float(originalContext) / (rot * 2 * Float.pi)) / (2 * logf(base))
        }
        correctionDims = (max(0, floorf(corrDim(betaFast))), min(Float(dims - 1), ceilf(corrDim(betaSlow))))
        func mscale(_ s: Float, _ m: Float) -> Float { s <= 1 ? 1 : 0.1 * m * logf(s) + 1 }
        // ggml multiplies by 1 + 0.1 ln(factor) itself; llama.cpp cancels that here
        var a = logMultiplier != 0 ? mscale(factor, m0) / mscale(factor, logMultiplier) : mscale(factor, 1)
        a *= 1 / (1 + 0.1 * logf(factor))
        attnFactor *= a
    }

    /// cos/sin pairs for `position` as ggml_rope_cache_init: theta multiplied step by step by theta_scale in Float.
    package func fill(_ cache: UnsafeMutablePointer<Float>, position: Int) {
        let thetaScale = powf(base, -2.0 / Float(dims))
        var theta = Float(position)
        for i in 0..<(dims / 2) {
            let extrapolated = factors.map { theta / $0[i] } ?? theta
            var t = freqScale * extrapolated
            var m = attnFactor
            if extFactor != 0 {
                let y = (Float(i) - correctionDims.0) / max(0.001, correctionDims.1 - correctionDims.0)
                let mix = (1 - min(1, max(0, y))) * extFactor
                t = t * (1 - mix) + extrapolated * mix
                m *= 1 + 0.1 * logf(1 / freqScale)
            }
            cache[2 * i] = cosf(t) * m
            cache[2 * i + 1] = sinf(t) * m
            theta *= thetaScale
        }
    }
}
