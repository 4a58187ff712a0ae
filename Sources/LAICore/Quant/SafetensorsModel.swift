// SafetensorsModel: a Hugging Face BERT folder (config.json, *.safetensors, tokenizer) seen as a GGUF model,
// with the tensor names and metadata that llama.cpp's convert_hf_to_gguf.py writes. Tensor data stays mmap'd.
import Foundation

/// Errors reading a Hugging Face model folder.
package enum HFModelError: Error, CustomStringConvertible {
    case invalid(path: String, message: String)
    package var description: String {
        switch self { case let .invalid(p, m): return "\(p): \(m)" }
    }
}

package final class SafetensorsModel: ModelSource {
    package let path: String
    package private(set) var fileSize = 0
    package private(set) var metadata = GGUFMetadata()
    package private(set) var tensors: [GGUFTensorInfo] = []
    private var files: [MappedFile] = []
    /// Where each tensor's bytes are: (file index, absolute offset).
    private var location: [String: (Int, Int)] = [:]

    /// True when `path` is a folder holding config.json and at least one .safetensors file.
    package static func isModelFolder(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return false }
        return FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("config.json"))
    }

    package init(folder: String) throws {
        path = folder
        let url = URL(fileURLWithPath: folder)
        func fail(_ m: String) -> HFModelError { .invalid(path: folder, message: m) }
        func json(_ name: String) throws -> [String: Any]? {
            let u = url.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: u.path) else { return nil }
            guard let d = try? Data(contentsOf: u), let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any] else {
                throw HFModelError.invalid(path: u.path, message: "not a JSON object")
            }
            return o
        }
        guard let config = try json("config.json") else { throw fail("no config.json") }
        let archs = config["architectures"] as? [String] ?? []
        let modelType = config["model_type"] as? String ?? ""
        guard modelType == "bert" || archs.contains(where: { ["BertModel", "BertForMaskedLM", "BertForSequenceClassification"].contains($0) }) else {
            throw fail("unsupported architecture \(archs.first ?? modelType) (lai converts BERT models)")
        }
        func int(_ k: String) throws -> Int {
            guard let v = config[k] as? Int else { throw fail("config.json has no integer '\(k)'") }
            return v
        }
        let nLayer = try int("num_hidden_layers")

        // Tensors, from every *.safetensors file (sorted), names sorted as safetensors' keys() returns them.
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let parts = names.filter { $0.hasSuffix(".safetensors") }.sorted()
        guard !parts.isEmpty else { throw fail("no .safetensors files") }
        var found: [(String, GGUFTensorInfo, Int, Int)] = []
        for (fi, part) in parts.enumerated() {
            let f = try MappedFile(path: url.appendingPathComponent(part).path)
            files.append(f)
            fileSize += f.count
            for (name, type, shape, offset, bytes) in try Self.header(f) {
                guard let gname = Self.ggufName(name, nLayer: nLayer) else { continue }
                guard let type else { throw HFModelError.invalid(path: f.path, message: "tensor '\(name)' has an unsupported dtype") }
                let ggShape = Array(shape.reversed())
                guard (1...GGUFFile.maxDims).contains(ggShape.count) else {
                    throw HFModelError.invalid(path: f.path, message: "tensor '\(name)' has \(shape.count) dimensions (1 to 4 allowed)")
                }
                guard ggShape.reduce(1, *) * (type == .f32 ? 4 : 2) == bytes else {
                    throw HFModelError.invalid(path: f.path, message: "tensor '\(name)': shape \(shape) does not match its \(bytes) bytes")
                }
                found.append((name, GGUFTensorInfo(name: gname, type: type, shape: ggShape, offset: offset, byteCount: bytes), fi, offset))
            }
        }
        found.sort { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
        for (_, info, fi, off) in found {
            guard location[info.name] == nil else { throw fail("two tensors map to '\(info.name)'") }
            location[info.name] = (fi, off)
            tensors.append(info)
        }
        guard location["token_embd.weight"] != nil else { throw fail("no word embeddings (embeddings.word_embeddings.weight)") }

        // Metadata in convert_hf_to_gguf.py's order (general.file_type and quantization_version are appended by the writer).
        var md = GGUFMetadata()
        md["general.architecture"] = .string("bert")
        md["general.type"] = .string("model")
        md["general.name"] = .string(url.lastPathComponent)
        md["bert.block_count"] = .uint32(UInt32(nLayer))
        if let v = config["max_position_embeddings"] as? Int { md["bert.context_length"] = .uint32(UInt32(v)) }
        md["bert.embedding_length"] = .uint32(UInt32(try int("hidden_size")))
        if let v = config["intermediate_size"] as? Int { md["bert.feed_forward_length"] = .uint32(UInt32(v)) }
        md["bert.attention.head_count"] = .uint32(UInt32(try int("num_attention_heads")))
        if let v = (config["layer_norm_eps"] ?? config["layer_norm_epsilon"]) as? Double {
            md["bert.attention.layer_norm_epsilon"] = .float32(Float(v))
        }
        md["bert.attention.causal"] = .bool(false)
        if let pooling = try Self.poolingType(url) { md["bert.pooling_type"] = .uint32(pooling) }
        try Self.addTokenizer(url, config: config, to: &md, json: json)
        metadata = md
    }

    package func data(_ t: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        guard let (fi, off) = location[t.name] else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: files[fi].base + off, count: t.byteCount)
    }

    package func unquantizedType(_ t: GGUFTensorInfo) -> GGMLType { .f32 }

    /// Parses a safetensors header: (name, ggml type or nil for other dtypes, shape, absolute offset, byte count).
    static func header(_ f: MappedFile) throws -> [(String, GGMLType?, [Int], Int, Int)] {
        func fail(_ m: String) -> HFModelError { .invalid(path: f.path, message: m) }
        guard f.count >= 8 else { throw fail("too short for a safetensors file") }
        let n = Int(UInt64(littleEndian: f.base.loadUnaligned(as: UInt64.self)))
        guard n > 1, n <= f.count - 8 else { throw fail("header length \(n) is larger than the file") }
        let data = Data(bytes: f.base + 8, count: n)
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw fail("header is not a JSON object") }
        let dataStart = 8 + n
        var out: [(String, GGMLType?, [Int], Int, Int)] = []
        for (name, v) in obj where name != "__metadata__" {
            guard let e = v as? [String: Any], let dtype = e["dtype"] as? String, let shape = e["shape"] as? [Int],
                  let offs = e["data_offsets"] as? [Int], offs.count == 2, offs[0] >= 0, offs[0] <= offs[1],
                  offs[1] <= f.count - dataStart, shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor '\(name)' has a malformed header entry")
            }
            let type: GGMLType? = dtype == "F32" ? .f32 : dtype == "F16" ? .f16 : dtype == "BF16" ? .bf16 : nil
            out.append((name, type, shape.isEmpty ? [1] : shape, dataStart + offs[0], offs[1] - offs[0]))
        }
        return out
    }

    /// convert_hf_to_gguf.py's BERT tensor names (gguf-py's TensorNameMap); nil for tensors it drops.
    package static func ggufName(_ hf: String, nLayer: Int) -> String? {
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

    /// sentence-transformers pooling (modules.json → Pooling config): mean 1, cls 2, last token 3.
    static func poolingType(_ url: URL) throws -> UInt32? {
        guard let d = try? Data(contentsOf: url.appendingPathComponent("modules.json")),
              let mods = try? JSONSerialization.jsonObject(with: d) as? [[String: Any]],
              let pool = mods.first(where: { ($0["type"] as? String)?.hasSuffix("Pooling") == true }),
              let p = pool["path"] as? String,
              let cd = try? Data(contentsOf: url.appendingPathComponent(p).appendingPathComponent("config.json")),
              let cfg = try? JSONSerialization.jsonObject(with: cd) as? [String: Any] else { return nil }
        if cfg["pooling_mode_mean_tokens"] as? Bool == true { return 1 }
        if cfg["pooling_mode_cls_token"] as? Bool == true { return 2 }
        if cfg["pooling_mode_lasttoken"] as? Bool == true { return 3 }
        return nil
    }

    /// WordPiece vocabulary as convert_hf_to_gguf.py's BertModel.set_vocab + gguf-py's SpecialVocab write it:
    /// "phantom space" tokens (▁word, ##piece → piece, [SPECIAL] kept), token types (3 = control for special
    /// added tokens, 4 = user-defined for other added tokens, 1 = normal), special ids, add_bos/eos/sep flags.
    static func addTokenizer(_ url: URL, config: [String: Any], to md: inout GGUFMetadata,
                             json: (String) throws -> [String: Any]?) throws {
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
