// The Hugging Face architectures lai converts, each as convert_hf_to_gguf.py's model class does
// (conversion/llama.py LlamaModel, qwen.py Qwen2Model/Qwen3Model, gemma.py Gemma3Model/EmbeddingGemma, bert.py BertModel).
import Foundation

extension HFFamily {
    package static let all: [HFFamily] = [bert, llama, qwen2, qwen2VL, qwen3, qwen3VL, qwen3VLMoE, gemma3, gemmaEmbedding, granite, olmo2, phi3, mixtral, qwen2moe, qwen3moe, gemma2, gemma,
                                             falcon, glm4, chatglm, ministral3, deepseek2, nomicBert, xlmRoberta]

    // MARK: llama

    /// LlamaConfig defaults (transformers 4.57, the converter's pin) that to_dict() adds.
    @Sendable static func llamaDefaults(_ c: [String: Any]) -> [String: Any] {
        let hidden = (c["hidden_size"] as? Int) ?? 4096, heads = (c["num_attention_heads"] as? Int) ?? 32
        return ["vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
                "num_attention_heads": 32, "num_key_value_heads": heads, "max_position_embeddings": 2048,
                "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "head_dim": hidden / max(heads, 1), "tie_word_embeddings": false]
    }

    /// MistralConfig defaults (transformers 4.57).
    static func mistralDefaults(_ c: [String: Any]) -> [String: Any] {
        let hidden = (c["hidden_size"] as? Int) ?? 4096, heads = (c["num_attention_heads"] as? Int) ?? 32
        return ["vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
                "num_attention_heads": 32, "num_key_value_heads": 8, "max_position_embeddings": 4096 * 32,
                "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "head_dim": hidden / max(heads, 1), "sliding_window": 4096,
                "tie_word_embeddings": false]
    }

    static let llama = HFFamily(
        arch: "llama", architectures: ["LlamaForCausalLM", "LLaMAForCausalLM", "MistralForCausalLM", "LlamaModel", "LlavaForConditionalGeneration"],
        defaults: llamaDefaults,
        rename: tableRenamer(top: decoderTop, block: decoderBlock, skip: { _ in false }),
        transforms: { hf, _, c in try ropePermutation(hf, c) },
        extraTensors: { c in try llama3RopeFactors(c).map { [$0] } ?? [] },
        parameters: { c, w in
            try textParameters(c, &w)
            w.u32("{arch}.vocab_size", try c.require("vocab_size"))
            w.u32("{arch}.rope.dimension_count", try c.headDim())
        },
        vocabulary: { c, w in try HFVocab.llama(c, &w) })

    /// Mistral3Model.Ministral3Model (Ministral 3's text model, transformers 5's Ministral3ForCausalLM, and the
    /// language model of Mistral3ForConditionalGeneration: Mistral Small 3.1/3.2, Ministral 3 with vision): LlamaModel
    /// with arch mistral3, plus, for text model_type ministral3, the YaRN log multiplier (rope_parameters.mscale_all_dim)
    /// and the Llama-4 attention temperature scale (llama_4_scaling_beta). transformers 4.57 does not know ministral3,
    /// so the converter reads such a config.json as written; a `mistral` text_config gets MistralConfig's defaults.
    static let ministral3 = HFFamily(
        arch: "mistral3", architectures: ["Ministral3ForCausalLM", "Mistral3ForConditionalGeneration"],
        defaults: { h in h["model_type"] as? String == "mistral" ? mistralDefaults(h) : [:] },
        rename: tableRenamer(top: decoderTop, block: decoderBlock, skip: { _ in false }),
        transforms: { hf, _, c in try ropePermutation(hf, c) },
        extraTensors: { _ in [] },
        parameters: { c, w in
            try llama.parameters(c, &w)
            guard c.hparams["model_type"] as? String == "ministral3" else { return }
            let rope = c.ropeParameters, path = c.folder.appendingPathComponent("config.json").path
            guard rope["rope_type"] as? String == "yarn",
                  let logMul = (rope["mscale_all_dim"] as? NSNumber)?.doubleValue,
                  let beta = (rope["llama_4_scaling_beta"] as? NSNumber)?.doubleValue else {
                throw HFModelError.invalid(path: path, message: "ministral3 needs yarn rope_parameters with mscale_all_dim and llama_4_scaling_beta")
            }
            w.f32("{arch}.rope.scaling.yarn_log_multiplier", logMul)
            w.f32("{arch}.attention.temperature_scale", beta)
        },
        vocabulary: { c, w in try HFVocab.llama(c, &w) })

    /// LlamaModel.permute of q_proj (n_head) and k_proj (n_kv_head) weights and biases.
    static func ropePermutation(_ hf: String, _ c: HFContext) throws -> [HFTransform] {
        let heads = try c.require("num_attention_heads")
        if hf.hasSuffix("q_proj.weight") || hf.hasSuffix("q_proj.bias") { return [.permuteRows(heads: heads)] }
        if hf.hasSuffix("k_proj.weight") || hf.hasSuffix("k_proj.bias") { return [.permuteRows(heads: c.int("num_key_value_heads") ?? heads)] }
        return []
    }

    /// Llama 3's rope_scaling → the rope_freqs factors, computed as LlamaModel.generate_extra_tensors does in
    /// float32 torch: freqs = 1 / base^(arange(0, dim, 2)/dim), wavelen = (1/freq)·2π, smooth blend in between.
    static func llama3RopeFactors(_ c: HFContext) throws -> HFExtraTensor? {
        let rope = c.ropeParameters
        let p = (rope["full_attention"] as? [String: Any]) ?? rope
        guard (p["rope_type"] as? String)?.lowercased() == "llama3" else { return nil }
        func num(_ k: String, _ d: Double) -> Double { (p[k] as? NSNumber)?.doubleValue ?? d }
        let base = Float(num("rope_theta", 10000))
        let dim = try c.headDim()
        let factor = Float(num("factor", 8)), low = Float(num("low_freq_factor", 1)), high = Float(num("high_freq_factor", 4))
        let oldContext = num("original_max_position_embeddings", 8192)
        let lowWavelen = oldContext / Double(low), highWavelen = oldContext / Double(high)
        var out: [Float] = []
        for i in stride(from: 0, to: dim, by: 2) {
            let freq = 1 / powf(base, Float(i) / Float(dim))
            let wavelen = (1 / freq) * Float(2 * Double.pi)
            if Double(wavelen) < highWavelen { out.append(1) } else if Double(wavelen) > lowWavelen { out.append(factor) } else {
                let smooth = ((1 / wavelen) * Float(oldContext) - low) / (high - low)
                out.append(1 / ((1 - smooth) / factor + smooth))
            }
        }
        return HFExtraTensor(name: "rope_freqs.weight", shape: [out.count], values: out)
    }

    // MARK: qwen2, qwen3

    static func qwenDefaults(headDim: Bool) -> @Sendable ([String: Any]) -> [String: Any] {
        return { _ in
            var d: [String: Any] = ["vocab_size": 151936, "hidden_size": 4096, "intermediate_size": 22016, "num_hidden_layers": 32,
                                    "num_attention_heads": 32, "num_key_value_heads": 32, "max_position_embeddings": 32768,
                                    "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": false]
            if headDim { d["head_dim"] = 128 }
            return d
        }
    }

    static let qwen2 = HFFamily(
        arch: "qwen2", architectures: ["Qwen2ForCausalLM", "Qwen2Model"],
        defaults: qwenDefaults(headDim: false),
        rename: tableRenamer(top: decoderTop, block: decoderBlock, skip: { _ in false }),
        transforms: { _, _, _ in [] }, extraTensors: { _ in [] },
        parameters: { c, w in
            try textParameters(c, &w)
            if let p = try poolingType(c.folder) { w.u32("{arch}.pooling_type", p) }
        },
        vocabulary: { c, w in try HFVocab.sentencePieceOrGPT2(c, &w) })

    /// Qwen2-VL / Qwen2.5-VL (conversion/qwenvl.py Qwen2VLModel, the text pass): the language model as qwen2 with arch
    /// qwen2vl and `rope.dimension_sections` from rope_scaling.mrope_section; the vision tower is skipped.
    static let qwen2VL = HFFamily(
        arch: "qwen2vl", architectures: ["Qwen2VLForConditionalGeneration", "Qwen2_5_VLForConditionalGeneration", "Qwen2VLModel"],
        defaults: { _ in
            ["vocab_size": 152064, "hidden_size": 8192, "intermediate_size": 29568, "num_hidden_layers": 80, "num_attention_heads": 64,
             "num_key_value_heads": 8, "max_position_embeddings": 32768, "rms_norm_eps": 1e-5, "rope_theta": 1000000.0,
             "tie_word_embeddings": false]
        },
        rename: qwen2.rename, transforms: qwen2.transforms, extraTensors: qwen2.extraTensors,
        parameters: { c, w in try textParameters(c, &w) },
        vocabulary: qwen2.vocabulary)

    /// Qwen3Model, and Qwen3-Reranker in it: a folder whose README opens "# Qwen3-Reranker" (or whose name says so)
    /// is written as a reranker — rank pooling, output labels yes/no, the "rerank" prompt template, and `cls.output`
    /// = the lm_head (or tied embedding) rows of "yes" and "no"; an untied lm_head is not written beside it.
    static let qwen3: HFFamily = {
        var f = HFFamily(
            arch: "qwen3", architectures: ["Qwen3ForCausalLM", "Qwen3Model"],
            defaults: qwenDefaults(headDim: true),
            rename: tableRenamer(top: decoderTop, block: decoderBlock.merging(["self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm"]) { $1 },
                                 skip: { _ in false }),
            transforms: { _, _, _ in [] }, extraTensors: { _ in [] },
            parameters: { c, w in
                try qwen2.parameters(c, &w)
                guard isQwen3Reranker(c) else { return }
                _ = try qwen3RerankerRows(c)  // the converter asserts both tokens exist
                w.u32("{arch}.pooling_type", 4)  // LLAMA_POOLING_TYPE_RANK
                w.set("{arch}.classifier.output_labels", .array(GGUFArray(strings: ["yes", "no"])))
                w.string("tokenizer.chat_template.rerank", qwen3RerankTemplate)
                w.set("tokenizer.chat_templates", .array(GGUFArray(strings: ["rerank"])))
            },
            vocabulary: qwen2.vocabulary)
        f.split = { hf, c in
            guard isQwen3Reranker(c) else { return nil }
            let tied = c.hparams["tie_word_embeddings"] as? Bool ?? false
            let stem = hf.hasPrefix("model.") ? String(hf.dropFirst(6)) : hf
            if tied && stem == "embed_tokens.weight" {
                return [HFSplitOutput(name: "cls.output.weight", transform: .selectRows(try qwen3RerankerRows(c))),
                        HFSplitOutput(name: "token_embd.weight", transform: nil)]
            }
            if !tied && stem == "lm_head.weight" {
                return [HFSplitOutput(name: "cls.output.weight", transform: .selectRows(try qwen3RerankerRows(c)))]
            }
            return nil
        }
        return f
    }()

    /// The prompt convert_hf_to_gguf.py stores for Qwen3-Reranker ({query} and {document} are replaced by llama-server).
    static let qwen3RerankTemplate = "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n"
        + "<|im_start|>user\n<Instruct>: Given a web search query, retrieve relevant passages that answer the query\n<Query>: {query}\n<Document>: {document}<|im_end|>\n"
        + "<|im_start|>assistant\n<think>\n\n</think>\n\n"

    /// Qwen3Model._is_qwen3_reranker: README.md's "# qwen3-reranker" / "# qwen3-vl-reranker" (any case), or the
    /// folder's name, `_name_or_path`, `model_type` or architecture containing "qwen3-reranker" / "qwen3-vl-reranker".
    static func isQwen3Reranker(_ c: HFContext) -> Bool {
        let marks = ["qwen3-reranker", "qwen3-vl-reranker"]
        if let readme = try? String(contentsOf: c.folder.appendingPathComponent("README.md"), encoding: .utf8).lowercased(),
           marks.contains(where: { readme.contains("# " + $0) }) {
            return true
        }
        let hints = [c.folder.standardizedFileURL.lastPathComponent, c.rawConfig["_name_or_path"] as? String ?? "",
                     c.rawConfig["model_type"] as? String ?? "", c.hfArch].map { $0.lowercased() }
        return hints.contains { h in marks.contains { h.contains($0) } } || c.hfArch.lowercased().contains("sequenceclassification")
    }

    /// The token ids of "yes" and "no" (tokenizer.json's added tokens, then its vocabulary: convert_tokens_to_ids).
    static func qwen3RerankerRows(_ c: HFContext) throws -> [Int] {
        let url = c.folder.appendingPathComponent("tokenizer.json")
        guard let d = try? Data(contentsOf: url), let tj = try? JSONSerialization.jsonObject(with: d) as? [String: Any] else {
            throw HFModelError.invalid(path: url.path, message: "a Qwen3 reranker needs tokenizer.json (for the ids of \"yes\" and \"no\")")
        }
        let added = (tj["added_tokens"] as? [[String: Any]]) ?? []
        let vocab = ((tj["model"] as? [String: Any])?["vocab"] as? [String: Any]) ?? [:]
        func id(_ token: String) throws -> Int {
            if let a = added.first(where: { $0["content"] as? String == token }), let i = (a["id"] as? NSNumber)?.intValue { return i }
            if let i = (vocab[token] as? NSNumber)?.intValue { return i }
            throw HFModelError.invalid(path: url.path, message: "a Qwen3 reranker's vocabulary needs the token \"\(token)\"")
        }
        return [try id("yes"), try id("no")]
    }

    /// Qwen3-VL (conversion/qwen3vl.py Qwen3VLTextModel, the text pass): qwen3 with arch qwen3vl, M-RoPE sections and
    /// `n_deepstack_layers` = the vision tower's deepstack_visual_indexes count (Qwen3VLVisionConfig's [8, 16, 24] when
    /// config.json leaves it out).
    static let qwen3VL: HFFamily = {
        var f = HFFamily(
            arch: "qwen3vl", architectures: ["Qwen3VLForConditionalGeneration"],
            defaults: { _ in
                ["vocab_size": 151936, "hidden_size": 4096, "intermediate_size": 22016, "num_hidden_layers": 32, "num_attention_heads": 32,
                 "num_key_value_heads": 32, "head_dim": 128, "max_position_embeddings": 128000, "rms_norm_eps": 1e-6,
                 "rope_theta": 5000000.0, "tie_word_embeddings": false]
            },
            rename: qwen3.rename, transforms: qwen3.transforms, extraTensors: qwen3.extraTensors,
            parameters: withDeepstack(qwen3.parameters),
            vocabulary: qwen2.vocabulary)
        f.split = qwen3.split  // Qwen3VLTextModel is a Qwen3Model: Qwen3-VL-Reranker converts as Qwen3-Reranker
        return f
    }()

    /// A family's keys, then Qwen3VLTextModel's `n_deepstack_layers`.
    static func withDeepstack(_ base: @escaping @Sendable (HFContext, inout HFMetadataWriter) throws -> Void)
        -> @Sendable (HFContext, inout HFMetadataWriter) throws -> Void {
        return { c, w in
            try base(c, &w)
            let vision = c.rawConfig["vision_config"] as? [String: Any]
            w.u32("{arch}.n_deepstack_layers", (vision?["deepstack_visual_indexes"] as? [Any])?.count ?? 3)
        }
    }

    // MARK: gemma3, EmbeddingGemma

    @Sendable static func gemma3Defaults(_ c: [String: Any]) -> [String: Any] {
        ["vocab_size": 262208, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
         "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256, "max_position_embeddings": 131072,
         "rms_norm_eps": 1e-6, "rope_theta": 1_000_000.0, "rope_local_base_freq": 10_000.0, "sliding_window": 4096,
         "tie_word_embeddings": true]
    }

    static let gemmaBlock = decoderBlock.merging([
        "self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm", "post_attention_layernorm": "post_attention_norm",
        "pre_feedforward_layernorm": "ffn_norm", "post_feedforward_layernorm": "post_ffw_norm",
    ]) { $1 }

    /// Gemma3Model.modify_tensors: embedding rows past the vocabulary dropped, every `*norm.weight` + 1.
    static func gemmaTransforms(_ hf: String, _ c: HFContext) throws -> [HFTransform] {
        if hf.contains("embed_tokens.weight") { return [.keepRows(try HFVocab.gemmaVocabularySize(c))] }
        if hf.hasSuffix("norm.weight") { return [.addOne] }
        return []
    }

    @Sendable static func gemma3Parameters(_ c: HFContext, _ w: inout HFMetadataWriter) throws {
        try textParameters(c, &w)
        let h = c.hparams
        w.u32("{arch}.context_length", c.int("max_position_embeddings") ?? 131072)
        w.u32("{arch}.attention.head_count", c.int("num_attention_heads") ?? 8)
        w.f32("{arch}.attention.layer_norm_rms_epsilon", c.double("rms_norm_eps") ?? 1e-6)
        w.u32("{arch}.attention.key_length", c.int("head_dim") ?? 256)
        w.u32("{arch}.attention.value_length", c.int("head_dim") ?? 256)
        let rope = c.ropeParameters
        let p = (rope["full_attention"] as? [String: Any]) ?? rope
        w.f32("{arch}.rope.freq_base", (p["rope_theta"] as? NSNumber)?.doubleValue ?? 1_000_000)
        if let cap = (h["final_logit_softcapping"] as? NSNumber)?.doubleValue, cap != 0 { w.f32("{arch}.final_logit_softcapping", cap) }
        if (h["sliding_window_pattern"] as? Int) != 1 {
            guard let sw = c.int("sliding_window") else {
                throw HFModelError.invalid(path: c.folder.appendingPathComponent("config.json").path, message: "no integer 'sliding_window'")
            }
            w.u32("{arch}.attention.sliding_window", sw)
        }
        w.u32("{arch}.attention.head_count_kv", c.int("num_key_value_heads") ?? 4)
    }

    static let gemma3 = HFFamily(
        arch: "gemma3", architectures: ["Gemma3ForCausalLM", "Gemma3ForConditionalGeneration"],
        defaults: gemma3Defaults,
        rename: tableRenamer(top: decoderTop, block: gemmaBlock, skip: { _ in false }),
        transforms: { hf, _, c in try gemmaTransforms(hf, c) }, extraTensors: { _ in [] },
        parameters: gemma3Parameters,
        vocabulary: { c, w in try HFVocab.gemma(c, &w) })

    /// EmbeddingGemma (Gemma3TextModel, bidirectional): gemma3 with the sliding window of config.json as written
    /// and sentence-transformers pooling; with `denseModules` (the converter's --sentence-transformers-dense-modules,
    /// off by default there too) also its Dense projections: `dense_2.weight`, `dense_3.weight` and their sizes.
    static let gemmaEmbedding = HFFamily(
        arch: "gemma-embedding", architectures: ["Gemma3TextModel"],
        defaults: gemma3Defaults,
        rename: gemma3.rename, transforms: gemma3.transforms,
        extraTensors: { c in try denseModules(c).flatMap { try denseTensors(prefix: $0.prefix, folder: $0.folder) } },
        parameters: { c, w in
            try gemma3Parameters(c, &w)
            guard let sw = c.rawConfig["sliding_window"] as? Int else {
                throw HFModelError.invalid(path: c.folder.appendingPathComponent("config.json").path, message: "no integer 'sliding_window' (EmbeddingGemma needs it)")
            }
            w.u32("{arch}.attention.sliding_window", sw)
            for m in try denseModules(c) where m.features != nil {
                w.u32("{arch}.\(m.prefix)_feat_in", m.features!.in); w.u32("{arch}.\(m.prefix)_feat_out", m.features!.out)
            }
            if let p = try poolingType(c.folder) { w.u32("{arch}.pooling_type", p) }
        },
        vocabulary: gemma3.vocabulary)

    /// EmbeddingGemma's sentence-transformers Dense modules (modules.json order, those with a model.safetensors):
    /// the converter names `2_Dense` dense_2 and any other dense_3; in/out features from the module's config.json.
    static func denseModules(_ c: HFContext) throws -> [(prefix: String, folder: URL, features: (in: Int, out: Int)?)] {
        guard c.denseModules, let d = try? Data(contentsOf: c.folder.appendingPathComponent("modules.json")) else { return [] }
        guard let mods = try? JSONSerialization.jsonObject(with: d) as? [[String: Any]] else {
            throw HFModelError.invalid(path: c.folder.appendingPathComponent("modules.json").path, message: "not a JSON array of modules")
        }
        var out: [(prefix: String, folder: URL, features: (in: Int, out: Int)?)] = []
        for m in mods where (m["type"] as? String)?.hasSuffix("Dense") == true {
            guard let path = m["path"] as? String else { continue }
            let dir = c.folder.appendingPathComponent(path)
            guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("model.safetensors").path) else { continue }
            var features: (in: Int, out: Int)? = nil
            if let cfg = try HFCheckpoint.json(dir, "config.json"), let i = cfg["in_features"] as? Int, let o = cfg["out_features"] as? Int { features = (i, o) }
            out.append((path == "2_Dense" ? "dense_2" : "dense_3", dir, features))
        }
        return out
    }

