// HFFamily: one Hugging Face architecture as llama.cpp's convert_hf_to_gguf.py converts it — which
// `architectures` it claims, the GGUF architecture, tensor renaming, per-tensor transforms, extra tensors and
// the hyper-parameter metadata. The families themselves are tables in HFFamilies.swift.
import Foundation

/// A change the converter makes to a tensor's values before it is stored.
package enum HFTransform: Sendable, Equatable {
    /// llama-style RoPE: rows regrouped from HF's rotate-half order to GGML's interleaved pairs
    /// (`LlamaModel.permute`: reshape(n_head, 2, rows/n_head/2, …).swapaxes(1, 2)).
    case permuteRows(heads: Int)
    /// Gemma's RMSNorm stores `w` for `x·(1 + w)`: the converter adds 1 (in the tensor's own dtype for F16).
    case addOne
    /// Only the first n rows are kept (Gemma drops embedding rows past the tokenizer's vocabulary).
    case keepRows(Int)
    /// The first n rows are dropped (XLM-RoBERTa's position embeddings start at pad_token_id + 1).
    case dropRows(Int)
    /// Falcon's fused query_key_value regrouped from kvHeads groups of (heads/kvHeads queries, one key, one value)
    /// to all queries, then all keys, then all values (FalconModel's "jploski" layout).
    case falconQKV(heads: Int, kvHeads: Int, headDim: Int)
    /// Rows viewed as [heads, rowsPerHead, columns]: rows start..<start+count of every head, transposed per head
    /// when `transpose` (DeepseekV2Model's kv_b_proj → attn_k_b (transposed), attn_v_b). The output is 3-D.
    case headSlice(heads: Int, rowsPerHead: Int, start: Int, count: Int, transpose: Bool)
    /// A 3-D [heads, rows, columns] tensor: columns start..<start+count of every head, transposed per head to
    /// [heads, count, rows] (Qwen3-VL-MoE's fused experts: gate_up_proj [E, n_embd, 2·ff] split and transposed,
    /// down_proj [E, ff, n_embd] transposed whole).
    case columnSlice(heads: Int, start: Int, count: Int)
    /// The listed rows, in that order (Qwen3Model's reranker head: the lm_head rows of "yes" and "no").
    case selectRows([Int])
}

/// One checkpoint tensor written as several GGUF tensors (DeepSeek-V2's kv_b_proj); a nil transform writes it as it is.
package struct HFSplitOutput {
    package let name: String
    package let transform: HFTransform?
}

/// A tensor the converter writes that is not in the checkpoint (rope_freqs, sentence-transformers Dense).
package struct HFExtraTensor {
    package let name: String
    /// ggml order (shape[0] = row length).
    package let shape: [Int]
    package let values: [Float]
}

/// What a family's table functions see: config.json (text_config merged, with the transformers config class's
/// defaults beneath), the folder and the parsed vocabulary size when the family needs it.
package struct HFContext {
    package let folder: URL
    /// config.json as AutoConfig(...).to_dict() returns it: the file's keys over the config class's defaults.
    package internal(set) var hparams: [String: Any]
    /// config.json exactly as written (EmbeddingGemma's sliding window is read from it, not from hparams).
    package let rawConfig: [String: Any]
    package let hfArch: String
    package let blockCount: Int
    /// The converter's --sentence-transformers-dense-modules: write the Dense modules of modules.json (EmbeddingGemma).
    package var denseModules = false

    func value(_ keys: [String]) -> Any? {
        for k in keys { if let v = hparams[k], !(v is NSNull) { return v } }
        return nil
    }
    func int(_ keys: String...) -> Int? { (value(keys) as? NSNumber)?.intValue }
    func double(_ keys: String...) -> Double? { (value(keys) as? NSNumber)?.doubleValue }
    func require(_ key: String) throws -> Int {
        guard let v = int(key) else { throw HFModelError.invalid(path: folder.appendingPathComponent("config.json").path, message: "no integer '\(key)'") }
        return v
    }
    /// `head_dim`, else hidden_size / num_attention_heads.
    func headDim() throws -> Int {
        if let d = int("head_dim") { return d }
        return try require("hidden_size") / max(try require("num_attention_heads"), 1)
    }
    /// `rope_parameters`/`rope_scaling` as TextModel.__init__ completes it (rope_theta, rope_type mirrored in).
    var ropeParameters: [String: Any] {
        var p = (hparams["rope_parameters"] as? [String: Any]) ?? (hparams["rope_scaling"] as? [String: Any]) ?? [:]
        if p["full_attention"] == nil && p["sliding_attention"] == nil {
            if let local = value(["local_rope_theta", "rope_local_theta", "rope_theta_local", "swa_rope_theta", "rope_local_base_freq"]) {
                p["sliding_attention"] = ["rope_theta": local]
            }
            if p["rope_theta"] == nil, let t = value(["global_rope_theta", "rope_global_theta", "rope_theta_global", "rope_theta", "rotary_emb_base"]) {
                p["rope_theta"] = t
            }
            if p["rope_type"] == nil, let t = p["type"] { p["rope_type"] = t }
            if p["partial_rotary_factor"] == nil, let f = value(["partial_rotary_factor", "rope_pct", "rope_percent"]) { p["partial_rotary_factor"] = f }
            if p["original_max_position_embeddings"] == nil, let o = value(["original_max_position_embeddings"]) { p["original_max_position_embeddings"] = o }
        }
        return p
    }
}

