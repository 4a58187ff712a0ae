// Quantize: reference quantizers, bit-identical to ggml's quantize_row_*_ref (no importance matrix);
// the importance-weighted ones are in Quantize+Weighted.swift.

/// Converts fp32 rows to a ggml type exactly as ggml's reference quantizers do, which is what
/// `llama-quantize` runs when no importance matrix is given ("deterministic creation of model files").
package enum Quantize {
    /// The types `row` accepts.
    package static let supported: Set<GGMLType> = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1,
                                                   .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K,
                                                   .iq4_nl, .iq4_xs, .tq1_0, .tq2_0]

    /// Quantizes `count` elements (a whole number of blocks) from `src` into `dst`
    /// (`count / blockSize * bytesPerBlock` bytes). Blocks are independent, so any split of a tensor
    /// into block-aligned pieces gives the same bytes.
    ///
    /// With importance `weights` (an imatrix row: one value per element), `count` is exactly one tensor row
    /// and the types in `weightedTypes` take ggml's weighted paths (as `quantize_q4_0` … with quant_weights);
    /// the other types ignore them, as ggml does.
    package static func row(_ type: GGMLType, _ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int,
                            weights: UnsafePointer<Float>? = nil) throws {
        guard supported.contains(type) else { throw QuantError.unsupported(type) }
        guard count >= 0, count % type.blockSize == 0 else { throw QuantError.badCount(type, count: count) }
        if let weights, weightedTypes.contains(type) {
            weightedRow(type, src, dst, count: count, weights)
            return
        }
        let nb = count / type.blockSize
        switch type {
        case .f32: dst.copyMemory(from: src, byteCount: 4 * count)
        case .f16:
            for i in 0..<count { dst.storeBytes(of: HalfFloat.f32ToF16(src[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
        case .bf16:
            for i in 0..<count { dst.storeBytes(of: HalfFloat.f32ToBF16(src[i]).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
        case .q4_0: q4_0(src, dst, nb)
        case .q4_1: q4_1(src, dst, nb)
        case .q5_0: q5_0(src, dst, nb)
        case .q5_1: q5_1(src, dst, nb)
        case .q8_0: q8_0(src, dst, nb)
        case .q8_1: q8_1(src, dst, nb)
        case .q2_K: q2_K(src, dst, nb)
        case .q3_K: q3_K(src, dst, nb)
        case .q4_K: q4_K(src, dst, nb)
        case .q5_K: q5_K(src, dst, nb)
        case .q6_K: q6_K(src, dst, nb)
        case .q8_K: q8_K(src, dst, nb)
        case .iq4_nl: iq4_nl(src, dst, nb)
        case .iq4_xs: iq4_xs(src, dst, nb)
        case .tq1_0: tq1_0(src, dst, nb)
        case .tq2_0: tq2_0(src, dst, nb)
        default: throw QuantError.unsupported(type)
        }
    }

    /// `row` with the scalar reference twins of the K-quant searches (Q2_K, Q4_K, Q5_K, Q6_K normally
    /// search 8 groups per SIMD lane set). Same bytes; kept so tests can compare the two.
    /// With `weights`, the weighted paths' scalar twins (Q4_0–Q5_1, Q2_K–Q6_K, IQ4_NL, IQ4_XS).
    package static func referenceRow(_ type: GGMLType, _ src: UnsafePointer<Float>, _ dst: UnsafeMutableRawPointer, count: Int,
                                     weights: UnsafePointer<Float>? = nil) throws {
        guard count >= 0, count % type.blockSize == 0 else { throw QuantError.badCount(type, count: count) }
        if let weights, weightedTypes.contains(type) {
            weightedRow(type, src, dst, count: count, weights, simd: false)
            return
        }
        let nb = count / type.blockSize
        switch type {
        case .q2_K: q2_K(src, dst, nb, simd: false)
        case .q4_K: q4_K(src, dst, nb, simd: false)
        case .q5_K: q5_K(src, dst, nb, simd: false)
        case .q6_K: q6_K(src, dst, nb, simd: false)
        case .iq4_nl: iq4_nl(src, dst, nb, simd: false)
        case .iq4_xs: iq4_xs(src, dst, nb, simd: false)
        default: try row(type, src, dst, count: count)
        }
    }

    // MARK: - 32-element blocks

    /// `quantize_row_q4_0_ref`: d = max / -8 where max is the signed value of largest magnitude.
    static func q4_0(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int) {
        for i in 0..<nb {
            let v = x + i * 32, b = y + i * BlockQ4_0.size
            var amax: Float = 0, max: Float = 0
            for j in 0..<32 where amax < abs(v[j]) { amax = abs(v[j]); max = v[j] }
            let d = max / -8
            let id: Float = d != 0 ? 1 / d : 0
            storeF16(b, BlockQ4_0.d, d)
            for j in 0..<16 {
                let x0 = v[j] * id, x1 = v[j + 16] * id
                let q0 = Swift.min(15, Int8(truncatingIfNeeded: truncToInt32(x0 + 8.5)))
                let q1 = Swift.min(15, Int8(truncatingIfNeeded: truncToInt32(x1 + 8.5)))
                b.storeBytes(of: UInt8(bitPattern: q0) | (UInt8(bitPattern: q1) << 4), toByteOffset: BlockQ4_0.qs + j, as: UInt8.self)
            }
        }
    }

    /// `quantize_row_q4_1_ref`: d = (max - min) / 15, m = min.
    static func q4_1(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int) {
        for i in 0..<nb {
            let v = x + i * 32, b = y + i * BlockQ4_1.size
            var min = Float.greatestFiniteMagnitude, max = -Float.greatestFiniteMagnitude
            for j in 0..<32 {
                if v[j] < min { min = v[j] }
                if v[j] > max { max = v[j] }
            }
            let d = (max - min) / 15
            let id: Float = d != 0 ? 1 / d : 0
            storeF16(b, BlockQ4_1.d, d)
            storeF16(b, BlockQ4_1.m, min)
            for j in 0..<16 {
                let x0 = (v[j] - min) * id, x1 = (v[j + 16] - min) * id
                let q0 = Swift.min(15, Int8(truncatingIfNeeded: truncToInt32(x0 + 0.5)))
                let q1 = Swift.min(15, Int8(truncatingIfNeeded: truncToInt32(x1 + 0.5)))
                b.storeBytes(of: UInt8(bitPattern: q0) | (UInt8(bitPattern: q1) << 4), toByteOffset: BlockQ4_1.qs + j, as: UInt8.self)
            }
        }
    }

    /// `quantize_row_q5_0_ref`: d = max / -16.
    static func q5_0(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int) {
        for i in 0..<nb {
            let v = x + i * 32, b = y + i * BlockQ5_0.size
            var amax: Float = 0, max: Float = 0
            for j in 0..<32 where amax < abs(v[j]) { amax = abs(v[j]); max = v[j] }
            let d = max / -16
            let id: Float = d != 0 ? 1 / d : 0
            storeF16(b, BlockQ5_0.d, d)
            var qh: UInt32 = 0
            for j in 0..<16 {
                let x0 = v[j] * id, x1 = v[j + 16] * id
                let q0 = UInt8(bitPattern: Swift.min(31, Int8(truncatingIfNeeded: truncToInt32(x0 + 16.5))))
                let q1 = UInt8(bitPattern: Swift.min(31, Int8(truncatingIfNeeded: truncToInt32(x1 + 16.5))))
                b.storeBytes(of: (q0 & 0x0F) | ((q1 & 0x0F) << 4), toByteOffset: BlockQ5_0.qs + j, as: UInt8.self)
                qh |= UInt32((q0 & 0x10) >> 4) << UInt32(j)
                qh |= UInt32((q1 & 0x10) >> 4) << UInt32(j + 16)
            }
            b.storeBytes(of: qh.littleEndian, toByteOffset: BlockQ5_0.qh, as: UInt32.self)
        }
    }

    /// `quantize_row_q5_1_ref`: d = (max - min) / 31, m = min.
    static func q5_1(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int) {
        for i in 0..<nb {
            let v = x + i * 32, b = y + i * BlockQ5_1.size
            var min = Float.greatestFiniteMagnitude, max = -Float.greatestFiniteMagnitude
            for j in 0..<32 {
                if v[j] < min { min = v[j] }
                if v[j] > max { max = v[j] }
            }
            let d = (max - min) / 31
            let id: Float = d != 0 ? 1 / d : 0
            storeF16(b, BlockQ5_1.d, d)
            storeF16(b, BlockQ5_1.m, min)
            var qh: UInt32 = 0
            for j in 0..<16 {
                let x0 = (v[j] - min) * id, x1 = (v[j + 16] - min) * id
                let q0 = UInt8(truncatingIfNeeded: truncToInt32(x0 + 0.5))
                let q1 = UInt8(truncatingIfNeeded: truncToInt32(x1 + 0.5))
                b.storeBytes(of: (q0 & 0x0F) | ((q1 & 0x0F) << 4), toByteOffset: BlockQ5_1.qs + j, as: UInt8.self)
                qh |= UInt32((q0 & 0x10) >> 4) << UInt32(j)
                qh |= UInt32((q1 & 0x10) >> 4) << UInt32(j + 16)
            }
            b.storeBytes(of: qh.littleEndian, toByteOffset: BlockQ5_1.qh, as: UInt32.self)
        }
    }

    /// `quantize_row_q8_0_ref`: d = amax / 127, q = roundf(x / d) (half away from zero).
    static func q8_0(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int) {
        for i in 0..<nb {
            let v = x + i * 32, b = y + i * BlockQ8_0.size
            var amax: Float = 0
            for j in 0..<32 { let a = abs(v[j]); amax = amax > a ? amax : a }
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            storeF16(b, BlockQ8_0.d, d)
            for j in 0..<32 {
                let q = Int8(truncatingIfNeeded: truncToInt32((v[j] * id).rounded(.toNearestOrAwayFromZero)))
                b.storeBytes(of: q, toByteOffset: BlockQ8_0.qs + j, as: Int8.self)
            }
        }
    }

    /// `quantize_row_q8_1_ref`: as Q8_0, plus s = Σq · d.
    static func q8_1(_ x: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int) {
        for i in 0..<nb {
            let v = x + i * 32, b = y + i * BlockQ8_1.size
            var amax: Float = 0
            for j in 0..<32 { let a = abs(v[j]); amax = amax > a ? amax : a }
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            storeF16(b, BlockQ8_1.d, d)
            var sum: Int32 = 0
            for j in 0..<32 {
                let q = Int8(truncatingIfNeeded: truncToInt32((v[j] * id).rounded(.toNearestOrAwayFromZero)))
                b.storeBytes(of: q, toByteOffset: BlockQ8_1.qs + j, as: Int8.self)
                sum += Int32(q)
            }
            storeF16(b, BlockQ8_1.s, Float(sum) * d)
        }
    }
}
