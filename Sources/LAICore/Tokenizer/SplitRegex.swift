// SplitRegex: a small backtracking regex engine for the pre-tokenizer patterns that have no hand-written splitter.

/// Compiles one of llama.cpp's pre-tokenizer regexes (ECMAScript subset) and splits text with it.
///
/// llama.cpp runs such patterns through `std::regex` in one of two modes, and this engine reproduces both:
/// * patterns using `\p{..}` see a *collapsed* text: ASCII stays as is, other whitespace becomes `\v`,
///   every other code point becomes one marker byte for its category (0xD1 N, 0xD2 L, 0xD3 P, 0xD4 M,
///   0xD5 S, 0xD0 other), and `\p{X}` matches the marker plus X's ASCII members (llama.cpp's list, in
///   which `~` is neither P nor S);
/// * other patterns see the code points, non-ASCII whitespace replaced by `\v`.
/// Matching is leftmost, alternatives in order, greedy quantifiers with backtracking (ECMAScript).
/// Supported: literals, escapes, `.`, classes with ranges/negation/`\s\d\w\p{}`, groups `(..)` `(?:..)`,
/// lookahead `(?=..)` `(?!..)`, `| * + ? {n} {n,} {n,m}`, `^`, `$`.
package final class SplitRegex: @unchecked Sendable {
    struct CharClass {
        var ranges: [(UInt32, UInt32)] = []
        var negated = false
        @inline(__always) func matches(_ u: UInt32) -> Bool {
            var hit = false
            for r in ranges where u >= r.0 && u <= r.1 { hit = true; break }
            return hit != negated
        }
    }
    indirect enum Node {
        case cls(CharClass)
        case seq([Node])
        case alt([Node])
        case rep(Node, Int, Int)        // min, max (Int.max = unbounded)
        case look(Node, Bool)           // negated
        case begin, end
    }

    let root: Node
    let collapsed: Bool
    package let pattern: String

    package init?(_ pattern: String) {
        self.pattern = pattern
        let cps = pattern.unicodeScalars.map(\.value)
        collapsed = pattern.contains("\\p{")
        var p = Parser(cps: cps, collapsed: collapsed)
        guard let n = p.parseAlt(), p.i == cps.count else { return nil }
        root = n
    }

    /// The unit each code point is matched as (see the type's comment).
    @inline(__always)
    func unit(_ cp: UInt32) -> UInt32 {
        if cp < 0x80 { return cp }
        let f = UnicodeFlags.of(cp)
        if f.isWhitespace { return 0x0B }
        guard collapsed else { return cp }
        switch f.rawValue & UnicodeFlags.categories {
        case UnicodeFlags.number.rawValue: return 0xD1
        case UnicodeFlags.letter.rawValue: return 0xD2
        case UnicodeFlags.punctuation.rawValue: return 0xD3
        case UnicodeFlags.mark.rawValue: return 0xD4
        case UnicodeFlags.symbol.rawValue: return 0xD5
        default: return 0xD0
        }
    }

    /// Splits each piece `[start, end)` of `cps` into matches and the gaps between them (both kept, like
    /// llama.cpp's `unicode_regex_split_stl`); empty pieces are dropped since they produce no tokens.
    package func split(_ cps: [UInt32], pieces: [Range<Int>]) -> [Range<Int>] {
        var units = [UInt32](repeating: 0, count: cps.count)
        for i in 0..<cps.count { units[i] = unit(cps[i]) }
        var out: [Range<Int>] = []
        out.reserveCapacity(pieces.count * 2)
        units.withUnsafeBufferPointer { u in
            for piece in pieces {
                var m = Matcher(u: u, lo: piece.lowerBound, hi: piece.upperBound)
                var last = piece.lowerBound
                var from = piece.lowerBound
                while from <= piece.upperBound {
                    guard let (s, e) = m.find(root, from: from) else { break }
                    if s > last { out.append(last..<s) }
                    if e > s { out.append(s..<e) }
                    last = e
                    from = e > s ? e : s + 1
                }
                if last < piece.upperBound { out.append(last..<piece.upperBound) }
            }
        }
        return out
    }

    struct Matcher {
        let u: UnsafeBufferPointer<UInt32>
        let lo: Int, hi: Int

        mutating func find(_ root: Node, from: Int) -> (Int, Int)? {
            var s = from
            while s <= hi {
                var end = -1
                if match(root, s, { e in end = e; return true }) { return (s, end) }
                s += 1
            }
            return nil
        }

        func match(_ n: Node, _ pos: Int, _ k: (Int) -> Bool) -> Bool {
            switch n {
            case let .cls(c):
                return pos < hi && c.matches(u[pos]) && k(pos + 1)
            case let .seq(items):
                return seq(items, 0, pos, k)
            case let .alt(items):
                for it in items where match(it, pos, k) { return true }
                return false
            case let .rep(child, mn, mx):
                if case let .cls(c) = child {
                    var n = 0
                    while n < mx && pos + n < hi && c.matches(u[pos + n]) { n += 1 }
                    if n < mn { return false }
                    var j = n
                    while j >= mn { if k(pos + j) { return true }; j -= 1 }
                    return false
                }
                return rep(child, mn, mx, 0, pos, k)
            case let .look(child, neg):
                let found = match(child, pos, { _ in true })
                return found != neg && k(pos)
            case .begin:
                return pos == lo && k(pos)
            case .end:
                return pos == hi && k(pos)
            }
        }

        func seq(_ items: [Node], _ i: Int, _ pos: Int, _ k: (Int) -> Bool) -> Bool {
            if i == items.count { return k(pos) }
            return match(items[i], pos, { p in seq(items, i + 1, p, k) })
        }

        func rep(_ child: Node, _ mn: Int, _ mx: Int, _ count: Int, _ pos: Int, _ k: (Int) -> Bool) -> Bool {
            if count < mx {
                let more = match(child, pos, { p in
                    if p == pos && count >= mn { return false }   // an empty iteration cannot help
                    return rep(child, mn, mx, count + 1, p, k)
                })
                if more { return true }
            }
            return count >= mn && k(pos)
        }
    }

    struct Parser {
        let cps: [UInt32]
        let collapsed: Bool
        var i = 0

        func peek(_ o: Int = 0) -> UInt32? { i + o < cps.count ? cps[i + o] : nil }

        mutating func parseAlt() -> Node? {
            var alts: [Node] = []
            guard let first = parseSeq() else { return nil }
            alts.append(first)
            while peek() == 0x7C {  // |
                i += 1
                guard let n = parseSeq() else { return nil }
                alts.append(n)
            }
            return alts.count == 1 ? alts[0] : .alt(alts)
        }

        mutating func parseSeq() -> Node? {
            var items: [Node] = []
            while let c = peek(), c != 0x7C, c != 0x29 {
                guard var atom = parseAtom() else { return nil }
                // quantifiers
                while let q = peek() {
                    var mn = 0, mx = Int.max
                    if q == 0x2A { i += 1 }                       // *
                    else if q == 0x2B { i += 1; mn = 1 }          // +
                    else if q == 0x3F { i += 1; mx = 1 }          // ?
                    else if q == 0x7B, let (a, b) = parseBraces() { mn = a; mx = b }
                    else { break }
                    atom = .rep(atom, mn, mx)
                }
                items.append(atom)
            }
            return items.count == 1 ? items[0] : .seq(items)
        }

        mutating func parseBraces() -> (Int, Int)? {
            var j = i + 1
            func num(_ j: inout Int) -> Int? {
                var v = 0, any = false
                while j < cps.count, cps[j] >= 0x30, cps[j] <= 0x39 { v = v * 10 + Int(cps[j] - 0x30); j += 1; any = true }
                return any ? v : nil
            }
            guard let a = num(&j) else { return nil }
            var b = a
            if j < cps.count, cps[j] == 0x2C { j += 1; b = num(&j) ?? Int.max }
            guard j < cps.count, cps[j] == 0x7D else { return nil }
            i = j + 1
            return (a, b)
        }

        mutating func parseAtom() -> Node? {
            guard let c = peek() else { return nil }
            switch c {
            case 0x28: // (
                i += 1
                var look: Bool? = nil
                if peek() == 0x3F {  // ?
                    if peek(1) == 0x3A { i += 2 }
                    else if peek(1) == 0x3D { i += 2; look = false }
                    else if peek(1) == 0x21 { i += 2; look = true }
                    else { return nil }
                }
                guard let inner = parseAlt(), peek() == 0x29 else { return nil }
                i += 1
                if let neg = look { return .look(inner, neg) }
                return inner
            case 0x5B: return parseClass()
            case 0x5E: i += 1; return .begin
            case 0x24: i += 1; return .end
            case 0x2E: i += 1; return .cls(CharClass(ranges: [(0x0A, 0x0A), (0x0D, 0x0D)], negated: true))
            case 0x5C:
                i += 1
                var cls = CharClass()
                guard escape(into: &cls) else { return nil }
                return .cls(cls)
            default:
                i += 1
                return .cls(CharClass(ranges: [(c, c)]))
            }
        }

        /// Parses the escape after a backslash into `cls` (adds ranges; `\S \D \W` outside classes negate).
        mutating func escape(into cls: inout CharClass, inClass: Bool = false) -> Bool {
            guard let e = peek() else { return false }
            i += 1
            let space: [(UInt32, UInt32)] = [(0x09, 0x0D), (0x20, 0x20)]
            let digit: [(UInt32, UInt32)] = [(0x30, 0x39)]
            let word: [(UInt32, UInt32)] = [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A), (0x5F, 0x5F)]
            func complement(_ r: [(UInt32, UInt32)]) -> [(UInt32, UInt32)] {
                var out: [(UInt32, UInt32)] = []; var lo: UInt32 = 0
                for (a, b) in r.sorted(by: { $0.0 < $1.0 }) { if a > lo { out.append((lo, a - 1)) }; lo = b + 1 }
                out.append((lo, 0x10FFFF)); return out
            }
            switch e {
            case 0x73: cls.ranges += space          // s
            case 0x53: cls.ranges += complement(space)
            case 0x64: cls.ranges += digit          // d
            case 0x44: cls.ranges += complement(digit)
            case 0x77: cls.ranges += word           // w
            case 0x57: cls.ranges += complement(word)
            case 0x6E: cls.ranges.append((0x0A, 0x0A))  // n
            case 0x72: cls.ranges.append((0x0D, 0x0D))  // r
            case 0x74: cls.ranges.append((0x09, 0x09))  // t
            case 0x76: cls.ranges.append((0x0B, 0x0B))  // v
            case 0x66: cls.ranges.append((0x0C, 0x0C))  // f
            case 0x70:                                  // p{X}
                guard peek() == 0x7B else { return false }
                var name = ""
                i += 1
                while let c = peek(), c != 0x7D { name.unicodeScalars.append(Unicode.Scalar(c) ?? "?"); i += 1 }
                guard peek() == 0x7D else { return false }
                i += 1
                guard collapsed, let r = Parser.category(name) else { return false }
                cls.ranges += r
            default: cls.ranges.append((e, e))
            }
            return true
        }

        /// llama.cpp's collapsed members of `\p{name}`: its marker byte plus its ASCII list.
        static func category(_ name: String) -> [(UInt32, UInt32)]? {
            switch name {
            case "N": return [(0xD1, 0xD1), (0x30, 0x39)]
            case "L", "Lu", "Ll", "Lt", "Lm", "Lo": return [(0xD2, 0xD2), (0x41, 0x5A), (0x61, 0x7A)]
            case "P": return [(0xD3, 0xD3), (0x21, 0x23), (0x25, 0x2A), (0x2C, 0x2F), (0x3A, 0x3B), (0x3F, 0x40),
                              (0x5B, 0x5D), (0x5F, 0x5F), (0x7B, 0x7B), (0x7D, 0x7D)]
            case "M": return [(0xD4, 0xD4)]
            case "S": return [(0xD5, 0xD5), (0x24, 0x24), (0x2B, 0x2B), (0x3C, 0x3E), (0x5E, 0x5E), (0x60, 0x60), (0x7C, 0x7C)]
            default: return nil
            }
        }

        mutating func parseClass() -> Node? {
            i += 1  // [
            var cls = CharClass()
            if peek() == 0x5E { cls.negated = true; i += 1 }
            var first = true
            while let c = peek(), c != 0x5D || first {
                first = false
                var lo: UInt32
                if c == 0x5C {
                    i += 1
                    var sub = CharClass()
                    guard escape(into: &sub, inClass: true) else { return nil }
                    if sub.ranges.count == 1 && sub.ranges[0].0 == sub.ranges[0].1 { lo = sub.ranges[0].0 }
                    else { cls.ranges += sub.ranges; continue }
                } else { lo = c; i += 1 }
                // range a-b
                if peek() == 0x2D, let nx = peek(1), nx != 0x5D {
                    i += 1
                    var hi: UInt32
                    if nx == 0x5C {
                        i += 1
                        var sub = CharClass()
                        guard escape(into: &sub, inClass: true), sub.ranges.count == 1 else { return nil }
                        hi = sub.ranges[0].0
                    } else { hi = nx; i += 1 }
                    if hi < lo { return nil }
                    cls.ranges.append((lo, hi))
                } else {
                    cls.ranges.append((lo, lo))
                }
            }
            guard peek() == 0x5D else { return nil }
            i += 1
            return .cls(cls)
        }
    }
}
