// Tokenizer+UGM: SentencePiece Unigram (tokenizer.ggml.model "t5": T5, XLM-RoBERTa embedders such as bge-m3 and
// multilingual-e5), following llama.cpp's llm_tokenizer_ugm / llm_tokenizer_ugm_session.

/// A byte trie whose edges live in one open-addressing table of `(node << 8 | byte) << 32 | child` words (8 bytes
/// an edge, no allocation per node); each node may carry a value. Inserting an existing key overwrites its value
/// (llama.cpp's naive_trie).
struct ByteTrie: Sendable {
    private var slots: [UInt64]
    private var mask: Int
    private var used = 0
    /// Per node: the value stored there, or -1. Node 0 is the root.
    private(set) var values: [Int32] = [-1]
    private static let empty = UInt64.max
    /// Node ids must fit in 24 bits so that `node << 8 | byte` fits in 32.
    static let maxNodes = (1 << 24) - 1

    init(capacity: Int = 8) {
        var n = 16
        while n * 7 < capacity * 10 { n <<= 1 }
        slots = [UInt64](repeating: ByteTrie.empty, count: n)
        mask = n - 1
    }

    var isEmpty: Bool { values.count == 1 }
    var nodeCount: Int { values.count }

    @inline(__always) private static func slot(_ k: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (k &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// The child of `node` along byte `b`, or -1.
    @inline(__always) func child(_ node: Int32, _ b: UInt8) -> Int32 {
        let k = UInt64(UInt32(bitPattern: node)) << 8 | UInt64(b)
        return slots.withUnsafeBufferPointer { sb in
            var s = ByteTrie.slot(k, mask)
            while true {
                let x = sb[s]
                if x == ByteTrie.empty { return -1 }
                if x >> 32 == k { return Int32(truncatingIfNeeded: x) }
                s = (s + 1) & mask
            }
        }
    }

    /// False (and nothing inserted past that point) when the trie would exceed `maxNodes`.
    mutating func insert(_ key: UnsafeRawBufferPointer, value: Int32) -> Bool {
        var node: Int32 = 0
        for b in key {
            let c = child(node, b)
            if c >= 0 { node = c; continue }
            if values.count >= ByteTrie.maxNodes { return false }
            if (used + 1) * 10 > slots.count * 7 { grow() }
            let k = UInt64(UInt32(bitPattern: node)) << 8 | UInt64(b)
            var s = ByteTrie.slot(k, mask)
            while slots[s] != ByteTrie.empty { s = (s + 1) & mask }
            let new = Int32(values.count)
            slots[s] = k << 32 | UInt64(UInt32(bitPattern: new)); used += 1
            values.append(-1)
            node = new
        }
        values[Int(node)] = value
        return true
    }

    private mutating func grow() {
        let old = slots
        let n = slots.count * 2
        slots = [UInt64](repeating: ByteTrie.empty, count: n)
        mask = n - 1
        for x in old where x != ByteTrie.empty {
            var s = ByteTrie.slot(x >> 32, mask)
            while slots[s] != ByteTrie.empty { s = (s + 1) & mask }
            slots[s] = x
        }
    }

    /// How deep `text[from...]` walks into the trie, whether or not a value sits there (llama.cpp's
    /// naive_trie::get_longest_prefix, which the UGM normalizer uses for user-defined tokens).
    @inline(__always) func walkDepth(_ text: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        var node: Int32 = 0
        var i = from
        while i < text.count {
            let c = child(node, text[i])
            if c < 0 { break }
            node = c; i += 1
        }
        return i - from
    }
}

/// What the Unigram tokenizer needs beyond the shared vocabulary tables.
struct UGMTables: Sendable {
    /// Normal, user-defined and unused tokens by text (the Viterbi candidates).
    var tokens = ByteTrie()
    /// User-defined tokens: input starting with one of them is copied through the normalizer unchanged.
    var userDefined = ByteTrie()
    /// The precompiled charsmap's XOR-compressed compact double array (little-endian entries).
    var xcda: [UInt32] = []
    /// NUL-terminated replacement strings the XCDA's leaves point into.
    var replacements: [UInt8] = []
    /// Lowest normal-token score minus 10: the score of an unknown code point.
    var unknownScore: Float = 0
    var removeExtraWhitespaces = false
    /// llama.cpp keeps these at their defaults for every GGUF (there are no keys for them).
    var escapeWhitespaces = true
    var treatWhitespaceAsSuffix = false
}

extension Tokenizer {
    /// llama.cpp's llm_tokenizer_ugm constructor and the t5 branch of load(): the charsmap checks, the token tries
    /// and the unknown-token score. Uses the attributes as the token types give them (before the special-token
    /// heuristics, as llama.cpp builds its tokenizer before them).
    static func loadUGM(_ md: GGUFMetadata, path: String, attrs: [Attr], textBytes: [UInt8], textStarts: [Int],
                        scores: [Float]) throws -> UGMTables {
        var t = UGMTables()
        t.removeExtraWhitespaces = md.bool("tokenizer.ggml.remove_extra_whitespaces") ?? false
        let key = "tokenizer.ggml.precompiled_charsmap"
        if let v = md[key] {
            guard let a = v.array, a.elementType == .uint8 || a.elementType == .int8 else {
                throw TokenizerError.invalid(path: path, message: "\(key) is not an array of bytes")
            }
            let cm: [UInt8]
            if let raw = a.mappedBytes { cm = Array(raw) } else { cm = a.values.compactMap { $0.int }.map { UInt8(truncatingIfNeeded: $0) } }
            guard cm.count >= 4 else {
                throw TokenizerError.invalid(path: path, message: "\(key) has \(cm.count) bytes, too few for its 4-byte size header")
            }
            let blob = Int(UInt32(cm[0]) | UInt32(cm[1]) << 8 | UInt32(cm[2]) << 16 | UInt32(cm[3]) << 24)
            guard blob + 4 < cm.count else {
                throw TokenizerError.invalid(path: path, message: "\(key) is truncated: its double array claims \(blob) bytes but \(cm.count - 4) follow the header")
            }
            // Replacement strings end with NUL; llama.cpp fails when it reaches an unterminated one, lai at load.
            guard cm[cm.count - 1] == 0 else {
                throw TokenizerError.invalid(path: path, message: "\(key) is truncated: its last replacement string has no terminating NUL")
            }
            t.xcda = [UInt32](repeating: 0, count: blob / 4)
            for i in 0..<(blob / 4) {
                let o = 4 + 4 * i
                t.xcda[i] = UInt32(cm[o]) | UInt32(cm[o + 1]) << 8 | UInt32(cm[o + 2]) << 16 | UInt32(cm[o + 3]) << 24
            }
            t.replacements = Array(cm[(4 + blob)...])
        }
        var minScore = Float.greatestFiniteMagnitude
        t.tokens = ByteTrie(capacity: 2 * attrs.count)
        var fits = true
        textBytes.withUnsafeBytes { tb in
            for i in 0..<attrs.count {
                let a = attrs[i]
                let text = UnsafeRawBufferPointer(rebasing: tb[textStarts[i]..<textStarts[i + 1]])
                if a.contains(.normal) { minScore = min(minScore, scores[i]) }
                if !a.isDisjoint(with: [.normal, .userDefined, .unused]) { fits = fits && t.tokens.insert(text, value: Int32(i)) }
                if a.contains(.userDefined) { fits = fits && t.userDefined.insert(text, value: Int32(i)) }
            }
        }
        guard fits else {
            throw TokenizerError.invalid(path: path, message: "the token texts need more than \(ByteTrie.maxNodes) trie nodes")
        }
        t.unknownScore = minScore - 10
        return t
    }

    struct UGMScratch {
        var normalized: [UInt8] = []
        var bestToken: [Int32] = []
        var bestFrom: [Int32] = []
        var bestScore: [Double] = []
    }

    /// llama.cpp's llm_tokenizer_ugm_session::tokenize: normalize, then the best-scoring segmentation (Viterbi over
    /// the token trie; a code point no token covers costs the unknown score), runs of unknowns merged into one.
    func encodeUGM(_ text: UnsafeBufferPointer<UInt8>, into out: inout [Int32], scratch s: inout UGMScratch) {
        guard let u = ugm else { return }
        normalizeUGM(text, u, into: &s.normalized)
        let n = s.normalized.count
        if n == 0 { return }
        let unkID = unk ?? -1
        s.bestToken.removeAll(keepingCapacity: true); s.bestToken.append(contentsOf: repeatElement(unkID, count: n + 1))
        s.bestFrom.removeAll(keepingCapacity: true); s.bestFrom.append(contentsOf: repeatElement(0, count: n + 1))
        s.bestScore.removeAll(keepingCapacity: true); s.bestScore.append(contentsOf: repeatElement(-Double.greatestFiniteMagnitude, count: n + 1))
        s.bestScore[0] = 0
        let unknownScore = Double(u.unknownScore)
        s.normalized.withUnsafeBufferPointer { norm in
            s.bestToken.withUnsafeMutableBufferPointer { bt in
            s.bestFrom.withUnsafeMutableBufferPointer { bf in
            s.bestScore.withUnsafeMutableBufferPointer { bs in
            scores.withUnsafeBufferPointer { sc in
            attrs.withUnsafeBufferPointer { at in
                var off = 0
                while off < n {
                    let units = min(UnicodeText.utf8Length(norm[off]), n - off)
                    let current = bs[off]
                    var singleCodePoint = false
                    var node: Int32 = 0
                    var p = off
                    while p < n {
                        node = u.tokens.child(node, norm[p])
                        if node < 0 { break }
                        p += 1
                        let id = u.tokens.values[Int(node)]
                        if id >= 0 {
                            if p - off == units { singleCodePoint = true }
                            // user-defined tokens score 0 (normal scores are log probabilities); sums in double
                            // as SentencePiece does
                            let score = at[Int(id)].contains(.userDefined) ? 0.0 : Double(sc[Int(id)])
                            let challenger = current + score
                            if challenger > bs[p] { bt[p] = id; bf[p] = Int32(off); bs[p] = challenger }
                        }
                    }
                    if !singleCodePoint {
                        let challenger = current + unknownScore
                        let e = off + units
                        if challenger > bs[e] { bt[e] = unkID; bf[e] = Int32(off); bs[e] = challenger }
                    }
                    off += units
                }
            } } } } }
        }
        // backtrack from the end; consecutive unknowns become one
        let start = out.count
        var isPrevUnknown = false
        var pos = n
        while true {
            let id = s.bestToken[pos]
            let isUnknown = id == unkID
            if !(isPrevUnknown && isUnknown) && id >= 0 { out.append(id) }
            let from = Int(s.bestFrom[pos])
            if from == 0 { break }
            isPrevUnknown = isUnknown
            pos = from
        }
        out[start...].reverse()
    }

    /// llama.cpp's llm_tokenizer_ugm_session::normalize: each input prefix is replaced by the charsmap's (or kept),
    /// spaces become ▁, with the space prefix and whitespace merging the vocabulary asks for.
    func normalizeUGM(_ input: UnsafeBufferPointer<UInt8>, _ u: UGMTables, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(input.count * 3)
        let space: [UInt8] = u.escapeWhitespaces ? [0xE2, 0x96, 0x81] : [0x20]
        let prependSpace = !u.treatWhitespaceAsSuffix && addSpacePrefix
        let appendSpace = u.treatWhitespaceAsSuffix && addSpacePrefix
        let mergeSpaces = u.removeExtraWhitespaces
        var spacePrepended = false
        var processingNonWS = false
        var off = 0
        u.replacements.withUnsafeBufferPointer { repl in
            while off < input.count {
                let m = Tokenizer.normalizePrefixUGM(input, off, u, repl)
                let src: UnsafeBufferPointer<UInt8>
                switch m.source {
                case .input: src = input
                case .charsmap: src = repl
                case .replacementCharacter: src = UnsafeBufferPointer(start: nil, count: 0)
                }
                for i in 0..<m.length {
                    let c = m.source == .replacementCharacter ? Tokenizer.replacementCharacter[i] : src[m.start + i]
                    if c != 0x20 {
                        if !processingNonWS {
                            processingNonWS = true
                            if (prependSpace && !spacePrepended) || mergeSpaces {
                                out.append(contentsOf: space)
                                spacePrepended = true
                            }
                        }
                        out.append(c)
                    } else {
                        processingNonWS = false
                        if !mergeSpaces { out.append(contentsOf: space) }
                    }
                }
                off += m.consumed
            }
        }
        if appendSpace { out.append(contentsOf: space) }
    }

    static let replacementCharacter: [UInt8] = [0xEF, 0xBF, 0xBD]

    /// What one normalization step emits: `length` bytes at `start` of the input, of the charsmap's replacement
    /// strings, or of U+FFFD; `consumed` input bytes.
    struct UGMPrefix {
        enum Source { case input, charsmap, replacementCharacter }
        let source: Source
        let start: Int
        let length: Int
        let consumed: Int
    }

    /// llama.cpp's normalize_prefix for the input at `off`.
    /// A user-defined token's prefix passes unchanged; else the longest charsmap match gives its replacement;
    /// else one UTF-8 character passes unchanged (an invalid byte becomes U+FFFD). Where llama.cpp throws on a
    /// corrupt double array (an index out of range), the match stops there instead.
    @inline(__always)
    static func normalizePrefixUGM(_ input: UnsafeBufferPointer<UInt8>, _ off: Int, _ u: UGMTables,
                                   _ repl: UnsafeBufferPointer<UInt8>) -> UGMPrefix {
        let n = input.count
        if !u.userDefined.isEmpty {
            let d = u.userDefined.walkDepth(input, from: off)
            if d > 0 { return UGMPrefix(source: .input, start: off, length: d, consumed: d) }
        }
        var longestLength = 0
        var longestOffset = 0
        let xcda = u.xcda
        if !xcda.isEmpty {
            xcda.withUnsafeBufferPointer { x in
                let size = x.count
                // BASE in bits 10-30 (shifted by 8 when bit 9 is set), LCHECK in bits 0-7 and 31, LEAF in bit 8,
                // a leaf's value in bits 0-30
                @inline(__always) func baseOf(_ v: UInt32) -> UInt32 { (v >> 10) << ((v & (1 << 9)) >> 6) }
                var node = Int(baseOf(x[0]))
                var p = off
                while p < n {
                    let c = input[p]
                    if c == 0 { break }
                    node ^= Int(c)
                    guard node < size else { break }
                    let v = x[node]
                    if v & ((1 << 31) | 0xFF) != UInt32(c) { break }
                    let leaf = (v >> 8) & 1 == 1
                    node ^= Int(baseOf(v))
                    if leaf {
                        guard node < size else { break }
                        longestLength = p - off + 1
                        longestOffset = Int(x[node] & ((1 << 31) - 1))
                    }
                    p += 1
                }
            }
        }
        if longestLength > 0 && longestOffset < repl.count {
            // the loader checked that the replacement strings end with NUL
            var len = 0
            while repl[longestOffset + len] != 0 { len += 1 }
            return UGMPrefix(source: .charsmap, start: longestOffset, length: len, consumed: longestLength)
        }
        // one UTF-8 character as llama.cpp's unicode_cpt_from_utf8 accepts it, else U+FFFD for one byte
        let b0 = input[off]
        var len = 0
        if b0 & 0x80 == 0 { len = 1 }
        else if b0 & 0x40 == 0 { len = 0 }
        else if b0 & 0x20 == 0 { len = 2 }
        else if b0 & 0x10 == 0 { len = 3 }
        else if b0 & 0x08 == 0 { len = 4 }
        if len > 0 && off + len <= n {
            var ok = true
            for k in 1..<len where input[off + k] & 0xC0 != 0x80 { ok = false }
            if ok { return UGMPrefix(source: .input, start: off, length: len, consumed: len) }
        }
        return UGMPrefix(source: .replacementCharacter, start: 0, length: 3, consumed: 1)
    }
}
