// HFTensorTransforms: applies a family's transforms to one safetensors tensor, with the converter's arithmetic:
// BF16 is widened to float32 first, F16 stays F16 (torch adds in float and rounds back to half), F32 stays F32.
import Foundation

package enum HFTensorTransforms {
    /// Fills `out` (type `outType`: F32, or F16 for an F16 source) with the transformed tensor.
    /// `hfShape` is the safetensors shape (rows first).
    package static func apply(_ transforms: [HFTransform], source: UnsafeRawBufferPointer, dtype: HFDType, hfShape: [Int],
                      to out: UnsafeMutableRawBufferPointer, as outType: GGMLType) {
        var rows = hfShape.first ?? 1
        let rowLength = hfShape.dropFirst().reduce(1, *)
        var heads = 0
        var addOne = false
        for t in transforms {
            switch t {
            case .keepRows(let n): rows = min(rows, n)
            case .permuteRows(let h): heads = h
            case .addOne: addOne = true
            }
        }
        let src = source.baseAddress!, dst = out.baseAddress!
        let half = heads > 0 ? rows / heads / 2 : 0
        for r in 0..<rows {
            // LlamaModel.permute: output row (h, j, k) of shape (heads, half, 2) is input row (h, k, j).
            var from = r
            if heads > 0 {
                let h = r / (2 * half), j = (r % (2 * half)) / 2, k = r % 2
                from = h * 2 * half + k * half + j
            }
            copyRow(src, dtype, from * rowLength, dst, outType, r * rowLength, rowLength)
        }
        if addOne {
            let n = rows * rowLength
            if outType == .f16 {
                let p = dst.assumingMemoryBound(to: UInt16.self)
                for i in 0..<n { p[i] = HalfFloat.f32ToF16(HalfFloat.f16ToF32(p[i]) + 1) }
            } else {
                let p = dst.assumingMemoryBound(to: Float.self)
                for i in 0..<n { p[i] += 1 }
            }
        }
    }

    private static func copyRow(_ src: UnsafeRawPointer, _ dtype: HFDType, _ from: Int,
                                _ dst: UnsafeMutableRawPointer, _ outType: GGMLType, _ to: Int, _ n: Int) {
        switch (dtype, outType) {
        case (.f32, .f32): (dst + to * 4).copyMemory(from: src + from * 4, byteCount: n * 4)
        case (.f16, .f16): (dst + to * 2).copyMemory(from: src + from * 2, byteCount: n * 2)
        case (.bf16, .f32):
            let o = (dst + to * 4).assumingMemoryBound(to: UInt32.self)
            for i in 0..<n { o[i] = UInt32(src.loadUnaligned(fromByteOffset: (from + i) * 2, as: UInt16.self)) << 16 }
        case (.f16, .f32):
            let o = (dst + to * 4).assumingMemoryBound(to: Float.self)
            for i in 0..<n { o[i] = HalfFloat.f16ToF32(src.loadUnaligned(fromByteOffset: (from + i) * 2, as: UInt16.self)) }
        default:
            preconditionFailure("HFTensorTransforms: \(dtype) → \(outType.name) is not a converter step")
        }
    }
}