    /// A Dense module's `.weight` tensors, `linear` renamed to its prefix (F32 sources only).
    static func denseTensors(prefix: String, folder dir: URL) throws -> [HFExtraTensor] {
        let ck = try HFCheckpoint(folder: dir.path)
        return try ck.tensors.filter { $0.name.hasSuffix(".weight") }.map { t in
            guard t.dtype == .f32 else {
                throw HFModelError.invalid(path: dir.path, message: "tensor '\(t.name)' is \(t.rawDType) (Dense modules are read as F32)")
            }
            let b = ck.bytes(t)
            let values = (0..<(b.count / 4)).map { b.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
            return HFExtraTensor(name: t.name.replacingOccurrences(of: "linear", with: prefix), shape: Array(t.shape.reversed()), values: values)
        }
    }

    // MARK: granite, olmo2, phi3

    /// GraniteModel (a LlamaModel): head_dim dropped from hparams, then llama's keys and its four scales.
    static let granite = HFFamily(
        arch: "granite", architectures: ["GraniteForCausalLM"],
        defaults: { c in
            var d = llamaDefaults(c)
            for k in ["embedding_multiplier", "residual_multiplier", "attention_multiplier", "logits_scaling"] { d[k] = 1.0 }
            return d
        },
        rename: tableRenamer(top: decoderTop, block: decoderBlock, skip: { hf in
            hf.hasPrefix("encoder.") || hf.contains("image_") || hf.contains("layerwise_projectors") || hf.contains("spatial_projectors")
        }),
        transforms: { hf, _, c in try ropePermutation(hf, c.withoutHeadDim) },
        extraTensors: { c in try llama3RopeFactors(c.withoutHeadDim).map { [$0] } ?? [] },
        parameters: { c0, w in
            let c = c0.withoutHeadDim
            try textParameters(c, &w)
            w.u32("{arch}.vocab_size", try c.require("vocab_size"))
            w.u32("{arch}.rope.dimension_count", try c.headDim())
            // written when truthy, as GraniteModel does
            for (key, hf) in [("attention.scale", "attention_multiplier"), ("embedding_scale", "embedding_multiplier"),
                              ("residual_scale", "residual_multiplier"), ("logit_scale", "logits_scaling")] {
                if let v = c.double(hf), v != 0 { w.f32("{arch}.\(key)", v) }
            }
        },
        vocabulary: { c, w in try HFVocab.llama(c, &w) })

    /// Olmo2Model: whole-projection QK-norm, norms after attention and FFN only (post_attention_layernorm is
    /// post_attention_norm here), no permutation; TextModel's keys.
    static let olmo2 = HFFamily(
        arch: "olmo2", architectures: ["Olmo2ForCausalLM"],
        defaults: { c in
            let heads = (c["num_attention_heads"] as? Int) ?? 32
            return ["vocab_size": 50304, "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
                    "num_attention_heads": 32, "num_key_value_heads": heads, "max_position_embeddings": 2048,
                    "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": false]
        },
        rename: tableRenamer(top: decoderTop, block: decoderBlock.merging([
            "self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm",
            "post_attention_layernorm": "post_attention_norm", "post_feedforward_layernorm": "post_ffw_norm",
        ]) { $1 }, skip: { _ in false }),
        transforms: { _, _, _ in [] }, extraTensors: { _ in [] },
        parameters: { c, w in
            if c.hparams["sliding_window"] != nil && !(c.hparams["sliding_window"] is NSNull) {
                throw HFModelError.invalid(path: c.folder.appendingPathComponent("config.json").path, message: "OLMo 3's sliding-window layers are not converted by lai yet")
            }
            try textParameters(c, &w)
        },
        vocabulary: { c, w in try HFVocab.sentencePieceOrGPT2(c, &w) })

    /// Phi3MiniModel: fused qkv_proj and gate_up_proj kept fused (attn_qkv, ffn_up), no permutation (NeoX RoPE),
    /// its own key order; LongRoPE as rope_factors_long/short tensors plus rope.scaling.attn_factor.
    static let phi3 = HFFamily(
        arch: "phi3", architectures: ["Phi3ForCausalLM"],
        defaults: { c in
            let heads = (c["num_attention_heads"] as? Int) ?? 32
            return ["vocab_size": 32064, "hidden_size": 3072, "intermediate_size": 8192, "num_hidden_layers": 32,
                    "num_attention_heads": 32, "num_key_value_heads": heads, "max_position_embeddings": 4096,
                    "original_max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
                    "partial_rotary_factor": 1.0, "tie_word_embeddings": false]
        },
        rename: tableRenamer(top: decoderTop, block: decoderBlock.merging([
            "self_attn.qkv_proj": "attn_qkv", "mlp.gate_up_proj": "ffn_up",
        ]) { $1 }, skip: { _ in false }),
        transforms: { _, _, _ in [] },
        extraTensors: { c in
            guard let r = try phi3LongRope(c) else { return [] }
            return [HFExtraTensor(name: "rope_factors_long.weight", shape: [r.long.count], values: r.long),
                    HFExtraTensor(name: "rope_factors_short.weight", shape: [r.short.count], values: r.short)]
        },
        parameters: { c, w in
            let cfg = c.folder.appendingPathComponent("config.json").path
            let hidden = try c.require("hidden_size"), heads = try c.require("num_attention_heads")
            guard let orig = c.int("original_max_position_embeddings") else {
                throw HFModelError.invalid(path: cfg, message: "no integer 'original_max_position_embeddings'")
            }
            w.u32("{arch}.context_length", try c.require("max_position_embeddings"))
            w.u32("{arch}.rope.scaling.original_context_length", orig)
            w.u32("{arch}.embedding_length", hidden)
            w.u32("{arch}.feed_forward_length", try c.require("intermediate_size"))
            w.u32("{arch}.block_count", c.blockCount)
            w.u32("{arch}.attention.head_count", heads)
            w.u32("{arch}.attention.head_count_kv", try c.require("num_key_value_heads"))
            guard let eps = c.double("rms_norm_eps") else { throw HFModelError.invalid(path: cfg, message: "no 'rms_norm_eps'") }
            w.f32("{arch}.attention.layer_norm_rms_epsilon", eps)
            w.u32("{arch}.rope.dimension_count", phi3RopeDims(c, hidden: hidden, heads: heads))
            w.f32("{arch}.rope.freq_base", c.double("rope_theta") ?? 10000)
            w.set("general.file_type", .uint32(UInt32(w.fileType ?? 0)))
            w.u32("{arch}.attention.sliding_window", c.int("sliding_window") ?? 0)
        },
        vocabulary: { c, w in
            // Phi-4 ships a GPT2Tokenizer; Phi-3's SentencePiece model has the converter's own Phi-3 reader. Without
            // either (the converter then fails) the model is written without a vocabulary, as for other families.
            if let tc = try HFCheckpoint.json(c.folder, "tokenizer_config.json"), tc["tokenizer_class"] as? String == "GPT2Tokenizer" {
                return try HFBPEVocab.write(c, &w)
            }
            if FileManager.default.fileExists(atPath: c.folder.appendingPathComponent("tokenizer.model").path) {
                try HFVocab.phi3SentencePiece(c, &w)
            }
        },
        early: { c, w in
            if let r = try phi3LongRope(c) { w.f32("{arch}.rope.scaling.attn_factor", r.attnFactor) }
        })

    static func phi3RopeDims(_ c: HFContext, hidden: Int, heads: Int) -> Int {
        let pct = c.double("partial_rotary_factor") ?? 1.0
        return Int(pct * Double(hidden)) / max(heads, 1)
    }

    /// Phi3MiniModel.generate_extra_tensors: LongRoPE factors (when rope_scaling has a long_factor) and the
    /// attention factor sqrt(1 + ln(scale)/ln(original context)) for scale = context / original context > 1.
    static func phi3LongRope(_ c: HFContext) throws -> (long: [Float], short: [Float], attnFactor: Double)? {
        let cfg = c.folder.appendingPathComponent("config.json").path
        let p = c.ropeParameters
        guard let long = (p["long_factor"] as? [NSNumber])?.map({ $0.floatValue }), !long.isEmpty else { return nil }
        guard let short = (p["short_factor"] as? [NSNumber])?.map({ $0.floatValue }) else {
            throw HFModelError.invalid(path: cfg, message: "rope_scaling has long_factor but no short_factor")
        }
        let hidden = try c.require("hidden_size"), heads = try c.require("num_attention_heads")
        let dims = phi3RopeDims(c, hidden: hidden, heads: heads)
        guard long.count == short.count, long.count * 2 == dims else {
            throw HFModelError.invalid(path: cfg, message: "rope long and short factors must have \(dims / 2) entries (have \(long.count) and \(short.count))")
        }
        guard let ctx = c.int("max_position_embeddings"), let orig = c.int("original_max_position_embeddings"), orig > 0 else {
            throw HFModelError.invalid(path: cfg, message: "LongRoPE needs max_position_embeddings and original_max_position_embeddings")
        }
        let type = ((p["rope_type"] as? String) ?? "").lowercased()
        let scale = Double(ctx) / Double(orig)
        let factor: Double
        switch type {
        case "su", "longrope", "yarn": factor = scale > 1 ? (1 + log(scale) / log(Double(orig))).squareRoot() : 1
        default: throw HFModelError.invalid(path: cfg, message: "rope scaling type '\(type)' is not supported for Phi-3")
        }
        return (long, short, factor)
    }
}

extension HFFamily {
    // MARK: mixtures of experts

