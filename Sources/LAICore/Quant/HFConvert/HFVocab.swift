// HFVocab: tokenizer metadata as convert_hf_to_gguf.py's set_vocab writes it: SentencePiece `tokenizer.model`
// (the protobuf read here: pieces, scores, types) with added tokens, and gguf-py's SpecialVocab (special token
// ids, add_bos/add_eos/add_sep, chat template); byte-level BPE tokenizer.json vocabularies are HFBPEVocab's.
import Foundation

enum HFVocab {
    /// LlamaModel.set_vocab: tokenizer_config's add_prefix_space, then SentencePiece (else BPE).
    static func llama(_ c: HFContext, _ w: inout HFMetadataWriter) throws {
        if let tc = try HFCheckpoint.json(c.folder, "tokenizer_config.json"), let v = tc["add_prefix_space"] as? Bool {
            w.bool("tokenizer.ggml.add_space_prefix", v)
        }
        try sentencePieceOrGPT2(c, &w, llamaHF: true)
        // The converter's CodeLlama (vocab 32016) FIM ids and Granite-small (49152) add_bos = false.
        if c.int("vocab_size") == 32016 { throw unsupported(c, "CodeLlama's 32016-token vocabulary") }
        if c.int("vocab_size") == 49152 { w.bool("tokenizer.ggml.add_bos_token", false) }
    }

    static func sentencePieceOrGPT2(_ c: HFContext, _ w: inout HFMetadataWriter, llamaHF: Bool = false) throws {
        if exists(c, "tokenizer.model") { return try sentencePiece(c, &w) }
        if exists(c, "tokenizer.json") {
            // LlamaModel tries LlamaHfVocab first: a byte-fallback BPE with a Sequence decoder is a SentencePiece model in HF form.
            if llamaHF, let tj = try HFCheckpoint.json(c.folder, "tokenizer.json"), let m = tj["model"] as? [String: Any],
               m["type"] as? String == "BPE", m["byte_fallback"] as? Bool == true,
               (tj["decoder"] as? [String: Any])?["type"] as? String == "Sequence" {
                return try llamaHFVocab(c, &w, tj, m)
            }
            return try HFBPEVocab.write(c, &w)
        }
        // No tokenizer files: the model is written without a vocabulary (llama.cpp then needs one from elsewhere).
    }

