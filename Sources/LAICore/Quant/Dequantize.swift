// Dequantize: reference dequantizers (ggml's dequantize_row_*) for the plain and quantized types lai supports.

/// Converts rows of a ggml type to fp32, bit-identical to ggml's `to_float` functions
/// (each product and sum rounded separately, no fused multiply-add, as ggml-base is compiled).
package enum Dequantize {
    /// The types `row` accepts.
    package static let supported: Set<GGMLType> = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1,
                                                   .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K,
                                                   .iq4_nl, .iq4_xs, .tq1_0, .tq2_0]

    /// Dequantizes `count` elements (a whole number of blocks) from `src` into `dst`.
    /// Throws `QuantError.unsupported` for other types and `.badCount` for a partial block.
    package static func row(_ type: GGMLType, _ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, count: Int) throws {
        guard supported.contains(type) else { throw QuantError.unsupported(type) }
        guard count >= 0, count % type.blockSize == 0 else { throw QuantError.badCount(type, count: count) }
        let nb = count / type.blockSize
        switch type {
        case .f32: UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: 4 * count)  // src may be unaligned
        case .f16:
            for i in 0..<count { dst[i] = HalfFloat.f16ToF32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .bf16:
            for i in 0..<count { dst[i] = HalfFloat.bf16ToF32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
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

    static func q4_0(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ nb: Int) {
        for i in 0..<nb {
            let b = src + i * BlockQ4_0.size, o = y + i * 32
            let d = loadF16(b, BlockQ4_0.d)
            for j in 0..<16 {
                let q = loadU8(b, BlockQ4_0.qs + j)
                o[j] = Float(Int32(q & 0x0F) - 8) * d
                o[j + 16] = Float(Int32(q >> 4) - 8) * d
            }
        }
    }

    static func q4_1(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ nb: Int) {
        for i in 0..<nb {
            let b = src + i * BlockQ4_1.size, o = y + i * 32
            let d = loadF16(b, BlockQ4_1.d), m = loadF16(b, BlockQ4_1.m)
            for j in 0..<16 {
                let q = loadU8(b, BlockQ4_1.qs + j)
                o[j] = Float(q & 0x0F) * d + m
                o[j + 16] = Float(q >> 4) * d + m
            }
        }
    }

    static func q5_0(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ nb: Int) {
        for i in 0..<nb {
            let b = src + i * BlockQ5_0.size, o = y + i * 32
            let d = loadF16(b, BlockQ5_0.d)
            let qh = UInt32(littleEndian: b.loadUnaligned(fromByteOffset: BlockQ5_0.qh, as: UInt32.self))
            for j in 0..<16 {
                let q = loadU8(b, BlockQ5_0.qs + j)
                let h0 = UInt8(truncatingIfNeeded: ((qh >> UInt32(j)) << 4) & 0x10)
                let h1 = UInt8(truncatingIfNeeded: (qh >> UInt32(j + 12)) & 0x10)
                o[j] = Float(Int32((q & 0x0F) | h0) - 16) * d
                o[j + 16] = Float(Int32((q >> 4) | h1) - 16) * d
            }
        }
    }

    static func q5_1(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ nb: Int) {
        for i in 0..<nb {
            let b = src + i * BlockQ5_1.size, o = y + i * 32
            let d = loadF16(b, BlockQ5_1.d), m = loadF16(b, BlockQ5_1.m)
            let qh = UInt32(littleEndian: b.loadUnaligned(fromByteOffset: BlockQ5_1.qh, as: UInt32.self))
            for j in 0..<16 {
                let q = loadU8(b, BlockQ5_1.qs + j)
                let h0 = UInt8(truncatingIfNeeded: ((qh >> UInt32(j)) << 4) & 0x10)
                let h1 = UInt8(truncatingIfNeeded: (qh >> UInt32(j + 12)) & 0x10)
                o[j] = Float((q & 0x0F) | h0) * d + m
                o[j + 16] = Float((q >> 4) | h1) * d + m
            }
        }
    }

    static func q8_0(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ nb: Int) {
        for i in 0..<nb {
            let b = src + i * BlockQ8_0.size, o = y + i * 32
            let d = loadF16(b, BlockQ8_0.d)
            for j in 0..<32 { o[j] = Float(b.load(fromByteOffset: BlockQ8_0.qs + j, as: Int8.self)) * d }
        }
    }

    static func q8_1(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ nb: Int) {
        for i in 0..<nb {
            let b = src + i * BlockQ8_1.size, o = y + i * 32
            let d = loadF16(b, BlockQ8_1.d)
            for j in 0..<32 { o[j] = Float(b.load(fromByteOffset: BlockQ8_1.qs + j, as: Int8.self)) * d }
        }
    }

    static func q2_K(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ nb: Int) {
        var o = y
        for i in 0..<nb {
            let b = src + i * BlockQ2_K.size
            let d = loadF16(b, BlockQ2_K.d), min = loadF16(b, BlockQ2_K.dmin)
            var q = BlockQ2_K.qs
            var isc = 0
            for _ in stride(from: 0, to: QK_K, by: 128) {
                var shift: UInt8 = 0
                for _ in 0..<4 {
                    for half in 0..<2 {
                        let sc = loadU8(b, BlockQ2_K.scales + isc); isc += 1
                        let dl = d * Float(sc & 0xF), ml = min * Float(sc >> 4)
                        for l in 0..<16 {
                            let v = (loadU8(b, q + l + 16 * half) >> shift) & 3
                            o[0] = dl * Float(v) - ml; o += 1
                        }
                    }
                    shift += 2
                }
                q += 32
            }
        }
    }

    /// The 16 six-bit Q3_K scales (still offset by 32) from the packed 12 bytes.
    @inline(__always)
    static func q3KScale(_ s: UnsafeRawPointer, _ j: Int) -> Int32 {
        let low = j < 8 ? loadU8(s, j) & 0xF : loadU8(s, j - 8) >> 4
        let high = (loadU8(s, 8 + j % 4) >> UInt8(2 * (j / 4))) & 3
        return Int32(low | (high << 4))
    }

    static func q3_K(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ nb: Int) {
        var o = y
        for i in 0..<nb {
            let b = src + i * BlockQ3_K.size
            let dAll = loadF16(b, BlockQ3_K.d)
            let sc = b + BlockQ3_K.scales
            var q = BlockQ3_K.qs
            var m: UInt8 = 1
            var isc = 0
            for _ in stride(from: 0, to: QK_K, by: 128) {
                var shift: UInt8 = 0
                for _ in 0..<4 {
                    for half in 0..<2 {
                        let dl = dAll * Float(q3KScale(sc, isc) - 32); isc += 1
                        for l in 0..<16 {
                            let lo = Int32((loadU8(b, q + l + 16 * half) >> shift) & 3)
                            let hi: Int32 = (loadU8(b, BlockQ3_K.hmask + l + 16 * half) & m) != 0 ? 0 : 4
                            o[0] = dl * Float(lo - hi); o += 1
                        }
                    }
                    shift += 2
                    m <<= 1
                }
                q += 32
            }
        }
    }

    static func q4_K(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ nb: Int) {
        var o = y
        for i in 0..<nb {
            let b = src + i * BlockQ4_K.size
            let d = loadF16(b, BlockQ4_K.d), min = loadF16(b, BlockQ4_K.dmin)
            var q = BlockQ4_K.qs
            var isc = 0
            for _ in stride(from: 0, to: QK_K, by: 64) {
                let (sc1, m1) = BlockLayouts.scaleMinK4(isc, b + BlockQ4_K.scales)
                let (sc2, m2) = BlockLayouts.scaleMinK4(isc + 1, b + BlockQ4_K.scales)
                let d1 = d * Float(sc1), mm1 = min * Float(m1)
                let d2 = d * Float(sc2), mm2 = min * Float(m2)
                for l in 0..<32 { o[l] = d1 * Float(loadU8(b, q + l) & 0xF) - mm1 }
                for l in 0..<32 { o[32 + l] = d2 * Float(loadU8(b, q + l) >> 4) - mm2 }
                o += 64; q += 32; isc += 2
            }
        }
    }

    static func q5_K(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ nb: Int) {
        var o = y
        for i in 0..<nb {
            let b = src + i * BlockQ5_K.size
            let d = loadF16(b, BlockQ5_K.d), min = loadF16(b, BlockQ5_K.dmin)
            var ql = BlockQ5_K.qs
            var isc = 0
            var u1: UInt8 = 1, u2: UInt8 = 2
            for _ in stride(from: 0, to: QK_K, by: 64) {
                let (sc1, m1) = BlockLayouts.scaleMinK4(isc, b + BlockQ5_K.scales)
                let (sc2, m2) = BlockLayouts.scaleMinK4(isc + 1, b + BlockQ5_K.scales)
                let d1 = d * Float(sc1), mm1 = min * Float(m1)
                let d2 = d * Float(sc2), mm2 = min * Float(m2)
                for l in 0..<32 {
                    let h: UInt8 = loadU8(b, BlockQ5_K.qh + l) & u1 != 0 ? 16 : 0
                    o[l] = d1 * Float((loadU8(b, ql + l) & 0xF) + h) - mm1
                }
                for l in 0..<32 {
                    let h: UInt8 = loadU8(b, BlockQ5_K.qh + l) & u2 != 0 ? 16 : 0
                    o[32 + l] = d2 * Float((loadU8(b, ql + l) >> 4) + h) - mm2
                }
                o += 64; ql += 32; isc += 2
                u1 <<= 2; u2 <<= 2
            }
        }
    }

    static func q6_K(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ nb: Int) {
        var o = y
        for i in 0..<nb {
            let b = src + i * BlockQ6_K.size
            let d = loadF16(b, BlockQ6_K.d)
            var ql = BlockQ6_K.ql, qh = BlockQ6_K.qh, sc = BlockQ6_K.scales
            for _ in stride(from: 0, to: QK_K, by: 128) {
                for l in 0..<32 {
                    let isc = l / 16
                    let a = loadU8(b, ql + l), c = loadU8(b, ql + l + 32), h = loadU8(b, qh + l)
                    let q1 = Int32((a & 0xF) | (((h >> 0) & 3) << 4)) - 32
                    let q2 = Int32((c & 0xF) | (((h >> 2) & 3) << 4)) - 32
                    let q3 = Int32((a >> 4) | (((h >> 4) & 3) << 4)) - 32
                    let q4 = Int32((c >> 4) | (((h >> 6) & 3) << 4)) - 32
                    o[l] = d * Float(b.load(fromByteOffset: sc + isc, as: Int8.self)) * Float(q1)
                    o[l + 32] = d * Float(b.load(fromByteOffset: sc + isc + 2, as: Int8.self)) * Float(q2)
                    o[l + 64] = d * Float(b.load(fromByteOffset: sc + isc + 4, as: Int8.self)) * Float(q3)
                    o[l + 96] = d * Float(b.load(fromByteOffset: sc + isc + 6, as: Int8.self)) * Float(q4)
                }
                o += 128; ql += 64; qh += 32; sc += 8
            }
        }
    }

    static func q8_K(_ src: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>, _ nb: Int) {
        for i in 0..<nb {
            let b = src + i * BlockQ8_K.size, o = y + i * QK_K
            let d = Float(bitPattern: UInt32(littleEndian: b.loadUnaligned(fromByteOffset: BlockQ8_K.d, as: UInt32.self)))
            for j in 0..<QK_K { o[j] = d * Float(b.load(fromByteOffset: BlockQ8_K.qs + j, as: Int8.self)) }
        }
    }
}
