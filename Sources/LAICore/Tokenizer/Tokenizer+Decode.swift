// Tokenizer+Decode: token ids -> text (llama.cpp's detokenize) and a streaming decoder for generation.

extension Tokenizer {
    /// Token ids back to text, like llama.cpp's `llama_detokenize`.
    ///
    /// - skipSpecial: false renders control tokens as their text (`<|im_end|>`); true drops control and
    ///   unknown tokens and a leading BOS / trailing EOS that the vocabulary adds itself.
    /// SentencePiece's added leading space is removed; `clean_spaces` vocabularies tidy ` ?`, ` 's`, etc.
    package func decode(_ ids: [Int32], skipSpecial: Bool = false) -> String {
        String(decoding: decodeBytes(ids, skipSpecial: skipSpecial), as: UTF8.self)
    }

    /// The bytes `decode` turns into a String (may end inside a UTF-8 character).
    package func decodeBytes(_ ids: [Int32], skipSpecial: Bool = false) -> [UInt8] {
        var toks = ids[...]
        var removeSpace = addSpacePrefix
        if skipSpecial && addBOS, let b = bos, toks.first == b { removeSpace = false; toks = toks.dropFirst() }
        if skipSpecial && addEOS, let e = eos, toks.last == e { toks = toks.dropLast() }
        var text: [UInt8] = []
        text.reserveCapacity(toks.count * 4)
        for id in toks {
            guard id >= 0 && Int(id) < attrs.count else { continue }
            if skipSpecial && !attrs[Int(id)].isDisjoint(with: [.control, .unknown]) { removeSpace = false; continue }
            var s = pieceStarts[Int(id)]
            let e = pieceStarts[Int(id) + 1]
            if removeSpace && s < e && pieceBytesFlat[s] == 0x20 { s += 1 }
            removeSpace = false
            text.append(contentsOf: pieceBytesFlat[s..<e])
        }
        if cleanSpaces { Tokenizer.cleanUpSpaces(&text) }
        return text
    }

    /// llama.cpp's three clean-up passes: ` ?`/` !`/` .`/` ,` lose the space; ` ' ` loses both spaces;
    /// ` 's`, ` 'm`, ` 're`, ` 've` lose the space.
    static func cleanUpSpaces(_ t: inout [UInt8]) {
        let sp: UInt8 = 0x20, ap: UInt8 = 0x27
        var total = t.count
        // pass 1
        var n1 = total; total = total > 0 ? 1 : 0
        var i = 1
        while i < n1 {
            let x = t[i]
            if t[i - 1] == sp && (x == 0x3F || x == 0x21 || x == 0x2E || x == 0x2C) { total -= 1 }
            t[total] = x; total += 1; i += 1
        }
        // pass 2
        n1 = total; total = total > 0 ? 1 : 0
        i = 1
        while i < n1 {
            let x = t[i]
            if x == ap && i + 1 < n1 && t[i - 1] == sp && t[i + 1] == sp {
                total -= 1
                i += 1; t[i] = 0
            }
            t[total] = x; total += 1; i += 1
        }
        // pass 3
        n1 = total; total = total > 0 ? 1 : 0
        i = 1
        while i < n1 {
            let x = t[i]
            if t[i - 1] == sp && x == ap && i + 1 < n1 {
                let x1 = t[i + 1]
                if x1 == 0x73 || x1 == 0x6D { total -= 1 }
                else if i + 2 < n1 {
                    let x2 = t[i + 2]
                    if (x1 == 0x72 && x2 == 0x65) || (x1 == 0x76 && x2 == 0x65) { total -= 1 }
                }
            }
            t[total] = x; total += 1; i += 1
        }
        t.removeSubrange(total...)
    }
}

/// Turns generated token ids into text as they arrive, never splitting a UTF-8 character.
///
/// Byte tokens (`<0xE4>`) and byte-level BPE pieces can end mid-character; the tail is held back until
/// the character completes. Pieces render as llama.cpp's token_to_piece: generated text continues a prompt,
/// so SentencePiece's leading space is kept ("fox" + " jumps"); only a decoder created `atStartOfText` drops
/// it from the first piece, as `decode` does. `clean_spaces` is not applied, as in llama.cpp's streaming.
package struct StreamingDecoder {
    let tokenizer: Tokenizer
    var pending: [UInt8] = []
    var first: Bool
    /// Control tokens (<|im_start|>, <end_of_turn>, …) render as nothing, as llama.cpp's token_to_piece without
    /// `special` (what llama-cli prints); the server keeps them (its tool-call formats read some).
    package var skipControl = false

    package init(tokenizer: Tokenizer, atStartOfText: Bool = false) { self.tokenizer = tokenizer; first = atStartOfText }

    /// Adds one token; returns the text that is now complete (possibly empty).
    package mutating func append(_ id: Int32) -> String {
        if skipControl && tokenizer.isControlOnly(id) { return "" }
        var p = tokenizer.pieceBytes(id)
        if first && tokenizer.addSpacePrefix && p.first == 0x20 { p.removeFirst() }
        if !p.isEmpty { first = false }
        pending.append(contentsOf: p)
        let cut = StreamingDecoder.completePrefix(pending)
        if cut == 0 { return "" }
        let s = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeSubrange(..<cut)
        return s
    }

    /// Whatever is held back (an incomplete character becomes U+FFFD).
    package mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of the longest prefix that does not end inside an unfinished UTF-8 sequence.
    static func completePrefix(_ b: [UInt8]) -> Int {
        let n = b.count
        var i = n - 1
        var cont = 0
        while i >= 0 && cont < 3 && b[i] & 0xC0 == 0x80 { i -= 1; cont += 1 }
        guard i >= 0 else { return n }   // only continuation bytes: nothing to wait for
        let lead = b[i]
        let need = UnicodeText.utf8Length(lead)
        if lead & 0xC0 == 0xC0 && need > cont + 1 { return i }   // wait for the rest
        return n
    }
}
