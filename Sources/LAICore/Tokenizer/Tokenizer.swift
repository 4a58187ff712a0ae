// Tokenizer: text <-> token ids for GGUF vocabularies, identical to llama.cpp (byte-level BPE, SentencePiece, WordPiece,
// Unigram).
import Foundation

/// A vocabulary loaded from GGUF metadata with llama.cpp's tokenization semantics.
///
/// Loading follows llama.cpp's `llama_vocab::impl::load`: per-model default special ids, the pre-tokenizer's
/// flags, the `tokenizer.ggml.*` overrides, the text heuristics that find EOT/EOM/FIM tokens and the
/// end-of-generation set, and a piece cache (what each token renders to). Encoding lives in
/// `Tokenizer+Encode.swift`, decoding in `Tokenizer+Decode.swift`. Immutable after `init`, so one instance
/// can serve many threads.
package final class Tokenizer: @unchecked Sendable {
    package enum Kind: String, Sendable { case bpe = "gpt2", spm = "llama", wpm = "bert", ugm = "t5" }

    /// llama.cpp's `llama_token_attr` bits.
    struct Attr: OptionSet {
        let rawValue: UInt16
        static let unknown = Attr(rawValue: 1 << 0)
        static let unused = Attr(rawValue: 1 << 1)
        static let normal = Attr(rawValue: 1 << 2)
        static let control = Attr(rawValue: 1 << 3)
        static let userDefined = Attr(rawValue: 1 << 4)
        static let byte = Attr(rawValue: 1 << 5)
        static let lstrip = Attr(rawValue: 1 << 7)
        static let rstrip = Attr(rawValue: 1 << 8)
    }

    package let path: String
    package let kind: Kind
    /// The BPE word splitter (nil for SentencePiece and WordPiece).
    package let preTokenizer: PreTokenizer?
    /// BPE over GPT-2 byte characters (true), or SentencePiece-style BPE over raw UTF-8 with spaces written
    /// as ▁ and `<0xNN>` byte fallback (Gemma 4's `gemma4` model; llama.cpp's `escape_whitespaces`).
    package let byteLevel: Bool

    package var vocabularySize: Int { attrs.count }
    package var bos: Int32?
    package var eos: Int32?
    package var eot: Int32?
    package var eom: Int32?
    package var unk: Int32?
    package var sep: Int32?
    package var pad: Int32?
    /// Fill-in-the-middle markers (prefix, suffix, middle), when the vocabulary has them.
    package var fimPrefix: Int32?
    package var fimSuffix: Int32?
    package var fimMiddle: Int32?
    /// Tokens that end generation: EOS, EOT, EOM, FIM pad/repo/sep and llama.cpp's text heuristics.
    package var endOfGeneration: Set<Int32> = []
    package var addBOS: Bool
    package var addEOS: Bool
    /// WordPiece appends SEP when adding special tokens.
    package var addSep: Bool
    package var addSpacePrefix: Bool
    /// Decoding removes spaces before `?!.,` and some contractions (llama.cpp's `clean_spaces`).
    package let cleanSpaces: Bool

    // Vocabulary, all indexed by token id.
    var textBytes: [UInt8] = []
    var textStarts: [Int] = [0]
    var pieceBytesFlat: [UInt8] = []
    var pieceStarts: [Int] = [0]
    var attrs: [Attr] = []
    var scores: [Float] = []
    let textTable: ByteStringTable
    var maxTokenLength = 0

    // Byte-level BPE.
    /// Token id whose raw (byte-decoded) bytes equal the key; used for llama.cpp's `ignore_merges` check.
    var rawTable = ByteStringTable(capacity: 1)
    var merges = PairTable(capacity: 1)
    /// Initial symbol for each byte (BPE: the byte's GPT-2 character; SPM: `<0xNN>` or the byte itself); -1 if none.
    var byteTokens = [Int32](repeating: -1, count: 256)

    /// Unigram (`t5`): the token tries, the precompiled charsmap and the normalizer flags (nil for other kinds).
    var ugm: UGMTables?

    /// Control, user-defined and unknown tokens, longest text first: the strings split out before tokenizing.
    var specialTokens: [Int32] = []

    package convenience init(gguf file: GGUFFile) throws {
        try self.init(metadata: file.metadata, path: file.path)
    }

    /// A vocabulary from GGUF metadata in memory (`path` names its source in errors): the HF converter
    /// tokenizes with the vocabulary it is about to write.
    package init(metadata md: GGUFMetadata, path: String) throws {
        self.path = path
        guard let model = md.string("tokenizer.ggml.model") else { throw TokenizerError.missingKey(path: path, key: "tokenizer.ggml.model") }
        guard let tokens = md.array("tokenizer.ggml.tokens"), tokens.elementType == .string, tokens.count > 0 else {
            throw TokenizerError.missingKey(path: path, key: "tokenizer.ggml.tokens")
        }
        let n = tokens.count
        guard n < Int(Int32.max) else { throw TokenizerError.invalid(path: path, message: "vocabulary has \(n) tokens") }

        // Per-model defaults (llama.cpp's load()).
        var pre: PreTokenizer? = nil
        var clean = false
        var byteLevel = true
        switch model {
        case "gpt2":
            kind = .bpe
            bos = 11; eos = 11
            let preName = md.string("tokenizer.ggml.pre") ?? ""
            guard let p = PreTokenizer(pre: preName) else { throw TokenizerError.unsupportedPreTokenizer(path: path, pre: preName) }
            pre = p
            clean = p.cleanSpaces
            addBOS = p.addBOS; addEOS = false; addSep = false; addSpacePrefix = false
            if p.noBOS { bos = nil }
            if p.isSentencePieceStyle { byteLevel = false }
        case "gemma4":
            // llama.cpp: BPE with the gemma4 splitter whatever tokenizer.ggml.pre says, no default special ids
            kind = .bpe
            let p = PreTokenizer(pre: "gemma4")!
            pre = p
            clean = p.cleanSpaces
            byteLevel = false
            addBOS = true; addEOS = false; addSep = false; addSpacePrefix = false
        case "llama":
            kind = .spm
            bos = 1; eos = 2; unk = 0
            addBOS = true; addEOS = false; addSep = false; addSpacePrefix = true
        case "bert":
            kind = .wpm
            bos = 101; unk = 100; sep = 102; pad = 0
            addBOS = true; addEOS = false; addSep = true; addSpacePrefix = false
            clean = true
        case "t5":
            // llama.cpp: no BOS, EOS 1, UNK 2, PAD 0; EOS added; no space prefix unless the file says so
            kind = .ugm
            eos = 1; unk = 2; pad = 0
            addBOS = false; addEOS = true; addSep = false; addSpacePrefix = false
        default:
            throw TokenizerError.unsupportedModel(path: path, model: model)
        }
        preTokenizer = pre
        cleanSpaces = clean
        self.byteLevel = byteLevel
        if let v = md.bool("tokenizer.ggml.add_space_prefix") { addSpacePrefix = v }

        // Token texts (empty ones renamed like llama.cpp), scores, types.
        var table = ByteStringTable(capacity: n)
        var tb: [UInt8] = []
        var ts: [Int] = [0]
        tb.reserveCapacity(n * 8)
        ts.reserveCapacity(n + 1)
        tokens.forEachStringBytes { i, b in
            if b.isEmpty { tb.append(contentsOf: Array("[EMPTY_\(i)]".utf8)) } else { tb.append(contentsOf: b) }
            ts.append(tb.count)
        }
        var maxLen = 0
        tb.withUnsafeBytes { raw in
            for i in 0..<n {
                maxLen = max(maxLen, ts[i + 1] - ts[i])
                table.insert(UnsafeRawBufferPointer(rebasing: raw[ts[i]..<ts[i + 1]]), id: Int32(i))
            }
        }
        textBytes = tb
        textStarts = ts
        maxTokenLength = maxLen
        textTable = table
        if let s = md.array("tokenizer.ggml.scores") {
            let f = s.floats
            guard f.count == n else { throw TokenizerError.invalid(path: path, message: "tokenizer.ggml.scores has \(f.count) entries for \(n) tokens") }
            scores = f
        } else {
            scores = [Float](repeating: 0, count: n)
        }
        attrs = [Attr](repeating: .normal, count: n)
        if let t = md.array("tokenizer.ggml.token_type") {
            let types = t.ints
            guard types.count == n else { throw TokenizerError.invalid(path: path, message: "tokenizer.ggml.token_type has \(types.count) entries for \(n) tokens") }
            for i in 0..<n {
                switch types[i] {
                case 1: attrs[i] = .normal
                case 2: attrs[i] = .unknown
                case 3: attrs[i] = .control
                case 4: attrs[i] = .userDefined
                case 5: attrs[i] = .unused
                case 6: attrs[i] = .byte
                default: attrs[i] = []
                }
            }
        }

        // llama.cpp builds its UGM tokenizer from the token types alone, before the special-token heuristics
        if kind == .ugm {
            ugm = try Tokenizer.loadUGM(md, path: path, attrs: attrs, textBytes: textBytes, textStarts: textStarts, scores: scores)
        }
        try loadSpecialIDs(md)
        // llama.cpp forces BOS on for Gemma 4 whatever add_bos_token says (its PR 21500)
        if !byteLevel && bos != nil { addBOS = true }
        detectSpecialTokens(md)
        if kind == .bpe { try loadBPE(md) }
        if kind == .spm { loadByteFallback(unknown: unk) }

        // Special tokens cache: longest first (ties by id, so the order is deterministic).
        let special: Attr = [.control, .userDefined, .unknown]
        specialTokens = (0..<Int32(n)).filter { !attrs[Int($0)].isDisjoint(with: special) }
        specialTokens.sort { a, b in
            let la = length(a), lb = length(b)
            return la != lb ? la > lb : a < b
        }
        buildPieces()
    }

    @inline(__always) func length(_ id: Int32) -> Int { textStarts[Int(id) + 1] - textStarts[Int(id)] }

    /// The raw bytes of token `id`'s vocabulary entry.
    func textSlice(_ id: Int32) -> ArraySlice<UInt8> { textBytes[textStarts[Int(id)]..<textStarts[Int(id) + 1]] }

    private func loadSpecialIDs(_ md: GGUFMetadata) throws {
        let n = attrs.count
        func read(_ key: String, _ cur: inout Int32?) {
            guard let v = md.int("tokenizer.ggml.\(key)") else { return }
            if v >= 0 && v < n { cur = Int32(v) }   // out of range: keep the default (llama.cpp warns)
        }
        read("bos_token_id", &bos); read("eos_token_id", &eos); read("eot_token_id", &eot); read("eom_token_id", &eom)
        read("unknown_token_id", &unk); read("seperator_token_id", &sep); read("padding_token_id", &pad)
        if let v = md.bool("tokenizer.ggml.add_bos_token") { addBOS = v }
        if let v = md.bool("tokenizer.ggml.add_eos_token") { addEOS = v }
        if let v = md.bool("tokenizer.ggml.add_sep_token") { addSep = v }
        if addBOS && bos == nil { addBOS = false }
        if addEOS && eos == nil { addEOS = false }
        if addSep && sep == nil { addSep = false }
    }

    /// llama.cpp's text heuristics: EOT/EOM/FIM tokens by name (marked control), the EOG set, gpt-oss fixes,
    /// and the per-model lstrip/rstrip attributes.
    private func detectSpecialTokens(_ md: GGUFMetadata) {
        let n = attrs.count
        var byText: [String: Int32] = [:]
        var texts: [String] = []
        texts.reserveCapacity(n)
        for i in 0..<n {
            let s = String(decoding: textSlice(Int32(i)), as: UTF8.self)
            texts.append(s)
            byText[s] = Int32(i)
        }
        func markControl(_ id: Int32) { attrs[Int(id)].insert(.control) }
        func detect(_ names: [String], _ cur: inout Int32?) {
            guard cur == nil else { return }
            // llama.cpp takes the first match in hash-map order; the lowest id is our deterministic choice
            guard let id = names.compactMap({ byText[$0] }).min() else { return }
            cur = id; markControl(id)
        }
        detect(["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>",
                "<｜end▁of▁sentence｜>", "<end_of_utterance>"], &eot)
        detect(["<|eom_id|>"], &eom)
        var fimPre: Int32? = nil, fimSuf: Int32? = nil, fimMid: Int32? = nil
        var fimPad: Int32? = nil, fimRep: Int32? = nil, fimSep: Int32? = nil
        func readID(_ key: String, _ cur: inout Int32?) {
            if let v = md.int("tokenizer.ggml.\(key)"), v >= 0, v < n { cur = Int32(v) }
        }
        readID("fim_pre_token_id", &fimPre); readID("prefix_token_id", &fimPre)
        readID("fim_suf_token_id", &fimSuf); readID("suffix_token_id", &fimSuf)
        readID("fim_mid_token_id", &fimMid); readID("middle_token_id", &fimMid)
        readID("fim_pad_token_id", &fimPad); readID("fim_rep_token_id", &fimRep); readID("fim_sep_token_id", &fimSep)
        detect(["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>"], &fimPre)
        detect(["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>"], &fimSuf)
        detect(["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>"], &fimMid)
        detect(["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>"], &fimPad)
        detect(["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"], &fimRep)
        detect(["<|file_sep|>"], &fimSep)
        fimPrefix = fimPre; fimSuffix = fimSuf; fimMiddle = fimMid

        var eog = Set<Int32>()
        for id in [fimPad, fimRep, fimSep] { if let id { eog.insert(id) } }
        let eogNames: Set<String> = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
                                     "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>",
                                     "<end_of_utterance>"]
        for (s, id) in byText where eogNames.contains(s) { eog.insert(id); markControl(id) }
        for s in ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"] {
            if let id = byText[s] { attrs[Int(id)].insert(.userDefined) }
        }
        for id in [eos, eot, eom] { if let id { eog.insert(id) } }
        // gpt-oss / solar-open: "<|end|>" ends a message, not the generation.
        let eogTexts = Set(eog.map { texts[Int($0)] })
        let hasCall = eogTexts.contains("<|call|>") || eogTexts.contains("<|calls|>")
        if let end = eog.first(where: { texts[Int($0)] == "<|end|>" }),
           (eogTexts.contains("<|return|>") && hasCall) || (hasCall && eogTexts.contains("<|flush|>")) {
            eog.remove(end)
            attrs[Int(end)].insert(.userDefined)
        }
        endOfGeneration = eog

        // Per-model strip attributes (llama.cpp sets these by name since GGUF does not carry them).
        let name = (md.string("general.name") ?? "").lowercased()
        let pre = md.string("tokenizer.ggml.pre") ?? ""
        let arch = md.string("general.architecture") ?? ""
        if ["jina-v2-de", "jina-v2-es", "jina-v2-code"].contains(where: { pre.contains($0) }) ||
            ["nomic-bert-moe", "jina-bert-v3"].contains(where: { arch.contains($0) }) {
            if let m = byText["<mask>"] { attrs[Int(m)].insert(.lstrip) }
        } else if name.contains("phi-3") || name.contains("phi3") {
            for i in 0..<n where !attrs[i].isDisjoint(with: [.control, .userDefined, .unknown]) { attrs[i].insert(.rstrip) }
            if let id = byText["</s>"] { attrs[Int(id)].insert(.rstrip) }
            for s in ["<unk>", "<s>", "<|endoftext|>"] { if let id = byText[s] { attrs[Int(id)].remove(.rstrip) } }
        } else if name.contains("modern-bert") {
            if let m = byText["[MASK]"] { attrs[Int(m)].insert(.lstrip) }
        }
    }

    /// Byte-level BPE tables: the initial symbol per byte, raw-bytes → id, and merges as id pairs.
    private func loadBPE(_ md: GGUFMetadata) throws {
        guard let m = md.array("tokenizer.ggml.merges"), m.elementType == .string else {
            throw TokenizerError.missingKey(path: path, key: "tokenizer.ggml.merges")
        }
        let n = attrs.count
        if byteLevel {
            for b in 0..<256 {
                var s: [UInt8] = []
                UnicodeText.appendUTF8(UnicodeText.byteToCodePoint[b], to: &s)
                byteTokens[b] = textTable.find(s) ?? -1
            }
        } else {
            loadByteFallback(unknown: nil)
        }
        // raw bytes of every token whose text is made of GPT-2 byte characters
        var raw = ByteStringTable(capacity: n)
        var buf: [UInt8] = []
        if byteLevel { textBytes.withUnsafeBufferPointer { tb in
            for i in 0..<n {
                buf.removeAll(keepingCapacity: true)
                if decodeByteLevel(UnsafeBufferPointer(rebasing: tb[textStarts[i]..<textStarts[i + 1]]), into: &buf) {
                    buf.withUnsafeBytes { raw.insert($0, id: Int32(i)) }
                }
            }
        } }
        rawTable = raw
        var pairs = PairTable(capacity: m.count)
        var rank: Int32 = 0
        var joined: [UInt8] = []
        m.forEachStringBytes { _, b in
            defer { rank += 1 }
            // split at the first space after position 0 (llama.cpp: word.find(' ', 1))
            guard b.count >= 3, let sp = b[1...].firstIndex(of: 0x20) else { return }
            let left = UnsafeRawBufferPointer(rebasing: b[0..<sp])
            let right = UnsafeRawBufferPointer(rebasing: b[(sp + 1)...])
            guard let l = textTable.find(left), let r = textTable.find(right) else { return }
            joined.removeAll(keepingCapacity: true)
            joined.append(contentsOf: left); joined.append(contentsOf: right)
            guard let j = textTable.find(joined) else { return }
            pairs.insert(left: l, right: r, rank: rank, merged: j)
        }
        merges = pairs
    }

    /// Maps GPT-2 byte characters back to bytes; false if some code point is not one of them.
    func decodeByteLevel(_ text: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        let (cps, _) = UnicodeText.codePoints(text)
        for cp in cps {
            guard cp < 0x144, UnicodeText.codePointToByte[Int(cp)] >= 0 else { return false }
            out.append(UInt8(UnicodeText.codePointToByte[Int(cp)]))
        }
        return true
    }

    /// SentencePiece byte fallback: `<0xNN>`, else the single byte as text (llama.cpp's byte_to_token).
    /// `<0xNN>` byte tokens (SentencePiece also accepts the raw byte as a token, then UNK).
    private func loadByteFallback(unknown: Int32?) {
        let hex = Array("0123456789ABCDEF".utf8)
        for b in 0..<256 {
            let name: [UInt8] = [0x3C, 0x30, 0x78, hex[b >> 4], hex[b & 15], 0x3E]
            byteTokens[b] = textTable.find(name) ?? (kind == .spm ? textTable.find([UInt8(b)]) : nil) ?? unknown ?? -1
        }
    }

    /// What each token renders to with special tokens shown (llama.cpp's token_to_piece cache, special=true).
    private func buildPieces() {
        let n = attrs.count
        pieceBytesFlat.reserveCapacity(textBytes.count)
        pieceStarts.reserveCapacity(n + 1)
        let special: Attr = [.unknown, .control, .userDefined]
        var tmp: [UInt8] = []
        for i in 0..<n {
            let a = attrs[i]
            let text = textSlice(Int32(i))
            if !a.isDisjoint(with: special) {
                pieceBytesFlat.append(contentsOf: text)
            } else if a.contains(.normal) {
                switch kind {
                case .bpe where byteLevel:
                    tmp.removeAll(keepingCapacity: true)
                    let ok = text.withUnsafeBufferPointer { decodeByteLevel($0, into: &tmp) }
                    if ok { pieceBytesFlat.append(contentsOf: tmp) } else { pieceBytesFlat.append(contentsOf: unknownBytePiece(text)) }
                case .bpe, .spm, .wpm, .ugm:
                    // ▁ (E2 96 81) → space
                    var j = text.startIndex
                    while j < text.endIndex {
                        if text[j] == 0xE2, j + 2 < text.endIndex, text[j + 1] == 0x96, text[j + 2] == 0x81 {
                            pieceBytesFlat.append(0x20); j += 3
                        } else { pieceBytesFlat.append(text[j]); j += 1 }
                    }
                }
            } else if a.contains(.byte), kind != .bpe || !byteLevel {
                // <0xNN>
                if text.count == 6, let v = UInt8(String(decoding: text.dropFirst(3).prefix(2), as: UTF8.self), radix: 16) {
                    pieceBytesFlat.append(v)
                }
            }
            pieceStarts.append(pieceBytesFlat.count)
        }
    }

    /// llama.cpp's rendering of a BPE token with a non-byte character: each code point mapped, the bad
    /// ones as `[UNK_BYTE_0x<hex><whole token text>]`.
    private func unknownBytePiece(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        let (cps, _) = Array(text).withUnsafeBufferPointer { UnicodeText.codePoints($0) }
        for cp in cps {
            if cp < 0x144, UnicodeText.codePointToByte[Int(cp)] >= 0 {
                out.append(UInt8(UnicodeText.codePointToByte[Int(cp)]))
            } else {
                var u: [UInt8] = []
                UnicodeText.appendUTF8(cp, to: &u)
                out.append(contentsOf: Array("[UNK_BYTE_0x".utf8))
                for b in u { out.append(contentsOf: Array(String(format: "%02x", b).utf8)) }
                out.append(contentsOf: text)
                out.append(0x5D)
            }
        }
        return out
    }

    // MARK: - Lookups

    /// What the token renders to; control tokens render as their text (llama.cpp token_to_piece, special=true).
    package func pieceBytes(_ id: Int32) -> [UInt8] {
        guard id >= 0 && Int(id) < attrs.count else { return [] }
        return Array(pieceBytesFlat[pieceStarts[Int(id)]..<pieceStarts[Int(id) + 1]])
    }

    /// The raw vocabulary entry (e.g. `Ġthe`, `▁the`, `<|im_end|>`).
    package func tokenText(_ id: Int32) -> String {
        guard id >= 0 && Int(id) < attrs.count else { return "" }
        return String(decoding: textSlice(id), as: UTF8.self)
    }

    /// The id of the vocabulary entry spelled exactly `text`.
    package func tokenID(_ text: String) -> Int32? { textTable.find(Array(text.utf8)) }

    /// True for control tokens (not unknown ones, which llama.cpp still prints as ▅).
    package func isControlOnly(_ id: Int32) -> Bool {
        guard id >= 0 && Int(id) < attrs.count else { return false }
        return attrs[Int(id)].contains(.control)
    }

    /// True for control and unknown tokens (the ones `decode(skipSpecial: true)` drops).
    package func isControl(_ id: Int32) -> Bool {
        guard id >= 0 && Int(id) < attrs.count else { return false }
        return !attrs[Int(id)].isDisjoint(with: [.control, .unknown])
    }
}

extension Tokenizer {
    /// The tokens of a fill-in-the-middle prompt as llama.cpp's infill builds them (BOS when the vocabulary adds it,
    /// then prefix marker, prefix, suffix marker, suffix, middle marker); nil when the vocabulary has no FIM markers.
    package func fillInTheMiddle(prefix: String, suffix: String) -> [Int32]? {
        guard let pre = fimPrefix, let suf = fimSuffix, let mid = fimMiddle else { return nil }
        var out: [Int32] = []
        if addBOS, let b = bos { out.append(b) }
        out.append(pre)
        out += encode(prefix, addSpecial: false, parseSpecial: false)
        out.append(suf)
        out += encode(suffix, addSpecial: false, parseSpecial: false)
        out.append(mid)
        return out
    }
}