    /// `_set_vocab_llama_hf` (gguf-py's LlamaHfVocab): the model vocabulary by id — byte tokens `<0xXX>` typed byte,
    /// the tokenizer's special tokens (transformers' all_special_tokens: tokenizer_config / special_tokens_map's
    /// bos, eos, unk, sep, pad, cls, mask and additional_special_tokens) control, the rest normal — then the added
    /// tokens past it by id (control when special, else user-defined); every score −1000, no merges.
    static func llamaHFVocab(_ c: HFContext, _ w: inout HFMetadataWriter, _ tj: [String: Any], _ model: [String: Any]) throws {
        let path = c.folder.appendingPathComponent("tokenizer.json").path
        guard let vocab = model["vocab"] as? [String: Int] else { throw HFModelError.invalid(path: path, message: "model.vocab is not an object of ids") }
        let base = vocab.count
        var byID = [String?](repeating: nil, count: base)
        var full = vocab  // transformers' get_vocab(): the model's tokens and the added ones
        for (t, id) in vocab {
            guard id >= 0, id < base else { throw HFModelError.invalid(path: path, message: "token id \(id) outside the vocabulary of \(base)") }
            byID[id] = t
        }
        var added: [(String, Int)] = []
        for a in (tj["added_tokens"] as? [[String: Any]]) ?? [] {
            guard let t = a["content"] as? String, let id = a["id"] as? Int else { continue }
            full[t] = id
            if id >= base { added.append((t, id)) }
        }
        added.sort { $0.1 < $1.1 }
        // all_special_tokens: the special-token attributes of special_tokens_map.json and tokenizer_config.json.
        var specials = Set<String>()
        func content(_ v: Any?) -> String? { (v as? String) ?? ((v as? [String: Any])?["content"] as? String) }
        for file in ["special_tokens_map.json", "tokenizer_config.json"] {
            guard let j = try HFCheckpoint.json(c.folder, file) else { continue }
            for k in ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"] {
                if let s = content(j[k]) { specials.insert(s) }
            }
            for v in (j["additional_special_tokens"] as? [Any]) ?? [] { if let s = content(v) { specials.insert(s) } }
        }
        let specialIDs = Set(specials.compactMap { full[$0] })
        func isByte(_ t: String) -> Bool {
            let u = Array(t.utf8)
            func hex(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b | 0x20 >= 97 && b | 0x20 <= 102) }
            return u.count == 6 && t.hasPrefix("<0x") && u[5] == UInt8(ascii: ">") && hex(u[3]) && hex(u[4])
        }
        var tokens: [String] = [], types: [Int32] = []
        for id in 0..<base {
            guard let t = byID[id] else { throw HFModelError.invalid(path: path, message: "no token has id \(id)") }
            tokens.append(t)
            types.append(isByte(t) ? 6 : specialIDs.contains(id) ? 3 : 1)
        }
        for (t, id) in added {
            tokens.append(t)
            types.append(specials.contains(t) ? (specialIDs.contains(full[t] ?? id) ? 3 : 1) : 4)
        }
        w.string("tokenizer.ggml.model", "llama")
        w.string("tokenizer.ggml.pre", "default")
        w.set("tokenizer.ggml.tokens", .array(GGUFArray(strings: tokens)))
        w.set("tokenizer.ggml.scores", .array(GGUFArray(floats: [Float](repeating: -1000, count: tokens.count))))
        w.set("tokenizer.ggml.token_type", .array(GGUFArray(int32s: types)))
        try specialVocab(c, &w, vocabularySize: tokens.count)
    }

    /// Gemma3Model.set_vocab: SentencePiece with add_space_prefix = false, else BPE.
    static func gemma(_ c: HFContext, _ w: inout HFMetadataWriter) throws {
        if exists(c, "tokenizer.model") {
            try sentencePiece(c, &w)
            w.bool("tokenizer.ggml.add_space_prefix", false)
            return
        }
        if exists(c, "tokenizer.json") { try HFBPEVocab.write(c, &w) }
    }

    /// Gemma3Model.modify_tensors' n_vocab_real: the SentencePiece vocabulary padded to config vocab_size,
    /// else tokenizer.json's vocab plus its added tokens.
    static func gemmaVocabularySize(_ c: HFContext) throws -> Int {
        if exists(c, "tokenizer.model") { return try sentencePieceVocabulary(c).tokens.count }
        guard let tj = try HFCheckpoint.json(c.folder, "tokenizer.json"), let model = tj["model"] as? [String: Any],
              let vocab = model["vocab"] as? [String: Any] else {
            throw HFModelError.invalid(path: c.folder.appendingPathComponent("tokenizer.json").path, message: "missing, or no model.vocab")
        }
        return vocab.count + ((tj["added_tokens"] as? [Any])?.count ?? 0)
    }

    private static func exists(_ c: HFContext, _ name: String) -> Bool {
        FileManager.default.fileExists(atPath: c.folder.appendingPathComponent(name).path)
    }
    private static func unsupported(_ c: HFContext, _ what: String) -> HFModelError {
        .invalid(path: c.folder.path, message: "lai does not convert \(what) yet")
    }

    // MARK: SentencePiece

    /// `_set_vocab_sentencepiece`: model "llama", pre "default", tokens, scores, types, then SpecialVocab.
    static func sentencePiece(_ c: HFContext, _ w: inout HFMetadataWriter) throws {
        let v = try sentencePieceVocabulary(c)
        w.string("tokenizer.ggml.model", "llama")
        w.string("tokenizer.ggml.pre", "default")
        w.set("tokenizer.ggml.tokens", .array(GGUFArray(strings: v.tokens)))
        w.set("tokenizer.ggml.scores", .array(GGUFArray(floats: v.scores)))
        w.set("tokenizer.ggml.token_type", .array(GGUFArray(int32s: v.types)))
        try specialVocab(c, &w, vocabularySize: v.tokens.count)
    }

    /// `_create_vocab_sentencepiece`: the pieces padded to config vocab_size with `[PADi]` (score −10000,
    /// unused), types from the piece type (user-defined pieces stay normal), added_tokens.json (user-defined,
    /// −1000), tokenizer_config's added_tokens_decoder (control when special or special-looking, else
    /// user-defined with ▁ → space; score −1000), then `[PADi]` to vocab_size (−1000, unused).
    static func sentencePieceVocabulary(_ c: HFContext) throws -> (tokens: [String], scores: [Float], types: [Int32]) {
        let url = c.folder.appendingPathComponent("tokenizer.model")
        let pieces = try SentencePieceModel.read(url)
        let size = c.int("vocab_size_per_layer_input", "vocab_size") ?? pieces.count
        var (tokens, scores, types) = paddedPieces(pieces, size: size)
        if let added = try HFCheckpoint.json(c.folder, "added_tokens.json") {
            for (key, id) in added {
                guard let id = id as? Int, id >= 0, id < size else { continue }
                tokens[id] = key; scores[id] = -1000; types[id] = 4
            }
        }
        if let tc = try HFCheckpoint.json(c.folder, "tokenizer_config.json"), let dec = tc["added_tokens_decoder"] as? [String: Any] {
            for (key, value) in dec {
                guard let id = Int(key), id >= 0, id < size, let d = value as? [String: Any], var token = d["content"] as? String else { continue }
                if d["special"] as? Bool == true || looksSpecial(token) {
                    types[id] = 3
                } else {
                    token = token.replacingOccurrences(of: "\u{2581}", with: " ")
                    types[id] = 4
                }
                scores[id] = -1000
                tokens[id] = token
            }
        }
        return (tokens, scores, types)
    }

    /// Phi3MiniModel.set_vocab's SentencePiece reader: the pieces (types as `_create_vocab_sentencepiece`) padded to
    /// vocab_size, then added_tokens.json, tokenizer_config's added_tokens_decoder and tokenizer.json's added_tokens,
    /// each as user-defined (control when marked special; no special-looking test, no ▁ replacement) with score
    /// −1000; model "llama", pre "default", then SpecialVocab.
    static func phi3SentencePiece(_ c: HFContext, _ w: inout HFMetadataWriter) throws {
        let url = c.folder.appendingPathComponent("tokenizer.model")
        let pieces = try SentencePieceModel.read(url)
        let size = c.int("vocab_size") ?? pieces.count
        guard pieces.count <= size else {
            throw HFModelError.invalid(path: url.path, message: "\(pieces.count) pieces, more than config.json's vocab_size \(size)")
        }
        var (tokens, scores, types) = paddedPieces(pieces, size: size)
        if let added = try HFCheckpoint.json(c.folder, "added_tokens.json") {
            for (key, id) in added {
                guard let id = id as? Int, id >= 0, id < size else { continue }
                tokens[id] = key; scores[id] = -1000; types[id] = 4
            }
        }
        func addAll(_ entries: [(Int, [String: Any])], _ file: String) throws {
            for (id, d) in entries {
                guard id >= 0, id < size, let token = d["content"] as? String else {
                    throw HFModelError.invalid(path: c.folder.appendingPathComponent(file).path, message: "added token \(id) is outside the vocabulary of \(size)")
                }
                tokens[id] = token; scores[id] = -1000
                types[id] = d["special"] as? Bool == true ? 3 : 4
            }
        }
        if let tc = try HFCheckpoint.json(c.folder, "tokenizer_config.json"), let dec = tc["added_tokens_decoder"] as? [String: Any] {
            try addAll(dec.compactMap { k, v in Int(k).flatMap { id in (v as? [String: Any]).map { (id, $0) } } }, "tokenizer_config.json")
        }
        if let tj = try HFCheckpoint.json(c.folder, "tokenizer.json"), let list = tj["added_tokens"] as? [[String: Any]] {
            try addAll(list.compactMap { d in (d["id"] as? Int).map { ($0, d) } }, "tokenizer.json")
        }
        w.string("tokenizer.ggml.model", "llama")
        w.string("tokenizer.ggml.pre", "default")
        w.set("tokenizer.ggml.tokens", .array(GGUFArray(strings: tokens)))
        w.set("tokenizer.ggml.scores", .array(GGUFArray(floats: scores)))
        w.set("tokenizer.ggml.token_type", .array(GGUFArray(int32s: types)))
        try specialVocab(c, &w, vocabularySize: size)
    }

    /// `_xlmroberta_set_vocab` with a `sentencepiece.bpe.model` (a Unigram model): pieces padded to vocab_size, then
    /// realigned fairseq-style (`<s> <pad> </s> <unk>` and the pieces from id 3 on shifted by one); model "t5", the
    /// normalizer's add_dummy_prefix / remove_extra_whitespaces / precompiled_charsmap, then SpecialVocab.
    static func xlmRoberta(_ c: HFContext, _ w: inout HFMetadataWriter) throws {
        let url = c.folder.appendingPathComponent("sentencepiece.bpe.model")
        let pieces: [SentencePieceModel.Piece], spec: SentencePieceModel.Spec
        if FileManager.default.fileExists(atPath: url.path) {
            (pieces, spec) = try SentencePieceModel.readModel(url)
            guard spec.modelType == 1 else { throw HFModelError.invalid(path: url.path, message: "not a Unigram SentencePiece model (model_type \(spec.modelType))") }
        } else {
            (pieces, spec) = try SentencePieceModel.xlmRobertaPieces(tokenizerJSON: c.folder.appendingPathComponent("tokenizer.json"))
        }
        let size = max(c.int("vocab_size") ?? 0, pieces.count)
        guard size >= 4 else { throw HFModelError.invalid(path: url.path, message: "\(size) pieces: too few for XLM-RoBERTa's four special tokens") }
        var (tokens, scores, types) = paddedPieces(pieces, size: size)
        tokens = ["<s>", "<pad>", "</s>", "<unk>"] + tokens[3..<(size - 1)]
        scores = [0, 0, 0, 0] + scores[3..<(size - 1)]
        types = [3, 3, 3, 2] + types[3..<(size - 1)]
        w.string("tokenizer.ggml.model", "t5")
        w.string("tokenizer.ggml.pre", "default")
        w.set("tokenizer.ggml.tokens", .array(GGUFArray(strings: tokens)))
        w.set("tokenizer.ggml.scores", .array(GGUFArray(floats: scores)))
        w.set("tokenizer.ggml.token_type", .array(GGUFArray(int32s: types)))
        w.bool("tokenizer.ggml.add_space_prefix", spec.addDummyPrefix)
        w.u32("tokenizer.ggml.token_type_count", c.int("type_vocab_size") ?? 1)
        w.bool("tokenizer.ggml.remove_extra_whitespaces", spec.removeExtraWhitespaces)
        if !spec.charsmap.isEmpty {
            w.set("tokenizer.ggml.precompiled_charsmap", .array(GGUFArray(.uint8, spec.charsmap.map { .uint8($0) })))
        }
        try specialVocab(c, &w, vocabularySize: tokens.count)
    }

    /// The pieces by id, padded to `size` with `[PADi]` (score −10000, unused); types as the converter takes them
    /// from SentencePieceProcessor (1 normal, 2 unknown, 3 control, 5 unused, 6 byte; user-defined pieces stay normal).
    static func paddedPieces(_ pieces: [SentencePieceModel.Piece], size: Int) -> (tokens: [String], scores: [Float], types: [Int32]) {
        var tokens = (0..<size).map { "[PAD\($0)]" }
        var scores = [Float](repeating: -10000, count: size)
        var types = [Int32](repeating: 5, count: size)
        for (i, p) in pieces.enumerated() where i < size {
            tokens[i] = p.piece; scores[i] = p.score
            types[i] = [2, 3, 5, 6].contains(p.type) ? p.type : 1
        }
        return (tokens, scores, types)
    }

    /// TextModel.does_token_look_special.
    static func looksSpecial(_ t: String) -> Bool {
        if ["<pad>", "<mask>", "<2mass>", "[@BOS@]"].contains(t) { return true }
        if t.hasPrefix("<|") && t.hasSuffix("|>") { return true }
        if t.hasPrefix("<\u{FF5C}") && t.hasSuffix("\u{FF5C}>") { return true }
        return t.hasPrefix("<unused") && t.hasSuffix(">")
    }

    // MARK: SpecialVocab

    /// gguf-py's SpecialVocab(load_merges: false) for SentencePiece models: special token ids (tokenizer_config
    /// tokens found among tokenizer.json's added tokens, then config.json's `*_token_id`), add_* flags
    /// (tokenizer.json post-processor, then tokenizer_config), chat template (tokenizer_config, else
    /// chat_template.jinja / chat_template.json), normalizer flags.
    /// `extraIDs`: ids a family's set_vocab sets after loading (GLM-4's eos/eot/unk/bos); like every
    /// _set_special_token call they fill only types not already set.
    /// `types`: SpecialVocab's special_token_types; `chatTemplate: false` as `special_vocab.chat_template = None`.
    static func specialVocab(_ c: HFContext, _ w: inout HFMetadataWriter, vocabularySize: Int?, extraIDs: [(String, Int)] = [],
                             types initialTypes: [String] = ["bos", "eos", "unk", "sep", "pad", "cls", "mask"],
                             chatTemplate: Bool = true) throws {
        var types = initialTypes
        var ids: [(String, Int)] = []
        var add: [(String, Bool)] = []
        func setID(_ typ: String, _ id: Any?) {
            guard let id = id as? Int, id >= 0 else { return }
            if let n = vocabularySize, id >= n { return }
            if ids.contains(where: { $0.0 == typ }) { return }
            ids.append((typ, id))
        }
        func setAdd(_ typ: String, _ v: Bool, overwrite: Bool) {
            if let i = add.firstIndex(where: { $0.0 == typ }) { if overwrite { add[i].1 = v } } else { add.append((typ, v)) }
        }
        let tj = try HFCheckpoint.json(c.folder, "tokenizer.json")
        var tc = try HFCheckpoint.json(c.folder, "tokenizer_config.json")
        var lowercase: Bool?, stripAccents: Bool?
        let added = (tj?["added_tokens"] as? [[String: Any]]) ?? []
        if let tj {
            if let n = tj["normalizer"] as? [String: Any] { parseNormalizer(n, &lowercase, &stripAccents) }
            func content(_ k: String) -> String? {
                if let s = tc?[k] as? String { return s.isEmpty ? nil : s }
                return nil
            }
            var bos = content("bos_token"), cls = content("cls_token"), eos = content("eos_token"), sep = content("sep_token")
            if bos == nil, let cls, tc != nil { tc?["bos_token"] = cls; bos = cls }
            if eos == nil, let sep, tc != nil { tc?["eos_token"] = sep; eos = sep }
            if let pp = tj["post_processor"] as? [String: Any] {
                for proc in (pp["processors"] as? [[String: Any]]) ?? [pp] {
                    switch proc["type"] as? String {
                    case "ByteLevel":
                        setAdd("bos", false, overwrite: false); setAdd("eos", false, overwrite: false)
                    case "RobertaProcessing":
                        setAdd("bos", true, overwrite: true); setAdd("eos", true, overwrite: true); setAdd("sep", true, overwrite: true)
                        if cls == nil, tc != nil { cls = ((proc["cls"] as? [Any])?.first as? String) ?? bos; tc?["cls_token"] = cls }
                        if sep == nil, tc != nil { sep = ((proc["sep"] as? [Any])?.first as? String) ?? eos; tc?["sep_token"] = sep }
                    case "TemplateProcessing":
                        let single = (proc["single"] as? [[String: Any]]) ?? []
                        var pair = (proc["pair"] as? [[String: Any]]) ?? []
                        func special(_ e: [String: Any]) -> String? {
                            let s = (e["SpecialToken"] as? [String: Any])?["id"] as? String
                            return s?.isEmpty == true ? nil : s
                        }
                        var first: String?, last: String?
                        if single.count > 1 {
                            first = special(single[0])
                            if let f = first {
                                if tc == nil { bos = f } else if f != bos && f != cls {
                                    if bos == nil { tc?["bos_token"] = f; bos = f }
                                    if cls == nil { tc?["cls_token"] = f; cls = f }
                                }
                                setAdd("bos", f == bos || f == cls, overwrite: true)
                            }
                            last = special(single[single.count - 1])
                            if let l = last {
                                if tc == nil { eos = l } else if l != eos {
                                    if !types.contains("eot") { types.append("eot"); tc?["eot_token"] = eos }
                                    else if !types.contains("eom") { types.append("eom"); tc?["eom_token"] = eos }
                                    tc?["eos_token"] = l; eos = l
                                }
                                setAdd("eos", l == eos, overwrite: true)
                            }
                        }
                        if !pair.isEmpty {
                            let start = first != nil && special(pair[0]) == first ? 1 : 0
                            let stop = last != nil && special(pair[pair.count - 1]) == last ? pair.count - 1 : pair.count
                            pair = start < stop ? Array(pair[start..<stop]) : []
                            if !pair.isEmpty {
                                let a = (pair[0]["Sequence"] as? [String: Any])?["id"] as? String
                                let b = (pair[pair.count - 1]["Sequence"] as? [String: Any])?["id"] as? String
                                if a == "A", b == "B", pair.count > 2 {
                                    let middle = Array(pair[1..<(pair.count - 1)])
                                    var addSep = false
                                    if let e = special(middle[0]), e == sep || e == eos, last == nil { addSep = true }
                                    if middle.count == 2, let e = special(middle[1]), e == sep || e == eos { addSep = true }
                                    setAdd("sep", addSep, overwrite: true)
                                    if addSep, sep == nil, tc != nil { tc?["sep_token"] = eos }
                                }
                            }
                        }
                    default: break
                    }
                }
            }
        }
        if let tc {
            var template: GGUFValue? = nil
            var named: [(String, String)] = []
            if let t = tc["chat_template"] as? String { template = .string(t) }
            else if let list = tc["chat_template"] as? [[String: Any]] { named = list.compactMap { e in (e["template"] as? String).map { ((e["name"] as? String) ?? "", $0) } } }
            else if tc["chat_template"] == nil || tc["chat_template"] is NSNull {
                let jinja = c.folder.appendingPathComponent("chat_template.jinja")
                if let s = try? String(contentsOf: jinja, encoding: .utf8) {
                    template = .string(s)
                } else if let j = try HFCheckpoint.json(c.folder, "chat_template.json"), let s = j["chat_template"] as? String {
                    template = .string(s)
                }
            }
            for typ in types {
                if let a = tc["add_\(typ)_token"] as? Bool { setAdd(typ, a, overwrite: false) }
                var content: String?
                if let s = tc["\(typ)_token"] as? String { content = s }
                else if let d = tc["\(typ)_token"] as? [String: Any] { content = d["content"] as? String }
                guard let content else { continue }
                setID(typ, added.first(where: { $0["content"] as? String == content })?["id"])
            }
            // Key order of gguf-py's add_to_gguf: ids, add flags, chat template, normalizer (set below).
            try configIDs(c, types, setID)
            for (typ, id) in extraIDs { setID(typ, id) }
            writeSpecial(&w, ids, add)
            for (name, t) in named {
                let clean = String(name.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) ? Character($0) : "_" })
                if clean == "default" { template = .string(t) } else if !clean.isEmpty { w.string("tokenizer.chat_template.\(clean)", t) }
            }
            if !named.isEmpty {
                let names = named.map(\.0).filter { !$0.isEmpty && $0 != "default" }
                if !names.isEmpty { w.set("tokenizer.chat_templates", .array(GGUFArray(strings: names))) }
            }
            if let template, chatTemplate { w.set("tokenizer.chat_template", template) }
        } else {
            try configIDs(c, types, setID)
            for (typ, id) in extraIDs { setID(typ, id) }
            writeSpecial(&w, ids, add)
        }
        if let lowercase { w.bool("tokenizer.ggml.normalizer.lowercase", lowercase) }
        if let stripAccents { w.bool("tokenizer.ggml.normalizer.strip_accents", stripAccents) }
    }

    private static func configIDs(_ c: HFContext, _ types: [String], _ setID: (String, Any?) -> Void) throws {
        let text = c.rawConfig["text_config"] as? [String: Any]
        for typ in types {
            let v = c.rawConfig["\(typ)_token_id"] ?? text?["\(typ)_token_id"]
            setID(typ, v)
        }
    }

    private static func writeSpecial(_ w: inout HFMetadataWriter, _ ids: [(String, Int)], _ add: [(String, Bool)]) {
        // gguf-py's GGUFWriter has no add_cls_token_id: a cls id is loaded but never written.
        let key = ["bos": "bos", "eos": "eos", "unk": "unknown", "sep": "seperator", "pad": "padding",
                   "mask": "mask", "eot": "eot", "eom": "eom"]
        for (typ, id) in ids { if let k = key[typ] { w.u32("tokenizer.ggml.\(k)_token_id", id) } }
        for (typ, v) in add where ["bos", "eos", "sep"].contains(typ) { w.bool("tokenizer.ggml.add_\(typ)_token", v) }
    }

    private static func parseNormalizer(_ n: [String: Any], _ lower: inout Bool?, _ strip: inout Bool?) {
        switch n["type"] as? String {
        case "Lowercase": lower = true
        case "StripAccents": strip = true
        case "BertNormalizer":
            if let v = n["lowercase"] as? Bool { lower = v }
            if let v = n["strip_accents"] as? Bool { strip = v }
        case "Sequence":
            for m in (n["normalizers"] as? [[String: Any]]) ?? [] { parseNormalizer(m, &lower, &strip) }
        default: break
        }
    }
}

