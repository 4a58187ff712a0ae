// Pooling: how a sequence of hidden states becomes one embedding (llama.cpp's llama_pooling_type), and L2 norm.

/// Sequence pooling. Raw values are llama.cpp's `*.pooling_type` (mean 1, cls 2, last 3).
package enum Pooling: Int, Sendable, CaseIterable {
    case mean = 1, cls = 2, last = 3

    /// nil for values lai does not pool with (0 none, 4 rank, unknown).
    package init?(ggufValue v: Int) { self.init(rawValue: v) }

    /// Parses `mean`, `cls`, `last`.
    package init?(name: String) {
        switch name.lowercased() {
        case "mean": self = .mean
        case "cls", "first": self = .cls
        case "last": self = .last
        default: return nil
        }
    }

    package var name: String {
        switch self { case .mean: "mean"; case .cls: "cls"; case .last: "last" }
    }

    /// Pools `n` rows of `dim` floats (`stride` apart) into `out` (dim).
    package func pool(_ rows: UnsafePointer<Float>, n: Int, dim: Int, stride: Int, into out: UnsafeMutablePointer<Float>) {
        switch self {
        case .cls: out.update(from: rows, count: dim)
        case .last: out.update(from: rows + (n - 1) * stride, count: dim)
        case .mean:
            out.initialize(repeating: 0, count: dim)
            for t in 0..<n { let r = rows + t * stride; for i in 0..<dim { out[i] += r[i] } }
            let inv = 1 / Float(max(n, 1))
            for i in 0..<dim { out[i] *= inv }
        }
    }

    /// Scales `v` to unit Euclidean length (sum of squares in Double); a zero vector stays zero.
    package static func l2Normalize(_ v: UnsafeMutablePointer<Float>, _ n: Int) {
        var s: Double = 0
        for i in 0..<n { s += Double(v[i]) * Double(v[i]) }
        guard s > 0 else { return }
        let inv = Float(1 / s.squareRoot())
        for i in 0..<n { v[i] *= inv }
    }
}
