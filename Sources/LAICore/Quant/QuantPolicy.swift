// QuantPolicy: which type each tensor gets, as llama.cpp's llama-quant.cpp decides it.

/// Chooses per-tensor types for a whole model, following llama.cpp's `tensor_allows_quantization`,
/// `llama_tensor_get_type_impl` (for Q4_K_M / Q5_K_M and the output-tensor rule) and
/// `tensor_type_fallback`. Tensors must be visited in `QuantPolicy.order` (llama.cpp's order),
/// because the layer counters advance as tensors are seen.
///
/// Summary of the policy:
/// - 1-D tensors, norms, and names not ending in `weight` keep their type (usually F32).
/// - `output.weight`, and `token_embd.weight` when embeddings are tied (no `output.weight`), get Q6_K
///   (Q8_0 stays Q8_0), or Q8_0 when the row length is not a multiple of the target's block size.
///   `--pure` turns this rule off.
/// - Q4_K_M / Q5_K_M: `attn_v` (and `attn_qkv`, `attn_kv_b`) and `ffn_down` of "more bits" layers
///   (the first and last eighth, and every third in between) get Q6_K. (llama.cpp's special cases
///   for 70B and 8-expert models are not reproduced.)
/// - Fallback: a row length that is not a multiple of 256 turns Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0,
///   Q2_K/Q3_K→Q4_0; if still incompatible (row not a multiple of 32), F16.
package struct QuantPolicy {
    package let target: QuantTarget
    package let pure: Bool
    package let arch: String
    package let nLayer: Int
    private var hasTiedEmbeddings = true
    private var nAttentionWV = 0
    private var iAttentionWV = 0
    private var iFfnDown = 0
    /// Tensors whose row length forced a fallback type.
    package private(set) var fallbacks: [String] = []

    package init(target: QuantTarget, pure: Bool, metadata: GGUFMetadata, tensorNames: [String]) {
        self.target = target
        self.pure = pure
        self.arch = metadata.architecture ?? ""
        self.nLayer = metadata.arch("block_count")?.int ?? 0
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

    private func useMoreBits(_ i: Int, _ n: Int) -> Bool { i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2 }

    private mutating func impl(_ start: GGMLType, name: String, shape: [Int], category: Category) -> GGMLType {
        var t = start
        let falcon = arch == "falcon"
        if category == .output || (hasTiedEmbeddings && category == .tokenEmbd) {
            if falcon || shape[0] % t.blockSize != 0 { t = .q8_0 } else if t != .q8_0 { t = .q6_K }
        } else if category == .attentionV || category == .attentionQKV || category == .attentionKVB {
            if target.isMix && useMoreBits(iAttentionWV, nAttentionWV) { t = .q6_K }
            iAttentionWV += 1
        } else if category == .ffnDown {
            let iLayer = iFfnDown
            if target == .q4_K_M {
                if falcon {
                    t = iLayer < nLayer / 16 ? .q6_K : useMoreBits(iLayer, nLayer) ? .q5_K : .q4_K
                } else if useMoreBits(iLayer, nLayer) { t = .q6_K }
            } else if target == .q5_K_M && useMoreBits(iLayer, nLayer) {
                t = .q6_K
            }
            iFfnDown += 1
        }
        return t
    }

    private mutating func fallback(_ t: GGMLType, name: String, ncols: Int) -> GGMLType {
        guard ncols % t.blockSize != 0 else { return t }
        fallbacks.append(name)
        var r: GGMLType
        switch t {
        case .q2_K, .q3_K: r = .q4_0
        case .q4_K: r = .q5_0
        case .q5_K: r = .q5_1
        case .q6_K: r = .q8_0
        default: r = .f16  // llama.cpp has no fallback here and fails; lai keeps the tensor as F16
        }
        if ncols % r.blockSize != 0 { r = .f16 }
        return r
    }
}
