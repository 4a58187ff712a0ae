// QuantRoundTripTests: error bounds of dequant(quant(x)) per type on seeded data, split invariance,
// degenerate blocks, and argument errors.
import Foundation
import LAICore
import Testing

@Suite struct QuantRoundTripTests {
    /// (type, largest allowed RMS error relative to the RMS of the data). Measured values are printed.
    static let bounds: [(GGMLType, Double)] = [
        (.f32, 0), (.f16, 0.001), (.bf16, 0.005),
        (.q8_0, 0.01), (.q8_1, 0.01), (.q8_K, 0.025),
        (.q4_0, 0.15), (.q4_1, 0.12), (.q5_0, 0.08), (.q5_1, 0.06),
        (.q2_K, 0.45), (.q3_K, 0.25), (.q4_K, 0.12), (.q5_K, 0.06), (.q6_K, 0.03),
    ]

    @Test(arguments: bounds)
    func roundTripError(type: GGMLType, bound: Double) throws {
        let n = 16 * 256
        for seed in UInt64(1)...4 {
            let x = QuantRef.randomRow(n, seed: seed, scale: Float(seed) * 0.01)
            let bytes = type.rowBytes(n)!
            var q = [UInt8](repeating: 0xAA, count: bytes)
            var y = [Float](repeating: .nan, count: n)
            try x.withUnsafeBufferPointer { xp in
                try q.withUnsafeMutableBytes { qp in try Quantize.row(type, xp.baseAddress!, qp.baseAddress!, count: n) }
            }
            try q.withUnsafeBytes { qp in try y.withUnsafeMutableBufferPointer { yp in try Dequantize.row(type, qp.baseAddress!, yp.baseAddress!, count: n) } }
            var se = 0.0, sx = 0.0
            for i in 0..<n { let d = Double(y[i] - x[i]); se += d * d; sx += Double(x[i]) * Double(x[i]) }
            let rel = (se / sx).squareRoot()
            if seed == 1 { print("\(type.name): relative RMS error \(String(format: "%.5f", rel)) (bound \(bound))") }
            #expect(rel <= bound, "\(type.name) seed \(seed): relative RMS error \(rel) > \(bound)")
            #expect(y.allSatisfy { $0.isFinite })
        }
    }

    /// Quantizing a tensor in pieces (as threads do) gives the same bytes as in one call.
    @Test(arguments: Quantize.supported.sorted { $0.rawValue < $1.rawValue })
    func blockAligedSplitsGiveSameBytes(type: GGMLType) throws {
        let n = 4 * 256
        let x = QuantRef.randomRow(n, seed: 99)
        let bytes = type.rowBytes(n)!
        var whole = [UInt8](repeating: 0, count: bytes), parts = [UInt8](repeating: 0, count: bytes)
        try x.withUnsafeBufferPointer { xp in
            try whole.withUnsafeMutableBytes { try Quantize.row(type, xp.baseAddress!, $0.baseAddress!, count: n) }
            try parts.withUnsafeMutableBytes { p in
                let half = n / 2
                try Quantize.row(type, xp.baseAddress!, p.baseAddress!, count: half)
                try Quantize.row(type, xp.baseAddress! + half, p.baseAddress! + type.rowBytes(half)!, count: half)
            }
        }
        #expect(whole == parts)
    }

    /// Zero blocks, constant blocks and a single spike quantize without NaN and come back close.
    @Test(arguments: [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K])
    func degenerateBlocks(type: GGMLType) throws {
        let n = 256
        for x in [[Float](repeating: 0, count: n), [Float](repeating: 0.25, count: n),
                  (0..<n).map { $0 == 7 ? 3 : 0 }, (0..<n).map { $0 == 200 ? -1e-20 : 0 }] {
            var q = [UInt8](repeating: 0xFF, count: type.rowBytes(n)!)
            var y = [Float](repeating: .nan, count: n)
            try x.withUnsafeBufferPointer { xp in try q.withUnsafeMutableBytes { try Quantize.row(type, xp.baseAddress!, $0.baseAddress!, count: n) } }
            try q.withUnsafeBytes { qp in try y.withUnsafeMutableBufferPointer { try Dequantize.row(type, qp.baseAddress!, $0.baseAddress!, count: n) } }
            #expect(y.allSatisfy { $0.isFinite }, "\(type.name)")
            let maxErr = zip(x, y).map { abs($0 - $1) }.max() ?? 0
            let maxAbs = x.map { abs($0) }.max() ?? 0
            #expect(maxErr <= max(maxAbs * 0.6, 1e-6), "\(type.name): max error \(maxErr)")
        }
    }

    /// Known bytes: Q4_0 of [-8 … 7.5 step 0.5] ×2 has d = 1 (max |x| = 8 is negative → d = -8/-8).
    @Test func q4_0KnownBlock() throws {
        let x: [Float] = (0..<32).map { Float($0 % 16) - 8 }
        var q = [UInt8](repeating: 0, count: 18)
        try x.withUnsafeBufferPointer { xp in try q.withUnsafeMutableBytes { try Quantize.row(.q4_0, xp.baseAddress!, $0.baseAddress!, count: 32) } }
        #expect(q[0] == 0x00 && q[1] == 0x3C)  // d = 1.0 in fp16
        let expected: [UInt8] = (0..<16).map { (j: Int) -> UInt8 in UInt8(j) | (UInt8(j) << 4) }
        #expect(Array(q[2...]) == expected)
    }

    @Test func errors() {
        let x = [Float](repeating: 1, count: 33)
        var q = [UInt8](repeating: 0, count: 64)
        var y = [Float](repeating: 0, count: 64)
        x.withUnsafeBufferPointer { xp in
            q.withUnsafeMutableBytes { qp in
                #expect(throws: QuantError.badCount(.q4_0, count: 33)) { try Quantize.row(.q4_0, xp.baseAddress!, qp.baseAddress!, count: 33) }
                #expect(throws: QuantError.unsupported(.iq2_xxs)) { try Quantize.row(.iq2_xxs, xp.baseAddress!, qp.baseAddress!, count: 256) }
            }
        }
        _ = q.withUnsafeBytes { qp in
            y.withUnsafeMutableBufferPointer { yp in
                #expect(throws: QuantError.unsupported(.iq2_xxs)) { try Dequantize.row(.iq2_xxs, qp.baseAddress!, yp.baseAddress!, count: 256) }
            }
        }
        #expect(QuantError.badCount(.q4_K, count: 576).description == "576 elements are not a multiple of the Q4_K block size 256")
    }
}
