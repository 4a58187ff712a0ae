// GrammarSamples: random strings a grammar accepts, and near misses — to show what a grammar means
// (`lai grammar sample`) and to compare our recogniser with llama.cpp's on inputs neither side chose.

extension GrammarAutomaton {
    /// The characters some stack of `state` can match next, as inclusive ranges (negated sets and `.` become
    /// the printable ASCII they admit, plus a few non-ASCII letters).
    func nextCharacters(_ state: Int32) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        let els = grammar.elements
        let probe: [UInt32] = Array(0x20...0x7E) + [0x0A, 0x09, 0xE9, 0x4E2D, 0x1F600]
        for stack in stacks(state) {
            guard let top = stack.last else { continue }
            let k = els[Int(top)].kind
            if k == .char {
                var pos = Int(top)
                repeat {
                    if els[pos + 1].kind == .rangeUpper { out.append(els[pos].value...max(els[pos].value, els[pos + 1].value)); pos += 2 }
                    else { out.append(els[pos].value...els[pos].value); pos += 1 }
                } while els[pos].kind == .charAlt
            } else if k == .charNot || k == .charAny {
                for c in probe where matchChar(Int(top), c).0 { out.append(c...c) }
            }
        }
        return out
    }
}

/// Random strings from a grammar: derivations (accepted), and each with one random edit (usually rejected).
package struct GrammarSampler {
    let automaton: GrammarAutomaton
    var rng: SeededRandom

    package init(grammar: Grammar, seed: UInt64) throws {
        automaton = try GrammarAutomaton(grammar)
        rng = SeededRandom(seed: seed)
    }

    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(rng.unit() * Double(n)) % n }

    /// A random accepted string of at most about `maxLength` characters (nil if none was found in a few tries).
    package mutating func derive(maxLength: Int = 80) -> String? {
        for _ in 0..<8 {
            var s = automaton.start
            var out = String.UnicodeScalarView()
            var ok = false
            for i in 0..<(maxLength * 2) {
                let canStop = automaton.isAccepting(s)
                if canStop && (automaton.isFinished(s) || rng.unit() < (i >= maxLength ? 0.6 : 0.03)) { ok = true; break }
                let ranges = automaton.nextCharacters(s)
                if ranges.isEmpty { ok = canStop; break }
                let r = ranges[below(ranges.count)]
                let span = Int(r.upperBound - r.lowerBound)
                let c = r.lowerBound + UInt32(below(min(span, 1 << 20) + 1))
                guard let u = Unicode.Scalar(c) else { continue }
                let n = automaton.step(s, c)
                if n == GrammarAutomaton.dead { break }
                s = n; out.append(u)
            }
            if ok { return String(out) }
        }
        return nil
    }

    /// `text` with one random character inserted, deleted or replaced.
    package mutating func mutate(_ text: String) -> String {
        var u = Array(text.unicodeScalars)
        let alphabet = Array("{}[]\",:0123456789 -.abcxyz\\\n".unicodeScalars)
        let c = alphabet[below(alphabet.count)]
        switch below(3) {
        case 0: u.insert(c, at: below(u.count + 1))
        case 1: if !u.isEmpty { u.remove(at: below(u.count)) } else { u.append(c) }
        default: if !u.isEmpty { u[below(u.count)] = c } else { u.append(c) }
        }
        var s = String.UnicodeScalarView(); s.append(contentsOf: u)
        return String(s)
    }
}
