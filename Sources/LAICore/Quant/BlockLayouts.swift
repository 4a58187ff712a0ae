// BlockLayouts: byte layouts of ggml's quantized blocks (ggml-common.h), as data.
//
// Every block is a packed little-endian struct. Offsets are bytes from the block start; `size`
// equals `sizeof(block_xxx)` and is checked against `GGMLType.bytesPerBlock` by the tests.
// fp16 fields ("half") are IEEE binary16. `QK` is elements per block.

/// ggml's super-block size for the K-quants.
package let QK_K = 256

/// 32 weights: `x = (q - 8) * d`. half d; u8 qs[16]: element j in the low nibble of qs[j], j+16 in the high.
package enum BlockQ4_0 { package static let qk = 32, d = 0, qs = 2, size = 18 }
/// 32 weights: `x = q * d + m`. half d, half m; u8 qs[16] as Q4_0.
package enum BlockQ4_1 { package static let qk = 32, d = 0, m = 2, qs = 4, size = 20 }
/// 32 weights: `x = (q - 16) * d`, 5-bit q. half d; u32 qh (bit j = 5th bit of element j); u8 qs[16] low nibbles as Q4_0.
package enum BlockQ5_0 { package static let qk = 32, d = 0, qh = 2, qs = 6, size = 22 }
/// 32 weights: `x = q * d + m`, 5-bit q. half d, half m; u32 qh; u8 qs[16].
package enum BlockQ5_1 { package static let qk = 32, d = 0, m = 2, qh = 4, qs = 8, size = 24 }
/// 32 weights: `x = q * d`. half d; i8 qs[32].
package enum BlockQ8_0 { package static let qk = 32, d = 0, qs = 2, size = 34 }
/// 32 weights: `x = q * d`; s = d * Σq. half d, half s; i8 qs[32].
package enum BlockQ8_1 { package static let qk = 32, d = 0, s = 2, qs = 4, size = 36 }

/// 256 weights in 16 groups of 16: `x = d * (sc & 15) * q - dmin * (sc >> 4)`, 2-bit q.
/// u8 scales[16] (low nibble scale, high nibble min); u8 qs[64]; half d; half dmin.
/// qs: for each 128-half n, byte n/4 + l holds elements n+l, n+l+32, n+l+64, n+l+96 in bits 0-1, 2-3, 4-5, 6-7.
package enum BlockQ2_K { package static let scales = 0, qs = 16, d = 80, dmin = 82, size = 84 }
/// 256 weights in 16 groups of 16: `x = d * (s - 32) * (q - 4·!hbit)`, 3-bit q, 6-bit scales.
/// u8 hmask[32] (bit b of hmask[m] = high bit of element 32b + m); u8 qs[64] (low 2 bits, as Q2_K);
/// u8 scales[12] (16 six-bit scales: low nibbles in bytes 0-7, high 2-bit pairs in bytes 8-11); half d.
package enum BlockQ3_K { package static let hmask = 0, qs = 32, scales = 96, d = 108, size = 110 }
/// 256 weights in 8 groups of 32: `x = d * sc * q - dmin * m`, 4-bit q, 6-bit sc and m.
/// half d; half dmin; u8 scales[12] (see `get_scale_min_k4`); u8 qs[128]: for each 64-chunk, 32 bytes
/// with element l in the low nibble and l+32 in the high nibble.
package enum BlockQ4_K { package static let d = 0, dmin = 2, scales = 4, qs = 16, size = 144 }
/// 256 weights in 8 groups of 32: as Q4_K plus a 5th bit. half d; half dmin; u8 scales[12]; u8 qh[32]
/// (bit 2c / 2c+1 of qh[l] = 5th bit of element 64c+l / 64c+l+32); u8 qs[128] as Q4_K.
package enum BlockQ5_K { package static let d = 0, dmin = 2, scales = 4, qh = 16, qs = 48, size = 176 }
/// 256 weights in 16 groups of 16: `x = d * sc * (q - 32)`, 6-bit q, i8 scales.
/// u8 ql[128] (low 4 bits); u8 qh[64] (high 2 bits); i8 scales[16]; half d.
package enum BlockQ6_K { package static let ql = 0, qh = 128, scales = 192, d = 208, size = 210 }
/// 256 weights: `x = d * q`. f32 d; i8 qs[256]; i16 bsums[16] (sums of groups of 16). An activation format.
package enum BlockQ8_K { package static let d = 0, qs = 4, bsums = 260, size = 292 }

package enum BlockLayouts {
    /// (type, size of its block as laid out above), for the size assertions in tests.
    package static let sizes: [(GGMLType, Int)] = [
        (.q4_0, BlockQ4_0.size), (.q4_1, BlockQ4_1.size), (.q5_0, BlockQ5_0.size), (.q5_1, BlockQ5_1.size),
        (.q8_0, BlockQ8_0.size), (.q8_1, BlockQ8_1.size),
        (.q2_K, BlockQ2_K.size), (.q3_K, BlockQ3_K.size), (.q4_K, BlockQ4_K.size), (.q5_K, BlockQ5_K.size),
        (.q6_K, BlockQ6_K.size), (.q8_K, BlockQ8_K.size),
        (.iq4_nl, BlockIQ4_NL.size), (.iq4_xs, BlockIQ4_XS.size), (.tq1_0, BlockTQ1_0.size), (.tq2_0, BlockTQ2_0.size),
    ]

    /// ggml's `get_scale_min_k4`: the 6-bit scale and min of group j (0..<8) from Q4_K/Q5_K `scales[12]`.
    @inline(__always)
    static func scaleMinK4(_ j: Int, _ q: UnsafeRawPointer) -> (UInt8, UInt8) {
        if j < 4 {
            return (loadU8(q, j) & 63, loadU8(q, j + 4) & 63)
        }
        let d = (loadU8(q, j + 4) & 0xF) | ((loadU8(q, j - 4) >> 6) << 4)
        let m = (loadU8(q, j + 4) >> 4) | ((loadU8(q, j) >> 6) << 4)
        return (d, m)
    }
}
