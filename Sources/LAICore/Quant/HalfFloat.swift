// HalfFloat: fp16 and bf16 conversions exactly as ggml performs them.

/// IEEE half (fp16) and bfloat16 conversions, bit-identical to ggml's reference code.
package enum HalfFloat {
    /// fp16 → fp32; exact for every input (NaN payloads kept), as F16C's `vcvtph2ps`.
    @inline(__always)
    package static func f16ToF32(_ h: UInt16) -> Float { Float(Float16(bitPattern: h)) }

    /// fp32 → fp16, round to nearest even (as F16C `vcvtps2ph` with rounding mode 0).
    ///
    /// Bit-identical to ggml's `ggml_compute_fp32_to_fp16` (the code ggml-base uses when it writes F16
    /// files): overflow gives ±inf, subnormals are rounded correctly, and every NaN becomes the quiet
    /// NaN 0x7E00 with the input's sign (F16C would keep the top payload bits instead).
    @inline(__always)
    package static func f32ToF16(_ f: Float) -> UInt16 {
        let scaleToInf = Float(bitPattern: 0x7780_0000)   // 2^112
        let scaleToZero = Float(bitPattern: 0x0880_0000)  // 2^-110
        var base = (abs(f) * scaleToInf) * scaleToZero
        let w = f.bitPattern
        let shl1 = w &+ w
        let sign = w & 0x8000_0000
        var bias = shl1 & 0xFF00_0000
        if bias < 0x7100_0000 { bias = 0x7100_0000 }
        base = Float(bitPattern: (bias >> 1) &+ 0x0780_0000) + base
        let bits = base.bitPattern
        let expBits = (bits >> 13) & 0x0000_7C00
        let mantissa = bits & 0x0000_0FFF
        let nonsign = expBits &+ mantissa
        return UInt16(truncatingIfNeeded: (sign >> 16) | (shl1 > 0xFF00_0000 ? 0x7E00 : nonsign))
    }

    /// bf16 → fp32 (exact: the bf16 bits are the top half of the fp32).
    @inline(__always)
    package static func bf16ToF32(_ h: UInt16) -> Float { Float(bitPattern: UInt32(h) << 16) }

    /// fp32 → bf16, round to nearest even; NaN keeps its top bits and is forced quiet.
    /// Bit-identical to ggml's `ggml_compute_fp32_to_bf16`.
    @inline(__always)
    package static func f32ToBF16(_ f: Float) -> UInt16 {
        let u = f.bitPattern
        if (u & 0x7FFF_FFFF) > 0x7F80_0000 { return UInt16(truncatingIfNeeded: (u >> 16) | 64) }
        return UInt16(truncatingIfNeeded: (u &+ (0x7FFF &+ ((u >> 16) & 1))) >> 16)
    }
}

// MARK: - Small helpers shared by the quantizers (ggml's C semantics, without traps)

/// ggml's `nearest_int`: round half to even via the 1.5·2^23 trick; valid for |x| ≤ 4194303.
@inline(__always)
func nearestInt(_ f: Float) -> Int32 {
    let v = f + 12_582_912.0
    return Int32(bitPattern: v.bitPattern & 0x007F_FFFF) &- 0x0040_0000
}

/// C's float → int conversion as x86 performs it (`cvttss2si`): truncation toward zero, and
/// 0x80000000 for NaN or out-of-range values instead of a trap.
@inline(__always)
func truncToInt32(_ x: Float) -> Int32 {
    (x >= -2_147_483_648.0 && x < 2_147_483_648.0) ? Int32(x) : Int32.min
}

/// Little-endian fp16 store/load at a byte offset of a block.
@inline(__always)
func storeF16(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: Float) {
    p.storeBytes(of: HalfFloat.f32ToF16(v).littleEndian, toByteOffset: offset, as: UInt16.self)
}

@inline(__always)
func loadF16(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
    HalfFloat.f16ToF32(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
}

@inline(__always)
func loadU8(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 { p.load(fromByteOffset: offset, as: UInt8.self) }
