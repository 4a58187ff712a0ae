// Driver for scripts/check-iq-quants.py: quantizes a float32 file with lai (SIMD path or scalar twin, optional importance weights), writes the bytes and their dequantized floats.
import Foundation
@main struct M { static func main() throws {
    let a = CommandLine.arguments
    let type = GGMLType(name: a[1])!
    let data = try Data(contentsOf: URL(fileURLWithPath: a[2]))
    let simd = a[4] == "simd"
    let rowLen = Int(a[5])!
    let weights: [Float]? = a.count > 6 ? try Data(contentsOf: URL(fileURLWithPath: a[6])).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) } : nil
    let x = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    let n = x.count, rows = n / rowLen
    let rb = type.rowBytes(rowLen)!
    var out = [UInt8](repeating: 0, count: rb * rows)
    x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBytes { op in
        for r in 0..<rows {
            let src = xp.baseAddress! + r * rowLen, dst = op.baseAddress! + r * rb
            let nb = rowLen / type.blockSize
            if let weights {
                weights.withUnsafeBufferPointer { wp in
                    if type == .iq4_xs { Quantize.iq4_xs(src, dst, nb, weights: wp.baseAddress!, simd: simd) }
                    else { Quantize.iq4_nl(src, dst, nb, weights: wp.baseAddress!, simd: simd) }
                }
            } else if simd { try! Quantize.row(type, src, dst, count: rowLen) } else { try! Quantize.referenceRow(type, src, dst, count: rowLen) }
        }
    } }
    try Data(out).write(to: URL(fileURLWithPath: a[3]))
    // Dequantize back for the dequant comparison.
    var y = [Float](repeating: 0, count: n)
    out.withUnsafeBytes { op in y.withUnsafeMutableBufferPointer { yp in
        for r in 0..<rows { try! Dequantize.row(type, op.baseAddress! + r * rb, yp.baseAddress! + r * rowLen, count: rowLen) }
    } }
    try y.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: a[3] + ".deq")) }
}}
