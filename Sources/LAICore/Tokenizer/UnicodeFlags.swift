// UnicodeFlags: per-code-point category bits (letter, number, punctuation, ...) as llama.cpp's unicode tables use them.

/// Category bits for one code point, matching llama.cpp's `unicode_cpt_flags`.
///
/// Exactly one category bit is set for an assigned code point; `whitespace` is the Unicode White_Space
/// property and is independent of the category. The bits are looked up in a table built once from
/// Swift's Unicode data (`Unicode.Scalar.Properties`), so the hot splitters never call into the stdlib.
package struct UnicodeFlags: OptionSet, Sendable {
    package let rawValue: UInt16
    package init(rawValue: UInt16) { self.rawValue = rawValue }

    package static let undefined   = UnicodeFlags(rawValue: 0x0001)
    package static let number      = UnicodeFlags(rawValue: 0x0002)  // \p{N}
    package static let letter      = UnicodeFlags(rawValue: 0x0004)  // \p{L}
    package static let separator   = UnicodeFlags(rawValue: 0x0008)  // \p{Z}
    package static let mark        = UnicodeFlags(rawValue: 0x0010)  // \p{M}
    package static let punctuation = UnicodeFlags(rawValue: 0x0020)  // \p{P}
    package static let symbol      = UnicodeFlags(rawValue: 0x0040)  // \p{S}
    package static let control     = UnicodeFlags(rawValue: 0x0080)  // \p{C}
    package static let whitespace  = UnicodeFlags(rawValue: 0x0100)
    package static let categories: UInt16 = 0x00FF

    /// Flags of `cp`; code points past U+10FFFF are `undefined` like llama.cpp's table.
    @inline(__always)
    package static func of(_ cp: UInt32) -> UnicodeFlags {
        if cp < UInt32(table.count) { return UnicodeFlags(rawValue: table[Int(cp)]) }
        return compute(cp)
    }

    /// Flags for U+0000..U+2FFFF (every script in common use); rarer planes are computed on demand.
    private static let table: [UInt16] = (0..<UInt32(0x30000)).map { compute($0).rawValue }

    private static func compute(_ cp: UInt32) -> UnicodeFlags {
        guard let s = Unicode.Scalar(cp) else {
            // Surrogates are category Cs (control) in llama.cpp's table; anything past the range is undefined.
            return cp >= 0xD800 && cp <= 0xDFFF ? .control : .undefined
        }
        let p = s.properties
        var f: UnicodeFlags
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: f = .letter
        case .nonspacingMark, .spacingMark, .enclosingMark: f = .mark
        case .decimalNumber, .letterNumber, .otherNumber: f = .number
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: f = .punctuation
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol: f = .symbol
        case .spaceSeparator, .lineSeparator, .paragraphSeparator: f = .separator
        case .control, .format, .surrogate, .privateUse: f = .control
        case .unassigned: f = .undefined
        @unknown default: f = .undefined
        }
        if p.isWhitespace { f.insert(.whitespace) }
        return f
    }

    @inline(__always) package var isLetter: Bool { rawValue & 0x0004 != 0 }
    @inline(__always) package var isNumber: Bool { rawValue & 0x0002 != 0 }
    @inline(__always) package var isWhitespace: Bool { rawValue & 0x0100 != 0 }
    @inline(__always) package var isPunctuation: Bool { rawValue & 0x0020 != 0 }
    @inline(__always) package var isSymbol: Bool { rawValue & 0x0040 != 0 }
    @inline(__always) package var isControl: Bool { rawValue & 0x0080 != 0 }
    @inline(__always) package var isMark: Bool { rawValue & 0x0010 != 0 }
    /// True for any code point inside the text (llama.cpp's `as_uint() != 0`); false only past the end.
    @inline(__always) package var isSome: Bool { rawValue != 0 }
}

