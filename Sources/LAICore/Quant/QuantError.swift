// QuantError: what can go wrong when converting between ggml tensor types.

/// A conversion that cannot be done, as one line saying what is wrong.
package enum QuantError: Error, CustomStringConvertible, Equatable {
    /// The type has no reference (de)quantizer in lai.
    case unsupported(GGMLType)
    /// `count` elements are not a whole number of `type` blocks.
    case badCount(GGMLType, count: Int)
    /// The data to convert holds NaN or ±inf (first bad row given).
    case nonFinite(row: Int)

    package var description: String {
        switch self {
        case let .unsupported(t): return "type \(t.name) is not supported for this conversion"
        case let .badCount(t, n): return "\(n) elements are not a multiple of the \(t.name) block size \(t.blockSize)"
        case let .nonFinite(row): return "row \(row) has NaN or infinite values"
        }
    }
}
