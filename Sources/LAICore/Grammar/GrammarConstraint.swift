// GrammarConstraint: a grammar applied to generation — which tokens may come next, cheaply.
// The sampled token is checked first (a few cached transitions); only when it is rejected is the whole
// vocabulary masked, by walking a trie of the tokens' texts so a rejected prefix prunes every token under it.
import Foundation

/// A model's vocabulary as the grammar sees it: each token's text as code points (plus an unfinished UTF-8
/// tail), in a trie over code points. Built once per tokenizer (`GrammarVocabulary.shared(for:)`).
package final class GrammarVocabulary: @unchecked Sendable {
    package let count: Int
    let isEndOfGeneration: [Bool]
    let pieceBytes: [[UInt8]]
    // Per token: code points (flat), the unfinished UTF-8 tail after them (remaining -1: invalid, never allowed).
    let cpStart: [Int32]
    let cps: [UInt32]
    let tailValue: [UInt32]
    let tailRemaining: [Int8]
    // Trie in breadth-first order: node n's children are childStart[n] ..< childStart[n] + childCount[n];
    // `nodeCP` is the code point on the edge into a node; tokens ending at node n are tokensAt[tokStart[n] ..< tokStart[n+1]].
    let childStart: [Int32]
    let childCount: [Int32]
    let nodeCP: [UInt32]
    let tokStart: [Int32]
    let tokensAt: [Int32]

    package init(tokenizer: Tokenizer) {
        let n = tokenizer.vocabularySize
        count = n
        var eog = [Bool](repeating: false, count: n)
        for t in tokenizer.endOfGeneration where Int(t) < n && t >= 0 { eog[Int(t)] = true }
        isEndOfGeneration = eog
        var pieces: [[UInt8]] = []
        pieces.reserveCapacity(n)
        var starts: [Int32] = [0], flat: [UInt32] = []
        var tv = [UInt32](repeating: 0, count: n), tr = [Int8](repeating: -1, count: n)
        for id in 0..<n {
            let b = tokenizer.pieceBytes(Int32(id))
            pieces.append(b)
            if !b.isEmpty, !eog[id], let d = UTF8Partial.decode(b, from: .none) {
                flat += d.codePoints
                tv[id] = d.tail.value; tr[id] = Int8(d.tail.remaining)
            }
            starts.append(Int32(flat.count))
        }
        pieceBytes = pieces; cpStart = starts; cps = flat; tailValue = tv; tailRemaining = tr

        // Trie: sort the valid tokens by their code points, then lay nodes out breadth first.
        let valid = (0..<n).filter { tr[$0] >= 0 }.map { Int32($0) }
        func seq(_ t: Int32) -> ArraySlice<UInt32> { flat[Int(starts[Int(t)])..<Int(starts[Int(t) + 1])] }
        let sorted = valid.sorted { a, b in
            let x = seq(a), y = seq(b)
            return x.lexicographicallyPrecedes(y) || (x == y && a < b)
        }
        var cStart: [Int32] = [0], cCount: [Int32] = [0], cp: [UInt32] = [0]
        var tokLists: [[Int32]] = [[]]
        // (node, lo, hi, depth) over `sorted`
        var queue: [(Int, Int, Int, Int)] = [(0, 0, sorted.count, 0)]
        var head = 0
        while head < queue.count {
            let (node, lo0, hi, depth) = queue[head]; head += 1
            var lo = lo0
            while lo < hi && seq(sorted[lo]).count == depth { tokLists[node].append(sorted[lo]); lo += 1 }
            cStart[node] = Int32(cp.count)
            var k = lo
            while k < hi {
                let c = seq(sorted[k])[seq(sorted[k]).startIndex + depth]
                var e = k + 1
                while e < hi && seq(sorted[e])[seq(sorted[e]).startIndex + depth] == c { e += 1 }
                let child = cp.count
                cp.append(c); cStart.append(0); cCount.append(0); tokLists.append([])
                queue.append((child, k, e, depth + 1))
                k = e
            }
            cCount[node] = Int32(cp.count) - cStart[node]
        }
        childStart = cStart; childCount = cCount; nodeCP = cp
        var ts: [Int32] = [0], ta: [Int32] = []
        for l in tokLists { ta += l; ts.append(Int32(ta.count)) }
        tokStart = ts; tokensAt = ta
    }

    /// A cached vocabulary and (weakly) the tokenizer it was built from: an unloaded model's tokenizer may be
    /// freed and its address reused by another's, so the identity is checked, not just the address.
    private final class Entry {
        weak var tokenizer: Tokenizer?
        let vocabulary: GrammarVocabulary
        init(_ t: Tokenizer, _ v: GrammarVocabulary) { tokenizer = t; vocabulary = v }
    }
    nonisolated(unsafe) private static var cache: [ObjectIdentifier: Entry] = [:]
    private static let lock = NSLock()

    /// The vocabulary of `tokenizer`, built on first use and kept while the tokenizer lives.
    package static func shared(for tokenizer: Tokenizer) -> GrammarVocabulary {
        lock.withLock {
            let key = ObjectIdentifier(tokenizer)
            if let e = cache[key], e.tokenizer === tokenizer { return e.vocabulary }
            let v = GrammarVocabulary(tokenizer: tokenizer)
            cache = cache.filter { $0.value.tokenizer != nil }
            cache[key] = Entry(tokenizer, v)
            return v
        }
    }
}