    /// `model.layers.N.<stem>.X.<projection>.weight` → (N, projection, X).
    static func expertMatcher(stem: String) -> @Sendable (String) -> (layer: Int, projection: String, expert: Int)? {
        return { hf in
            var n = Substring(hf)
            if n.hasPrefix("model.") { n = n.dropFirst(6) }
            guard n.hasPrefix("layers."), n.hasSuffix(".weight") else { return nil }
            let parts = n.dropLast(7).split(separator: ".", omittingEmptySubsequences: false)
            let stemParts = stem.split(separator: ".")
            // layers . N . <stem...> . X . projection
            guard parts.count == 2 + stemParts.count + 2, let layer = Int(parts[1]),
                  Array(parts[2..<(2 + stemParts.count)]) == stemParts, let x = Int(parts[2 + stemParts.count]) else { return nil }
            return (layer, String(parts[parts.count - 1]), x)
        }
    }

    /// Mixtral (LlamaModel): llama's keys and Q/K permutation; w1, w2, w3 of the experts stacked in that order.
    static let mixtral: HFFamily = {
        var f = HFFamily(
            arch: "llama", architectures: ["MixtralForCausalLM"],
            defaults: { c in
                var d = llamaDefaults(c)
                d["head_dim"] = nil
                for (k, v) in ["vocab_size": 32000, "intermediate_size": 14336, "num_key_value_heads": 8, "max_position_embeddings": 131072,
                               "num_experts_per_tok": 2, "num_local_experts": 8] as [String: Any] { d[k] = v }
                d["rms_norm_eps"] = 1e-5; d["rope_theta"] = 1_000_000.0
                return d
            },
            rename: tableRenamer(top: decoderTop, block: decoderBlock.merging(["block_sparse_moe.gate": "ffn_gate_inp"]) { $1 }, skip: { _ in false }),
            transforms: { hf, _, c in try ropePermutation(hf, c) },
            extraTensors: llama.extraTensors, parameters: llama.parameters, vocabulary: llama.vocabulary)
        f.expert = expertMatcher(stem: "block_sparse_moe.experts")
        f.expertOutputs = [("w1", "ffn_gate_exps"), ("w2", "ffn_down_exps"), ("w3", "ffn_up_exps")]
        return f
    }()

