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
        var falcon: (heads: Int, kvHeads: Int, headDim: Int)?
        var skip = 0
        for t in transforms {
            switch t {
            case .keepRows(let n): rows = min(rows, n)
            case .permuteRows(let h): heads = h
            case .addOne: addOne = true
            case .falconQKV(let h, let kv, let d): falcon = (h, kv, d)
            case .dropRows(let n): skip = n; rows -= n
            case .headSlice(let h, let per, let start, let count, let transpose):
                // rows viewed as [heads, rowsPerHead, columns]: a 2-D [heads·per, columns] or 3-D [heads, per, columns] tensor
                headSlice(source, dtype, columns: hfShape.last ?? 1, heads: h, rowsPerHead: per, start: start, count: count,
                          transpose: transpose, to: out.baseAddress!, as: outType)
                return
            case .columnSlice(let h, let start, let count):
                let perHead = hfShape.count == 3 ? hfShape[1] : 1, columns = hfShape.last ?? 1
                let src = source.baseAddress!, dst = out.baseAddress!
                for e in 0..<h {
                    for i in 0..<count {
                        for r in 0..<perHead {
                            copyRow(src, dtype, (e * perHead + r) * columns + start + i, dst, outType, (e * count + i) * perHead + r, 1)
                        }
                    }
                }
                return
            case .selectRows(let list):
                for (i, r) in list.enumerated() { copyRow(source.baseAddress!, dtype, r * rowLength, out.baseAddress!, outType, i * rowLength, rowLength) }
                return
            }
        }
        let src = source.baseAddress!, dst = out.baseAddress!
        let half = heads > 0 ? rows / heads / 2 : 0
        for r in 0..<rows {
            var from = r
            if heads > 0 {
                // LlamaModel.permute: output row (h, j, k) of shape (heads, half, 2) is input row (h, k, j).
                let h = r / (2 * half), j = (r % (2 * half)) / 2, k = r % 2
                from = h * 2 * half + k * half + j
            } else if let f = falcon {
                // Input: kvHeads groups of (heads/kvHeads + 2) heads; output: queries, keys, values.
                let perGroup = f.heads / f.kvHeads + 2, head = r / f.headDim, d = r % f.headDim
                let (group, slot): (Int, Int)
                if head < f.heads { (group, slot) = (head / (perGroup - 2), head % (perGroup - 2)) }
                else if head < f.heads + f.kvHeads { (group, slot) = (head - f.heads, perGroup - 2) }
                else { (group, slot) = (head - f.heads - f.kvHeads, perGroup - 1) }
                from = (group * perGroup + slot) * f.headDim + d
            }
            copyRow(src, dtype, (from + skip) * rowLength, dst, outType, r * rowLength, rowLength)
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

    /// Source rows as [heads, rowsPerHead, columns]; out = rows start..<start+count of each head, as
    /// [heads, count, columns] or, transposed, [heads, columns, count].
    private static func headSlice(_ source: UnsafeRawBufferPointer, _ dtype: HFDType, columns: Int, heads: Int, rowsPerHead: Int,
                                  start: Int, count: Int, transpose: Bool, to dst: UnsafeMutableRawPointer, as outType: GGMLType) {
        let src = source.baseAddress!
        for h in 0..<heads {
            for i in 0..<count {
                let from = (h * rowsPerHead + start + i) * columns
                if transpose {
                    for c in 0..<columns { copyRow(src, dtype, from + c, dst, outType, (h * columns + c) * count + i, 1) }
                } else {
                    copyRow(src, dtype, from, dst, outType, (h * count + i) * columns, columns)
                }
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
