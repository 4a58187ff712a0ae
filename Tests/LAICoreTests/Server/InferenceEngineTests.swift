// InferenceEngine: one request through the engine answers what Generator (lai run) answers; concurrent requests
// each get their own answer; a full queue, a cancel and a too-long prompt behave; a follow-up prompt re-reads only
// what its slot does not already hold.
import Foundation
import LAICore
import Synchronization
import Testing

@Suite(.serialized, .enabled(if: FileManager.default.fileExists(atPath: Fixtures.smolLM2), "needs the demo model (make models)"))
struct InferenceEngineTests {
    static let lm = try! LanguageModel(path: Fixtures.smolLM2)

    static func greedy(_ n: Int) -> SamplingParameters {
        var p = SamplingParameters(); p.temperature = 0; p.numPredict = n; return p
    }

    static func prompt(_ text: String) -> [Int32] {
        lm.chatPromptTokens([ChatMessage(role: "user", content: text)], formatter: lm.chatFormatter())
    }

    static func run(_ e: InferenceEngine, _ tokens: [Int32], _ p: SamplingParameters) async throws -> CompletionResult {
        try await Completions.collect(try e.submit(CompletionRequest(prompt: tokens, parameters: p, contextLimit: 2048)))
    }

    @Test func oneRequestAnswersWhatGeneratorAnswers() async throws {
        let lm = Self.lm
        let tokens = Self.prompt("Why is the sky blue?")
        var sampler = Sampler(Self.greedy(24))
        var expected = ""
        let session = DecoderSession(model: lm.model, contextSize: 2048)
        let stats = try Generator(lm: lm, session: session).generate(prompt: tokens, sampler: &sampler) { expected += $0; return true }
        let engine = InferenceEngine(lm: lm, slots: 2, slotContext: 2048, maxQueue: 0)
        defer { engine.shutdown() }
        let r = try await Self.run(engine, tokens, Self.greedy(24))
        #expect(r.text == expected)
        #expect(r.stats.tokens == stats.tokens)
        #expect(r.stats.doneReason == stats.doneReason && r.stats.promptTokens == tokens.count)
    }

    @Test func concurrentRequestsEachGetTheirOwnAnswer() async throws {
        let questions = ["Why is the sky blue?", "Name three fruits.", "What is the capital of France?", "Write a haiku about rain."]
        let engine = InferenceEngine(lm: Self.lm, slots: 4, slotContext: 1024, maxQueue: 0)
        defer { engine.shutdown() }
        var alone: [String] = []
        for q in questions { alone.append(try await Self.run(engine, Self.prompt(q), Self.greedy(16)).text) }
        let together = try await withThrowingTaskGroup(of: (Int, String).self) { g in
            for (i, q) in questions.enumerated() { g.addTask { (i, try await Self.run(engine, Self.prompt(q), Self.greedy(16)).text) } }
            var out = Array(repeating: "", count: questions.count)
            for try await (i, t) in g { out[i] = t }
            return out
        }
        #expect(together == alone)
    }

    @Test func fullQueueCancelAndTooLongPrompt() async throws {
        let engine = InferenceEngine(lm: Self.lm, slots: 1, slotContext: 256, maxQueue: 1)
        defer { engine.shutdown() }
        let long = CompletionRequest(prompt: Self.prompt("Count to 500."), parameters: Self.greedy(200), contextLimit: 256)
        let a = try engine.submit(long)
        let b = try engine.submit(long)
        #expect(throws: EngineError.queueFull(slots: 1, queue: 1)) { try engine.submit(long) }
        a.cancel(); b.cancel()
        for h in [a, b] {
            var reason = ""
            for await e in h.events { if case let .done(s) = e { reason = s.doneReason } }
            #expect(reason == "cancelled")
        }
        #expect(engine.isIdle)
        let tooLong = CompletionRequest(prompt: Array(repeating: 42, count: 300), parameters: Self.greedy(1), contextLimit: 4096)
        #expect(throws: EngineError.promptTooLong(prompt: 300, context: 256)) { try engine.submit(tooLong) }
    }

    @Test func followUpReadsOnlyWhatTheSlotLacks() async throws {
        let rows = Mutex<[Int]>([])
        var observer = EngineObserver()
        observer.step = { n, _ in rows.withLock { $0.append(n) } }
        let engine = InferenceEngine(lm: Self.lm, slots: 2, slotContext: 1024, maxQueue: 0, observer: observer)
        defer { engine.shutdown() }
        let first = Self.prompt("Why is the sky blue?")
        let r = try await Self.run(engine, first, Self.greedy(8))
        let lm = Self.lm
        let second = lm.chatPromptTokens([ChatMessage(role: "user", content: "Why is the sky blue?"),
                                          ChatMessage(role: "assistant", content: lm.tokenizer.decode(r.stats.tokens, skipSpecial: true)),
                                          ChatMessage(role: "user", content: "And the sunset red?")], formatter: lm.chatFormatter())
        var common = 0
        let cached = first + r.stats.tokens.dropLast()
        while common < min(cached.count, second.count), cached[common] == second[common] { common += 1 }
        #expect(common > first.count - 2)
        rows.withLock { $0.removeAll() }
        _ = try await Self.run(engine, second, Self.greedy(2))
        #expect(rows.withLock { $0.first } == second.count - common)
    }
}
