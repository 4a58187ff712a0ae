// Quantize+Ternary: ggml's ternary types TQ1_0 and TQ2_0 (quantize_row_tq{1,2}_0_ref, dequantize_row_tq{1,2}_0).
//
// Both store x ≈ d · t with t ∈ {−1, 0, 1} and d = max |x| of the 256-block (meant for models trained
// ternary, such as BitNet; ordinary weights lose most of their information). TQ2_0 packs 4 trits per
// byte as 2-bit fields; TQ1_0 packs 5 trits per byte (4 in the last 4 bytes) as a base-3 fraction of 256.
// ggml ignores importance matrices for these types.

/// 256 weights: u8 qs[48] (5 trits each: bytes 0…31 hold elements m + 32n, bytes 32…47 elements
/// 160 + m + 16n), u8 qh[4] (4 trits each: elements 240 + j + 4n), half d.
package enum BlockTQ1_0 { package static let qs = 0, qh = 48, d = 52, size = 54 }
/// 256 weights: u8 qs[64] (per 128-half, byte m holds elements m + 32n in bits 2n…2n+1), half d.
package enum BlockTQ2_0 { package static let qs = 0, d = 64, size = 66 }

/// C's `lroundf` for values in int range: half away from zero.
@inline(__always)
private func lround(_ x: Float) -> Int32 { truncToInt32(x.rounded(.toNearestOrAwayFromZero)) }

extension Quantize {
    /// `quantize_row_tq1_0_ref`.
    static func tq1_0(_ x0: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int) {
        for i in 0..<nb {
            var x = x0 + i * QK_K
            let b = y + i * BlockTQ1_0.size
            var amax: Float = 0
            for j in 0..<QK_K { amax = Swift.max(amax, abs(x[j])) }
            let d = amax
            let id: Float = d != 0 ? 1 / d : 0
            storeF16(b, BlockTQ1_0.d, d)
            // 5 trits per byte: 32 bytes over 160 values, then 16 bytes over 80.
            for (start, width) in [(0, 32), (32, 16)] {
                for m in 0..<width {
                    var q: UInt8 = 0
                    for n in 0..<5 { q = q &* 3 &+ UInt8(truncatingIfNeeded: lround(x[m + n * width] * id) + 1) }
                    q = UInt8(truncatingIfNeeded: (UInt16(q) * 256 + 242) / 243)
                    b.storeBytes(of: q, toByteOffset: BlockTQ1_0.qs + start + m, as: UInt8.self)
                }
                x += 5 * width
            }
            // 4 trits per byte, the first in the most significant place.
            for j in 0..<4 {
                var q: UInt8 = 0
                for m in 0..<4 { q = q &* 3 &+ UInt8(truncatingIfNeeded: lround(x[j + m * 4] * id) + 1) }
                q = q &* 3
                q = UInt8(truncatingIfNeeded: (UInt16(q) * 256 + 242) / 243)
                b.storeBytes(of: q, toByteOffset: BlockTQ1_0.qh + j, as: UInt8.self)
            }
        }
    }

    /// `quantize_row_tq2_0_ref`.
    static func tq2_0(_ x0: UnsafePointer<Float>, _ y: UnsafeMutableRawPointer, _ nb: Int) {
        for i in 0..<nb {
            let x = x0 + i * QK_K, b = y + i * BlockTQ2_0.size
            var amax: Float = 0
            for j in 0..<QK_K { amax = Swift.max(amax, abs(x[j])) }
            let d = amax
            let id: Float = d != 0 ? 1 / d : 0
            storeF16(b, BlockTQ2_0.d, d)
            for j in stride(from: 0, to: 64, by: 32) {
                for m in 0..<32 {
                    var q: UInt8 = 0
                    for n in 0..<4 {
                        let xi = lround(x[4 * j + m + n * 32] * id) + 1
                        q = q &+ UInt8(truncatingIfNeeded: (xi & 3) << (2 * n))
                    }
                    b.storeBytes(of: q, toByteOffset: BlockTQ2_0.qs + j + m, as: UInt8.self)
                }
            }
        }
    }
}

extension Dequantize {
    /// `dequantize_row_tq1_0`.
    static func tq1_0(_ src: UnsafeRawPointer, _ y0: UnsafeMutablePointer<Float>, _ nb: Int) {
        let pow3: [UInt8] = [1, 3, 9, 27, 81, 243]
        var y = y0
        @inline(__always) func trit(_ byte: UInt8, _ n: Int) -> Float {
            let q = byte &* pow3[n]
            return Float(Int32((UInt16(q) * 3) >> 8) - 1)
        }
        for i in 0..<nb {
            let b = src + i * BlockTQ1_0.size
            let d = loadF16(b, BlockTQ1_0.d)
            for (start, width) in [(0, 32), (32, 16)] {
                for n in 0..<5 {
                    for m in 0..<width { y[0] = trit(loadU8(b, BlockTQ1_0.qs + start + m), n) * d; y += 1 }
                }
            }
            for n in 0..<4 {
                for j in 0..<4 { y[0] = trit(loadU8(b, BlockTQ1_0.qh + j), n) * d; y += 1 }
            }
        }
    }

    /// `dequantize_row_tq2_0`.
    static func tq2_0(_ src: UnsafeRawPointer, _ y0: UnsafeMutablePointer<Float>, _ nb: Int) {
        var y = y0
        for i in 0..<nb {
            let b = src + i * BlockTQ2_0.size
            let d = loadF16(b, BlockTQ2_0.d)
            for j in stride(from: 0, to: 64, by: 32) {
                for l in 0..<4 {
                    for m in 0..<32 {
                        let q = Int32((loadU8(b, BlockTQ2_0.qs + j + m) >> UInt8(2 * l)) & 3)
                        y[0] = Float(q - 1) * d; y += 1
                    }
                }
            }
        }
    }
}
