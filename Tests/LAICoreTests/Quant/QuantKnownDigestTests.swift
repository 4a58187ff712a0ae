// QuantKnownDigestTests: K-quant bytes for a fixed signal, against digests of ggml's C reference.
//
// The digests were made by compiling ggml's quantize_row_{q2,q3,q5,q8}_K_ref (transcribed from
// ggml-quants.c, gcc -O3 without -march, as ggml-base is built) on the same signal. Q4_K and Q6_K are
// covered bit for bit by the Q4_K_M file test in the CLI suite (its sha256 equals llama-quantize's).
import Foundation
import LAICore
import Testing

@Suite struct QuantKnownDigestTests {
    /// x[i] = sin(0.37 i) · cos(0.011 i) · (6 every 97th) · 0.05 as fp32, with block 1 all zero and block 2 constant.
    static let signal: [Float] = {
        var x = (0..<8192).map { i -> Float in
            Float(sin(Double(i) * 0.37) * cos(Double(i) * 0.011) * (i % 97 == 5 ? 6.0 : 1.0) * 0.05)
        }
        for i in 256..<512 { x[i] = 0 }
        for i in 512..<768 { x[i] = 0.125 }
        return x
    }()

    @Test(arguments: [
        (GGMLType.q2_K, "7ea326ed9cc99b657e8591f960117419e8c2ba82e22c8f6aa3804bde46b6b84f"),
        (.q3_K, "226e5bc31a74398783faaab481fbb138738914353119e88d58315537d318e524"),
        (.q5_K, "5ec2d78ea8ea5a6cc2c772ffc19a29e27cce37759df7c4931a18d33b96d704cd"),
        (.q8_K, "d7aeb1f829245809ecd51c52637bd45a179800cf2f19a2e326195755a5a03ac8"),
    ])
    func matchesGGMLReference(type: GGMLType, sha: String) throws {
        let x = Self.signal
        var q = [UInt8](repeating: 0, count: type.rowBytes(x.count)!)
        try x.withUnsafeBufferPointer { xp in try q.withUnsafeMutableBytes { try Quantize.row(type, xp.baseAddress!, $0.baseAddress!, count: x.count) } }
        #expect(SHA256.hash(q).hex == sha, "\(type.name)")
    }
}

/// The SIMD K-quant searches (8 groups per lane set) against their scalar reference twins.
@Suite struct QuantSIMDTwinTests {
    @Test(arguments: [GGMLType.q2_K, .q4_K, .q5_K, .q6_K])
    func simdMatchesScalarTwin(type: GGMLType) throws {
        var inputs: [[Float]] = [QuantKnownDigestTests.signal]
        for seed in UInt64(1)...40 { inputs.append(QuantRef.randomRow(1024, seed: seed, scale: Float(seed) * 0.003)) }
        // Edge blocks: zeros, a constant, one spike, all negative, tiny values, mixed groups.
        var edge = [Float](repeating: 0, count: 1024)
        for i in 256..<512 { edge[i] = 0.5 }
        edge[600] = 4
        for i in 768..<1024 { edge[i] = -Float(i % 7) * 1e-3 - 1e-4 }
        for i in stride(from: 512, to: 768, by: 32) where i % 64 == 0 { for k in 0..<16 { edge[i + k] = 0 } }
        inputs.append(edge)
        inputs.append((0..<1024).map { Float($0 % 13) * 1e-20 })
        for (k, x) in inputs.enumerated() {
            let n = x.count
            var a = [UInt8](repeating: 0, count: type.rowBytes(n)!), b = a
            try x.withUnsafeBufferPointer { xp in
                try a.withUnsafeMutableBytes { try Quantize.row(type, xp.baseAddress!, $0.baseAddress!, count: n) }
                try b.withUnsafeMutableBytes { try Quantize.referenceRow(type, xp.baseAddress!, $0.baseAddress!, count: n) }
            }
            #expect(a == b, "\(type.name) input \(k): first differing byte \(zip(a, b).enumerated().first { $1.0 != $1.1 }?.offset ?? -1)")
        }
    }

    /// The importance-weighted searches (imatrix paths) against their scalar twins: random rows and weights (some
    /// zero, some tiny, one group all zero), the digest signal, and edge blocks.
    @Test(arguments: [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K])
    func weightedSIMDMatchesScalarTwin(type: GGMLType) throws {
        let n = type.blockSize == 32 ? 896 : 1024   // 28 blocks of 32: three lane sets and a partial one
        var inputs: [[Float]] = [Array(QuantKnownDigestTests.signal.prefix(n))]
        for seed in UInt64(1)...30 { inputs.append(QuantRef.randomRow(n, seed: seed, scale: Float(seed) * 0.003)) }
        var edge = [Float](repeating: 0, count: n)
        for i in 256..<512 { edge[i] = 0.5 }
        edge[600] = 4
        for i in 768..<n { edge[i] = -Float(i % 7) * 1e-3 - 1e-4 }
        inputs.append(edge)
        for (k, x) in inputs.enumerated() {
            var w = QuantRef.randomRow(n, seed: UInt64(100 + k), scale: 1).map { $0 * $0 }
            for i in stride(from: k % 7, to: n, by: 7) { w[i] = 0 }
            for i in 32..<64 { w[i] = 0 }
            for i in 128..<144 { w[i] = 1e-30 }
            var a = [UInt8](repeating: 0, count: type.rowBytes(n)!), b = a
            try x.withUnsafeBufferPointer { xp in
                try w.withUnsafeBufferPointer { wp in
                    try a.withUnsafeMutableBytes { try Quantize.row(type, xp.baseAddress!, $0.baseAddress!, count: n, weights: wp.baseAddress!) }
                    try b.withUnsafeMutableBytes { try Quantize.referenceRow(type, xp.baseAddress!, $0.baseAddress!, count: n, weights: wp.baseAddress!) }
                }
            }
            #expect(a == b, "\(type.name) weighted input \(k): first differing byte \(zip(a, b).enumerated().first { $1.0 != $1.1 }?.offset ?? -1)")
        }
    }
}