package struct HFFamily: Sendable {
    /// GGUF `general.architecture`.
    package let arch: String
    /// config.json `architectures[0]` values converted by this family.
    package let architectures: [String]
    /// transformers' config class defaults that AutoConfig.to_dict() adds to config.json's keys.
    let defaults: @Sendable ([String: Any]) -> [String: Any]
    /// HF tensor name → GGUF name; nil for tensors the converter skips. Unknown names throw (as the converter does).
    var rename: @Sendable (String, HFContext) throws -> String?
    /// The transforms applied to one tensor (HF name, GGUF name).
    let transforms: @Sendable (String, String, HFContext) throws -> [HFTransform]
    /// Tensors generated before the checkpoint's (the converter's generate_extra_tensors).
    let extraTensors: @Sendable (HFContext) throws -> [HFExtraTensor]
    /// `{arch}.*` hyper-parameters in the converter's order, ending with general.file_type (written by the caller).
    let parameters: @Sendable (HFContext, inout HFMetadataWriter) throws -> Void
    /// Tokenizer metadata (set_vocab).
    let vocabulary: @Sendable (HFContext, inout HFMetadataWriter) throws -> Void
    /// Mixture-of-experts weights the converter stacks per layer: an HF name's (layer, projection, expert), and
    /// the projections in the order it emits them with their GGUF names (`ffn_gate_exps` …).
    var expert: (@Sendable (String) -> (layer: Int, projection: String, expert: Int)?)? = nil
    var expertOutputs: [(projection: String, gguf: String)] = []
    /// Tensors the converter writes as several (HF name → outputs); nil for the rest.
    var split: (@Sendable (String, HFContext) throws -> [HFSplitOutput]?)? = nil
    /// Keys the converter writes while generating extra tensors, before `general.type` (Phi-3's attn_factor).
    var early: @Sendable (HFContext, inout HFMetadataWriter) throws -> Void = { _, _ in }

    /// config.json's architecture as the converter's get_model_architecture reads it for the text model:
    /// `text_config.architectures[0]` when present (transformers 4.57 saves Qwen2-VL's there), else `architectures[0]`.
    package static func architecture(_ config: [String: Any]) -> String? {
        ((config["text_config"] as? [String: Any])?["architectures"] as? [String])?.first ?? (config["architectures"] as? [String])?.first
    }

    /// The family whose `architectures` holds config.json's architecture.
    package static func find(_ config: [String: Any]) -> HFFamily? {
        let arch = architecture(config) ?? ((config["model_type"] as? String) == "bert" ? "BertModel" : "")
        return all.first { $0.architectures.contains(arch) }
    }
}

/// Builds GGUF metadata the way gguf-py's GGUFWriter.add_* calls do (key types, overwrite keeps position).
package struct HFMetadataWriter {
    package var md = GGUFMetadata()
    let arch: String
    /// Set when the output will be F32/F16/BF16/Q8_0 (the converter's own types); nil marks where it goes.
    var fileType: Int?

    mutating func u32(_ key: String, _ v: Int) { md[key.replacingOccurrences(of: "{arch}", with: arch)] = .uint32(UInt32(truncatingIfNeeded: v)) }
    mutating func f32(_ key: String, _ v: Double) { md[key.replacingOccurrences(of: "{arch}", with: arch)] = .float32(Float(v)) }
    mutating func bool(_ key: String, _ v: Bool) { md[key.replacingOccurrences(of: "{arch}", with: arch)] = .bool(v) }
    mutating func string(_ key: String, _ v: String) { md[key.replacingOccurrences(of: "{arch}", with: arch)] = .string(v) }
    mutating func set(_ key: String, _ v: GGUFValue) { md[key.replacingOccurrences(of: "{arch}", with: arch)] = v }
}