    /// transformers 5's fused experts (Qwen2MoeModel/Qwen3MoeModel.modify_tensors): `mlp.experts.gate_up_proj`
    /// [n_expert, 2·n_ff, n_embd] split into ffn_gate_exps (first n_ff rows of each expert) and ffn_up_exps;
    /// `mlp.experts.down_proj` [n_expert, n_embd, n_ff] is ffn_down_exps as it is. Either may end in `.weight`.
    /// The layer of a fused experts tensor `….mlp.experts.<projection>[.weight]`, nil for other names.
    static func fusedExpertLayer(_ hf: String, _ projection: String) -> Int? {
        let stem = hf.hasSuffix(".weight") ? String(hf.dropLast(7)) : hf
        guard stem.hasSuffix(".mlp.experts.\(projection)") else { return nil }
        return try? layerIndex(stem)
    }

    static func fusedExperts(_ f: inout HFFamily) {
        let layerOf = fusedExpertLayer
        let rename = f.rename
        f.rename = { hf, c in
            if let l = layerOf(hf, "down_proj") { return l < c.blockCount ? "blk.\(l).ffn_down_exps.weight" : nil }
            return try rename(hf, c)
        }
        f.split = { hf, c in
            guard let l = layerOf(hf, "gate_up_proj") else { return nil }
            if l >= c.blockCount { return [] }
            let experts = try c.int("num_experts", "num_local_experts") ?? c.require("num_experts")
            let ff = try c.require("moe_intermediate_size")
            return [HFSplitOutput(name: "blk.\(l).ffn_gate_exps.weight", transform: .headSlice(heads: experts, rowsPerHead: 2 * ff, start: 0, count: ff, transpose: false)),
                    HFSplitOutput(name: "blk.\(l).ffn_up_exps.weight", transform: .headSlice(heads: experts, rowsPerHead: 2 * ff, start: ff, count: ff, transpose: false))]
        }
    }

