// Norm: RMSNorm and LayerNorm over one activation row (Gemma's 1 + w is already folded into its GGUF weights).

package enum NormKind: Sendable { case rms, layer }

/// A normalization with its f32 weight (and bias, LayerNorm only), viewed in the model file.
package struct Norm: @unchecked Sendable {
    package let weight: UnsafePointer<Float>
    package let bias: UnsafePointer<Float>?
    package let kind: NormKind
    package let eps: Float
    /// Values per normalized vector (the row, or one head for per-head QK-norm).
    package let count: Int

    /// out ← norm(x) for `vectors` consecutive vectors of `count` values (in place allowed).
    @inline(__always)
    package func apply(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, vectors: Int = 1) {
        for h in 0..<vectors {
            let o = out + h * count, v = x + h * count
            switch kind {
            case .rms: Ops.rmsNorm(o, v, weight, count, eps: eps)
            case .layer: Ops.layerNorm(o, v, weight, bias, count, eps: eps)
            }
        }
    }
}