// MARK: - Shared pieces of the decoder families

extension HFFamily {
    /// gguf-py's TensorNameMap entries for llama-style decoders: `model.` (or nothing) + name, `.weight`/`.bias` kept.
    static let decoderTop = ["embed_tokens": "token_embd", "norm": "output_norm", "lm_head": "output"]
    static let decoderBlock = [
        "input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
        "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output", "post_attention_layernorm": "ffn_norm",
        "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down",
    ]

    /// A renamer over `top` and `block` tables (HF stem without `model.` → GGUF stem); `skip` names are dropped.
    /// `prefix` is dropped from names that have it; block tensors are `<layers>N.<stem>`.
    static func tableRenamer(top: [String: String], block: [String: String], prefix: String = "model.", layers: String = "layers.",
                             skip: @escaping @Sendable (String) -> Bool) -> @Sendable (String, HFContext) throws -> String? {
        return { hf, ctx in
            if skip(hf) { return nil }
            // Tensors the converter never writes (prepare_tensors' first filter).
            if hf.hasSuffix(".attention.masked_bias") || hf.hasSuffix(".attention.bias") || hf.hasSuffix(".rotary_emb.inv_freq") { return nil }
            var n = hf
            if n.hasPrefix(prefix) { n.removeFirst(prefix.count) }
            let suffix: String
            if n.hasSuffix(".weight") { suffix = ".weight" } else if n.hasSuffix(".bias") { suffix = ".bias" } else {
                throw HFModelError.invalid(path: ctx.folder.path, message: "cannot map tensor '\(hf)'")
            }
            let stem = String(n.dropLast(suffix.count))
            if let t = top[stem] { return t + suffix }
            if stem.hasPrefix(layers) {
                let rest = stem.dropFirst(layers.count)
                if let dot = rest.firstIndex(of: "."), let bid = Int(rest[..<dot]), bid >= 0, bid < ctx.blockCount,
                   let t = block[String(rest[rest.index(after: dot)...])] {
                    return "blk.\(bid).\(t)\(suffix)"
                }
            }
            throw HFModelError.invalid(path: ctx.folder.path, message: "cannot map tensor '\(hf)'")
        }
    }