/// Code point helpers shared by the tokenizers.
package enum UnicodeText {
    /// Decodes UTF-8 into code points and the byte offset where each one starts (plus the end offset).
    package static func codePoints(_ bytes: UnsafeBufferPointer<UInt8>) -> (cps: [UInt32], offsets: [Int]) {
        var cps: [UInt32] = []; cps.reserveCapacity(bytes.count)
        var offs: [Int] = []; offs.reserveCapacity(bytes.count + 1)
        var i = 0
        let n = bytes.count
        while i < n {
            offs.append(i)
            let b0 = UInt32(bytes[i])
            if b0 < 0x80 { cps.append(b0); i += 1; continue }
            let len = utf8Length(UInt8(b0))
            if len > 1 && i + len <= n {
                var cp: UInt32 = len == 2 ? b0 & 0x1F : (len == 3 ? b0 & 0x0F : b0 & 0x07)
                var ok = true
                for k in 1..<len {
                    let b = UInt32(bytes[i + k])
                    if b & 0xC0 != 0x80 { ok = false; break }
                    cp = (cp << 6) | (b & 0x3F)
                }
                if ok { cps.append(cp); i += len; continue }
            }
            // Invalid UTF-8 becomes U+FFFD, one byte at a time, as llama.cpp's unicode_cpts_from_utf8 does.
            cps.append(0xFFFD); i += 1
        }
        offs.append(n)
        return (cps, offs)
    }

    /// Length of the UTF-8 sequence a lead byte starts (llama.cpp's `unicode_len_utf8`).
    @inline(__always)
    package static func utf8Length(_ b: UInt8) -> Int {
        switch b >> 4 { case 0xC, 0xD: return 2; case 0xE: return 3; case 0xF: return 4; default: return 1 }
    }

    package static func appendUTF8(_ cp: UInt32, to out: inout [UInt8]) {
        if cp < 0x80 { out.append(UInt8(cp)) }
        else if cp < 0x800 { out.append(UInt8(0xC0 | (cp >> 6))); out.append(UInt8(0x80 | (cp & 0x3F))) }
        else if cp < 0x10000 {
            out.append(UInt8(0xE0 | (cp >> 12))); out.append(UInt8(0x80 | ((cp >> 6) & 0x3F))); out.append(UInt8(0x80 | (cp & 0x3F)))
        } else {
            out.append(UInt8(0xF0 | (cp >> 18))); out.append(UInt8(0x80 | ((cp >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((cp >> 6) & 0x3F))); out.append(UInt8(0x80 | (cp & 0x3F)))
        }
    }

    /// Lowercase mapping's first code point (llama.cpp's `unicode_tolower` table holds the first one).
    package static func lowercase(_ cp: UInt32) -> UInt32 {
        if cp < 0x80 { return (cp >= 0x41 && cp <= 0x5A) ? cp + 32 : cp }
        guard let s = Unicode.Scalar(cp) else { return cp }
        return s.properties.lowercaseMapping.unicodeScalars.first?.value ?? cp
    }

    /// GPT-2's byte-to-unicode table: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards.
    package static let byteToCodePoint: [UInt32] = {
        var map = [UInt32](repeating: 0, count: 256)
        var used = [Bool](repeating: false, count: 256)
        for b in 0x21...0x7E { map[b] = UInt32(b); used[b] = true }
        for b in 0xA1...0xAC { map[b] = UInt32(b); used[b] = true }
        for b in 0xAE...0xFF { map[b] = UInt32(b); used[b] = true }
        var n: UInt32 = 0
        for b in 0..<256 where !used[b] { map[b] = 256 + n; n += 1 }
        return map
    }()

    /// The inverse of `byteToCodePoint`, indexed by code point (< 0x144); -1 where no byte maps there.
    package static let codePointToByte: [Int16] = {
        var inv = [Int16](repeating: -1, count: 0x144)
        for b in 0..<256 { inv[Int(byteToCodePoint[b])] = Int16(b) }
        return inv
    }()
}
