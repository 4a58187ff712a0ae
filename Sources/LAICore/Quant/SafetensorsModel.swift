// SafetensorsModel: a Hugging Face folder (config.json, safetensors shards, tokenizer) seen as the GGUF model
// llama.cpp's convert_hf_to_gguf.py writes from it: the family table (HFConvert/) renames the tensors, says
// which transforms apply and writes the metadata. Untransformed tensors stay mmap'd; a transformed one is
// computed when its data is asked for and kept only until the next one (memory: one tensor).
import Foundation

package final class SafetensorsModel: ModelSource {
    package let path: String
    package let fileSize: Int
    package let family: HFFamily
    /// The metadata with general.file_type 0 where the converter writes it (see `converterMetadata`).
    package private(set) var metadata = GGUFMetadata()
    /// GGUF names and ggml shapes; `type` is the type of `data(t)`: the safetensors dtype, or F32 for a
    /// transformed BF16/F32 tensor and generated tensors (the converter computes in float32; F16 stays F16).
    package private(set) var tensors: [GGUFTensorInfo] = []
    private let checkpoint: HFCheckpoint
    private let context: HFContext
    /// fp8: a float8 weight with its `weight_scale_inv` (per block of `block`, or per row / whole tensor without
    /// one), dequantized to float32 first (the converter's dequant_simple) and then transformed.
    private enum Origin {
        case stored(HFTensor, [HFTransform]), generated([Float]), stacked([HFTensor])
        case fp8(HFTensor, scale: HFTensor, block: [Int]?, [HFTransform])
    }
    private var origins: [String: Origin] = [:]
    /// The last computed tensor (name, bytes); freed when another is computed.
    private var computed: (String, UnsafeMutableRawBufferPointer)?
    /// The mapped source bytes of the last tensor read; their pages are dropped from memory when the next is read,
    /// so that resident memory stays near one tensor rather than the whole checkpoint.
    private var lastSource: UnsafeRawBufferPointer?
    private let lock = NSLock()

    /// True when `path` is a folder holding config.json.
    package static func isModelFolder(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return false }
        return FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("config.json"))
    }

    /// `denseModules`: also the sentence-transformers Dense modules, as convert_hf_to_gguf.py
    /// --sentence-transformers-dense-modules (families without them ignore it, as the converter does).
    package init(folder: String, denseModules: Bool = false) throws {
        path = folder
        func fail(_ m: String) -> HFModelError { .invalid(path: folder, message: m) }
        let url = URL(fileURLWithPath: folder)
        guard let raw = try HFCheckpoint.json(url, "config.json") else { throw fail("no config.json") }
        guard let family = HFFamily.find(raw) else {
            let names = HFFamily.all.flatMap(\.architectures).joined(separator: ", ")
            let arch = HFFamily.architecture(raw) ?? (raw["model_type"] as? String) ?? "(none)"
            throw HFModelError.invalid(path: url.appendingPathComponent("config.json").path,
                                       message: "unsupported architecture \(arch) (lai converts \(names))")
        }
        self.family = family
        checkpoint = try HFCheckpoint(folder: folder)
        fileSize = checkpoint.totalBytes
        // hparams as AutoConfig.to_dict(): text_config merged to the top, the config class's defaults beneath.
        var h = raw
        if let text = raw["text_config"] as? [String: Any] { h.merge(text) { $1 } }
        h.merge(family.defaults(h)) { file, _ in file }
        let hfArch = HFFamily.architecture(raw) ?? ""
        var blocks = 0
        for k in ["n_layers", "num_hidden_layers", "n_layer", "num_layers"] where h[k] != nil {
            guard let v = h[k] as? Int, v >= 0 else { throw fail("config.json '\(k)' is not a non-negative integer") }
            blocks = v; break
        }
        context = HFContext(folder: url, hparams: h, rawConfig: raw, hfArch: hfArch, blockCount: blocks, denseModules: denseModules)

        for e in try family.extraTensors(context) {
            add(GGUFTensorInfo(name: e.name, type: .f32, shape: e.shape, offset: 0, byteCount: e.values.count * 4), .generated(e.values))
        }
        // Fine-grained FP8 checkpoints (quantization_config.quant_method "fp8"): each `X_scale_inv` scales the float8
        // weight X, which is dequantized to float32 in its own place; the scales and activation scales are dropped.
        let sources = checkpoint.tensors.compactMap(Self.textTensor)
        var fp8Scales: [String: HFTensor] = [:]
        var fp8Block: [Int]?
        if let q = raw["quantization_config"] as? [String: Any] {
            let method = (q["quant_method"] as? String) ?? "(none)"
            guard method == "fp8" else { throw fail("quantization_config.quant_method '\(method)' is not converted by lai (fp8 is)") }
            if let b = q["weight_block_size"] {
                guard let bs = b as? [Int], !bs.isEmpty, bs.allSatisfy({ $0 > 0 }) else { throw fail("quantization_config.weight_block_size is not a list of positive integers") }
                fp8Block = bs
            }
            for t in sources where t.name.hasSuffix("_scale_inv") { fp8Scales[String(t.name.dropLast(10))] = t }
        }
        // Experts are buffered per layer and stacked when the layer's last one is read (the converter's order).
        let nExperts = context.int("num_local_experts", "num_experts", "n_routed_experts") ?? 0
        var experts: [Int: [String: [Int: HFTensor]]] = [:]
        for t in sources {
            if !fp8Scales.isEmpty || fp8Block != nil {
                if t.name.hasSuffix("_scale_inv") || t.name.hasSuffix(".activation_scale") || t.name.hasSuffix("_activation_scale") { continue }
            }
            if let scale = fp8Scales[t.name], t.rawDType.hasPrefix("F8_") {
                guard family.expert?(t.name) == nil, try family.split?(t.name, context) == nil else {
                    throw fail("tensor '\(t.name)': float8 experts and split tensors are not converted by lai yet")
                }
                guard t.shape.count == 2, scale.dtype != nil,
                      Self.fp8ScaleFits(scale.shape, weight: t.shape, block: fp8Block) else {
                    throw fail("tensor '\(t.name)' (\(t.rawDType) \(t.shape)) and its scale \(scale.shape) do not match the block size \(fp8Block.map { "\($0)" } ?? "none")")
                }
                guard let name = try family.rename(t.name, context) else { continue }
                guard origins[name] == nil else { throw fail("two tensors map to '\(name)'") }
                let transforms = try family.transforms(t.name, name, context)
                add(GGUFTensorInfo(name: name, type: .f32, shape: Array(t.shape.reversed()), offset: 0, byteCount: t.shape.reduce(1, *) * 4),
                    .fp8(t, scale: scale, block: fp8Block, transforms))
                continue
            }
            // An expert past the last layer (DeepSeek's multi-token prediction) goes to rename, which drops or refuses it.
            if let slot = family.expert?(t.name), slot.layer < blocks {
                guard nExperts > 0, slot.expert >= 0, slot.expert < nExperts, slot.layer >= 0,
                      family.expertOutputs.contains(where: { $0.projection == slot.projection }) else {
                    throw fail("tensor '\(t.name)' is not an expert of a \(nExperts)-expert, \(blocks)-layer model")
                }
                experts[slot.layer, default: [:]][slot.projection, default: [:]][slot.expert] = t
                let have = experts[slot.layer]!.values.reduce(0) { $0 + $1.count }
                guard have == nExperts * family.expertOutputs.count else { continue }
                for (projection, gguf) in family.expertOutputs {
                    let list = (0..<nExperts).map { experts[slot.layer]![projection]![$0]! }
                    guard let dtype = list[0].dtype, list.allSatisfy({ $0.dtype == dtype && $0.shape == list[0].shape }), list[0].shape.count == 2 else {
                        throw fail("the experts of '\(t.name)' differ in dtype or shape")
                    }
                    let shape = Array(list[0].shape.reversed()) + [nExperts]
                    add(GGUFTensorInfo(name: "blk.\(slot.layer).\(gguf).weight", type: dtype.ggml, shape: shape, offset: 0,
                                       byteCount: list.reduce(0) { $0 + $1.byteCount }), .stacked(list))
                }
                experts[slot.layer] = nil
                continue
            }
            if let outputs = try family.split?(t.name, context) {
                guard let dtype = t.dtype else {
                    throw HFModelError.invalid(path: folder, message: "tensor '\(t.name)' has dtype \(t.rawDType) (F32, F16 and BF16 are read)")
                }
                for o in outputs {
                    guard origins[o.name] == nil else { throw fail("two tensors map to '\(o.name)'") }
                    guard let transform = o.transform else {
                        add(GGUFTensorInfo(name: o.name, type: dtype.ggml, shape: t.shape.isEmpty ? [1] : Array(t.shape.reversed()), offset: 0,
                                           byteCount: t.byteCount), .stored(t, []))
                        continue
                    }
                    if case .selectRows(let list) = transform {
                        guard t.shape.count == 2, list.allSatisfy({ $0 >= 0 && $0 < t.shape[0] }) else {
                            throw fail("tensor '\(t.name)' of shape \(t.shape) has no rows \(list)")
                        }
                        let type: GGMLType = dtype == .f16 ? .f16 : .f32
                        add(GGUFTensorInfo(name: o.name, type: type, shape: [t.shape[1], list.count], offset: 0,
                                           byteCount: list.count * t.shape[1] * (type == .f32 ? 4 : 2)), .stored(t, [transform]))
                        continue
                    }
                    if case .columnSlice(let heads, let start, let count) = transform {
                        guard t.shape.count == 3, t.shape[0] == heads, heads > 0, count > 0, start >= 0, start + count <= t.shape[2] else {
                            throw fail("tensor '\(t.name)' of shape \(t.shape) does not split into \(heads) experts' columns \(start)..<\(start + count)")
                        }
                        let type: GGMLType = dtype == .f16 ? .f16 : .f32
                        add(GGUFTensorInfo(name: o.name, type: type, shape: [t.shape[1], count, heads], offset: 0,
                                           byteCount: heads * count * t.shape[1] * (type == .f32 ? 4 : 2)), .stored(t, [transform]))
                        continue
                    }
                    guard case .headSlice(let heads, let per, let start, let count, let transpose) = transform, heads > 0,
                          (t.shape.count == 2 && t.shape[0] == heads * per) || (t.shape.count == 3 && t.shape[0] == heads && t.shape[1] == per),
                          start >= 0, start + count <= per else {
                        throw fail("tensor '\(t.name)' of shape \(t.shape) does not split into its heads")
                    }
                    let columns = t.shape[t.shape.count - 1]
                    let type: GGMLType = dtype == .f16 ? .f16 : .f32
                    add(GGUFTensorInfo(name: o.name, type: type, shape: transpose ? [count, columns, heads] : [columns, count, heads], offset: 0,
                                       byteCount: heads * count * columns * (type == .f32 ? 4 : 2)), .stored(t, [transform]))
                }
                continue
            }
            guard let name = try family.rename(t.name, context) else { continue }
            guard let dtype = t.dtype else {
                throw HFModelError.invalid(path: folder, message: "tensor '\(t.name)' has dtype \(t.rawDType) (F32, F16 and BF16 are read)")
            }
            guard origins[name] == nil else { throw fail("two tensors map to '\(name)'") }
            let transforms = try family.transforms(t.name, name, context)
            var shape = Array(t.shape.reversed())
            if shape.isEmpty { shape = [1] }
            var type = dtype.ggml
            for tr in transforms {
                switch tr {
                case .keepRows(let n): if shape.count > 1 { shape[shape.count - 1] = min(shape[shape.count - 1], n) }
                case .addOne: if type == .bf16 { type = .f32 }
                case .falconQKV(let heads, let kv, let dim):
                    guard kv > 0, heads % kv == 0, t.shape.count == 2, t.shape[0] == kv * (heads / kv + 2) * dim else {
                        throw HFModelError.invalid(path: folder, message: "tensor '\(t.name)': \(t.shape.first ?? 0) rows are not \(kv) groups of \(heads / max(kv, 1)) queries, a key and a value of \(dim)")
                    }
                case .headSlice, .columnSlice, .selectRows:
                    throw fail("tensor '\(t.name)': a head, column or row selection is a split output")
                case .dropRows(let n):
                    guard shape.count > 1, n >= 0, n < shape[shape.count - 1] else {
                        throw fail("tensor '\(t.name)' has no rows past the first \(n)")
                    }
                    shape[shape.count - 1] -= n
                case .permuteRows(let heads):
                    let rows = t.shape.first ?? 1
                    guard heads > 0, rows % (2 * heads) == 0 else {
                        throw HFModelError.invalid(path: folder, message: "tensor '\(t.name)': \(rows) rows do not split into \(heads) heads of rotary pairs")
                    }
                }
            }
            // A computed BF16 tensor is computed in float32, as the converter casts BF16 to float32 first.
            if type == .bf16 && transforms.contains(where: { if case .keepRows = $0 { return false }; return true }) { type = .f32 }
            let elements = shape.reduce(1, *)
            add(GGUFTensorInfo(name: name, type: type, shape: shape, offset: 0, byteCount: elements * (type == .f32 ? 4 : 2)), .stored(t, transforms))
        }
        if let layer = experts.keys.min() { throw fail("layer \(layer) has only some of its \(nExperts) experts' tensors") }
        guard !tensors.isEmpty else { throw fail("no tensors to convert") }
        if let t = tensors.first(where: { $0.shape.count > GGUFFile.maxDims }) {
            throw fail("tensor '\(t.name)' has \(t.shape.count) dimensions (GGUF holds at most \(GGUFFile.maxDims))")
        }

        // Metadata in convert_hf_to_gguf.py's order: architecture, type, name, the family's parameters
        // (ending with general.file_type), quantization version, then the tokenizer.
        var w = HFMetadataWriter(arch: family.arch)
        w.string("general.architecture", family.arch)
        try family.early(context, &w)
        w.string("general.type", "model")
        // gguf-py's Metadata: sampling defaults, name parts, model card (HFModelCard).
        try HFModelCard.write(folder: url, config: raw, parameterCount: tensors.reduce(0) { $0 + $1.shape.reduce(1, *) },
                              sizeLabel: Self.expertSizeLabel(tensors), to: &w)
        try family.parameters(context, &w)
        w.u32("general.quantization_version", 2)
        try family.vocabulary(context, &w)
        metadata = w.md
    }

    deinit { computed.map { $0.1.deallocate() } }

    /// The converter's TextModel/ModelBase.filter_tensors for every family: the tensors of vision and audio towers
    /// and projectors are not the text model's (nil), and a multimodal checkpoint's `language_model.` goes from the
    /// name (model.language_model.layers.0… and language_model.model.layers.0… both become model.layers.0…).
    static func textTensor(_ t: HFTensor) -> HFTensor? {
        let n = t.name
        let prefixes = ["mlp", "vit.", "vpm.", "siglip2.", "conformer.", "merger.", "resampler.", "sound_encoder.", "sound_projection.",
                        "speech_embeddings."]
        let parts = ["visual.", "vision.", "audio.", "talker.", "vision_", "audio_", "token2wav.", "code2wav.", "projector.",
                     "pre_mm_projector_norm", "image_newline", "view_seperator", "patch_embed", "patch_embedding", "patch_merger.",
                     "patch_merge_mlp.", "model.connector."]
        if prefixes.contains(where: { n.hasPrefix($0) }) || parts.contains(where: { n.contains($0) }) { return nil }
        var out = t
        if n.hasSuffix("e_score_correction_bias") { out.name = String(n.dropLast("e_score_correction_bias".count)) + "e_score_correction.bias" }
        out.name = out.name.replacingOccurrences(of: "language_model.", with: "")
        return out
    }

    private func add(_ info: GGUFTensorInfo, _ origin: Origin) {
        tensors.append(info)
        origins[info.name] = origin
    }

    /// The metadata convert_hf_to_gguf.py writes for `target` when it is one of its output types
    /// (F32, F16, BF16, Q8_0); nil otherwise (lai then writes what llama-quantize would make of the F32 file).
    package func converterMetadata(target: QuantTarget) -> GGUFMetadata? {
        guard Self.converterTargets.contains(target) else { return nil }
        var md = metadata
        md["general.file_type"] = .uint32(UInt32(target.fileType))
        return md
    }

    static let converterTargets: Set<QuantTarget> = [.f32, .f16, .bf16, .q8_0]

    /// The type convert_hf_to_gguf.py gives a tensor for `target` (prepare_tensors): F32 for 1-D tensors,
    /// norms, position/token-type embeddings and non-weights; otherwise the target type, F16 when a Q8_0 row
    /// does not split into blocks. Nil when `target` is not one of the converter's types.
    package func converterType(_ t: GGUFTensorInfo, target: QuantTarget) -> GGMLType? {
        guard Self.converterTargets.contains(target) else { return nil }
        if t.shape.count <= 1 || t.name.hasSuffix("_norm.weight") || !t.name.hasSuffix(".weight") { return .f32 }
        if ["position_embd.weight", "token_types.weight"].contains(t.name) || t.name.hasSuffix(".ffn_gate_inp.weight") || t.name.hasSuffix(".ffn_gate_inp_shexp.weight") { return .f32 }
        if target == .q8_0 && t.shape[0] % 32 != 0 { return .f16 }
        return target.defaultType
    }

    package func data(_ t: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        lock.lock(); defer { lock.unlock() }
        guard let origin = origins[t.name] else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        if case .stored(let h, _) = origin {
            let src = checkpoint.bytes(h)
            if let last = lastSource, last.baseAddress != src.baseAddress { Self.dropPages(last) }
            lastSource = src
        }
        if case .stacked = origin, let last = lastSource { Self.dropPages(last); lastSource = nil }
        if case .stored(let h, let transforms) = origin, transforms.allSatisfy({ if case .keepRows = $0 { return true }; return false }) {
            return UnsafeRawBufferPointer(start: checkpoint.bytes(h).baseAddress, count: t.byteCount)
        }
        if let (name, buf) = computed, name == t.name { return UnsafeRawBufferPointer(buf) }
        computed.map { $0.1.deallocate() }
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: max(t.byteCount, 1), alignment: 64)
        switch origin {
        case .generated(let values):
            values.withUnsafeBytes { buf.copyMemory(from: $0) }
        case .stored(let h, let transforms):
            HFTensorTransforms.apply(transforms, source: checkpoint.bytes(h), dtype: h.dtype ?? .f32, hfShape: h.shape, to: buf, as: t.type)
        case .fp8(let h, let scale, let block, let transforms):
            let rows = h.shape[0], cols = h.shape[1]
            let deq = UnsafeMutableBufferPointer<Float>.allocate(capacity: rows * cols)
            defer { deq.deallocate() }
            Self.dequantizeFP8(checkpoint.bytes(h), e5m2: h.rawDType == "F8_E5M2", rows: rows, cols: cols,
                               scale: checkpoint.bytes(scale), scaleType: scale.dtype ?? .f32, scaleShape: scale.shape, block: block, into: deq.baseAddress!)
            HFTensorTransforms.apply(transforms, source: UnsafeRawBufferPointer(deq), dtype: .f32, hfShape: h.shape, to: buf, as: t.type)
        case .stacked(let list):
            var at = 0
            for h in list {
                let b = checkpoint.bytes(h)
                (buf.baseAddress! + at).copyMemory(from: b.baseAddress!, byteCount: b.count)
                at += b.count
                Self.dropPages(b)
            }
        }
        computed = (t.name, buf)
        return UnsafeRawBufferPointer(start: buf.baseAddress, count: t.byteCount)
    }

    package func unquantizedType(_ t: GGUFTensorInfo) -> GGMLType { .f32 }

    /// Whether a scale of `shape` covers a weight of `weight` in blocks of `block` (ceil division), or, without a
    /// block size, is one value or one per row (dequant_simple's broadcasting).
    static func fp8ScaleFits(_ shape: [Int], weight: [Int], block: [Int]?) -> Bool {
        guard let block else { return shape.reduce(1, *) == 1 || shape == [weight[0]] || shape == [weight[0], 1] }
        guard block.count == 2 else { return false }
        return shape == [(weight[0] + block[0] - 1) / block[0], (weight[1] + block[1] - 1) / block[1]]
    }

    /// float8 (E4M3FN or E5M2) values as float32, times their block's scale in float32 (torch's weight.float() * scale).
    static func dequantizeFP8(_ w: UnsafeRawBufferPointer, e5m2: Bool, rows: Int, cols: Int, scale: UnsafeRawBufferPointer,
                              scaleType: HFDType, scaleShape: [Int], block: [Int]?, into out: UnsafeMutablePointer<Float>) {
        let table = e5m2 ? fp8E5M2 : fp8E4M3
        func s(_ i: Int) -> Float {
            switch scaleType {
            case .f32: return scale.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
            case .f16: return Float(Float16(bitPattern: scale.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            case .bf16: return Float(bitPattern: UInt32(scale.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
            }
        }
        let scaleCols = scaleShape.count == 2 ? scaleShape[1] : 1
        for r in 0..<rows {
            for c in 0..<cols {
                let k: Int
                if let block { k = (r / block[0]) * scaleCols + c / block[1] } else { k = scaleShape.reduce(1, *) == 1 ? 0 : r }
                out[r * cols + c] = table[Int(w[r * cols + c])] * s(k)
            }
        }
    }

    /// E4M3FN: bias 7, no infinities, S.1111.111 is NaN. E5M2: bias 15, IEEE-like (infinities and NaNs).
    static let fp8E4M3: [Float] = (0..<256).map { b in
        let sign: Float = b & 0x80 != 0 ? -1 : 1, e = (b >> 3) & 0xF, m = b & 7
        if e == 15 && m == 7 { return .nan }
        return sign * (e == 0 ? Float(m) / 8 * powf(2, -6) : (1 + Float(m) / 8) * powf(2, Float(e - 7)))
    }
    static let fp8E5M2: [Float] = (0..<256).map { b in
        let sign: Float = b & 0x80 != 0 ? -1 : 1, e = (b >> 2) & 0x1F, m = b & 3
        if e == 31 { return m == 0 ? sign * .infinity : .nan }
        return sign * (e == 0 ? Float(m) / 4 * powf(2, -14) : (1 + Float(m) / 4) * powf(2, Float(e - 15)))
    }

    /// Source pages are dropped when the next tensor is read (`data`).
    package func release(_ t: GGUFTensorInfo) {}
    /// Only a stored tensor's mapped bytes are affected; a computed tensor's buffer lies in no file mapping.
    package func releaseRange(_ start: UnsafeRawPointer, bytes: Int) {
        for f in checkpoint.files { f.adviseDontNeed(start, bytes: bytes) }
    }

    /// madvise(MADV_DONTNEED) over the whole pages inside `b`: the read-only file mapping refills them from the
    /// page cache if they are read again, so this only lowers resident memory.
    private static func dropPages(_ b: UnsafeRawBufferPointer) {
        guard let base = b.baseAddress, b.count > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: base) + page - 1) / page * page
        let end = (Int(bitPattern: base) + b.count) / page * page
        if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_DONTNEED) }
    }

    /// GGUFWriter.get_total_parameter_count + size_label for mixture-of-experts models: "{E}x{N}" with N the
    /// shared parameters plus one expert's share of every `_exps` tensor; nil without experts.
    static func expertSizeLabel(_ tensors: [GGUFTensorInfo]) -> String? {
        var shared = 0, expert = 0, expertSum = 0, n = 0
        for t in tensors {
            let size = t.shape.reduce(1, *)
            if t.name.contains("_exps."), t.shape.count >= 3 {
                let count = t.shape[t.name.contains(".bias") ? 1 : 2]   // numpy shape[-2] / shape[-3] in ggml order
                expert += size / count; expertSum += count; n += 1
            } else {
                shared += size
            }
        }
        guard n > 0 else { return nil }
        return "\(expertSum / n)x\(sizeLabel(shared + expert))"
    }

    /// gguf-py's Metadata.id_to_title: '-' → ' ', and each all-lowercase word that is not a version
    /// (v1.2) or number gets Python's str.title() (a letter after a non-letter is upper-cased: "llama3rope" → "Llama3Rope").
    package static func idToTitle(_ id: String) -> String {
        let words = id.replacingOccurrences(of: "-", with: " ").split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        return words.map { w -> String in
            let lower = w.contains(where: \.isLetter) && !w.contains(where: \.isUppercase)
            let first = w.first!
            let versionLike = first.isNumber || (first == "v" && w.dropFirst().first?.isNumber == true
                && w.dropFirst().allSatisfy { $0.isNumber || $0 == "." })
            guard lower && !versionLike else { return String(w) }
            var out = "", prevLetter = false
            for ch in w {
                out += prevLetter ? ch.lowercased() : ch.uppercased()
                prevLetter = ch.isLetter
            }
            return out
        }.joined(separator: " ")
    }

    /// gguf-py's size_label (model_weight_count_rounded_notation, two significant digits): 82K, 1.2M, 300M.
    package static func sizeLabel(_ n: Int) -> String {
        let x = Double(n)
        let (scaled, suffix): (Double, String) = x > 1e12 ? (x * 1e-12, "T") : x > 1e9 ? (x * 1e-9, "B") : x > 1e6 ? (x * 1e-6, "M") : (x * 1e-3, "K")
        let digits = String(Int(scaled.rounded(.toNearestOrEven))).drop(while: { $0 == "0" }).count
        return String(format: "%.\(max(2 - digits, 0))f", scaled) + suffix
    }

    /// convert_hf_to_gguf.py's BERT tensor names (gguf-py's TensorNameMap); nil for tensors it drops.
    package static func ggufName(_ hf: String, nLayer: Int) -> String? { HFFamily.bertName(hf, nLayer: nLayer) }
}
