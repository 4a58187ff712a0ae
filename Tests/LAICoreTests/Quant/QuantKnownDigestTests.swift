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
