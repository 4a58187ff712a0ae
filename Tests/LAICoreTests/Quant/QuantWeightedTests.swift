// QuantWeightedTests: the importance-weighted quantizers against digests of ggml's own (quantize_q4_0 …
// with quant_weights), and the unweighted paths left as they were.
//
// The digests were made by compiling llama.cpp's ggml-quants.c (the version in ../shared/ref; gcc -O3 without
// -march, as ggml-base is built) and quantizing the same signal and weights, one row of 1024 at a time.
import Foundation
import LAICore
import Testing

@Suite struct QuantWeightedTests {
    /// 8 rows of 1024: QuantKnownDigestTests' signal (a zero and a constant super-block included).
    static let rows = 8, columns = 1024
    /// Importance per column: ((i·7919 mod 1000) / 100)² · 1e-3, and 0 for every 61st column.
    static let weights: [Float] = (0..<columns).map { i in
        if i % 61 == 0 { return 0 }
        let v = Double((i * 7919) % 1000) / 100
        return Float(v * v * 1e-3)
    }

    @Test(arguments: [
        (GGMLType.q4_0, "53cfecaeb1e9fa8b01aaccf385e2514f6ccdd55ce90ada4f37998c310d8f2a12"),
        (.q4_1, "e7fcabd9865829cc0b1e26edf3ccf032d9845dcb21f28a435a6eee3df0cbc00c"),
        (.q5_0, "d1048fc9a8393b9c8dc728bf6df18d6f8a43845fec86996a34a3f54cc1b4c49f"),
        (.q5_1, "12ecc45f0192c6aee29829c2dd13d0a5b8b9232072136daf37647a8e4a8b574b"),
        (.q2_K, "60379916ad887c54d6e5e76db04f06e6ee70d7dc2b4012336b4901982267c40b"),
        (.q3_K, "10e31d184d739352f1e57eae0f223d235cbfde4ae0a310237f1227e07c3ba647"),
        (.q4_K, "2220ddd3a78ec5a1a5d6d89ccd0fad8040a95b320e007e7e79ef448216fe8d97"),
        (.q5_K, "52d3787d5bc1a00cfa40f13507dfc71444ffcad5dbd506092ab67e1483bce408"),
        (.q6_K, "b6ed2a73c260dea754abe4b8944a1ca819434cb6219e308f20afee6da1976f47"),
    ])
    func matchesGGMLWeighted(type: GGMLType, sha: String) throws {
        let x = QuantKnownDigestTests.signal
        let rb = type.rowBytes(Self.columns)!
        var q = [UInt8](repeating: 0, count: rb * Self.rows)
        try x.withUnsafeBufferPointer { xp in
            try Self.weights.withUnsafeBufferPointer { wp in
                try q.withUnsafeMutableBytes { qp in
                    for r in 0..<Self.rows {
                        try Quantize.row(type, xp.baseAddress! + r * Self.columns, qp.baseAddress! + r * rb,
                                         count: Self.columns, weights: wp.baseAddress!)
                    }
                }
            }
        }
        #expect(SHA256.hash(q).hex == sha, "\(type.name)")
    }

    /// Types without a weighted path (Q8_0, F16) give the same bytes with or without weights.
    @Test(arguments: [GGMLType.q8_0, .f16])
    func unweightedTypesIgnoreWeights(type: GGMLType) throws {
        let x = Array(QuantKnownDigestTests.signal.prefix(Self.columns))
        var a = [UInt8](repeating: 0, count: type.rowBytes(Self.columns)!), b = a
        try x.withUnsafeBufferPointer { xp in
            try Self.weights.withUnsafeBufferPointer { wp in
                try a.withUnsafeMutableBytes { try Quantize.row(type, xp.baseAddress!, $0.baseAddress!, count: Self.columns, weights: wp.baseAddress!) }
                try b.withUnsafeMutableBytes { try Quantize.row(type, xp.baseAddress!, $0.baseAddress!, count: Self.columns) }
            }
        }
        #expect(a == b)
    }
}