/// The pieces of a SentencePiece `tokenizer.model` (a ModelProto): field 1 repeated SentencePiece
/// { 1: piece (string), 2: score (float), 3: type (enum, default 1 = normal) }. Other fields are skipped.
enum SentencePieceModel {
    struct Piece { let piece: String; let score: Float; let type: Int32 }

    /// trainer_spec.model_type (1 unigram, 2 BPE) and the normalizer_spec fields the converter reads, with
    /// protobuf's defaults (add_dummy_prefix and remove_extra_whitespaces true).
    struct Spec { var modelType = 1; var addDummyPrefix = true; var removeExtraWhitespaces = true; var charsmap: [UInt8] = [] }

    static func read(_ url: URL) throws -> [Piece] { try readModel(url).pieces }

    /// sentencepiece.bpe.model's pieces and normalizer spec recovered from the tokenizer.json transformers writes for
    /// XLM-RoBERTa (its XLMRobertaConverter): Unigram vocabulary = <s> <pad> </s> <unk>, the model's pieces from id 3
    /// on (ids shifted by one, fairseq's order), then <mask>; normalizer Sequence[Precompiled(charsmap), Strip,
    /// Replace(" {2,}")] when remove_extra_whitespaces; Metaspace prepend_scheme "always"/"first" when
    /// add_dummy_prefix. So a folder without sentencepiece.bpe.model converts to the GGUF the converter writes
    /// with it. (convert_hf_to_gguf.py's own tokenizer.json path raises KeyError on that normalizer, and for a
    /// bare Precompiled one takes add_space_prefix from tokenizer_config rather than the pre-tokenizer, which
    /// drops the leading "▁" HF's tokenizer adds; lai follows the model file instead.)
    /// Piece types: unknown/control as SentencePiece has them, <0xHH> pieces bytes when byte_fallback, the rest normal.
    static func xlmRobertaPieces(tokenizerJSON url: URL) throws -> (pieces: [Piece], spec: Spec) {
        let folder = url.deletingLastPathComponent()
        guard let tj = try HFCheckpoint.json(folder, url.lastPathComponent) else {
            throw HFModelError.invalid(path: folder.path, message: "no sentencepiece.bpe.model or tokenizer.json: the XLM-RoBERTa vocabulary is missing")
        }
        func fail(_ m: String) -> HFModelError { .invalid(path: url.path, message: m) }
        guard let model = tj["model"] as? [String: Any], model["type"] as? String == "Unigram" else {
            throw fail("model.type is not \"Unigram\": not an XLM-RoBERTa (SentencePiece Unigram) vocabulary")
        }
        guard let vocab = model["vocab"] as? [[Any]] else { throw fail("model.vocab is not a list of [piece, score] pairs") }
        var entries: [(String, Float)] = []
        entries.reserveCapacity(vocab.count)
        for (i, e) in vocab.enumerated() {
            guard e.count == 2, let p = e[0] as? String, let s = e[1] as? NSNumber else { throw fail("model.vocab[\(i)] is not a [piece, score] pair") }
            entries.append((p, Float(s.doubleValue)))
        }
        guard entries.count >= 5, entries.prefix(4).map(\.0) == ["<s>", "<pad>", "</s>", "<unk>"] else {
            throw fail("model.vocab does not start with <s> <pad> </s> <unk> (XLM-RoBERTa's order)")
        }
        let end = entries.last?.0 == "<mask>" ? entries.count - 1 : entries.count
        let bytes = model["byte_fallback"] as? Bool ?? false
        func isByte(_ p: String) -> Bool {
            p.utf8.count == 6 && p.hasPrefix("<0x") && p.hasSuffix(">") && UInt8(String(p.dropFirst(3).dropLast()), radix: 16) != nil
        }
        var pieces = [Piece(piece: "<unk>", score: 0, type: 2), Piece(piece: "<s>", score: 0, type: 3), Piece(piece: "</s>", score: 0, type: 3)]
        for (p, s) in entries[4..<end] { pieces.append(Piece(piece: p, score: s, type: bytes && isByte(p) ? 6 : 1)) }

        var spec = Spec(modelType: 1, addDummyPrefix: false, removeExtraWhitespaces: false, charsmap: [])
        func normalizer(_ n: [String: Any]) throws {
            switch n["type"] as? String {
            case "Sequence": for m in (n["normalizers"] as? [[String: Any]]) ?? [] { try normalizer(m) }
            case "Precompiled":
                guard let b64 = n["precompiled_charsmap"] as? String, let d = Data(base64Encoded: b64) else {
                    throw fail("normalizer Precompiled: precompiled_charsmap is not base64")
                }
                spec.charsmap = [UInt8](d)
            case "Replace":
                if (n["pattern"] as? [String: Any])?["Regex"] as? String == " {2,}" { spec.removeExtraWhitespaces = true }
            default: break
            }
        }
        if let n = tj["normalizer"] as? [String: Any] { try normalizer(n) }
        func preTokenizer(_ n: [String: Any]) {
            switch n["type"] as? String {
            case "Sequence": for m in (n["pretokenizers"] as? [[String: Any]]) ?? [] { preTokenizer(m) }
            case "Metaspace":
                if let scheme = n["prepend_scheme"] as? String { spec.addDummyPrefix = scheme != "never" }
                else if let a = n["add_prefix_space"] as? Bool { spec.addDummyPrefix = a }
            default: break
            }
        }
        if let n = tj["pre_tokenizer"] as? [String: Any] { preTokenizer(n) }
        return (pieces, spec)
    }