    /// Qwen3VLMoeTextModel: Qwen3-MoE with arch qwen3vlmoe, M-RoPE sections and n_deepstack_layers; its experts come
    /// fused and transposed (gate_up_proj [E, n_embd, 2·ff], down_proj [E, ff, n_embd]), split and transposed back.
    static let qwen3VLMoE: HFFamily = {
        var f = HFFamily(arch: "qwen3vlmoe", architectures: ["Qwen3VLMoeForConditionalGeneration"],
                     defaults: { _ in
                         ["vocab_size": 151936, "hidden_size": 2048, "intermediate_size": 5632, "num_hidden_layers": 24,
                          "num_attention_heads": 16, "num_key_value_heads": 16, "head_dim": 128, "max_position_embeddings": 128000,
                          "rms_norm_eps": 1e-6, "rope_theta": 5000000.0, "moe_intermediate_size": 1408, "num_experts": 60,
                          "num_experts_per_tok": 4, "tie_word_embeddings": false]
                     },
                     rename: qwen3moe.rename, transforms: qwen3moe.transforms, extraTensors: qwen3moe.extraTensors,
                     parameters: withDeepstack(qwen3moe.parameters),
                     vocabulary: qwen3moe.vocabulary)
        f.expert = qwen3moe.expert
        f.expertOutputs = qwen3moe.expertOutputs
        let layerOf = fusedExpertLayer
        f.split = { hf, c in
            let experts = try c.require("num_experts")
            if let l = layerOf(hf, "down_proj") {
                if l >= c.blockCount { return [] }
                return [HFSplitOutput(name: "blk.\(l).ffn_down_exps.weight", transform: .columnSlice(heads: experts, start: 0, count: try c.require("hidden_size")))]
            }
            guard let l = layerOf(hf, "gate_up_proj") else { return nil }
            if l >= c.blockCount { return [] }
            let ff = try c.require("moe_intermediate_size")
            return [HFSplitOutput(name: "blk.\(l).ffn_gate_exps.weight", transform: .columnSlice(heads: experts, start: 0, count: ff)),
                    HFSplitOutput(name: "blk.\(l).ffn_up_exps.weight", transform: .columnSlice(heads: experts, start: ff, count: ff))]
        }
        return f
    }()