    /// TextModel.set_gguf_parameters: the keys every text family writes, in order (general.file_type excluded).
    static func textParameters(_ c: HFContext, _ w: inout HFMetadataWriter) throws {
        w.u32("{arch}.block_count", c.blockCount)
        if let v = c.int("max_position_embeddings", "n_ctx", "n_positions", "max_length", "max_sequence_length", "model_max_length") {
            w.u32("{arch}.context_length", v)
        }
        if let v = c.int("hidden_size", "n_embd", "dim") { w.u32("{arch}.embedding_length", v) }
        if let v = c.int("prefix_dense_intermediate_size", "dense_intermediate_size", "intermediate_size", "n_inner", "hidden_dim") {
            w.u32("{arch}.feed_forward_length", v)
        }
        if let v = c.int("num_attention_heads", "n_head", "n_heads") { w.u32("{arch}.attention.head_count", v) }
        if let v = c.int("num_key_value_heads", "n_kv_heads") { w.u32("{arch}.attention.head_count_kv", v) }
        if let causal = c.hparams["is_causal"] as? Bool, !causal { w.bool("{arch}.attention.causal", false) }
        let rope = c.ropeParameters
        let ropeParams = (rope["full_attention"] as? [String: Any]) ?? rope
        if let type = ropeParams["rope_type"] as? String {
            let factor = (ropeParams["factor"] as? NSNumber)?.doubleValue
            switch type.lowercased() {
            case "linear" where factor != nil:
                w.string("{arch}.rope.scaling.type", "linear"); w.f32("{arch}.rope.scaling.factor", factor!)
            case "yarn" where factor != nil:
                w.string("{arch}.rope.scaling.type", "yarn"); w.f32("{arch}.rope.scaling.factor", factor!)
                guard let orig = (ropeParams["original_max_position_embeddings"] as? NSNumber)?.intValue else {
                    throw HFModelError.invalid(path: c.folder.appendingPathComponent("config.json").path, message: "yarn rope scaling without original_max_position_embeddings")
                }
                w.u32("{arch}.rope.scaling.original_context_length", orig)
                if let v = (ropeParams["extrapolation_factor"] as? NSNumber)?.doubleValue { w.f32("{arch}.rope.scaling.yarn_ext_factor", v) }
                if let v = ((ropeParams["attention_factor"] ?? ropeParams["attn_factor"]) as? NSNumber)?.doubleValue { w.f32("{arch}.rope.scaling.yarn_attn_factor", v) }
                if let v = (ropeParams["beta_fast"] as? NSNumber)?.doubleValue { w.f32("{arch}.rope.scaling.yarn_beta_fast", v) }
                if let v = (ropeParams["beta_slow"] as? NSNumber)?.doubleValue { w.f32("{arch}.rope.scaling.yarn_beta_slow", v) }
            case "su", "longrope":
                w.string("{arch}.rope.scaling.type", "longrope")
            default: break  // llama3: the rope_freqs tensor; dynamic, default: nothing
            }
        }
        if var sections = (rope["mrope_section"] as? [NSNumber])?.map({ Int32($0.intValue) }) {
            while sections.count < 4 { sections.append(0) }
            w.set("{arch}.rope.dimension_sections", .array(GGUFArray(int32s: Array(sections.prefix(4)))))
        }
        if let theta = (ropeParams["rope_theta"] as? NSNumber)?.doubleValue { w.f32("{arch}.rope.freq_base", theta) }
        if let local = ((rope["sliding_attention"] as? [String: Any])?["rope_theta"] as? NSNumber)?.doubleValue {
            w.f32("{arch}.rope.freq_base_swa", local)
        }
        if let v = c.double("rms_norm_eps", "norm_eps") { w.f32("{arch}.attention.layer_norm_rms_epsilon", v) }
        if let v = c.double("layer_norm_eps", "layer_norm_epsilon", "norm_epsilon") { w.f32("{arch}.attention.layer_norm_epsilon", v) }
        if let v = c.int("num_local_experts", "num_experts", "n_routed_experts") { w.u32("{arch}.expert_count", v) }
        if let v = c.int("num_experts_per_tok", "num_experts_per_token", "top_k_experts") { w.u32("{arch}.expert_used_count", v) }
        if let v = (c.hparams["n_group"] as? NSNumber)?.intValue { w.u32("{arch}.expert_group_count", v) }
        if let v = (c.hparams["topk_group"] as? NSNumber)?.intValue { w.u32("{arch}.expert_group_used_count", v) }
        if let f = c.value(["score_function", "scoring_func", "score_func", "moe_router_activation", "moe_router_activation_func", "expert_selection_fn"]) {
            let gating = ["softmax": 1, "sigmoid": 2, "sqrtsoftplus": 4]
            guard let s = f as? String, let g = gating[s] else {
                throw HFModelError.invalid(path: c.folder.appendingPathComponent("config.json").path, message: "unsupported expert gating function \(f)")
            }
            w.u32("{arch}.expert_gating_func", g)
        }
        if let v = c.int("head_dim") {
            w.u32("{arch}.attention.key_length", v); w.u32("{arch}.attention.value_length", v)
        }
        w.set("general.file_type", .uint32(UInt32(w.fileType ?? 0)))
    }

    /// sentence-transformers pooling (modules.json → the Pooling module's config.json): mean 1, cls 2, last 3.
    static func poolingType(_ folder: URL) throws -> Int? {
        guard let d = try? Data(contentsOf: folder.appendingPathComponent("modules.json")) else { return nil }
        guard let mods = try? JSONSerialization.jsonObject(with: d) as? [[String: Any]] else {
            throw HFModelError.invalid(path: folder.appendingPathComponent("modules.json").path, message: "not a JSON array of modules")
        }
        guard let pool = mods.first(where: { ($0["type"] as? String)?.hasSuffix("Pooling") == true }), let p = pool["path"] as? String else { return nil }
        let cfgURL = folder.appendingPathComponent(p).appendingPathComponent("config.json")
        guard let cd = try? Data(contentsOf: cfgURL), let cfg = try? JSONSerialization.jsonObject(with: cd) as? [String: Any] else {
            throw HFModelError.invalid(path: cfgURL.path, message: "missing or not a JSON object")
        }
        if cfg["pooling_mode_mean_tokens"] as? Bool == true { return 1 }
        if cfg["pooling_mode_cls_token"] as? Bool == true { return 2 }
        if cfg["pooling_mode_lasttoken"] as? Bool == true { return 3 }
        switch cfg["pooling_mode"] as? String {
        case "mean": return 1
        case "cls": return 2
        case "lasttoken": return 3
        default: throw HFModelError.invalid(path: cfgURL.path, message: "pooling mode is not mean, cls or lasttoken")
        }
    }
}