    static func readModel(_ url: URL) throws -> (pieces: [Piece], spec: Spec) {
        guard let data = try? Data(contentsOf: url) else { throw HFModelError.invalid(path: url.path, message: "cannot be read") }
        func fail(_ m: String) -> HFModelError { .invalid(path: url.path, message: "not a SentencePiece model: \(m)") }
        return try data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) -> ([Piece], Spec) in
            let bytes = buf.bindMemory(to: UInt8.self)
            var pieces: [Piece] = []
            var spec = Spec()
            var i = 0
            func varint(_ end: Int) throws -> UInt64 {
                var v: UInt64 = 0, shift: UInt64 = 0
                while true {
                    guard i < end, shift < 64 else { throw fail("truncated varint at byte \(i)") }
                    let b = bytes[i]; i += 1
                    v |= UInt64(b & 0x7F) << shift
                    if b & 0x80 == 0 { return v }
                    shift += 7
                }
            }
            func skip(_ wire: UInt64, _ end: Int) throws {
                switch wire {
                case 0: _ = try varint(end)
                case 1: i += 8
                case 2: let n = Int(try varint(end)); guard n >= 0, n <= end - i else { throw fail("field past the end at byte \(i)") }; i += n
                case 5: i += 4
                default: throw fail("wire type \(wire) at byte \(i)")
                }
                guard i <= end else { throw fail("field past the end") }
            }
            let end = bytes.count
            while i < end {
                let key = try varint(end)
                let field = key >> 3, wire = key & 7
                if (field == 2 || field == 3) && wire == 2 {
                    // trainer_spec (2) / normalizer_spec (3)
                    let n = Int(try varint(end))
                    guard n >= 0, n <= end - i else { throw fail("spec past the end") }
                    let specEnd = i + n
                    while i < specEnd {
                        let k = try varint(specEnd)
                        switch (field, k >> 3, k & 7) {
                        case (2, 3, 0): spec.modelType = Int(truncatingIfNeeded: try varint(specEnd))
                        case (3, 2, 2):
                            let m = Int(try varint(specEnd))
                            guard m >= 0, m <= specEnd - i else { throw fail("precompiled_charsmap past the end") }
                            spec.charsmap = Array(UnsafeRawBufferPointer(rebasing: buf[i..<(i + m)]))
                            i += m
                        case (3, 3, 0): spec.addDummyPrefix = try varint(specEnd) != 0
                        case (3, 4, 0): spec.removeExtraWhitespaces = try varint(specEnd) != 0
                        case (_, _, let w): try skip(w, specEnd)
                        }
                    }
                    continue
                }
                guard field == 1, wire == 2 else { try skip(wire, end); continue }
                let n = Int(try varint(end))
                guard n >= 0, n <= end - i else { throw fail("piece \(pieces.count) past the end") }
                let pieceEnd = i + n
                var text = "", score: Float = 0, type: Int32 = 1
                while i < pieceEnd {
                    let k = try varint(pieceEnd)
                    switch (k >> 3, k & 7) {
                    case (1, 2):
                        let m = Int(try varint(pieceEnd))
                        guard m >= 0, m <= pieceEnd - i else { throw fail("piece \(pieces.count) text past the end") }
                        text = String(decoding: UnsafeRawBufferPointer(rebasing: buf[i..<(i + m)]), as: UTF8.self)
                        i += m
                    case (2, 5):
                        guard i + 4 <= pieceEnd else { throw fail("piece \(pieces.count) score past the end") }
                        score = Float(bitPattern: UInt32(littleEndian: buf.loadUnaligned(fromByteOffset: i, as: UInt32.self)))
                        i += 4
                    case (3, 0): type = Int32(truncatingIfNeeded: try varint(pieceEnd))
                    case (_, let w): try skip(w, pieceEnd)
                    }
                }
                pieces.append(Piece(piece: text, score: score, type: type))
            }
            guard !pieces.isEmpty else { throw fail("no pieces") }
            return (pieces, spec)
        }
    }
}