    static let qwenMoEBlock = decoderBlock.merging([
        "mlp.gate": "ffn_gate_inp", "mlp.shared_expert.gate_proj": "ffn_gate_shexp", "mlp.shared_expert.up_proj": "ffn_up_shexp",
        "mlp.shared_expert.down_proj": "ffn_down_shexp", "mlp.shared_expert_gate": "ffn_gate_inp_shexp",
    ]) { $1 }

    /// Qwen2MoeModel: TextModel's keys then the expert (and shared expert) widths; experts stacked down, gate, up.
    static let qwen2moe: HFFamily = {
        var f = HFFamily(
            arch: "qwen2moe", architectures: ["Qwen2MoeForCausalLM"],
            defaults: { c in
                ["vocab_size": 151936, "hidden_size": 2048, "intermediate_size": 5632, "num_hidden_layers": 24,
                 "num_attention_heads": 16, "num_key_value_heads": 16, "max_position_embeddings": 32768, "rms_norm_eps": 1e-6,
                 "rope_theta": 10000.0, "moe_intermediate_size": 1408, "shared_expert_intermediate_size": 5632,
                 "num_experts": 60, "num_experts_per_tok": 4, "tie_word_embeddings": false]
            },
            rename: tableRenamer(top: decoderTop, block: qwenMoEBlock, skip: { _ in false }),
            transforms: { _, _, _ in [] }, extraTensors: { _ in [] },
            parameters: { c, w in
                try textParameters(c, &w)
                if let v = c.int("moe_intermediate_size") { w.u32("{arch}.expert_feed_forward_length", v) }
                if let v = c.int("shared_expert_intermediate_size") { w.u32("{arch}.expert_shared_feed_forward_length", v) }
            },
            vocabulary: { c, w in try HFVocab.sentencePieceOrGPT2(c, &w) })
        f.expert = expertMatcher(stem: "mlp.experts")
        f.expertOutputs = [("down_proj", "ffn_down_exps"), ("gate_proj", "ffn_gate_exps"), ("up_proj", "ffn_up_exps")]
        fusedExperts(&f)
        return f
    }()

