// QuantTestSupport: reference digests and helpers shared by the quantization tests.
import Foundation
import LAICore

enum QuantRef {
    /// `quant-digests.json`: file ("F16", "Q8_0", "Q4_0", "Q4_1") → tensor name → (type, sha256).
    static let digests: [String: [String: (type: String, sha: String)]] = {
        let url = Fixtures.ref.appendingPathComponent("quant-digests.json")
        guard let data = try? Data(contentsOf: url),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let files = obj["files"] as? [String: [String: [String: Any]]] else { return [:] }
        var out: [String: [String: (type: String, sha: String)]] = [:]
        for (f, tensors) in files {
            var m: [String: (type: String, sha: String)] = [:]
            for (name, info) in tensors { m[name] = (info["type"] as? String ?? "", info["sha256"] as? String ?? "") }
            out[f] = m
        }
        return out
    }()

    static func sha(_ p: UnsafeRawPointer, _ n: Int) -> String { SHA256.hash(UnsafeRawBufferPointer(start: p, count: n)).hex }

    /// Gaussian-ish seeded data (sum of uniforms), with a few outliers like real weights.
    static func randomRow(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { i in
            var s: Float = 0
            for _ in 0..<4 { s += Float.random(in: -1...1, using: &rng) }
            return (i % 97 == 5 ? 6 * s : s) * scale
        }
    }
}