/// An unfinished UTF-8 sequence: the bits so far and how many continuation bytes are missing
/// (`remaining` 0: none; llama.cpp's llama_partial_utf8).
package struct UTF8Partial: Equatable, Sendable {
    package var value: UInt32
    package var remaining: Int
    package static let none = UTF8Partial(value: 0, remaining: 0)

    /// Decodes `bytes` continuing `start`: the complete code points and the unfinished tail; nil when invalid.
    package static func decode(_ bytes: [UInt8], from start: UTF8Partial) -> (codePoints: [UInt32], tail: UTF8Partial)? {
        var out: [UInt32] = []
        var i = 0
        var value = start.value, remaining = start.remaining
        while i < bytes.count && remaining > 0 {
            guard bytes[i] >> 6 == 2 else { return nil }
            value = value << 6 | UInt32(bytes[i] & 0x3F); i += 1; remaining -= 1
        }
        if start.remaining > 0 && remaining == 0 { out.append(value) }
        while i < bytes.count {
            let b = bytes[i]
            let n: Int
            switch b >> 4 {
            case 0...7: n = 0
            case 12, 13: n = 1
            case 14: n = 2
            case 15: n = 3
            default: return nil  // a continuation byte where a character should start
            }
            value = UInt32(b) & UInt32((1 << (7 - n)) - 1)
            remaining = n
            i += 1
            while i < bytes.count && remaining > 0 { value = value << 6 | UInt32(bytes[i] & 0x3F); i += 1; remaining -= 1 }
            if remaining == 0 { out.append(value) }
        }
        return (out, UTF8Partial(value: remaining > 0 ? value : 0, remaining: remaining))
    }
}

