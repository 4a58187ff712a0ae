// Llama forward pass against llama.cpp: last-position logits and greedy continuations of SmolLM2.
import Foundation
import Testing
import LAICore

@Suite(.serialized) struct LlamaReferenceTests {
    static let prompts = ["The capital of France is", "def fibonacci(n):", "Once upon a time, there was a little robot who"]

    static func argmax(_ l: UnsafeBufferPointer<Float>) -> Int32 {
        var best = 0
        for i in 1..<l.count where l[i] > l[best] { best = i }
        return Int32(best)
    }

    @Test(arguments: [0, 1, 2])
    func q4_1LogitsMatchLlamaCpp(prompt: Int) throws {
        let ref = try Reference.greedy().filter { $0.model.contains("Q4_1") }[prompt]
        let model = try LlamaModel(path: Fixtures.smolLM2)
        let s = LlamaSession(model: model, contextSize: 512)
        let logits = try s.evaluate(ref.promptIDs)
        let expected = try Reference.npyFloats("logits-Q4_1-p\(prompt).npy")
        var maxDiff: Float = 0
        for i in 0..<expected.count { maxDiff = max(maxDiff, abs(logits[i] - expected[i])) }
        let top = (0..<expected.count).sorted { expected[$0] > expected[$1] }.prefix(10)
        let ours = (0..<logits.count).sorted { logits[$0] > logits[$1] }.prefix(10)
        print("Q4_1 p\(prompt): max |Δlogit| = \(maxDiff), top-10 overlap \(Set(top).intersection(ours).count)/10, top-1 \(ours.first!) vs \(top.first!)")
        #expect(ours.first == top.first)
        // The same arithmetic as llama.cpp (activation quantization, block dots, flash attention with an f16
        // accumulator, ggml's vectorized expf) gives the same logits; a small bound allows a different CPU.
        #expect(maxDiff < 0.05)
    }

    @Test(arguments: [0, 1, 2])
    func q4_1GreedyMatchesLlamaCpp(prompt: Int) throws {
        let ref = try Reference.greedy().filter { $0.model.contains("Q4_1") }[prompt]
        let model = try LlamaModel(path: Fixtures.smolLM2)
        let s = LlamaSession(model: model, contextSize: 512)
        var logits = try s.evaluate(ref.promptIDs)
        var out: [Int32] = []
        for _ in 0..<ref.generatedIDs.count {
            let t = Self.argmax(logits)
            out.append(t)
            logits = try s.evaluate([t])
        }
        let firstDiff = zip(out, ref.generatedIDs).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        print("Q4_1 greedy p\(prompt): \(firstDiff.map { "diverges at \($0)" } ?? "identical for \(out.count) tokens")")
        #expect(firstDiff == nil, "ours \(out) vs llama.cpp \(ref.generatedIDs)")
    }
}

@Suite(.serialized) struct LlamaF16DevTests {
    @Test func f16Logits() throws {
        guard let path = ProcessInfo.processInfo.environment["LAI_F16"] else { return }
        for p in 0..<3 {
            let ref = try Reference.greedy().filter { $0.model.contains("F16") }[p]
            let model = try LlamaModel(path: path)
            let s = LlamaSession(model: model, contextSize: 512)
            let logits = try s.evaluate(ref.promptIDs)
            let expected = try Reference.npyFloats("logits-F16-p\(p).npy")
            var maxDiff: Float = 0
            for i in 0..<expected.count { maxDiff = max(maxDiff, abs(logits[i] - expected[i])) }
            var out: [Int32] = []
            var l = logits
            for _ in 0..<ref.generatedIDs.count { let t = LlamaReferenceTests.argmax(l); out.append(t); l = try s.evaluate([t]) }
            print("F16 p\(p): max diff \(maxDiff), greedy same \(out == ref.generatedIDs) \(zip(out, ref.generatedIDs).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1)")
        }
    }
}