    /// Qwen3MoeModel: as Qwen2-MoE with per-head QK-norm, no shared expert.
    static let qwen3moe: HFFamily = {
        var f = HFFamily(
            arch: "qwen3moe", architectures: ["Qwen3MoeForCausalLM"],
            defaults: { c in
                ["vocab_size": 151936, "hidden_size": 2048, "intermediate_size": 6144, "num_hidden_layers": 24,
                 "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 128, "max_position_embeddings": 32768,
                 "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "moe_intermediate_size": 768, "num_experts": 128,
                 "num_experts_per_tok": 8, "tie_word_embeddings": false]
            },
            rename: tableRenamer(top: decoderTop, block: qwenMoEBlock.merging(["self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm"]) { $1 },
                                 skip: { _ in false }),
            transforms: { _, _, _ in [] }, extraTensors: { _ in [] },
            parameters: qwen2moe.parameters, vocabulary: qwen2moe.vocabulary)
        f.expert = expertMatcher(stem: "mlp.experts")
        f.expertOutputs = qwen2moe.expertOutputs
        fusedExperts(&f)
        return f
    }()
}

extension HFFamily {
    /// GemmaModel (Gemma 1): llama's tensor names, every `*norm.weight` + 1, lm_head skipped; gemma2's keys without
    /// the softcaps and window; SentencePiece vocabulary plus CodeGemma's fixed eot id, add_space_prefix false.
    static let gemma = HFFamily(
        arch: "gemma", architectures: ["GemmaForCausalLM"],
        defaults: { _ in
            ["vocab_size": 256000, "hidden_size": 3072, "intermediate_size": 24576, "num_hidden_layers": 28,
             "num_attention_heads": 16, "num_key_value_heads": 16, "head_dim": 256, "max_position_embeddings": 8192,
             "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": true]
        },
        rename: tableRenamer(top: decoderTop, block: decoderBlock, skip: { $0 == "lm_head.weight" }),
        transforms: { hf, _, _ in hf.hasSuffix("norm.weight") ? [.addOne] : [] },
        extraTensors: { _ in [] },
        parameters: { c, w in try gemmaCommonParameters(c, &w) },
        vocabulary: { c, w in
            guard FileManager.default.fileExists(atPath: c.folder.appendingPathComponent("tokenizer.model").path) else { return }
            try HFVocab.sentencePiece(c, &w)
            // A second SpecialVocab for CodeGemma's FIM ids 67/69/68/70 and eot 107: gguf-py writes only eot
            // (it has no prefix/suffix/middle/fsep handler), then the same add flags again, no chat template.
            try HFVocab.specialVocab(c, &w, vocabularySize: nil,
                                     extraIDs: [("prefix", 67), ("suffix", 69), ("middle", 68), ("fsep", 70), ("eot", 107)],
                                     types: ["prefix", "suffix", "middle", "fsep", "eot"], chatTemplate: false)
            w.bool("tokenizer.ggml.add_space_prefix", false)
        })

