// InferenceEngine: one loaded model's slots and the loop that decodes them all together (continuous batching).
import Foundation
import Synchronization

/// One generation to run: prompt tokens (already rendered and tokenized), sampling, and the context it may use.
package struct CompletionRequest: Sendable {
    package var prompt: [Int32]
    package var parameters: SamplingParameters
    /// num_ctx of the request: at most the slot size (the caller clamps and says so).
    package var contextLimit: Int
    /// Never end at an end-of-generation token (llama-server's `ignore_eos`, for benchmarks): those are masked.
    package var ignoreEOS = false
    /// Constrains the output (`format`, `response_format`, `tools`); owned by this request alone.
    package var grammar: GrammarConstraint?

    package init(prompt: [Int32], parameters: SamplingParameters, contextLimit: Int, ignoreEOS: Bool = false,
                 grammar: GrammarConstraint? = nil) {
        self.prompt = prompt; self.parameters = parameters; self.contextLimit = contextLimit; self.ignoreEOS = ignoreEOS
        self.grammar = grammar
    }
}

/// What a running completion delivers, in order: text pieces, then exactly one `done` or `failed`.
package enum CompletionEvent: Sendable {
    case text(String)
    case done(GenerationStats)
    case failed(String)
}

package enum EngineError: Error, CustomStringConvertible, Equatable {
    /// Every slot is busy and the queue is full.
    case queueFull(slots: Int, queue: Int)
    /// The server is shutting down and admits nothing new.
    case draining
    case promptTooLong(prompt: Int, context: Int)

    package var description: String {
        switch self {
        case let .queueFull(slots, queue): "server busy: all \(slots) slots are in use and \(queue) requests are already waiting; retry later"
        case .draining: "the server is shutting down"
        case let .promptTooLong(p, c): "the prompt (\(p) tokens) does not fit in the context window (\(c) tokens)"
        }
    }
}

/// A snapshot for /api/ps and /metrics.
package struct EngineLoad: Sendable {
    package var running: Int
    package var queued: Int
}

/// The loop's per-step observations (metrics).
package struct EngineObserver: Sendable {
    package var step: @Sendable (_ rows: Int, _ sequences: Int) -> Void = { _, _ in }
    package var firstToken: @Sendable (_ seconds: Double) -> Void = { _ in }
    package var interToken: @Sendable (_ seconds: Double) -> Void = { _ in }
    package var finished: @Sendable (_ stats: GenerationStats) -> Void = { _ in }
    package init() {}
}

