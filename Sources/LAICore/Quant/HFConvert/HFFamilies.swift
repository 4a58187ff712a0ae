// The Hugging Face architectures lai converts, each as convert_hf_to_gguf.py's model class does
// (conversion/llama.py LlamaModel, qwen.py Qwen2Model/Qwen3Model, gemma.py Gemma3Model/EmbeddingGemma, bert.py BertModel).
import Foundation

extension HFFamily {
    package static let all: [HFFamily] = [bert, llama, qwen2, qwen3, gemma3, gemmaEmbedding]

    // MARK: llama

    /// LlamaConfig defaults (transformers 4.57, the converter's pin) that to_dict() adds.
    static func llamaDefaults(_ c: [String: Any]) -> [String: Any] {
        let hidden = (c["hidden_size"] as? Int) ?? 4096, heads = (c["num_attention_heads"] as? Int) ?? 32
        return ["vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
                "num_attention_heads": 32, "num_key_value_heads": heads, "max_position_embeddings": 2048,
                "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "head_dim": hidden / max(heads, 1), "tie_word_embeddings": false]
    }

    static let llama = HFFamily(
        arch: "llama", architectures: ["LlamaForCausalLM", "LLaMAForCausalLM", "MistralForCausalLM", "LlamaModel"],
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

    static let qwen3 = HFFamily(
        arch: "qwen3", architectures: ["Qwen3ForCausalLM", "Qwen3Model"],
        defaults: qwenDefaults(headDim: true),
        rename: tableRenamer(top: decoderTop, block: decoderBlock.merging(["self_attn.q_norm": "attn_q_norm", "self_attn.k_norm": "attn_k_norm"]) { $1 },
                             skip: { _ in false }),
        transforms: { _, _, _ in [] }, extraTensors: { _ in [] },
        parameters: qwen2.parameters, vocabulary: qwen2.vocabulary)

    // MARK: gemma3, EmbeddingGemma

    static func gemma3Defaults(_ c: [String: Any]) -> [String: Any] {
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

    static func gemma3Parameters(_ c: HFContext, _ w: inout HFMetadataWriter) throws {
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
        arch: "gemma3", architectures: ["Gemma3ForCausalLM"],
        defaults: gemma3Defaults,
        rename: tableRenamer(top: decoderTop, block: gemmaBlock, skip: { _ in false }),
        transforms: { hf, _, c in try gemmaTransforms(hf, c) }, extraTensors: { _ in [] },
        parameters: gemma3Parameters,
        vocabulary: { c, w in try HFVocab.gemma(c, &w) })

    /// EmbeddingGemma (Gemma3TextModel, bidirectional): gemma3 with the sliding window of config.json as written
    /// and sentence-transformers pooling. Its Dense layers are converted only with the converter's
    /// --sentence-transformers-dense-modules, which lai does not reproduce (the default leaves them out).
    static let gemmaEmbedding = HFFamily(
        arch: "gemma-embedding", architectures: ["Gemma3TextModel"],
        defaults: gemma3Defaults,
        rename: gemma3.rename, transforms: gemma3.transforms, extraTensors: { _ in [] },
        parameters: { c, w in
            try gemma3Parameters(c, &w)
            guard let sw = c.rawConfig["sliding_window"] as? Int else {
                throw HFModelError.invalid(path: c.folder.appendingPathComponent("config.json").path, message: "no integer 'sliding_window' (EmbeddingGemma needs it)")
            }
            w.u32("{arch}.attention.sliding_window", sw)
            if let p = try poolingType(c.folder) { w.u32("{arch}.pooling_type", p) }
        },
        vocabulary: gemma3.vocabulary)
}