/// A grammar applied to one generation. Lazy constraints (tool calls) wait until a trigger text appears in
/// the output, then constrain from the trigger on; if the text from the trigger on already breaks the grammar,
/// the constraint gives up and the output stays free text.
package final class GrammarConstraint: @unchecked Sendable {
    package let automaton: GrammarAutomaton
    let vocab: GrammarVocabulary
    private(set) var state: Int32
    private var partial = UTF8Partial.none
    private let triggers: [[UInt8]]
    private let triggerAtStartOnly: Bool
    private var produced: [UInt8] = []
    private var scanned = 0
    package private(set) var active: Bool
    package private(set) var abandoned = false
    private var allowed: [Bool] = []
    /// Statistics: tokens checked, and how many needed the full mask.
    package private(set) var checks = 0
    package private(set) var masks = 0

    /// With `triggerAtStartOnly`, a trigger counts only at the very start of the output (after whitespace).
    package init(grammar: Grammar, vocabulary: GrammarVocabulary, triggers: [String] = [], triggerAtStartOnly: Bool = false) throws {
        automaton = try GrammarAutomaton(grammar)
        vocab = vocabulary
        state = automaton.start
        self.triggers = triggers.filter { !$0.isEmpty }.map { Array($0.utf8) }
        self.triggerAtStartOnly = triggerAtStartOnly
        active = self.triggers.isEmpty
    }

    /// A fresh constraint with the same grammar (the automaton's caches are shared and reused).
    package init(sharing other: GrammarConstraint) {
        automaton = other.automaton; vocab = other.vocab; state = other.automaton.start
        triggers = other.triggers; triggerAtStartOnly = other.triggerAtStartOnly; active = triggers.isEmpty
    }

    /// True when the output so far is a complete match (an end-of-generation token is allowed).
    package var canEnd: Bool { !active || (partial.remaining == 0 && automaton.isAccepting(state)) }
    /// An end-of-generation token, for the rare dead end where the grammar allows no token at all.
    package var fallbackEnd: Int32? { vocab.isEndOfGeneration.firstIndex(of: true).map(Int32.init) }
    /// True when nothing more can follow: generation should stop.
    package var isFinished: Bool { active && partial.remaining == 0 && automaton.isFinished(state) }

    /// Whether `token` may come next.
    package func allows(_ token: Int32) -> Bool {
        guard active else { return true }
        let t = Int(token)
        guard t >= 0 && t < vocab.count else { return false }
        checks += 1
        if vocab.isEndOfGeneration[t] { return canEnd }
        if automaton.hasTokenTop[Int(state)], automaton.stepToken(state, token) != GrammarAutomaton.dead { return true }
        return advance(state, partial, t) != nil
    }

    /// The state after token `t`'s text, or nil when the grammar rejects it.
    private func advance(_ s0: Int32, _ p: UTF8Partial, _ t: Int) -> (Int32, UTF8Partial)? {
        var s = s0
        if p.remaining == 0 {
            guard vocab.tailRemaining[t] >= 0 else { return nil }
            for k in Int(vocab.cpStart[t])..<Int(vocab.cpStart[t + 1]) {
                s = automaton.step(s, vocab.cps[k])
                if s == GrammarAutomaton.dead { return nil }
            }
            let tail = UTF8Partial(value: vocab.tailValue[t], remaining: Int(vocab.tailRemaining[t]))
            if tail.remaining > 0, !automaton.acceptsPartial(s, value: tail.value, remaining: tail.remaining) { return nil }
            return (s, tail)
        }
        guard !vocab.pieceBytes[t].isEmpty, let d = UTF8Partial.decode(vocab.pieceBytes[t], from: p) else { return nil }
        for c in d.codePoints {
            s = automaton.step(s, c)
            if s == GrammarAutomaton.dead { return nil }
        }
        if d.tail.remaining > 0, !automaton.acceptsPartial(s, value: d.tail.value, remaining: d.tail.remaining) { return nil }
        return (s, d.tail)
    }

    /// Sets the logits of every token the grammar rejects to -infinity.
    package func mask(_ logits: UnsafeMutableBufferPointer<Float>) {
        guard active else { return }
        masks += 1
        let n = min(logits.count, vocab.count)
        if allowed.count != vocab.count { allowed = [Bool](repeating: false, count: vocab.count) }
        for i in 0..<allowed.count { allowed[i] = false }
        if partial.remaining == 0 {
            walkTrie()
        } else {
            for t in 0..<vocab.count where !vocab.isEndOfGeneration[t] { allowed[t] = advance(state, partial, t) != nil }
        }
        if automaton.hasTokenTop[Int(state)] { markTokenElements() }
        let end = canEnd
        for t in 0..<n where vocab.isEndOfGeneration[t] { allowed[t] = end }
        for t in 0..<n where !allowed[t] { logits[t] = -.infinity }
        for t in n..<logits.count { logits[t] = -.infinity }
    }

    /// Tokens that `<[id]>` / `!<[id]>` tops accept. Only the named ids need a step each: every other token passes
    /// exactly the `!<…>` tops, so one step for a representative decides them all (not one step per vocabulary entry).
    private func markTokenElements() {
        var named = Set<Int32>()
        var negated = false
        for stack in automaton.stacks(state) {
            guard let top = stack.last else { continue }
            let e = automaton.grammar.elements[Int(top)]
            if e.kind == .token || e.kind == .tokenNot { named.insert(Int32(bitPattern: e.value)) }
            if e.kind == .tokenNot { negated = true }
        }
        for t in named where t >= 0 && Int(t) < vocab.count && !allowed[Int(t)] {
            allowed[Int(t)] = automaton.stepToken(state, t) != GrammarAutomaton.dead
        }
        guard negated, let other = (0..<Int32(vocab.count)).first(where: { !named.contains($0) }),
              automaton.stepToken(state, other) != GrammarAutomaton.dead else { return }
        for t in 0..<vocab.count where !named.contains(Int32(t)) { allowed[t] = true }
    }

    private func walkTrie() {
        let a = automaton, v = vocab
        // tokens with no complete code point: only an unfinished tail
        for k in Int(v.tokStart[0])..<Int(v.tokStart[1]) {
            let t = Int(v.tokensAt[k])
            if v.tailRemaining[t] > 0, a.acceptsPartial(state, value: v.tailValue[t], remaining: Int(v.tailRemaining[t])) { allowed[t] = true }
        }
        var todo: [(Int32, Int32)] = [(0, state)]
        while let (node, s) = todo.popLast() {
            let c0 = Int(v.childStart[Int(node)])
            for c in c0..<c0 + Int(v.childCount[Int(node)]) {
                let ns = a.step(s, v.nodeCP[c])
                if ns == GrammarAutomaton.dead { continue }
                for k in Int(v.tokStart[c])..<Int(v.tokStart[c + 1]) {
                    let t = Int(v.tokensAt[k])
                    let r = Int(v.tailRemaining[t])
                    if r == 0 || a.acceptsPartial(ns, value: v.tailValue[t], remaining: r) { allowed[t] = true }
                }
                if v.childCount[c] > 0 { todo.append((Int32(c), ns)) }
            }
        }
    }

    /// Advances past a generated token (which `allows` accepted, or which arrives before a lazy trigger).
    package func accept(_ token: Int32) {
        let t = Int(token)
        guard t >= 0 && t < vocab.count, !vocab.isEndOfGeneration[t] else { return }
        guard active else {
            guard !triggers.isEmpty, !abandoned else { return }
            produced += vocab.pieceBytes[t]
            activateIfTriggered()
            return
        }
        if automaton.hasTokenTop[Int(state)] {
            let s = automaton.stepToken(state, token)
            if s != GrammarAutomaton.dead { state = s; partial = .none; return }
        }
        if let (s, p) = advance(state, partial, t) { state = s; partial = p } else {
            // not allowed (the caller ignored the mask): stop constraining rather than mask everything from now on
            active = false; abandoned = true
        }
        if automaton.stateCount > GrammarAutomaton.maxStates { state = automaton.compact(keeping: state) }
    }

    private func activateIfTriggered() {
        var at: Int? = nil
        if triggerAtStartOnly {
            let lead = produced.prefix { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }.count
            let rest = produced[lead...]
            var waiting = false
            for trig in triggers {
                if rest.starts(with: trig) { at = lead; break }
                if rest.count < trig.count && trig.starts(with: rest) { waiting = true }
            }
            if at == nil { if !waiting { abandoned = true }; return }
        }
        if at == nil {
            // only where a trigger could end in the bytes added since the last look
            for trig in triggers where trig.count <= produced.count {
                var i = max(0, scanned - trig.count + 1)
                while i + trig.count <= produced.count {
                    if produced[i] == trig[0] && produced[i..<i + trig.count].elementsEqual(trig) { at = min(at ?? i, i); break }
                    i += 1
                }
            }
            scanned = produced.count
        }
        guard let at else { return }
        active = true
        state = automaton.start; partial = .none
        guard let d = UTF8Partial.decode(Array(produced[at...]), from: .none) else { active = false; abandoned = true; return }
        for c in d.codePoints {
            state = automaton.step(state, c)
            if state == GrammarAutomaton.dead { active = false; abandoned = true; return }
        }
        partial = d.tail
        produced = []
    }
}
