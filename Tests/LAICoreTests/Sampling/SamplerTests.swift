// Sampler: determinism, greedy, and that each filter keeps what it should.
import Testing
import LAICore

@Suite struct SamplerTests {
    static let logits: [Float] = [1, 5, 3, 4.9, -2, 0, 2, 4.5]

    func draw(_ p: SamplingParameters, _ n: Int = 2000, history: [Int32] = []) -> [Int32: Int] {
        var s = Sampler(p)
        for t in history { s.accept(t) }
        var counts: [Int32: Int] = [:]
        Self.logits.withUnsafeBufferPointer { l in for _ in 0..<n { counts[s.sample(l), default: 0] += 1 } }
        return counts
    }

    @Test func greedyPicksTheArgmax() {
        var p = SamplingParameters(); p.temperature = 0
        #expect(draw(p, 10) == [1: 10])
    }

    @Test func sameSeedSameTokens() {
        var p = SamplingParameters(); p.seed = 42; p.topK = 0; p.topP = 1
        var a = Sampler(p), b = Sampler(p)
        let ta = Self.logits.withUnsafeBufferPointer { l in (0..<100).map { _ in a.sample(l) } }
        let tb = Self.logits.withUnsafeBufferPointer { l in (0..<100).map { _ in b.sample(l) } }
        #expect(ta == tb)
        #expect(Set(ta).count > 2)
    }

    @Test func topKKeepsTheKBest() {
        var p = SamplingParameters(); p.topK = 2; p.topP = 1; p.temperature = 5; p.seed = 1
        #expect(Set(draw(p).keys) == [1, 3])
    }

    @Test func topPAndMinP() {
        var p = SamplingParameters(); p.topK = 0; p.topP = 0.5; p.temperature = 1; p.seed = 2
        #expect(Set(draw(p).keys) == [1, 3])  // p(5) ≈ 0.37 < 0.5, + p(4.9) ≈ 0.33 reaches it
        var m = SamplingParameters(); m.topK = 0; m.topP = 1; m.minP = 0.5; m.temperature = 1; m.seed = 3
        #expect(Set(draw(m).keys) == [1, 3, 7])  // e^(4.5-5) = 0.61 ≥ 0.5, e^(3-5) < 0.5
    }

    @Test func repeatPenaltyDemotesRecentTokens() {
        var p = SamplingParameters(); p.temperature = 0; p.repeatPenalty = 2
        #expect(draw(p, 1, history: [1]) == [3: 1])   // 5/2 = 2.5 < 4.9
        var q = SamplingParameters(); q.temperature = 0; q.repeatPenalty = 1; q.presencePenalty = 1
        #expect(draw(q, 1, history: [1, 3]) == [7: 1])  // 4, 3.9 < 4.5
    }

    @Test func parametersByOllamaName() throws {
        var p = SamplingParameters()
        try p.set("temperature", "0.2"); try p.set("top_k", "7"); try p.set("stop", "<|im_end|>")
        #expect(p.temperature == 0.2 && p.topK == 7 && p.stop == ["<|im_end|>"])
        #expect(throws: SamplingError.self) { try p.set("nonsense", "1") }
        #expect(throws: SamplingError.self) { try p.set("top_p", "abc") }
    }
}
