// GrammarAutomaton: the pushdown recogniser of a Grammar (llama.cpp's stacks), with each distinct set of stacks
// interned as a state and its transitions cached, so matching a character is usually one table lookup.

/// Matches code points against a grammar. A state is a set of stacks of positions in `grammar.elements`, each
/// stack's top a terminal (a character set or a token); the empty stack means "the grammar may end here".
/// States are interned; `step(state, codePoint)` caches its answer (ASCII in a flat table, the rest in a dictionary).
package final class GrammarAutomaton: @unchecked Sendable {
    package let grammar: Grammar
    private var stateStacks: [[[Int32]]] = []
    private var stateIDs: [[[Int32]]: Int32] = [:]
    /// Per state: some stack is empty (the input so far is a complete match).
    private(set) var accepting: [Bool] = []
    /// Per state: the only stack is the empty one (nothing more can follow).
    private(set) var finished: [Bool] = []
    /// Per state: some stack's top is a token element.
    private(set) var hasTokenTop: [Bool] = []
    private var asciiNext: [Int32] = []      // state * 128 + cp → next state, -1 dead, -2 not computed
    private var otherNext: [UInt64: Int32] = [:]
    package static let dead: Int32 = -1
    /// Beyond this many states the caches are dropped (a long, deeply nested output can make many).
    static let maxStates = 50_000
    /// Past this many simultaneous stacks a grammar is too ambiguous to match in bounded time.
    static let maxStacks = 20_000
    package private(set) var start: Int32 = 0

    package init(_ grammar: Grammar) throws {
        self.grammar = grammar
        var out = Set<[Int32]>()
        try advance([grammar.ruleStartRef], into: &out)
        start = intern(out)
    }

    package var stateCount: Int { stateStacks.count }
    package func stacks(_ state: Int32) -> [[Int32]] { stateStacks[Int(state)] }
    package func isAccepting(_ s: Int32) -> Bool { accepting[Int(s)] }
    package func isFinished(_ s: Int32) -> Bool { finished[Int(s)] }

    private func intern(_ set: Set<[Int32]>) -> Int32 {
        let key = set.sorted { $0.lexicographicallyPrecedes($1) }
        if let id = stateIDs[key] { return id }
        let id = Int32(stateStacks.count)
        stateStacks.append(key)
        stateIDs[key] = id
        accepting.append(key.contains { $0.isEmpty })
        finished.append(key.count == 1 && key[0].isEmpty)
        hasTokenTop.append(key.contains { s in s.last.map { let k = grammar.elements[Int($0)].kind; return k == .token || k == .tokenNot } ?? false })
        asciiNext.append(contentsOf: repeatElement(-2, count: 128))
        return id
    }

    /// Drops every cached state but `keep`, which is re-interned; returns its new id.
    package func compact(keeping keep: Int32) -> Int32 {
        let stacks = stateStacks[Int(keep)]
        stateStacks.removeAll(); stateIDs.removeAll(); accepting.removeAll(); finished.removeAll()
        hasTokenTop.removeAll(); asciiNext.removeAll(); otherNext.removeAll()
        var first = Set<[Int32]>()
        try? advance([grammar.ruleStartRef], into: &first)
        start = intern(first)
        return intern(Set(stacks))
    }

    /// The state after `cp`, or `dead`.
    @inline(__always) package func step(_ state: Int32, _ cp: UInt32) -> Int32 {
        if cp < 128 {
            let k = Int(state) &* 128 &+ Int(cp)
            let v = asciiNext[k]
            if v != -2 { return v }
            let n = computeStep(state, cp)
            asciiNext[Int(state) &* 128 &+ Int(cp)] = n
            return n
        }
        let key = UInt64(UInt32(bitPattern: state)) << 32 | UInt64(cp)
        if let v = otherNext[key] { return v }
        let n = computeStep(state, cp)
        otherNext[key] = n
        return n
    }

    /// The state after a token consumed as a whole (`<[id]>` / `!<[id]>` elements), or `dead`.
    package func stepToken(_ state: Int32, _ token: Int32) -> Int32 {
        guard hasTokenTop[Int(state)] else { return GrammarAutomaton.dead }
        var out = Set<[Int32]>()
        for stack in stateStacks[Int(state)] {
            guard let top = stack.last else { continue }
            let e = grammar.elements[Int(top)]
            let hit = (e.kind == .token && e.value == UInt32(token)) || (e.kind == .tokenNot && e.value != UInt32(token))
            guard hit else { continue }
            var next = Array(stack.dropLast())
            if !grammar.isEndOfSequence(Int(top) + 1) { next.append(top + 1) }
            do { try advance(next, into: &out) } catch { return GrammarAutomaton.dead }
        }
        return out.isEmpty ? GrammarAutomaton.dead : intern(out)
    }

    private func computeStep(_ state: Int32, _ cp: UInt32) -> Int32 {
        var out = Set<[Int32]>()
        for stack in stateStacks[Int(state)] {
            guard let top = stack.last else { continue }
            let (ok, after) = matchChar(Int(top), cp)
            guard ok else { continue }
            var next = Array(stack.dropLast())
            if !grammar.isEndOfSequence(after) { next.append(Int32(after)) }
            do { try advance(next, into: &out) } catch { return GrammarAutomaton.dead }
        }
        return out.isEmpty ? GrammarAutomaton.dead : intern(out)
    }

    /// Whether the character set at `pos` matches `cp`, and the position after the set.
    @inline(__always) func matchChar(_ pos0: Int, _ cp: UInt32) -> (Bool, Int) {
        let els = grammar.elements
        var pos = pos0
        let kind = els[pos].kind
        guard kind == .char || kind == .charNot || kind == .charAny else { return (false, pos) }
        let positive = kind != .charNot
        var found = false
        repeat {
            if els[pos + 1].kind == .rangeUpper {
                found = found || (els[pos].value <= cp && cp <= els[pos + 1].value)
                pos += 2
            } else if els[pos].kind == .charAny {
                found = true
                pos += 1
            } else {
                found = found || els[pos].value == cp
                pos += 1
            }
        } while els[pos].kind == .charAlt
        return (found == positive, pos)
    }

    /// Whether some completion of an unfinished UTF-8 sequence could be accepted in `state` (llama.cpp's rule).
    package func acceptsPartial(_ state: Int32, value: UInt32, remaining: Int) -> Bool {
        if remaining < 0 || (remaining == 1 && value < 2) { return false }
        var low = value << UInt32(remaining * 6)
        let high = low | ((1 << UInt32(remaining * 6)) - 1)
        if low == 0 { if remaining == 2 { low = 1 << 11 } else if remaining == 3 { low = 1 << 16 } }
        let els = grammar.elements
        for stack in stateStacks[Int(state)] {
            guard let top = stack.last else { continue }
            var pos = Int(top)
            let kind = els[pos].kind
            guard kind == .char || kind == .charNot || kind == .charAny else { continue }
            let positive = kind != .charNot
            var result = !positive
            repeat {
                if els[pos + 1].kind == .rangeUpper {
                    if els[pos].value <= high && low <= els[pos + 1].value { result = positive; break }
                    pos += 2
                } else if els[pos].kind == .charAny {
                    result = true; break
                } else {
                    if low <= els[pos].value && els[pos].value <= high { result = positive; break }
                    pos += 1
                }
            } while els[pos].kind == .charAlt
            if result { return true }
        }
        return false
    }

    /// Expands `stack` until every resulting stack is empty or has a terminal on top (llama.cpp's advance_stack).
    private func advance(_ stack: [Int32], into out: inout Set<[Int32]>) throws {
        var todo = [stack]
        var seen = Set<[Int32]>()
        let els = grammar.elements
        while let cur = todo.popLast() {
            guard seen.insert(cur).inserted else { continue }
            guard let top = cur.last else { out.insert(cur); continue }
            let e = els[Int(top)]
            if e.kind == .ruleRef {
                var sub = Int(grammar.ruleStart[Int(e.value)])
                while true {
                    var next = Array(cur.dropLast())
                    if !grammar.isEndOfSequence(Int(top) + 1) { next.append(top + 1) }
                    if !grammar.isEndOfSequence(sub) { next.append(Int32(sub)) }
                    todo.append(next)
                    while !grammar.isEndOfSequence(sub) { sub += 1 }
                    if els[sub].kind == .alt { sub += 1 } else { break }
                }
            } else {
                out.insert(cur)
            }
            if out.count > GrammarAutomaton.maxStacks || seen.count > 4 * GrammarAutomaton.maxStacks {
                throw GrammarError("the grammar is too ambiguous here (more than \(GrammarAutomaton.maxStacks) parses at once)")
            }
        }
    }

    /// Whether `text` is matched completely (what llama.cpp's gbnf validator checks).
    package func matches(_ text: String) -> Bool {
        var s = start
        for u in text.unicodeScalars {
            s = step(s, u.value)
            if s == GrammarAutomaton.dead { return false }
        }
        return isAccepting(s)
    }
}

extension Grammar {
    /// A one-element stack that expands to the root rule's alternatives.
    var ruleStartRef: Int32 { Int32(elements.count - 2) }
}
