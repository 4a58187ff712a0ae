// Reference: readers for the llama.cpp reference data in ../shared/ref.
import Foundation

enum Reference {
    /// A float32 .npy v1 file (128-byte header in the files we use; the header length is read anyway).
    static func npyFloats(_ name: String) throws -> [Float] { try npyFloats(at: Fixtures.ref.appendingPathComponent(name)) }

    static func npyFloats(at url: URL) throws -> [Float] {
        let d = try Data(contentsOf: url)
        let headerLen = Int(d[8]) | Int(d[9]) << 8
        let start = 10 + headerLen
        return d[start...].withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
        }
    }

    /// The id of the largest logit, the lowest id on ties (as llama.cpp's greedy sampler and our harness).
    static func argmax(_ l: UnsafeBufferPointer<Float>) -> Int32 {
        var best = 0
        for i in 1..<l.count where l[i] > l[best] { best = i }
        return Int32(best)
    }

    struct Greedy { let model: String; let prompt: String; let promptIDs: [Int32]; let generatedIDs: [Int32]; let text: String }

    static func greedy() throws -> [Greedy] {
        let d = try Data(contentsOf: Fixtures.ref.appendingPathComponent("greedy-smollm2.json"))
        let arr = try JSONSerialization.jsonObject(with: d) as! [[String: Any]]
        return arr.map {
            Greedy(model: $0["model"] as! String, prompt: $0["prompt"] as! String,
                   promptIDs: ($0["prompt_ids"] as! [Int]).map(Int32.init),
                   generatedIDs: ($0["generated_ids"] as! [Int]).map(Int32.init),
                   text: $0["generated_text"] as! String)
        }
    }
}
