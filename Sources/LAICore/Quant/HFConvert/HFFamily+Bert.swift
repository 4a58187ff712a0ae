// The BERT family (conversion/bert.py BertModel): WordPiece encoders such as all-MiniLM-L6-v2.
import Foundation

extension HFFamily {
    static let bert = HFFamily(
        arch: "bert", architectures: ["BertModel", "BertForMaskedLM", "BertForSequenceClassification"],
        defaults: { _ in
            ["vocab_size": 30522, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072,
             "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12]
        },
        rename: { hf, c in
            if let n = bertName(hf, nLayer: c.blockCount) { return n }
            var n = hf
            if n.hasPrefix("bert.") { n.removeFirst(5) }
            if n == "embeddings.position_ids" || n.hasPrefix("pooler.") || n.hasPrefix("cls.") { return nil }
            throw HFModelError.invalid(path: c.folder.path, message: "cannot map tensor '\(hf)'")
        },
        transforms: { _, _, _ in [] }, extraTensors: { _ in [] },
        parameters: { c, w in
            try textParameters(c, &w)
            w.bool("{arch}.attention.causal", false)
            if let p = try poolingType(c.folder) { w.u32("{arch}.pooling_type", p) }
        },
        vocabulary: { c, w in try bertVocabulary(c.folder, config: c.hparams, to: &w.md) })

    /// convert_hf_to_gguf.py's BERT tensor names (gguf-py's TensorNameMap); nil for tensors it drops.
    package static func bertName(_ hf: String, nLayer: Int) -> String? {
        var n = hf
        if n.hasPrefix("bert.") { n.removeFirst(5) }
        if n.hasSuffix(".gamma") { n = String(n.dropLast(6)) + ".weight" }
        if n.hasSuffix(".beta") { n = String(n.dropLast(5)) + ".bias" }
        if n == "embeddings.position_ids" || n.hasPrefix("pooler.") || n.hasPrefix("cls.") { return nil }
        let suffix: String
        if n.hasSuffix(".weight") { suffix = "weight" } else if n.hasSuffix(".bias") { suffix = "bias" } else { return nil }
        let stem = String(n.dropLast(suffix.count + 1))
        let top = ["embeddings.word_embeddings": "token_embd", "embeddings.token_type_embeddings": "token_types",
                   "embeddings.position_embeddings": "position_embd", "embeddings.LayerNorm": "token_embd_norm"]
        if let t = top[stem] { return "\(t).\(suffix)" }
        guard stem.hasPrefix("encoder.layer.") else { return nil }
        let rest = stem.dropFirst("encoder.layer.".count)
        guard let dot = rest.firstIndex(of: "."), let bid = Int(rest[..<dot]), bid >= 0, bid < nLayer else { return nil }
        let inner = String(rest[rest.index(after: dot)...])
        let blk = ["attention.self.query": "attn_q", "attention.self.key": "attn_k", "attention.self.value": "attn_v",
                   "attention.output.dense": "attn_output", "attention.output.LayerNorm": "attn_output_norm",
                   "intermediate.dense": "ffn_up", "output.dense": "ffn_down", "output.LayerNorm": "layer_output_norm"]
        guard let t = blk[inner] else { return nil }
        return "blk.\(bid).\(t).\(suffix)"
    }

    /// WordPiece vocabulary as convert_hf_to_gguf.py's BertModel.set_vocab + gguf-py's SpecialVocab write it:
    /// "phantom space" tokens (▁word, ##piece → piece, [SPECIAL] kept), token types (3 = control for special
    /// added tokens, 4 = user-defined for other added tokens, 1 = normal), special ids, add_bos/eos/sep flags.
    static func bertVocabulary(_ url: URL, config: [String: Any], to md: inout GGUFMetadata) throws {
        func json(_ name: String) throws -> [String: Any]? { try HFCheckpoint.json(url, name) }
        let tj = try json("tokenizer.json")
        let tc = try json("tokenizer_config.json") ?? [:]
        var vocab: [String] = []
        var added: [Int: Bool] = [:]  // id → special
        // vocab.txt first: it lists tokens by id byte for byte, while a JSON object's keys go through Swift
        // Strings, whose equality is canonical (two byte-different but equivalent tokens would collide).
        if let text = try? String(contentsOf: url.appendingPathComponent("vocab.txt"), encoding: .utf8) {
            vocab = text.utf8.split(separator: 10, omittingEmptySubsequences: false).map { line in
                String(decoding: line.last == 13 ? line.dropLast() : line, as: UTF8.self)
            }
            if vocab.last == "" { vocab.removeLast() }
        } else if let model = tj?["model"] as? [String: Any], let v = model["vocab"] as? [String: Int] {
            let size = max((config["vocab_size"] as? Int) ?? v.count, v.count)
            vocab = (0..<size).map { "[PAD\($0)]" }
            for (tok, id) in v where id >= 0 && id < size { vocab[id] = tok }
        } else {
            throw HFModelError.invalid(path: url.path, message: "no vocab.txt or tokenizer.json vocabulary")
        }
        for a in (tj?["added_tokens"] as? [[String: Any]]) ?? [] {
            if let id = a["id"] as? Int, id < vocab.count { added[id] = (a["special"] as? Bool) ?? false }
        }
        // Byte-level tests: "##ा" is one grapheme ("#ा" combines), so Character-based hasPrefix would miss it.
        func bracketed(_ t: String) -> Bool { t.utf8.first == UInt8(ascii: "[") && t.utf8.last == UInt8(ascii: "]") }
        let tokens = vocab.map { t -> String in
            if bracketed(t) { return t }
            if t.utf8.starts(with: "##".utf8) { return String(t.unicodeScalars.dropFirst(2)) }
            return "\u{2581}" + t
        }
        let types: [Int32] = vocab.indices.map { i in
            guard let special = added[i] else { return 1 }
            return special || bracketed(vocab[i]) ? 3 : 4
        }
        md["tokenizer.ggml.token_type_count"] = .uint32(UInt32((config["type_vocab_size"] as? Int) ?? 1))
        md["tokenizer.ggml.model"] = .string("bert")
        // BERT-uncased WordPiece vocabularies tokenize as llama.cpp's "bert-bge" reference (same ids for its check text).
        md["tokenizer.ggml.pre"] = .string("bert-bge")
        md["tokenizer.ggml.tokens"] = .array(GGUFArray(strings: tokens))
        md["tokenizer.ggml.token_type"] = .array(GGUFArray(int32s: types))

        var index: [String: Int] = [:]
        for (i, t) in vocab.enumerated() where index[t] == nil { index[t] = i }
        func tokenString(_ k: String) -> String? {
            if let s = tc[k] as? String { return s }
            if let o = tc[k] as? [String: Any] { return o["content"] as? String }
            return nil
        }
        var special: [String: String] = [:]
        for k in ["bos", "eos", "unk", "sep", "pad", "cls", "mask"] { special[k] = tokenString("\(k)_token") }
        if special["bos"] == nil, let c = special["cls"] { special["bos"] = c }
        if special["eos"] == nil, let s = special["sep"] { special["eos"] = s }
        let keyName = ["bos": "bos", "eos": "eos", "unk": "unknown", "sep": "seperator", "pad": "padding", "cls": "cls", "mask": "mask"]
        for k in ["bos", "eos", "unk", "sep", "pad", "cls", "mask"] {
            if let s = special[k], let id = index[s] { md["tokenizer.ggml.\(keyName[k]!)_token_id"] = .uint32(UInt32(id)) }
        }
        // add_bos/add_eos/add_sep from a TemplateProcessing post-processor ("[CLS] $A [SEP]" → bos and eos, no sep).
        if let pp = tj?["post_processor"] as? [String: Any], pp["type"] as? String == "TemplateProcessing",
           let single = pp["single"] as? [[String: Any]], single.count > 1 {
            func sp(_ e: [String: Any]) -> String? { (e["SpecialToken"] as? [String: Any])?["id"] as? String }
            let first = sp(single[0]), last = sp(single[single.count - 1])
            if let f = first { md["tokenizer.ggml.add_bos_token"] = .bool(f == special["bos"] || f == special["cls"]) }
            if let l = last { md["tokenizer.ggml.add_eos_token"] = .bool(l == special["eos"]) }
            if var pair = pp["pair"] as? [[String: Any]], !pair.isEmpty {
                if first != nil, sp(pair[0]) == first { pair.removeFirst() }
                if last != nil, let e = pair.last, sp(e) == last { pair.removeLast() }
                if pair.count > 2 {
                    let middle = Array(pair[1..<(pair.count - 1)])
                    var addSep = false
                    if let m = sp(middle[0]), m == special["sep"] || m == special["eos"], last == nil { addSep = true }
                    if middle.count == 2, let m = sp(middle[1]), m == special["sep"] || m == special["eos"] { addSep = true }
                    md["tokenizer.ggml.add_sep_token"] = .bool(addSep)
                }
            }
        }
    }
}
