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
            if let n = classifierName(n, c) { return n }
            if n == "embeddings.position_ids" || n.hasPrefix("pooler.") || n.hasPrefix("cls.") { return nil }
            throw HFModelError.invalid(path: c.folder.path, message: "cannot map tensor '\(hf)'")
        },
        transforms: { _, _, _ in [] }, extraTensors: { _ in [] },
        parameters: { c, w in
            try textParameters(c, &w)
            w.bool("{arch}.attention.causal", false)
            if let p = try poolingType(c.folder) { w.u32("{arch}.pooling_type", p) }
            if let labels = classifierLabels(c) { w.set("{arch}.classifier.output_labels", .array(GGUFArray(strings: labels))) }
        },
        vocabulary: { c, w in try bertVocabulary(c, &w) })

    /// A sequence classifier's labels as the converter keeps them: config.json's id2label values by id, none when
    /// the config has no id2label or AutoConfig's two placeholders (LABEL_0, LABEL_1).
    static func classifierLabels(_ c: HFContext) -> [String]? {
        guard let map = c.hparams["id2label"] as? [String: Any], !map.isEmpty else { return nil }
        let labels = map.compactMap { k, v in Int(k).map { ($0, v as? String ?? "\(v)") } }.sorted { $0.0 < $1.0 }.map(\.1)
        if labels.count == 2 && labels.first == "LABEL_0" { return nil }
        return labels
    }

    /// The classification head of *ForSequenceClassification (gguf-py's CLS / CLS_OUT): RoBERTa's
    /// classifier.dense → cls and classifier.out_proj → cls.output; BERT's single `classifier` projection is
    /// cls.output when the model has labels (the converter renames it to out_proj), else cls.
    static func classifierName(_ n: String, _ c: HFContext) -> String? {
        for suffix in ["weight", "bias"] {
            switch n {
            case "classifier.dense.\(suffix)": return "cls.\(suffix)"
            case "classifier.out_proj.\(suffix)": return "cls.output.\(suffix)"
            case "classifier.\(suffix)": return classifierLabels(c) == nil ? "cls.\(suffix)" : "cls.output.\(suffix)"
            default: continue
            }
        }
        return nil
    }

    /// XLMRobertaModel (bge-m3, multilingual-e5): BERT's tensors under an optional `roberta.` prefix, the position
    /// embeddings' first pad_token_id + 1 rows dropped and the context shortened by as many, and the Unigram
    /// vocabulary of sentencepiece.bpe.model, or recovered from tokenizer.json when the folder has no model file
    /// (`HFVocab.xlmRoberta`).
    static let xlmRoberta = HFFamily(
        arch: "bert", architectures: ["XLMRobertaModel", "XLMRobertaForSequenceClassification"],
        defaults: { _ in
            ["vocab_size": 30522, "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072,
             "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2]
        },
        rename: { hf, c in try bert.rename(hf.hasPrefix("roberta.") ? String(hf.dropFirst(8)) : hf, c) },
        transforms: { hf, _, c in
            let n = hf.hasPrefix("roberta.") ? String(hf.dropFirst(8)) : hf
            if n == "embeddings.position_embeddings.weight", let pad = c.int("pad_token_id") { return [.dropRows(pad + 1)] }
            return []
        },
        extraTensors: { _ in [] },
        parameters: { c0, w in
            let c = c0.editing { h in
                if let pad = c0.int("pad_token_id"), let m = c0.int("max_position_embeddings") { h["max_position_embeddings"] = m - (pad + 1) }
            }
            try bert.parameters(c, &w)
        },
        vocabulary: { c, w in try HFVocab.xlmRoberta(c, &w) })

    /// NomicBertModel (nomic-embed-text v1/v1.5, a BertModel): fused Wqkv, SwiGLU (fc11 up, fc12 gate), norms after
    /// attention and MLP, RoPE; n_positions written as the 2048 tokens it was trained for. Its config is remote
    /// code, so the converter reads config.json as written (no defaults). The MoE variant (v2, with an
    /// XLM-RoBERTa Unigram tokenizer) is refused.
    static let nomicBert = HFFamily(
        arch: "nomic-bert", architectures: ["NomicBertModel"],
        defaults: { _ in [:] },
        rename: tableRenamer(top: ["embeddings.word_embeddings": "token_embd", "embeddings.token_type_embeddings": "token_types",
                                   "emb_ln": "token_embd_norm"], block: [
            "attn.Wqkv": "attn_qkv", "attn.out_proj": "attn_output", "mlp.fc11": "ffn_up", "mlp.fc12": "ffn_gate",
            "mlp.fc2": "ffn_down", "norm1": "attn_output_norm", "norm2": "layer_output_norm",
        ], prefix: "", layers: "encoder.layers.", skip: { hf in hf == "embeddings.position_ids" || hf.hasPrefix("pooler.") }),
        transforms: { _, _, _ in [] }, extraTensors: { _ in [] },
        parameters: { c0, w in
            let cfg = c0.folder.appendingPathComponent("config.json").path
            if c0.hparams["moe_every_n_layers"] as? Int ?? 0 != 0 {
                throw HFModelError.invalid(path: cfg, message: "nomic-bert mixture-of-experts models (moe_every_n_layers) are not converted by lai")
            }
            let checks: [(String, Any)] = [("activation_function", "swiglu"), ("causal", false), ("qkv_proj_bias", false),
                                           ("mlp_fc1_bias", false), ("mlp_fc2_bias", false), ("prenorm", false),
                                           ("rotary_emb_fraction", 1.0), ("rotary_emb_interleaved", false)]
            for (key, want) in checks {
                let v = c0.hparams[key]
                let ok = (want as? String).map { v as? String == $0 } ?? (want as? Bool).map { v as? Bool == $0 } ?? ((v as? NSNumber)?.doubleValue == (want as? Double))
                guard ok else { throw HFModelError.invalid(path: cfg, message: "'\(key)' must be \(want) for nomic-bert") }
            }
            guard c0.hparams["rotary_emb_scale_base"] == nil || c0.hparams["rotary_emb_scale_base"] is NSNull else {
                throw HFModelError.invalid(path: cfg, message: "'rotary_emb_scale_base' must be null for nomic-bert")
            }
            let positions = c0.int("n_positions"), trained = c0.int("max_trained_positions") ?? 2048
            guard positions == 8192 && trained == 2048 else {
                throw HFModelError.invalid(path: cfg, message: "unrecognized n_positions \(positions.map(String.init) ?? "(none)") with max_trained_positions \(trained)")
            }
            let c = c0.editing { $0["n_positions"] = 2048 }
            try textParameters(c, &w)
            w.bool("{arch}.attention.causal", false)
            if let p = try poolingType(c.folder) { w.u32("{arch}.pooling_type", p) }
        },
        vocabulary: { c, w in
            let tj = try HFCheckpoint.json(c.folder, "tokenizer.json")
            if (tj?["model"] as? [String: Any])?["type"] as? String == "Unigram" {
                throw HFModelError.invalid(path: c.folder.appendingPathComponent("tokenizer.json").path,
                                           message: "lai does not convert XLM-RoBERTa (Unigram) vocabularies yet")
            }
            try bertVocabulary(c, &w)
        })

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

    /// WordPiece vocabulary as convert_hf_to_gguf.py's BertModel.set_vocab writes it: get_vocab_base's tokens by id
    /// (`[PADi]`, unused, up to config vocab_size; added tokens control when special or special-looking, else
    /// user-defined; the rest normal), "phantom space" form (control tokens kept, ##piece → piece, others ▁token),
    /// the pre-tokenizer named from the check text's ids, then gguf-py's SpecialVocab.
    static func bertVocabulary(_ c: HFContext, _ w: inout HFMetadataWriter) throws {
        let url = c.folder
        let tj = try HFCheckpoint.json(url, "tokenizer.json")
        var vocab: [String?] = []
        // vocab.txt first: it lists tokens by id byte for byte, while a JSON object's keys go through Swift
        // Strings, whose equality is canonical (two byte-different but equivalent tokens would collide).
        if let text = try? String(contentsOf: url.appendingPathComponent("vocab.txt"), encoding: .utf8) {
            var lines = text.utf8.split(separator: 10, omittingEmptySubsequences: false).map { line in
                String(decoding: line.last == 13 ? line.dropLast() : line, as: UTF8.self)
            }
            if lines.last == "" { lines.removeLast() }
            vocab = lines
        } else if let model = tj?["model"] as? [String: Any], let v = model["vocab"] as? [String: Int] {
            vocab = [String?](repeating: nil, count: (v.values.max() ?? -1) + 1)
            for (tok, id) in v where id >= 0 { vocab[id] = tok }
        } else {
            throw HFModelError.invalid(path: url.path, message: "no vocab.txt or tokenizer.json vocabulary")
        }
        var added: [Int: Bool] = [:]  // id → special
        for a in (tj?["added_tokens"] as? [[String: Any]]) ?? [] {
            if let id = a["id"] as? Int, id >= 0 { added[id] = (a["special"] as? Bool) ?? false }
            if let id = a["id"] as? Int, id >= vocab.count, let s = a["content"] as? String {
                vocab += [String?](repeating: nil, count: id + 1 - vocab.count); vocab[id] = s
            }
        }
        let size = c.int("vocab_size") ?? vocab.count
        guard vocab.count <= size else {
            throw HFModelError.invalid(path: url.path, message: "the tokenizer has \(vocab.count) tokens, more than config.json's vocab_size \(size)")
        }
        var tokens: [String] = [], types: [Int32] = []
        for i in 0..<size {
            guard i < vocab.count, let t = vocab[i] else { tokens.append("[PAD\(i)]"); types.append(5); continue }
            if let special = added[i] { types.append(special || HFVocab.looksSpecial(t) ? 3 : 4) } else { types.append(1) }
            tokens.append(t)
        }
        // Byte-level tests: "##ा" is one grapheme ("#ा" combines), so Character-based hasPrefix would miss it.
        let phantom = zip(tokens, types).map { t, type -> String in
            if type == 3 { return t }
            if t.utf8.starts(with: "##".utf8) { return String(t.unicodeScalars.dropFirst(2)) }
            return "\u{2581}" + t
        }
        var body = HFMetadataWriter(arch: w.arch)
        body.string("tokenizer.ggml.model", "bert")
        body.set("tokenizer.ggml.tokens", .array(GGUFArray(strings: phantom)))
        body.set("tokenizer.ggml.token_type", .array(GGUFArray(int32s: types)))
        try HFVocab.specialVocab(c, &body, vocabularySize: size)
        w.u32("tokenizer.ggml.token_type_count", c.int("type_vocab_size") ?? 1)
        w.string("tokenizer.ggml.model", "bert")
        w.string("tokenizer.ggml.pre", wordPiecePreTokenizer(body.md, path: url.path))
        for (key, value) in body.md.entries where key != "tokenizer.ggml.model" { w.set(key, value) }
    }

    /// get_vocab_base_pre for a WordPiece vocabulary: the table's name for the check text's ids, tokenized by lai's
    /// WordPiece tokenizer (llama.cpp's). The converter refuses a hash it does not know; llama.cpp ignores the
    /// pre-tokenizer of WordPiece vocabularies, so lai names those as the converter names BERT's own
    /// (bert-base-uncased: "jina-v2-en", its later table entry for that hash).
    static func wordPiecePreTokenizer(_ md: GGUFMetadata, path: String) -> String {
        var m = md
        m["tokenizer.ggml.pre"] = .string("default")
        if let t = try? Tokenizer(metadata: m, path: path),
           let name = HFBPEVocab.preTokenizerHashes[HFBPEVocab.checkHash(t.encode(HFBPEVocab.checkText, addSpecial: true, parseSpecial: true))] {
            return name
        }
        return "jina-v2-en"
    }
}
