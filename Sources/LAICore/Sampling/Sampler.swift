// Sampler: turns logits into the next token — penalties, top-k, top-p, min-p, temperature, then a draw.

/// Chooses tokens from logits. The filters apply in llama.cpp's default order:
/// 1. repetition penalties over the last `repeatLastN` tokens (repeat, presence, frequency);
/// 2. top-k (keep the k largest logits); 3. softmax, top-p (smallest set reaching p);
/// 4. min-p (drop tokens below min_p × the best probability); 5. temperature; 6. a seeded draw.
/// `temperature <= 0` is greedy (argmax after penalties).
package struct Sampler {
    package var parameters: SamplingParameters
    private var rng: SeededRandom
    private var history: [Int32] = []
    // Scratch reused across calls: candidate ids and their logits.
    private var ids: [Int32] = []
    private var values: [Float] = []
    /// The logits with repetition penalties applied (reused across calls).
    private var penalized: [Float] = []
    /// Constrains generated tokens to a grammar (JSON schemas, GBNF, tool calls); nil: unconstrained.
    package var grammar: GrammarConstraint?

    package init(_ p: SamplingParameters) {
        parameters = p
        rng = SeededRandom(seed: p.seed ?? UInt64.random(in: 0...UInt64.max))
    }

    /// Re-seeds (after `/set parameter seed`).
    package mutating func reseed(_ seed: UInt64?) { rng = SeededRandom(seed: seed ?? UInt64.random(in: 0...UInt64.max)) }

    /// Records tokens that count for the repetition penalties (prompt and generated).
    package mutating func accept(_ t: Int32) {
        history.append(t)
        let keep = max(parameters.repeatLastN, 0)
        if history.count > 4 * keep + 64 { history.removeFirst(history.count - keep) }
    }

    package mutating func resetHistory() { history.removeAll() }

    package mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        let p = parameters
        let n = logits.count
        // 1. penalties: on a copy of the logits with the few affected entries changed (the scans below then read
        // plain memory, not a dictionary per entry)
        let lastN = p.repeatLastN < 0 ? history.count : min(p.repeatLastN, history.count)
        var penalize = false
        if lastN > 0, p.repeatPenalty != 1 || p.presencePenalty != 0 || p.frequencyPenalty != 0 {
            penalize = true
            if penalized.count != n { penalized = [Float](repeating: 0, count: n) }
            penalized.withUnsafeMutableBufferPointer { dst in
                _ = dst.initialize(from: logits)
                var counts: [Int32: Int] = [:]
                for t in history.suffix(lastN) { counts[t, default: 0] += 1 }
                for (t, c) in counts where Int(t) < n {
                    var l = logits[Int(t)]
                    if p.repeatPenalty != 1 { l = l <= 0 ? l * p.repeatPenalty : l / p.repeatPenalty }
                    l -= Float(c) * p.frequencyPenalty + (c > 0 ? p.presencePenalty : 0)
                    dst[Int(t)] = l
                }
            }
        }
        let tok = penalize ? penalized.withUnsafeBufferPointer { choose(from: $0, p) } : choose(from: logits, p)
        guard let grammar, !grammar.allows(tok) else { return tok }
        // The grammar rejects the draw: mask what it cannot accept and draw again (checking first is what keeps
        // constrained generation fast — most draws are accepted and never pay for the mask).
        if !penalize {
            if penalized.count != n { penalized = [Float](repeating: 0, count: n) }
            penalized.withUnsafeMutableBufferPointer { _ = $0.initialize(from: logits) }
        }
        penalized.withUnsafeMutableBufferPointer { grammar.mask($0) }
        if !penalized.contains(where: { $0 > -.infinity }) { return grammar.fallbackEnd ?? tok }
        return penalized.withUnsafeBufferPointer { choose(from: $0, p) }
    }

    /// Advances the grammar (if any) past a generated token; true when the grammar is complete and nothing may follow.
    @discardableResult
    package mutating func acceptGenerated(_ t: Int32) -> Bool {
        accept(t)
        guard let grammar else { return false }
        grammar.accept(t)
        return grammar.isFinished
    }

    /// Steps 2–6 on the (penalized) logits.
    private mutating func choose(from logit: UnsafeBufferPointer<Float>, _ p: SamplingParameters) -> Int32 {
        let n = logit.count
        if p.temperature <= 0 {
            var best = 0, bestV = logit[0]
            for i in 1..<n { let v = logit[i]; if v > bestV { best = i; bestV = v } }
            return Int32(best)
        }
        // 2. top-k via a bounded min-heap (k ≤ 0 keeps everything)
        ids.removeAll(keepingCapacity: true); values.removeAll(keepingCapacity: true)
        let k = p.topK > 0 ? min(p.topK, n) : n
        if k == n {
            for i in 0..<n { ids.append(Int32(i)); values.append(logit[i]) }
        } else {
            var heap = MinHeap(capacity: k)
            for i in 0..<n { heap.offer(logit[i], Int32(i)) }
            for (v, i) in heap.items { ids.append(i); values.append(v) }
        }
        var order = Array(0..<ids.count)
        order.sort { values[$0] > values[$1] || (values[$0] == values[$1] && ids[$0] < ids[$1]) }
        // 3. softmax (at temperature 1, as llama.cpp's top-p/min-p see it) and top-p
        let maxV = values[order[0]]
        var probs = order.map { Double(Float.exp(values[$0] - maxV)) }
        let total = probs.reduce(0, +)
        for i in probs.indices { probs[i] /= total }
        // tokens a grammar masked out (-inf) are never kept
        var keep = probs.count
        while keep > 1 && values[order[keep - 1]] == -.infinity { keep -= 1 }
        if p.topP < 1 {
            var cum = 0.0
            for (i, q) in probs.prefix(keep).enumerated() { cum += q; if cum >= Double(p.topP) { keep = i + 1; break } }
        }
        // 4. min-p
        if p.minP > 0 {
            let threshold = Double(p.minP) * probs[0]
            var m = 1
            while m < keep && probs[m] >= threshold { m += 1 }
            keep = m
        }
        // 5. temperature, 6. draw
        var weights = [Double](repeating: 0, count: keep)
        let t = Double(p.temperature)
        for i in 0..<keep { weights[i] = Double(Float.exp((values[order[i]] - maxV) / Float(t))) }
        let sum = weights.reduce(0, +)
        var r = rng.unit() * sum
        for i in 0..<keep {
            r -= weights[i]
            if r < 0 { return ids[order[i]] }
        }
        return ids[order[keep - 1]]
    }
}

/// A fixed-capacity min-heap of (value, id): keeps the k largest values seen.
struct MinHeap {
    private(set) var items: [(Float, Int32)] = []
    let capacity: Int
    init(capacity: Int) { self.capacity = capacity; items.reserveCapacity(capacity) }

    mutating func offer(_ v: Float, _ id: Int32) {
        if items.count < capacity {
            items.append((v, id)); siftUp(items.count - 1)
        } else if v > items[0].0 {
            items[0] = (v, id); siftDown(0)
        }
    }
    private mutating func siftUp(_ i0: Int) {
        var i = i0
        while i > 0 { let p = (i - 1) / 2; if items[i].0 < items[p].0 { items.swapAt(i, p); i = p } else { break } }
    }
    private mutating func siftDown(_ i0: Int) {
        var i = i0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && items[l].0 < items[m].0 { m = l }
            if r < items.count && items[r].0 < items[m].0 { m = r }
            if m == i { return }
            items.swapAt(i, m); i = m
        }
    }
}

import Foundation
extension Float {
    @inline(__always) static func exp(_ x: Float) -> Float { Foundation.exp(x) }
}
