// PreTokenizer: how byte-level BPE vocabularies split text into words before merging, per `tokenizer.ggml.pre`.

/// The word splitter of a BPE vocabulary: llama.cpp's regex list for its pre-tokenizer type, applied in order
/// (each pattern splits the pieces the previous one produced), plus the per-type tokenizer flags.
///
/// The two patterns nearly every model uses (GPT-2's and Llama 3's) and the Kimi-K2/AFMoE ones run as
/// hand-written state machines over code points, exactly like llama.cpp's `unicode_regex_split_custom_*`;
/// all others go through `SplitRegex`.
package struct PreTokenizer: Sendable {
    package let name: String
    package let patterns: [String]
    /// llama.cpp's `clean_spaces`: decoding removes the space before `?!.,` and some contractions.
    package let cleanSpaces: Bool
    /// Words that are already whole tokens skip merging (llama.cpp's `ignore_merges`).
    package let ignoreMerges: Bool
    /// The type adds BOS by default (before `tokenizer.ggml.add_bos_token` overrides it).
    package let addBOS: Bool
    /// The type has no BOS token (chatglm/glm4).
    package let noBOS: Bool
    /// Gemma 4's type: the text is raw UTF-8 with spaces as ▁, not GPT-2 byte characters.
    package let isSentencePieceStyle: Bool
    private let steps: [Step]

    enum Step: @unchecked Sendable {
        case gpt2, llama3, kimiK2, afmoeDigits
        case regex(SplitRegex)
    }

    static let gpt2Pattern = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)"
    static let llama3Pattern = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
    static let qwen2Pattern = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
    /// Qwen3.5: Qwen2's pattern with combining marks (\\p{M}) kept inside words.
    static let qwen35Pattern = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
    static let poroPattern = " ?[^(\\s|.,!?…。，、।۔،)]+"
    static let contractions = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"

    /// Regex lists by llama.cpp pre-tokenizer type (llama-vocab.cpp, `llm_tokenizer_bpe`).
    static func patterns(forType t: String) -> [String] {
        switch t {
        case "llama3", "dbrx", "smaug", "chatglm4": return [llama3Pattern]
        case "deepseek-llm":
            return ["[\r\n]",
                    "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u{1F7D}ᾀ-ᾴᾶ-ᾼ\u{1FBE}ῂ-ῄῆ-ῌῐ-\u{1FD3}ῖ-\u{1FDB}ῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u{2126}ℨ\u{212A}-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
                    "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
                    "\\s+$",
                    "[一-龥ࠀ-一가-퟿]+",
                    "\\p{N}+"]
        case "deepseek3", "hunyuan-dense":
            return ["\\p{N}{1,3}",
                    "[一-龥぀-ゟ゠-ヿ]+",
                    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"]
        case "youtu":
            return ["[가-힣ㄱ-ㆎ]+|[！…“”‘’—：；，、-〿︰-﹏]+|[ㄅ-ㄯ]+|[一-龥぀-ゟ゠-ヿ]+",
                    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+\(contractions)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*\(contractions)?|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"]
        case "deepseek-coder":
            return ["[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+", "\\p{N}"]
        case "falcon":
            return ["[\\p{P}\\$\\+<=>\\^~\\|`]+", gpt2Pattern, "[0-9][0-9][0-9]"]
        case "starcoder": return ["\\p{N}", gpt2Pattern]
        case "gpt2": return [gpt2Pattern]
        case "qwen2": return [qwen2Pattern]
        case "qwen35": return [qwen35Pattern]
        // SentencePiece-style BPE: no word splitting, only newlines apart (merges never cross them)
        case "gemma4": return ["[^\\n]+|[\\n]+"]
        case "poro": return [poroPattern]
        case "viking": return [poroPattern, "\\p{N}"]
        case "tekken":
            return ["[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"]
        case "chameleon":
            return ["<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )", "\\p{N}",
                    "[\\p{P}!-/:-@\\[-`{-~]", gpt2Pattern]
        case "gpt4o":
            return ["[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))*((?=[\\p{L}])([^A-Z]))+\(contractions)?|[^\\r\\n\\p{L}\\p{N}]?((?=[\\p{L}])([^a-z]))+((?=[\\p{L}])([^A-Z]))*\(contractions)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"]
        case "kimi-k2": return ["\\p{Han}+"]
        case "superbpe": return ["\\p{N}+", "(?=(\\d{3})+(?!\\d))"]
        case "bailingmoe":
            return ["'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"]
        case "seed-coder":
            return ["\(contractions)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1}| ?[^\\s\\p{L}\\p{N}\\r\\n]+|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"]
        case "afmoe":
            return ["\\p{AFMoE_digits}",
                    "[一-鿿㐀-䶿\u{F900}-﫿぀-ゟ゠-ヿ･-ﾟ⼀-⿟เ-๿຀-໿ក-៿က-႟ꩠ-ꩿꧠ-꧿가-힯ᄀ-ᇿ]+",
                    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"]
        case "exaone-moe":
            return ["\(contractions)|[^\\r\\n\\p{L}\\p{N}]?(?:\\p{L}\\p{M}*(?: \\p{L}\\p{M}*)*)+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]?|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"]
        default:  // "default"
            return ["[\\p{P}\\$\\+<=>\\^~\\|]+", gpt2Pattern, "\\p{N}+", "[0-9][0-9][0-9]"]
        }
    }

    /// Maps a `tokenizer.ggml.pre` value to (type, clean_spaces, ignore_merges, add_bos, no_bos), as llama.cpp's loader does.
    static func type(forPre pre: String) -> (String, Bool, Bool, Bool, Bool)? {
        switch pre {
        case "", "default": return ("default", true, false, false, false)
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2":
            return ("llama3", true, true, true, false)
        case "deepseek-llm": return ("deepseek-llm", false, false, false, false)
        case "deepseek-coder": return ("deepseek-coder", false, false, false, false)
        case "deepseek-v3": return ("deepseek3", false, false, false, false)
        case "hunyuan-dense": return ("deepseek3", false, false, false, false)
        case "youtu": return ("youtu", false, true, false, false)
        case "falcon": return ("falcon", true, false, false, false)
        case "mpt", "olmo", "jais": return ("gpt2", true, false, false, false)
        case "trillion", "granite-docling": return ("gpt2", false, false, false, false)
        case "starcoder", "refact", "codeshell", "exaone", "minerva-7b": return ("starcoder", true, false, false, false)
        case "command-r", "smollm": return ("starcoder", false, false, false, false)
        case "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
             "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "exaone4":
            return ("gpt2", true, false, false, false)
        case "qwen2", "deepseek-r1-qwen", "kormo", "megrez", "f2llmv2": return ("qwen2", false, false, false, false)
        case "qwen35": return ("qwen35", false, false, false, false)
        case "gemma4", "granite-embed-multi-311m": return ("gemma4", true, false, false, false)
        case "stablelm2": return ("qwen2", true, false, false, false)
        case "hunyuan", "grok-2", "solar-open": return ("qwen2", false, false, false, false)
        case "dbrx": return ("dbrx", true, false, false, false)
        case "smaug-bpe": return ("smaug", true, false, false, false)
        case "poro-chat": return ("poro", false, false, false, false)
        case "bloom", "gpt3-finnish": return ("poro", true, false, false, false)
        case "glm4", "chatglm-bpe": return ("chatglm4", true, false, false, true)
        case "viking": return ("viking", false, false, false, false)
        case "tekken": return ("tekken", false, true, true, false)
        case "exaone-moe": return ("exaone-moe", true, false, false, false)
        case "chameleon": return ("chameleon", false, false, true, false)
        case "gpt-4o", "llama4", "minimax-m2": return ("gpt4o", false, false, false, false)
        case "superbpe": return ("superbpe", false, false, false, false)
        case "bailingmoe", "bailingmoe2", "llada-moe": return ("bailingmoe", false, false, false, false)
        case "seed-coder": return ("seed-coder", false, false, false, false)
        case "kimi-k2": return ("kimi-k2", false, false, false, false)
        case "afmoe": return ("afmoe", false, false, false, false)
        default: return nil
        }
    }

    /// Every `tokenizer.ggml.pre` value this splitter accepts.
    package static let knownNames: [String] = [
        "default", "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2",
        "deepseek-llm", "deepseek-coder", "deepseek-v3", "hunyuan-dense", "youtu", "falcon", "mpt", "olmo", "jais",
        "trillion", "granite-docling", "starcoder", "refact", "codeshell", "exaone", "minerva-7b", "command-r", "smollm",
        "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum", "modern-bert",
        "jina-v1-en", "jina-v2-code", "roberta-bpe", "exaone4", "qwen2", "deepseek-r1-qwen", "kormo", "megrez", "stablelm2",
        "hunyuan", "grok-2", "solar-open", "dbrx", "smaug-bpe", "poro-chat", "bloom", "gpt3-finnish", "glm4", "chatglm-bpe",
        "viking", "tekken", "exaone-moe", "chameleon", "gpt-4o", "llama4", "minimax-m2", "superbpe", "bailingmoe",
        "bailingmoe2", "llada-moe", "seed-coder", "kimi-k2", "afmoe", "f2llmv2", "qwen35", "gemma4", "granite-embed-multi-311m",
    ]

    package init?(pre: String) {
        guard let (t, clean, ignore, bos, noBOS) = PreTokenizer.type(forPre: pre) else { return nil }
        name = pre.isEmpty ? "default" : pre
        patterns = PreTokenizer.patterns(forType: t)
        cleanSpaces = clean; ignoreMerges = ignore; addBOS = bos; self.noBOS = noBOS
        isSentencePieceStyle = t == "gemma4"
        var steps: [Step] = []
        for p in patterns {
            switch p {
            case PreTokenizer.gpt2Pattern: steps.append(.gpt2)
            case PreTokenizer.llama3Pattern: steps.append(.llama3)
            case "\\p{Han}+": steps.append(.kimiK2)
            case "\\p{AFMoE_digits}": steps.append(.afmoeDigits)
            default:
                guard let r = SplitRegex(p) else { return nil }
                steps.append(.regex(r))
            }
        }
        self.steps = steps
    }

    /// Splits code points into words (ranges of code point indices, in order, covering the text).
    package func split(_ cps: [UInt32]) -> [Range<Int>] {
        var pieces: [Range<Int>] = cps.isEmpty ? [] : [0..<cps.count]
        for s in steps {
            switch s {
            case .gpt2: pieces = PreTokenizer.splitGPT2(cps, pieces)
            case .llama3: pieces = PreTokenizer.splitLlama3(cps, pieces)
            case .kimiK2: pieces = PreTokenizer.splitKimiK2(cps, pieces)
            case .afmoeDigits: pieces = PreTokenizer.splitAFMoEDigits(cps, pieces)
            case let .regex(r): pieces = r.split(cps, pieces: pieces)
            }
        }
        return pieces
    }

    /// A cursor over one piece: out-of-piece positions read as "no code point" (flags 0, cp OUT).
    struct Cursor {
        let cps: UnsafeBufferPointer<UInt32>
        let lo: Int, hi: Int
        static let out: UInt32 = 0xFFFF_FFFF
        @inline(__always) func cp(_ p: Int) -> UInt32 { p >= lo && p < hi ? cps[p] : Cursor.out }
        @inline(__always) func flags(_ p: Int) -> UnicodeFlags { p >= lo && p < hi ? UnicodeFlags.of(cps[p]) : UnicodeFlags(rawValue: 0) }
    }

    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    static func splitGPT2(_ cps: [UInt32], _ pieces: [Range<Int>]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(cps.count / 3 + pieces.count)
        cps.withUnsafeBufferPointer { buf in
            for piece in pieces {
                let c = Cursor(cps: buf, lo: piece.lowerBound, hi: piece.upperBound)
                var prev = piece.lowerBound
                @inline(__always) func add(_ end: Int) -> Int {
                    let n = end - prev
                    if n > 0 { out.append(prev..<end) }
                    prev = end
                    return n
                }
                var pos = piece.lowerBound
                while pos < piece.upperBound {
                    let cp = c.cp(pos)
                    let f = c.flags(pos)
                    if cp == 0x27 && pos + 1 < piece.upperBound {
                        let n1 = c.cp(pos + 1)
                        if n1 == 0x73 || n1 == 0x74 || n1 == 0x6D || n1 == 0x64 { pos += add(pos + 2); continue }
                        if pos + 2 < piece.upperBound {
                            let n2 = c.cp(pos + 2)
                            if (n1 == 0x72 && n2 == 0x65) || (n1 == 0x76 && n2 == 0x65) || (n1 == 0x6C && n2 == 0x6C) {
                                pos += add(pos + 3); continue
                            }
                        }
                    }
                    var f2 = cp == 0x20 ? c.flags(pos + 1) : f
                    if f2.isLetter {
                        if cp == 0x20 { pos += 1 }
                        while f2.isLetter { pos += 1; f2 = c.flags(pos) }
                        _ = add(pos); continue
                    }
                    if f2.isNumber {
                        if cp == 0x20 { pos += 1 }
                        while f2.isNumber { pos += 1; f2 = c.flags(pos) }
                        _ = add(pos); continue
                    }
                    if !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f2.isSome {
                        if cp == 0x20 { pos += 1 }
                        while !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f2.isSome { pos += 1; f2 = c.flags(pos) }
                        _ = add(pos); continue
                    }
                    var nws = 0
                    while c.flags(pos + nws).isWhitespace { nws += 1 }
                    if nws > 1 && c.cp(pos + nws) != Cursor.out { pos += nws - 1; _ = add(pos); continue }
                    if nws > 0 { pos += nws; _ = add(pos); continue }
                    pos += 1; _ = add(pos)
                }
            }
        }
        return out
    }

    /// Llama 3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    static func splitLlama3(_ cps: [UInt32], _ pieces: [Range<Int>]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(cps.count / 3 + pieces.count)
        cps.withUnsafeBufferPointer { buf in
            for piece in pieces {
                let c = Cursor(cps: buf, lo: piece.lowerBound, hi: piece.upperBound)
                var prev = piece.lowerBound
                @inline(__always) func add(_ end: Int) -> Int {
                    let n = end - prev
                    if n > 0 { out.append(prev..<end) }
                    prev = end
                    return n
                }
                var pos = piece.lowerBound
                while pos < piece.upperBound {
                    let cp = c.cp(pos)
                    let f = c.flags(pos)
                    if cp == 0x27 && pos + 1 < piece.upperBound {
                        let n1 = UnicodeText.lowercase(c.cp(pos + 1))
                        if n1 == 0x73 || n1 == 0x74 || n1 == 0x6D || n1 == 0x64 { pos += add(pos + 2); continue }
                        if pos + 2 < piece.upperBound {
                            let n2 = UnicodeText.lowercase(c.cp(pos + 2))
                            if (n1 == 0x72 && n2 == 0x65) || (n1 == 0x76 && n2 == 0x65) || (n1 == 0x6C && n2 == 0x6C) {
                                pos += add(pos + 3); continue
                            }
                        }
                    }
                    if !(cp == 0x0D || cp == 0x0A || f.isNumber) {
                        if f.isLetter || c.flags(pos + 1).isLetter {
                            pos += 1
                            while c.flags(pos).isLetter { pos += 1 }
                            _ = add(pos); continue
                        }
                    }
                    if f.isNumber {
                        var ini = pos
                        while c.flags(pos).isNumber {
                            pos += 1
                            if pos - ini >= 3 { _ = add(pos); ini = pos }
                        }
                        _ = add(pos); continue
                    }
                    var f2 = cp == 0x20 ? c.flags(pos + 1) : f
                    if !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f.isSome {
                        if cp == 0x20 { pos += 1 }
                        while !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f2.isSome { pos += 1; f2 = c.flags(pos) }
                        var c2 = c.cp(pos)
                        while c2 == 0x0D || c2 == 0x0A { pos += 1; c2 = c.cp(pos) }
                        _ = add(pos); continue
                    }
                    var nws = 0
                    var lastRN = 0
                    while c.flags(pos + nws).isWhitespace {
                        let c2 = c.cp(pos + nws)
                        if c2 == 0x0D || c2 == 0x0A { lastRN = pos + nws + 1 }
                        nws += 1
                    }
                    if lastRN > 0 { pos = lastRN; _ = add(pos); continue }
                    if nws > 1 && c.cp(pos + nws) != Cursor.out { pos += nws - 1; _ = add(pos); continue }
                    if nws > 0 { pos += nws; _ = add(pos); continue }
                    pos += 1; _ = add(pos)
                }
            }
        }
        return out
    }

    /// Han ideographs as llama.cpp's `unicode_cpt_is_han` lists them.
    @inline(__always)
    static func isHan(_ cp: UInt32) -> Bool {
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
        (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
        (cp >= 0x2CEB0 && cp <= 0x2EBEF) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F)
    }

    /// Kimi-K2: Han runs, then Llama-3-like words that exclude Han, with trailing contractions.
    static func splitKimiK2(_ cps: [UInt32], _ pieces: [Range<Int>]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        cps.withUnsafeBufferPointer { buf in
            for piece in pieces {
                let c = Cursor(cps: buf, lo: piece.lowerBound, hi: piece.upperBound)
                let end = piece.upperBound
                var prev = piece.lowerBound
                func add(_ e: Int) { if e > prev { out.append(prev..<e) }; prev = e }
                func letterNoHan(_ p: Int) -> Bool { c.flags(p).isLetter && !isHan(c.cp(p)) }
                var pos = piece.lowerBound
                while pos < end {
                    let cp = c.cp(pos)
                    let f = c.flags(pos)
                    if isHan(cp) {
                        while isHan(c.cp(pos)) { pos += 1 }
                        add(pos); continue
                    }
                    let lead = !(cp == 0x0D || cp == 0x0A || f.isLetter || f.isNumber)
                    if (f.isLetter && !isHan(cp)) || (lead && letterNoHan(pos + 1)) {
                        var hasLead = false
                        if lead { hasLead = true; pos += 1 }
                        var hasLetters = false
                        while letterNoHan(pos) { hasLetters = true; pos += 1 }
                        if hasLetters || (!hasLead && letterNoHan(pos)) {
                            if !hasLetters { pos += 1 }
                            while letterNoHan(pos) { pos += 1 }
                            if c.cp(pos) == 0x27 && pos + 1 < end {
                                let n1 = UnicodeText.lowercase(c.cp(pos + 1))
                                if n1 == 0x73 || n1 == 0x74 || n1 == 0x6D || n1 == 0x64 { pos += 2 }
                                else if pos + 2 < end {
                                    let n2 = UnicodeText.lowercase(c.cp(pos + 2))
                                    if (n1 == 0x72 && n2 == 0x65) || (n1 == 0x76 && n2 == 0x65) || (n1 == 0x6C && n2 == 0x6C) { pos += 3 }
                                }
                            }
                            add(pos); continue
                        } else if hasLead { pos -= 1 }
                    }
                    if f.isNumber {
                        var ini = pos
                        while c.flags(pos).isNumber { pos += 1; if pos - ini >= 3 { add(pos); ini = pos } }
                        add(pos); continue
                    }
                    var f2 = cp == 0x20 ? c.flags(pos + 1) : f
                    if !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f2.isSome {
                        if cp == 0x20 { pos += 1 }
                        while !(f2.isWhitespace || f2.isLetter || f2.isNumber) && f2.isSome { pos += 1; f2 = c.flags(pos) }
                        var c2 = c.cp(pos)
                        while c2 == 0x0D || c2 == 0x0A { pos += 1; c2 = c.cp(pos) }
                        add(pos); continue
                    }
                    var nws = 0, lastRN = 0
                    while c.flags(pos + nws).isWhitespace {
                        let c2 = c.cp(pos + nws)
                        if c2 == 0x0D || c2 == 0x0A { lastRN = pos + nws + 1 }
                        nws += 1
                    }
                    if lastRN > 0 { pos = lastRN; add(pos); continue }
                    if nws > 1 && c.cp(pos + nws) != Cursor.out { pos += nws - 1; add(pos); continue }
                    if nws > 0 { pos += nws; add(pos); continue }
                    pos += 1; add(pos)
                }
            }
        }
        return out
    }

    /// AFMoE digits: a run of n digits splits as (n mod 3) leading digits, then groups of three.
    static func splitAFMoEDigits(_ cps: [UInt32], _ pieces: [Range<Int>]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for piece in pieces {
            var prev = piece.lowerBound
            func add(_ e: Int) { if e > prev { out.append(prev..<e) }; prev = e }
            var pos = piece.lowerBound
            while pos < piece.upperBound {
                if UnicodeFlags.of(cps[pos]).isNumber {
                    let start = pos
                    while pos < piece.upperBound && UnicodeFlags.of(cps[pos]).isNumber { pos += 1 }
                    let count = pos - start
                    var cur = start
                    let rem = count % 3
                    if rem > 0 { add(cur + rem); cur += rem }
                    while cur < start + count { add(cur + 3); cur += 3 }
                    continue
                }
                pos += 1
            }
            if prev < piece.upperBound { add(piece.upperBound) }
        }
        return out
    }
}

// Hooks for the tests that compare the hand-written splitters with the regex engine.
extension PreTokenizer {
    package static var gpt2PatternForTests: String { gpt2Pattern }
    package static var llama3PatternForTests: String { llama3Pattern }
    package static func splitGPT2ForTests(_ cps: [UInt32]) -> [Range<Int>] { splitGPT2(cps, cps.isEmpty ? [] : [0..<cps.count]) }
    package static func splitLlama3ForTests(_ cps: [UInt32]) -> [Range<Int>] { splitLlama3(cps, cps.isEmpty ? [] : [0..<cps.count]) }
}
