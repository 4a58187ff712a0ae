// Tokenizer+Encode: text -> token ids (special-token partition, then BPE / SentencePiece / WordPiece; Unigram is in
// Tokenizer+UGM).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Tokenizer {
    /// One piece of the text after special tokens are split out (llama.cpp's fragment_buffer_variant).
    enum Fragment { case text(Int, Int), token(Int32) }   // (byte offset, byte length)

    /// Tokenizes `text` exactly like llama.cpp's `llama_tokenize(vocab, text, add_special, parse_special)`.
    ///
    /// - addSpecial: add BOS/EOS (and WordPiece's CLS/SEP) as the vocabulary asks (`addBOS`, `addEOS`).
    /// - parseSpecial: recognise control tokens such as `<|im_start|>` in the text; user-defined tokens
    ///   are always recognised, as in llama.cpp.
    package func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = false) -> [Int32] {
        let bytes = Array(text.utf8)
        var out: [Int32] = []
        out.reserveCapacity(bytes.count / 3 + 4)
        let fragments = bytes.isEmpty ? [] : partition(bytes, parseSpecial: parseSpecial)
        bytes.withUnsafeBufferPointer { buf in
            switch kind {
            case .spm:
                if addSpecial && addBOS, let b = bos { out.append(b) }
                var prevSpecial = true
                var scratch = SPMScratch()
                for f in fragments {
                    switch f {
                    case let .text(o, n):
                        encodeSPM(UnsafeBufferPointer(rebasing: buf[o..<(o + n)]), spacePrefix: addSpacePrefix && prevSpecial,
                                  into: &out, scratch: &scratch)
                        prevSpecial = false
                    case let .token(t):
                        out.append(t); prevSpecial = true
                    }
                }
                if addSpecial && addEOS, let e = eos { out.append(e) }
            case .bpe:
                if addSpecial && addBOS, let b = bos { out.append(b) }
                var scratch = BPEScratch()
                for f in fragments {
                    switch f {
                    case let .text(o, n): encodeBPE(UnsafeBufferPointer(rebasing: buf[o..<(o + n)]), into: &out, scratch: &scratch)
                    case let .token(t): out.append(t)
                    }
                }
                if addSpecial && addEOS, let e = eos { out.append(e) }
            case .wpm:
                if addSpecial && addBOS, let b = bos { out.append(b) }
                for f in fragments {
                    switch f {
                    case let .text(o, n): encodeWPM(UnsafeBufferPointer(rebasing: buf[o..<(o + n)]), into: &out)
                    case let .token(t): out.append(t)
                    }
                }
                // [SEP] closes the text; files converted by newer tools say so through add_eos_token
                // (eos = [SEP]) instead of add_sep_token.
                if addSpecial {
                    if addSep, let s = sep { out.append(s) } else if addEOS, let e = eos { out.append(e) }
                }
            case .ugm:
                if addSpecial && addBOS, let b = bos { out.append(b) }
                var scratch = UGMScratch()
                for f in fragments {
                    switch f {
                    case let .text(o, n): encodeUGM(UnsafeBufferPointer(rebasing: buf[o..<(o + n)]), into: &out, scratch: &scratch)
                    case let .token(t): out.append(t)
                    }
                }
                if addSpecial && addEOS, let e = eos { out.append(e) }
            }
        }
        return out
    }

    // MARK: - Special tokens

    /// Splits special-token texts out of `bytes`, longest token first (llama.cpp's tokenizer_st_partition).
    func partition(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var frags: [Fragment] = [.text(0, bytes.count)]
        bytes.withUnsafeBufferPointer { hay in
            textBytes.withUnsafeBufferPointer { tb in
                for id in specialTokens {
                    let a = attrs[Int(id)]
                    if !parseSpecial && !a.isDisjoint(with: [.control, .unknown]) { continue }
                    let ts = textStarts[Int(id)], tl = textStarts[Int(id) + 1] - ts
                    guard let needle = tb.baseAddress.map({ $0 + ts }), let hb = hay.baseAddress else { continue }
                    // fast reject: the token occurs nowhere in the text
                    if Tokenizer.search(hb, hay.count, needle, tl) == nil { continue }
                    var next: [Fragment] = []
                    next.reserveCapacity(frags.count + 2)
                    for f in frags {
                        guard case var .text(off, len) = f else { next.append(f); continue }
                        while true {
                            guard let p = Tokenizer.search(hb + off, len, needle, tl) else { next.append(.text(off, len)); break }
                            let match = off + p
                            if match > off {
                                var leftLen = match - off
                                if a.contains(.lstrip) { while leftLen > 0 && isSpace(hay[off + leftLen - 1]) { leftLen -= 1 } }
                                if leftLen > 0 { next.append(.text(off, leftLen)) }
                            }
                            next.append(.token(id))
                            var rOff = match + tl
                            var rLen = off + len - rOff
                            if rLen <= 0 { break }
                            if a.contains(.rstrip) { while rLen > 0 && isSpace(hay[rOff]) { rOff += 1; rLen -= 1 } }
                            if rLen <= 0 { break }
                            off = rOff; len = rLen
                        }
                    }
                    frags = next
                }
            }
        }
        return frags
    }

    /// First occurrence of `needle` in `hay` (memchr on the first byte, then memcmp); glibc's memmem is not exported to Swift.
    static func search(_ hay: UnsafePointer<UInt8>, _ n: Int, _ needle: UnsafePointer<UInt8>, _ m: Int) -> Int? {
        if m == 0 || m > n { return nil }
        let first = Int32(needle[0])
        var i = 0
        let last = n - m
        while i <= last {
            guard let p = memchr(hay + i, first, last - i + 1) else { return nil }
            let j = UnsafeRawPointer(p) - UnsafeRawPointer(hay)
            if memcmp(hay + j, needle, m) == 0 { return j }
            i = j + 1
        }
        return nil
    }

    @inline(__always) private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    // MARK: - Byte-level BPE

    struct BPEScratch {
        var ids: [Int32] = []
        var prev: [Int32] = []
        var next: [Int32] = []
        /// Byte offset of each initial symbol in the word, plus the word's length.
        var starts: [Int32] = []
        var heap: [(key: UInt64, right: Int32, lid: Int32, rid: Int32)] = []
    }

    func encodeBPE(_ text: UnsafeBufferPointer<UInt8>, into out: inout [Int32], scratch: inout BPEScratch) {
        guard let pre = preTokenizer else { return }
        if !byteLevel {
            // SentencePiece-style BPE (llama.cpp's escape_whitespaces): spaces become ▁ before splitting
            var escaped: [UInt8] = []
            escaped.reserveCapacity(text.count + 16)
            for b in text { if b == 0x20 { escaped.append(contentsOf: [0xE2, 0x96, 0x81]) } else { escaped.append(b) } }
            escaped.withUnsafeBufferPointer { e in
                let (cps, offs) = UnicodeText.codePoints(e)
                for w in pre.split(cps) {
                    let word = UnsafeBufferPointer(rebasing: e[offs[w.lowerBound]..<offs[w.upperBound]])
                    // a run of newlines that is itself a token stays whole (llama.cpp's Gemma 4 fix)
                    if word.allSatisfy({ $0 == 0x0A }), let id = textTable.find(UnsafeRawBufferPointer(word)) {
                        out.append(id); continue
                    }
                    bpeWord(word, false, into: &out, &scratch)
                }
            }
            return
        }
        let (cps, offs) = UnicodeText.codePoints(text)
        let words = pre.split(cps)
        for w in words {
            let word = UnsafeBufferPointer(rebasing: text[offs[w.lowerBound]..<offs[w.upperBound]])
            bpeWord(word, pre.ignoreMerges, into: &out, &scratch)
        }
    }

    /// Merges one word's bytes: lowest merge rank first, leftmost on ties (llama.cpp's llm_tokenizer_bpe_session).
    @inline(__always)
    func bpeWord(_ word: UnsafeBufferPointer<UInt8>, _ ignoreMerges: Bool, into out: inout [Int32], _ s: inout BPEScratch) {
        if word.isEmpty { return }
        if ignoreMerges, let id = rawTable.find(UnsafeRawBufferPointer(word)) { out.append(id); return }
        if byteLevel && word.count == 1 { let t = byteTokens[Int(word[0])]; if t >= 0 { out.append(t) }; return }
        s.ids.removeAll(keepingCapacity: true); s.prev.removeAll(keepingCapacity: true); s.next.removeAll(keepingCapacity: true)
        s.heap.removeAll(keepingCapacity: true); s.starts.removeAll(keepingCapacity: true)
        if byteLevel {
            // one symbol per byte: its GPT-2 character's token
            for i in 0..<word.count { s.ids.append(byteTokens[Int(word[i])]); s.starts.append(Int32(i)) }
        } else {
            // one symbol per UTF-8 character: its token, or -1 (falls back to <0xNN> bytes at the end)
            var i = 0
            while i < word.count {
                let len = min(word.count - i, UnicodeText.utf8Length(word[i]))
                s.ids.append(textTable.find(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: word[i..<(i + len)]))) ?? -1)
                s.starts.append(Int32(i))
                i += len
            }
        }
        let n = s.ids.count
        s.starts.append(Int32(word.count))
        for i in 0..<n {
            s.prev.append(Int32(i - 1))
            s.next.append(i == n - 1 ? -1 : Int32(i + 1))
        }
        func push(_ l: Int32, _ r: Int32, _ s: inout BPEScratch) {
            let lid = s.ids[Int(l)], rid = s.ids[Int(r)]
            guard lid >= 0, rid >= 0, let m = merges.find(lid, rid) else { return }
            let key = UInt64(UInt32(m.rank)) << 32 | UInt64(UInt32(l))
            s.heap.append((key, r, lid, rid))
            var c = s.heap.count - 1
            while c > 0 {
                let p = (c - 1) >> 1
                if s.heap[p].key <= s.heap[c].key { break }
                s.heap.swapAt(p, c); c = p
            }
        }
        func pop(_ s: inout BPEScratch) -> (key: UInt64, right: Int32, lid: Int32, rid: Int32) {
            let top = s.heap[0]
            let last = s.heap.removeLast()
            if !s.heap.isEmpty {
                s.heap[0] = last
                var c = 0
                let cnt = s.heap.count
                while true {
                    let l = 2 * c + 1, r = l + 1
                    var m = c
                    if l < cnt && s.heap[l].key < s.heap[m].key { m = l }
                    if r < cnt && s.heap[r].key < s.heap[m].key { m = r }
                    if m == c { break }
                    s.heap.swapAt(m, c); c = m
                }
            }
            return top
        }
        for i in stride(from: 1, to: n, by: 1) { push(Int32(i - 1), Int32(i), &s) }
        while !s.heap.isEmpty {
            let b = pop(&s)
            let l = Int(Int32(truncatingIfNeeded: b.key & 0xFFFF_FFFF)), r = Int(b.right)
            // stale: one side already merged into something else
            guard s.ids[l] == b.lid, s.ids[r] == b.rid, s.next[l] == Int32(r) else { continue }
            guard let m = merges.find(b.lid, b.rid) else { continue }
            s.ids[l] = m.merged
            s.ids[r] = -2
            let rn = s.next[r]
            s.next[l] = rn
            if rn >= 0 { s.prev[Int(rn)] = Int32(l) }
            if s.prev[l] >= 0 { push(s.prev[l], Int32(l), &s) }
            if rn >= 0 { push(Int32(l), rn, &s) }
        }
        var i: Int32 = 0
        while i >= 0 {
            let id = s.ids[Int(i)]
            if id >= 0 {
                out.append(id)
            } else if id == -1 && !byteLevel {
                for j in Int(s.starts[Int(i)])..<Int(s.starts[Int(i) + 1]) where byteTokens[Int(word[j])] >= 0 {
                    out.append(byteTokens[Int(word[j])])
                }
            }
            i = s.next[Int(i)]
        }
    }

    // MARK: - SentencePiece

    struct SPMScratch {
        var text: [UInt8] = []
        var start: [Int32] = []
        var len: [Int32] = []
        var prev: [Int32] = []
        var next: [Int32] = []
        var heap: [(score: Float, left: Int32, right: Int32, size: Int32)] = []
    }

    /// llama.cpp's llm_tokenizer_spm: spaces become ▁, then the highest-scoring adjacent pair that forms a
    /// token merges first (leftmost on ties); leftovers fall back to `<0xNN>` byte tokens.
    func encodeSPM(_ frag: UnsafeBufferPointer<UInt8>, spacePrefix: Bool, into out: inout [Int32], scratch s: inout SPMScratch) {
        s.text.removeAll(keepingCapacity: true)
        if spacePrefix { s.text.append(contentsOf: [0xE2, 0x96, 0x81]) }
        for b in frag { if b == 0x20 { s.text.append(contentsOf: [0xE2, 0x96, 0x81]) } else { s.text.append(b) } }
        s.start.removeAll(keepingCapacity: true); s.len.removeAll(keepingCapacity: true)
        s.prev.removeAll(keepingCapacity: true); s.next.removeAll(keepingCapacity: true); s.heap.removeAll(keepingCapacity: true)
        let total = s.text.count
        var off = 0, idx: Int32 = 0
        while off < total {
            let l = min(UnicodeText.utf8Length(s.text[off]), total - off)
            s.start.append(Int32(off)); s.len.append(Int32(l))
            s.prev.append(idx - 1)
            off += l
            s.next.append(off == total ? -1 : idx + 1)
            idx += 1
        }
        if s.start.isEmpty { return }
        func better(_ a: (score: Float, left: Int32, right: Int32, size: Int32), _ b: (score: Float, left: Int32, right: Int32, size: Int32)) -> Bool {
            a.score > b.score || (a.score == b.score && a.left < b.left)
        }
        func tryAdd(_ l: Int32, _ r: Int32, _ s: inout SPMScratch) {
            guard l >= 0, r >= 0 else { return }
            let st = Int(s.start[Int(l)]), size = Int(s.len[Int(l)] + s.len[Int(r)])
            let id = s.text.withUnsafeBytes { textTable.find(UnsafeRawBufferPointer(rebasing: $0[st..<(st + size)])) }
            guard let id else { return }
            s.heap.append((scores[Int(id)], l, r, Int32(size)))
            var c = s.heap.count - 1
            while c > 0 {
                let p = (c - 1) >> 1
                if !better(s.heap[c], s.heap[p]) { break }
                s.heap.swapAt(p, c); c = p
            }
        }
        for i in 1..<s.start.count { tryAdd(Int32(i - 1), Int32(i), &s) }
        while !s.heap.isEmpty {
            let b = s.heap[0]
            let last = s.heap.removeLast()
            if !s.heap.isEmpty {
                s.heap[0] = last
                var c = 0
                let cnt = s.heap.count
                while true {
                    let l = 2 * c + 1, r = l + 1
                    var m = c
                    if l < cnt && better(s.heap[l], s.heap[m]) { m = l }
                    if r < cnt && better(s.heap[r], s.heap[m]) { m = r }
                    if m == c { break }
                    s.heap.swapAt(m, c); c = m
                }
            }
            let l = Int(b.left), r = Int(b.right)
            if s.len[l] == 0 || s.len[r] == 0 || s.len[l] + s.len[r] != b.size { continue }
            s.len[l] += s.len[r]
            s.len[r] = 0
            s.next[l] = s.next[r]
            if s.next[r] >= 0 { s.prev[Int(s.next[r])] = Int32(l) }
            tryAdd(s.prev[l], Int32(l), &s)
            tryAdd(Int32(l), s.next[l], &s)
        }
        var i: Int32 = 0
        s.text.withUnsafeBytes { tb in
            while i >= 0 {
                let st = Int(s.start[Int(i)]), ln = Int(s.len[Int(i)])
                if let id = textTable.find(UnsafeRawBufferPointer(rebasing: tb[st..<(st + ln)])) {
                    out.append(id)
                } else {
                    for k in st..<(st + ln) { let t = byteTokens[Int(tb[k])]; if t >= 0 { out.append(t) } }
                }
                i = s.next[Int(i)]
            }
        }
    }

    // MARK: - WordPiece

    /// llama.cpp's llm_tokenizer_wpm: NFD (first code point), lowercase, split on whitespace, punctuation,
    /// ASCII symbols and CJK ideographs; each word gets a `▁` prefix and is matched greedily longest-first
    /// against the vocabulary (GGUF bert vocabularies spell word starts `▁x` and continuations without `##`).
    func encodeWPM(_ frag: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        let (cps, _) = UnicodeText.codePoints(frag)
        var words: [[UInt8]] = [[]]
        var nfdCache: [UInt32: UInt32] = [:]
        for c0 in cps {
            var cp = c0
            if cp >= 0x80 {
                if let c = nfdCache[cp] { cp = c } else {
                    let first = Unicode.Scalar(cp).flatMap { String(Character($0)).decomposedStringWithCanonicalMapping.unicodeScalars.first?.value } ?? cp
                    nfdCache[c0] = first; cp = first
                }
            }
            let f = UnicodeFlags.of(cp)
            if f.isWhitespace {
                if !words[words.count - 1].isEmpty { words.append([]) }
                continue
            }
            if cp == 0 || cp == 0xFFFD || f.isControl { continue }
            var s: [UInt8] = []
            UnicodeText.appendUTF8(UnicodeText.lowercase(cp), to: &s)
            if f.isPunctuation || (cp < 0x7F && f.isSymbol) || Tokenizer.isChineseChar(cp) {
                if !words[words.count - 1].isEmpty { words.append([]) }
                words[words.count - 1] = s
                words.append([])
            } else {
                words[words.count - 1].append(contentsOf: s)
            }
        }
        for word in words where !word.isEmpty {
            let w1: [UInt8] = [0xE2, 0x96, 0x81] + word
            let n = w1.count
            let before = out.count
            w1.withUnsafeBytes { wb in
                var i = 0
                while i < n {
                    var matched = false
                    var j = min(n, i + maxTokenLength + 1)
                    while j > i {
                        if let id = textTable.find(UnsafeRawBufferPointer(rebasing: wb[i..<j])) {
                            out.append(id); matched = true; i = j - 1; break
                        }
                        j -= 1
                    }
                    if !matched { out.removeSubrange(before...); break }
                    i += 1
                }
            }
            if out.count == before, let u = unk { out.append(u) }
        }
    }

    static func isChineseChar(_ cp: UInt32) -> Bool {
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
        (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
        (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F)
    }
}