    /// GemmaModel/Gemma2Model.set_gguf_parameters' common part, through general.file_type.
    static func gemmaCommonParameters(_ c: HFContext, _ w: inout HFMetadataWriter) throws {
        let cfg = c.folder.appendingPathComponent("config.json").path
        w.u32("{arch}.context_length", try c.require("max_position_embeddings"))
        w.u32("{arch}.embedding_length", try c.require("hidden_size"))
        w.u32("{arch}.block_count", c.blockCount)
        w.u32("{arch}.feed_forward_length", try c.require("intermediate_size"))
        w.u32("{arch}.attention.head_count", try c.require("num_attention_heads"))
        w.u32("{arch}.attention.head_count_kv", try c.int("num_key_value_heads") ?? c.require("num_attention_heads"))
        guard let eps = c.double("rms_norm_eps") else { throw HFModelError.invalid(path: cfg, message: "no number 'rms_norm_eps'") }
        w.f32("{arch}.attention.layer_norm_rms_epsilon", eps)
        w.u32("{arch}.attention.key_length", try c.require("head_dim"))
        w.u32("{arch}.attention.value_length", try c.require("head_dim"))
        w.set("general.file_type", .uint32(UInt32(w.fileType ?? 0)))
    }

    /// Gemma2Model: gemma3's tensor names without QK-norm, every `*norm.weight` + 1, lm_head skipped; its own key
    /// order with both softcaps and the sliding window.
    static let gemma2 = HFFamily(
        arch: "gemma2", architectures: ["Gemma2ForCausalLM"],
        defaults: { _ in
            ["vocab_size": 256000, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
             "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256, "max_position_embeddings": 8192,
             "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0,
             "query_pre_attn_scalar": 256, "sliding_window": 4096, "tie_word_embeddings": true]
        },
        rename: tableRenamer(top: decoderTop, block: gemmaBlock, skip: { $0 == "lm_head.weight" }),
        transforms: { hf, _, _ in hf.hasSuffix("norm.weight") ? [.addOne] : [] },
        extraTensors: { _ in [] },
        parameters: { c, w in
            let cfg = c.folder.appendingPathComponent("config.json").path
            func need(_ k: String) throws -> Double {
                guard let v = c.double(k) else { throw HFModelError.invalid(path: cfg, message: "no number '\(k)'") }
                return v
            }
            try gemmaCommonParameters(c, &w)
            w.f32("{arch}.attn_logit_softcapping", try need("attn_logit_softcapping"))
            w.f32("{arch}.final_logit_softcapping", try need("final_logit_softcapping"))
            w.u32("{arch}.attention.sliding_window", try c.require("sliding_window"))
        },
        vocabulary: { c, w in
            guard FileManager.default.fileExists(atPath: c.folder.appendingPathComponent("tokenizer.model").path) else { return }
            try HFVocab.sentencePiece(c, &w)
            w.bool("tokenizer.ggml.add_space_prefix", false)
        })
}

extension HFContext {
    /// These hparams without head_dim (GraniteModel pops it before anything reads it).
    var withoutHeadDim: HFContext { editing { $0["head_dim"] = nil } }

    /// A copy whose hparams `edit` changed (a family's converter class adjusting self.hparams before it writes keys).
    func editing(_ edit: (inout [String: Any]) -> Void) -> HFContext {
        var c = self
        edit(&c.hparams)
        return c
    }
}
