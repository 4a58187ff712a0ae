// QuantPolicy: which type each tensor gets, as llama.cpp's llama-quant.cpp decides it.

/// Chooses per-tensor types for a whole model, following llama.cpp's `tensor_allows_quantization`,
/// `llama_tensor_get_type_impl` (every mix rule for the file types lai writes) and
/// `tensor_type_fallback`. Tensors must be visited in `QuantPolicy.order` (llama.cpp's order),
/// because the layer counters advance as tensors are seen.
///
/// Summary of the policy (docs/QUANTIZATION.md has the full table):
/// - 1-D tensors, norms, and names not ending in `weight` keep their type (usually F32).
/// - `output.weight`, and `token_embd.weight` when embeddings are tied (no `output.weight`), get Q6_K
///   (Q8_0 stays Q8_0), or Q8_0 when the row length is not a multiple of the target's block size or the
///   architecture is Falcon.
/// - The K and IQ4 mixes raise `attn_v`/`attn_qkv`/`attn_kv_b`, `attn_k`, `attn_output` and `ffn_down`
///   of some layers to more bits, depending on the file type, the layer, the number of query heads per
///   KV head (n_gqa), the expert count, Falcon, and 70B-class llama/qwen2 models.
/// - Fallback: a row length that is not a multiple of 256 turns Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0,
///   Q2_K/Q3_K/TQ1_0/TQ2_0→Q4_0, IQ4_XS→IQ4_NL; if still incompatible (row not a multiple of 32), F16.
/// `--pure` skips the output rule and the mixes (the fallback still applies).
package struct QuantPolicy {
    package let target: QuantTarget
    package let pure: Bool
    package let arch: String
    package let nLayer: Int
    /// Query heads per KV head of layer 0 (llama.cpp's `n_gqa()`), 0 when unknown.
    package let nGQA: Int
    /// `<arch>.expert_count` (0 without experts).
    package let nExpert: Int
    /// Whether llama.cpp would call the model `LLM_TYPE_70B` (attn_v gets Q5_K instead of Q3_K/Q4_K).
    package let is70B: Bool
    /// An importance matrix is given (llama.cpp's `qs.has_imatrix`: some mixes keep their own type then).
    package var hasImatrix = false
    private var hasTiedEmbeddings = true
    private var nAttentionWV = 0
    private var iAttentionWV = 0
    private var iFfnDown = 0
    private var iFfnGate = 0
    private var iFfnUp = 0
    /// Tensors whose row length forced a fallback type.
    package private(set) var fallbacks: [String] = []

    package init(target: QuantTarget, pure: Bool, metadata: GGUFMetadata, tensorNames: [String]) {
        self.target = target
        self.pure = pure
        self.arch = metadata.architecture ?? ""
        self.nLayer = metadata.arch("block_count")?.int ?? 0
        // Head counts may be per-layer arrays; llama.cpp's n_gqa() looks at layer 0.
        func first(_ key: String) -> Int? {
            guard let v = metadata.arch(key) else { return nil }
            return v.int ?? v.array?.ints.first
        }
        let nHead = first("attention.head_count") ?? 0
        let nHeadKV = first("attention.head_count_kv") ?? nHead
        self.nGQA = nHeadKV > 0 ? nHead / nHeadKV : 0
        self.nExpert = metadata.arch("expert_count")?.int ?? 0
        // The architectures' load_arch_hparams: which layer counts make LLM_TYPE_70B.
        switch arch {
        case "llama": self.is70B = nExpert != 8 && nLayer == 80 && nHead != nHeadKV
        case "qwen2", "deci", "olmo": self.is70B = nLayer == 80
        case "jais2": self.is70B = nLayer == 68
        default: self.is70B = false
        }
        for n in tensorNames {
            let c = Self.category(n)
            if c == .attentionV || c == .attentionQKV || c == .attentionKVB { nAttentionWV += 1 }
            if c == .output { hasTiedEmbeddings = false }
        }
    }

    /// llama.cpp's tensor order (`weight_name_comparer`): tensors outside blocks first, then by block
    /// number, then by name.
    package static func order(_ names: [String]) -> [Int] {
        let keys = names.map { (layer($0), Array($0.utf8)) }
        return names.indices.sorted { a, b in
            if keys[a].0 != keys[b].0 { return keys[a].0 < keys[b].0 }
            return keys[a].1.lexicographicallyPrecedes(keys[b].1)
        }
    }

    /// The `N` of `blk.N.…` (as `sscanf("blk.%d.")`), or -1.
    static func layer(_ name: String) -> Int {
        guard name.hasPrefix("blk.") else { return -1 }
        var digits = Substring(name.dropFirst(4))
        var sign = 1
        if digits.first == "-" { sign = -1; digits = digits.dropFirst() } else if digits.first == "+" { digits = digits.dropFirst() }
        let d = digits.prefix(while: { $0.isASCII && $0.isNumber })
        guard !d.isEmpty, let v = Int(d) else { return -1 }
        return sign * v
    }

    enum Category { case tokenEmbd, attentionQ, attentionV, attentionK, attentionQKV, attentionKVB, attentionOutput, ffnUp, ffnGate, ffnDown, output, other }

    static func category(_ n: String) -> Category {
        if n == "output.weight" { return .output }
        if n == "token_embd.weight" || n == "per_layer_token_embd.weight" { return .tokenEmbd }
        if n.contains("attn_qkv.weight") { return .attentionQKV }
        if n.contains("attn_kv_b.weight") { return .attentionKVB }
        if n.contains("attn_v.weight") { return .attentionV }
        if n.contains("attn_k.weight") { return .attentionK }
        if n.contains("attn_q.weight") { return .attentionQ }
        if n.contains("attn_output.weight") { return .attentionOutput }
        if n.contains("ffn_up") { return .ffnUp }
        if n.contains("ffn_gate") { return .ffnGate }
        if n.contains("ffn_down") { return .ffnDown }
        return .other
    }

    /// llama.cpp's `tensor_allows_quantization` (the parts that apply to the architectures lai runs).
    package static func allowsQuantization(name: String, shape: [Int]) -> Bool {
        let nDims = (shape.lastIndex(where: { $0 > 1 }) ?? 0) + 1
        if nDims < 2 { return false }
        guard name.hasSuffix("weight") else { return false }
        let excluded = ["_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel",
                        "per_layer_model_proj", "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight",
                        "indexer.q_proj.weight", "time_mix_", "attn_rel_b.weight", ".position_embd", "sam.pos_embd",
                        "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger", "a.rvq.codebook", "mm.a.code_embd"]
        for e in excluded where name.contains(e) {
            // llama.cpp lists the RWKV time_mix tensors one by one; all of them are excluded.
            return false
        }
        if name == "position_embd.weight" || name == "token_types.weight" { return false }
        return true
    }

    /// The type for the next tensor (call in `order`). `current` is what the tensor keeps when it is not
    /// quantized (its input type for GGUF inputs, F32 for converted Hugging Face tensors).
    package mutating func type(name: String, shape: [Int], current: GGMLType) -> GGMLType {
        guard Self.allowsQuantization(name: name, shape: shape) else { return current }
        var t = target.defaultType
        guard t.isQuantized else { return t }
        if !pure { t = impl(t, name: name, shape: shape, category: Self.category(name)) }
        return fallback(t, name: name, ncols: shape[0])
    }

    /// llama.cpp's `tensor_requires_imatrix` for the types lai writes: a Q2_K tensor of a Q2_K_S file
    /// (other than the token embeddings and the output) cannot be made without an importance matrix.
    package static func requiresImportanceMatrix(name: String, type: GGMLType, target: QuantTarget) -> Bool {
        let c = category(name)
        return c != .tokenEmbd && c != .output && type == .q2_K && target == .q2_K_S
    }

    private func useMoreBits(_ i: Int, _ n: Int) -> Bool { i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2 }

    /// The layer index and count a per-layer rule uses: the running counter, or for MoE models (whose
    /// expert tensors are not in layer order) the `N` of `blk.N.`.
    private func layerInfo(_ counter: Int, name: String) -> (Int, Int) {
        guard nExpert > 1 else { return (counter, nLayer) }
        let l = Self.layer(name)
        return (l >= 0 && l < nLayer ? l : counter, nLayer)
    }

    /// `llama_tensor_get_type_impl`, rule for rule, for the file types `QuantTarget` has.
    private mutating func impl(_ start: GGMLType, name: String, shape: [Int], category: Category) -> GGMLType {
        var t = start
        let ftype = target
        let falcon = arch == "falcon"
        if arch == "glm5-next" && (name.contains("attn_q_a") || name.contains("attn_q_b") || name.contains("nextn.eh_proj")) {
            return .q8_0  // llama.cpp keeps these at Q8_0 or better
        }
        if category == .output || (hasTiedEmbeddings && category == .tokenEmbd) {
            if falcon || shape[0] % t.blockSize != 0 { t = .q8_0 } else if t != .q8_0 { t = .q6_K }
        } else if category == .tokenEmbd {
            if ftype == .tq1_0 || ftype == .tq2_0 { t = .q4_K }
        } else if category == .attentionV || category == .attentionQKV || category == .attentionKVB {
            switch ftype {
            case .q2_K: t = nGQA >= 4 ? .q4_K : .q3_K
            case .q2_K_S where nGQA >= 4: t = .q4_K
            case .q3_K_M: t = iAttentionWV < 2 ? .q5_K : .q4_K
            case .q3_K_L: t = .q5_K
            case .iq4_nl where nGQA >= 4, .iq4_xs where nGQA >= 4: t = .q5_K
            case .q4_K_M where useMoreBits(iAttentionWV, nAttentionWV), .q5_K_M where useMoreBits(iAttentionWV, nAttentionWV): t = .q6_K
            case .q4_K_S where iAttentionWV < 4: t = .q5_K
            default: break
            }
            if is70B && (t == .q3_K || t == .q4_K) { t = .q5_K }
            if nExpert == 8 { t = .q8_0 }
            iAttentionWV += 1
        } else if category == .attentionK {
            if nExpert == 8 { t = .q8_0 }
        } else if category == .ffnDown {
            let (iLayer, n) = layerInfo(iFfnDown, name: name)
            switch ftype {
            case .q2_K: t = .q3_K
            case .q2_K_S: if iLayer < n / 8 { t = .q4_K }
            case .q3_K_M: t = iLayer < n / 16 ? .q5_K : !falcon || useMoreBits(iLayer, n) ? .q4_K : .q3_K
            case .q3_K_L: t = falcon ? .q4_K : .q5_K
            case .q4_K_M:
                if falcon {
                    t = iLayer < n / 16 ? .q6_K : useMoreBits(iLayer, n) ? .q5_K : .q4_K
                } else if useMoreBits(iLayer, n) { t = .q6_K }
            // without an importance matrix only; with one llama.cpp keeps IQ4_NL/IQ4_XS here
            case .iq4_nl where iLayer < n / 8 && !hasImatrix, .iq4_xs where iLayer < n / 8 && !hasImatrix: t = .q5_K
            case .q5_K_M where useMoreBits(iLayer, n): t = .q6_K
            case .q4_K_S where !falcon && iLayer < n / 8: t = .q5_K
            default: break
            }
            iFfnDown += 1
        } else if category == .attentionOutput {
            if !falcon {
                if nExpert == 8 {
                    if [.q2_K, .q3_K_S, .q3_K_M, .iq4_nl, .q4_K_S, .q4_K_M, .iq4_xs].contains(ftype) { t = .q5_K }
                } else {
                    switch ftype {
                    case .q2_K: t = .q3_K
                    case .q3_K_M: t = .q4_K
                    case .q3_K_L: t = .q5_K
                    default: break
                    }
                }
            } else if ftype == .q3_K_L {
                t = .q4_K
            }
        } else if category == .ffnGate {
            iFfnGate += 1  // (only IQ3_XS has gate/up rules)
        } else if category == .ffnUp {
            iFfnUp += 1
        }
        return t
    }

    private mutating func fallback(_ t: GGMLType, name: String, ncols: Int) -> GGMLType {
        guard ncols % t.blockSize != 0 else { return t }
        fallbacks.append(name)
        var r: GGMLType
        switch t {
        case .iq4_xs: r = .iq4_nl
        case .q2_K, .q3_K, .tq1_0, .tq2_0: r = .q4_0
        case .q4_K: r = .q5_0
        case .q5_K: r = .q5_1
        case .q6_K: r = .q8_0
        default: r = .f16  // llama.cpp has no fallback here and fails; lai keeps the tensor as F16
        }
        if ncols % r.blockSize != 0 { r = .f16 }
        return r
    }
}