/// Runs a model for several clients at once. The model's KV cache holds `slots` sequences of `slotContext` cells;
/// one thread loops: admit waiting requests into free slots (each takes the free slot whose cached tokens share
/// the longest prefix with its prompt, so a chat's next turn re-reads nothing), then run one batched forward pass
/// over every generating slot's next token plus at most one chunk of one prompt, then sample for each row that
/// has logits. A request that is cancelled (its client went away) leaves its slot at the next step.
package final class InferenceEngine: @unchecked Sendable {
    package let lm: LanguageModel
    package let slotCount: Int
    package let slotContext: Int
    package let maxQueue: Int
    private let session: DecoderSession
    private let observer: EngineObserver
    /// Prompt tokens per step at most (with the generating rows): the session's batch capacity.
    private let stepRows: Int

    // Shared with submitters, under `condition`.
    private let condition = NSCondition()
    private var waiting: [Job] = []
    private var inFlight = 0
    private var draining = false
    private var stopping = false
    private var loopDone = false

    // The loop thread's own state.
    private var cachedTokens: [[Int32]]      // per slot: the tokens whose keys and values the cache holds
    private var lastUse: [UInt64]            // per slot: step of last use (least recently used goes first)
    private var running: [Job?]
    private var stepCount: UInt64 = 0
    private var thread: Thread?

    package init(lm: LanguageModel, slots: Int, slotContext: Int, maxQueue: Int, stepRows: Int = 512,
                 useKernels: Bool = true, observer: EngineObserver = EngineObserver()) {
        self.lm = lm
        slotCount = max(1, slots)
        self.slotContext = min(max(16, slotContext), lm.model.config.trainedContext)
        self.maxQueue = max(0, maxQueue)
        self.observer = observer
        session = DecoderSession(model: lm.model, contextSize: self.slotContext, batchCapacity: stepRows,
                                 sequences: slotCount, useKernels: useKernels)
        self.stepRows = session.batchCapacity
        cachedTokens = Array(repeating: [], count: slotCount)
        lastUse = Array(repeating: 0, count: slotCount)
        running = Array(repeating: nil, count: slotCount)
        let t = Thread { [unowned self] in self.loop() }
        t.name = "lai-engine"
        t.stackSize = 8 << 20
        thread = t
        t.start()
    }

    /// Bytes of the KV cache (all slots).
    package var kvCacheBytes: Int { session.kvCacheBytes }

    package var load: EngineLoad {
        condition.lock(); defer { condition.unlock() }
        return EngineLoad(running: inFlight - waiting.count, queued: waiting.count)
    }

    /// True when nothing runs or waits (the model may be unloaded).
    package var isIdle: Bool { condition.lock(); defer { condition.unlock() }; return inFlight == 0 }

    /// Queues a completion. Throws `queueFull` when every slot is busy and `maxQueue` requests already wait,
    /// `draining` after `drain()`, `promptTooLong` when the prompt leaves no room to generate.
    /// Stopping iteration of the returned stream (or dropping it), or `cancel()` on the handle, cancels the completion.
    package func submit(_ request: CompletionRequest) throws -> CompletionHandle {
        let limit = min(max(2, request.contextLimit), slotContext)
        guard !request.prompt.isEmpty, request.prompt.count < limit else {
            throw EngineError.promptTooLong(prompt: request.prompt.count, context: limit)
        }
        let (stream, continuation) = AsyncStream.makeStream(of: CompletionEvent.self, bufferingPolicy: .unbounded)
        let job = Job(request: request, limit: limit, continuation: continuation, tokenizer: lm.tokenizer)
        condition.lock()
        defer { condition.unlock() }
        if draining || stopping { throw EngineError.draining }
        guard inFlight < slotCount + maxQueue else { throw EngineError.queueFull(slots: slotCount, queue: maxQueue) }
        inFlight += 1
        waiting.append(job)
        continuation.onTermination = { [weak job] _ in job?.cancelled.store(true, ordering: .relaxed) }
        condition.signal()
        return CompletionHandle(events: stream, job: job)
    }

    /// Admits nothing new; what runs or waits finishes.
    package func drain() { condition.lock(); draining = true; condition.unlock() }

    /// Cancels everything and ends the loop thread (the engine is being unloaded).
    package func shutdown() {
        condition.lock()
        stopping = true
        for j in waiting { j.cancelled.store(true, ordering: .relaxed) }
        condition.broadcast()
        while !loopDone { condition.wait() }
        condition.unlock()
    }

    // MARK: - The loop

    private func loop() {
        while true {
            condition.lock()
            while !stopping && waiting.isEmpty && running.allSatisfy({ $0 == nil }) { condition.wait() }
            if stopping {
                let pending = waiting
                waiting.removeAll()
                condition.unlock()
                for j in pending { finish(j, reason: "cancelled") }
                for case let j? in running { finish(j, reason: "cancelled") }
                condition.lock(); loopDone = true; condition.broadcast(); condition.unlock()
                return
            }
            admitWaiting()
            condition.unlock()
            step()
        }
    }

    /// Moves waiting requests into free slots (called with `condition` held).
    private func admitWaiting() {
        while !waiting.isEmpty {
            let free = (0..<slotCount).filter { running[$0] == nil }
            guard !free.isEmpty else { return }
            let job = waiting.removeFirst()
            let prompt = job.request.prompt
            func common(_ s: Int) -> Int {
                let c = cachedTokens[s]
                var n = 0
                while n < min(c.count, prompt.count), c[n] == prompt[n] { n += 1 }
                return n
            }
            let scored = free.map { (slot: $0, shared: common($0)) }
            let best = scored.max { a, b in a.shared != b.shared ? a.shared < b.shared : lastUse[a.slot] > lastUse[b.slot] }!
            // Always evaluate at least the last prompt token, for fresh logits.
            let keep = min(best.shared, prompt.count - 1)
            session.cache.truncate(sequence: best.slot, to: keep)
            cachedTokens[best.slot].removeSubrange(keep...)
            job.slot = best.slot
            job.promptOffset = keep
            job.admitted = Date()
            running[best.slot] = job
            for t in prompt { job.sampler.accept(t) }
        }
    }

    private func step() {
        stepCount += 1
        for case let j? in running where j.cancelled.load(ordering: .relaxed) { finish(j, reason: "cancelled") }
        var batch = Batch()
        var logitJobs: [Job] = []
        var generating: [Job] = []
        for case let j? in running where j.promptOffset == j.request.prompt.count {
            batch.add(j.lastToken, position: cachedTokens[j.slot].count, sequence: j.slot, logits: true)
            logitJobs.append(j); generating.append(j)
        }
        // One prompt chunk: the request admitted first among those still reading their prompt.
        var prefill: (job: Job, range: Range<Int>)?
        if let j = running.compactMap({ $0 }).filter({ $0.promptOffset < $0.request.prompt.count })
            .min(by: { $0.admitted < $1.admitted }) {
            let n = min(j.request.prompt.count - j.promptOffset, max(16, stepRows - generating.count))
            let r = j.promptOffset..<(j.promptOffset + n)
            for i in r {
                batch.add(j.request.prompt[i], position: cachedTokens[j.slot].count + (i - r.lowerBound), sequence: j.slot,
                          logits: i == j.request.prompt.count - 1)
            }
            if r.upperBound == j.request.prompt.count { logitJobs.append(j) }
            prefill = (j, r)
        }
        guard batch.count > 0 else { return }
        observer.step(batch.count, generating.count + (prefill == nil ? 0 : 1))
        let logits: UnsafeBufferPointer<Float>
        do {
            logits = try session.decode(batch)
        } catch {
            for j in generating { fail(j, "\(error)") }
            if let p = prefill { fail(p.job, "\(error)") }
            return
        }
        let now = Date()
        for j in generating { cachedTokens[j.slot].append(j.lastToken); lastUse[j.slot] = stepCount }
        if let (j, r) = prefill {
            cachedTokens[j.slot].append(contentsOf: j.request.prompt[r])
            lastUse[j.slot] = stepCount
            j.promptOffset = r.upperBound
            if j.promptOffset == j.request.prompt.count {
                j.stats.promptTokens = j.request.prompt.count
                j.stats.promptSeconds = now.timeIntervalSince(j.admitted)
            }
        }
        let vocab = lm.model.config.vocabulary
        for (row, j) in logitJobs.enumerated() {
            let rowLogits = UnsafeBufferPointer(rebasing: logits[(row * vocab)..<((row + 1) * vocab)])
            if j.request.ignoreEOS {
                let m = UnsafeMutableBufferPointer(mutating: rowLogits)
                for t in lm.tokenizer.endOfGeneration where Int(t) < vocab { m[Int(t)] = -.infinity }
            }
            let tok = j.sampler.sample(rowLogits)
            accept(tok, for: j, at: Date())
        }
    }

    /// Handles one sampled token of `j`: stream its text, or finish.
    private func accept(_ tok: Int32, for j: Job, at now: Date) {
        if j.produced == 0 {
            j.stats.timeToFirstToken = now.timeIntervalSince(j.submitted)
            j.generationStart = now
            observer.firstToken(j.stats.timeToFirstToken)
        } else {
            observer.interToken(now.timeIntervalSince(j.lastTokenAt))
        }
        j.lastTokenAt = now
        let p = j.request.parameters
        if lm.tokenizer.endOfGeneration.contains(tok) { finish(j, reason: "stop"); return }
        let grammarComplete = j.sampler.acceptGenerated(tok)
        j.stats.tokens.append(tok)
        j.produced += 1
        let out = j.streamer.append(tok)
        if !out.isEmpty { j.continuation.yield(.text(out)) }
        if j.streamer.stopped || grammarComplete { finish(j, reason: "stop"); return }
        if p.numPredict >= 0 && j.produced >= p.numPredict { finish(j, reason: "length"); return }
        // The next step would write cell cachedTokens.count; keep one cell free as `lai run` does.
        if cachedTokens[j.slot].count + 1 > j.limit - 1 { finish(j, reason: "length"); return }
        j.lastToken = tok
    }

    private func finish(_ j: Job, reason: String) {
        let tail = j.streamer.finish()
        if !tail.isEmpty { j.continuation.yield(.text(tail)) }
        j.stats.doneReason = reason
        j.stats.generatedTokens = j.produced
        j.stats.generateSeconds = j.generationStart.map { Date().timeIntervalSince($0) } ?? 0
        if j.stats.promptTokens == 0 { j.stats.promptTokens = j.request.prompt.count }
        observer.finished(j.stats)
        release(j)   // first, so that a client that sees the end can submit again at once
        j.continuation.yield(.done(j.stats))
        j.continuation.finish()
    }

    private func fail(_ j: Job, _ message: String) {
        // The cache of a failed slot is not trusted any more.
        if j.slot >= 0 { cachedTokens[j.slot].removeAll(); session.cache.clear(sequence: j.slot) }
        release(j)
        j.continuation.yield(.failed(message))
        j.continuation.finish()
    }

    private func release(_ j: Job) {
        if j.slot >= 0, running[j.slot] === j { running[j.slot] = nil }
        condition.lock()
        inFlight -= 1
        condition.unlock()
    }
}

/// A submitted completion: its events, and a way to cancel it (the client went away).
package struct CompletionHandle: Sendable {
    package let events: AsyncStream<CompletionEvent>
    fileprivate let job: Job
    package func cancel() { job.cancelled.store(true, ordering: .relaxed) }
}

/// One request's state, owned by the loop thread (only `cancelled` is shared).
private final class Job: @unchecked Sendable {
    let request: CompletionRequest
    let limit: Int
    let continuation: AsyncStream<CompletionEvent>.Continuation
    let cancelled = Atomic<Bool>(false)
    var sampler: Sampler
    var streamer: TextStreamer
    var stats = GenerationStats()
    var slot = -1
    var promptOffset = 0
    var lastToken: Int32 = 0
    var produced = 0
    let submitted = Date()
    var admitted = Date.distantFuture
    var generationStart: Date?
    var lastTokenAt = Date()

    init(request: CompletionRequest, limit: Int, continuation: AsyncStream<CompletionEvent>.Continuation, tokenizer: Tokenizer) {
        self.request = request; self.limit = limit; self.continuation = continuation
        sampler = Sampler(request.parameters)
        sampler.grammar = request.grammar
        streamer = TextStreamer(tokenizer: tokenizer, stop: request.parameters.stop)
    }
}
