// VectorElement and VectorMetric: how rows are stored and how they are compared.

/// The element type of stored vectors. Raw values are the codes written in segment headers.
package enum VectorElement: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    /// 4 bytes per value.
    case f32 = 0
    /// IEEE half, 2 bytes per value (round to nearest even).
    case f16 = 1
    /// Symmetric int8 with one f32 scale per vector: x ≈ scale * q, q in -127...127.
    case int8 = 2

    package init?(name: String) {
        switch name.lowercased() {
        case "f32", "float32": self = .f32
        case "f16", "float16", "half": self = .f16
        case "int8", "i8", "q8": self = .int8
        default: return nil
        }
    }

    package var description: String {
        switch self { case .f32: return "f32"; case .f16: return "f16"; case .int8: return "int8" }
    }

    /// Bytes of one row's values, before padding to 64.
    package func valueBytes(dimension: Int) -> Int {
        switch self {
        case .f32: return dimension * 4
        case .f16: return dimension * 2
        case .int8: return dimension
        }
    }

    /// Row stride: the values padded with zeros to a multiple of 64 bytes (a cache line; AVX-512 loads).
    package func rowStride(dimension: Int) -> Int { (valueBytes(dimension: dimension) + 63) & ~63 }
}

/// How a query is compared with stored vectors; higher scores are closer.
package enum VectorMetric: String, Sendable {
    /// Cosine similarity: vectors and queries are L2-normalized, then compared by dot product.
    case cosine
    /// Plain inner product.
    case dot
}
