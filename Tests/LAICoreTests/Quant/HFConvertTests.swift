// HFConvertTests: Hugging Face folders → GGUF against llama.cpp's convert_hf_to_gguf.py. The tiny random
// checkpoints in Tests/Fixtures/hfconvert (llama with llama3 rope scaling and GQA from F32, qwen2 with biases
// from BF16, qwen3 with QK-norm from F16 in 4 shards, gemma3 from F32; llama and gemma3 with a tiny SentencePiece
// tokenizer.model and tokenizer_config.json) were converted by the real converter (make_tiny_hf.py there); its
// per-tensor sha256 digests and metadata are the JSON beside them.
import Foundation
import LAICore
import Testing

@Suite struct HFConvertTests {
    static let directory = Fixtures.repoRoot.appendingPathComponent("Tests/Fixtures/hfconvert")

    /// Every tensor (order, type, shape, sha256 of the bytes) and every metadata key (order, type, value)
    /// equals the converter's, tokenizer keys included (arrays compared by digest: strings joined by NUL,
    /// numbers as little-endian 4-byte values).
    @Test(arguments: ["llama", "llama-fp8", "llama-hf", "qwen2", "qwen3", "gemma3", "granite", "olmo2", "phi3", "phi3-spm", "phi3-longrope", "mixtral", "qwen2moe", "qwen3moe", "qwen3moe-fused", "gemma2", "gemma",
                            "falcon", "falcon40b", "glm4", "glm", "chatglm", "ministral3", "gemma3-vl", "mistral3-vl", "llava", "qwen2vl", "qwen25vl", "qwen3vl", "qwen3vlmoe", "deepseek2", "deepseek2-qlora", "nomic-bert", "xlm-roberta", "xlm-roberta-reranker", "bert-reranker"])
    func equalsConverter(family: String) throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The converter's other output types were recorded for the families with a tokenizer.
        let extra: [(QuantTarget, String)] = ["llama", "llama-hf", "gemma3", "gemma", "nomic-bert", "phi3-spm", "xlm-roberta", "xlm-roberta-reranker", "bert-reranker", "gemma3-vl"].contains(family) ? [(.bf16, "bf16"), (.q8_0, "q8_0")] : []
        for (target, outtype) in [(QuantTarget.f32, "f32"), (.f16, "f16")] + extra {
            let out = dir.appendingPathComponent("\(family)-\(outtype).gguf").path
            _ = try ModelQuantizer.run(input: Self.directory.appendingPathComponent(family).path, output: out, target: target, threads: 2)
            try Self.expectEqual(out, reference: Self.directory.appendingPathComponent("\(family).\(outtype).json"), label: "\(family) \(outtype)")
        }
    }

    /// An XLM-RoBERTa folder with tokenizer.json and no sentencepiece.bpe.model (the tokenizer files transformers
    /// writes for the xlm-roberta fixture's model, beside its config and weights): F32 and F16 equal the converter's
    /// output for the same folder with sentencepiece.bpe.model (the converter raises KeyError on the folder
    /// without it). Broken tokenizer.json files are refused with one line naming the file, writing nothing.
    @Test func xlmRobertaFromTokenizerJSONEqualsConverter() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fm = FileManager.default
        let folder = dir.appendingPathComponent("xlm-roberta")   // general.name comes from the folder's name
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        for f in ["config.json", "model.safetensors"] {
            try fm.copyItem(at: Self.directory.appendingPathComponent("xlm-roberta/\(f)"), to: folder.appendingPathComponent(f))
        }
        for f in ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"] {
            try fm.copyItem(at: Self.directory.appendingPathComponent("xlm-roberta-tokenizer-json/\(f)"), to: folder.appendingPathComponent(f))
        }
        #expect(!fm.fileExists(atPath: folder.appendingPathComponent("sentencepiece.bpe.model").path))
        for (target, outtype) in [(QuantTarget.f32, "f32"), (.f16, "f16")] {
            let out = dir.appendingPathComponent("xlm-roberta-\(outtype).gguf").path
            _ = try ModelQuantizer.run(input: folder.path, output: out, target: target, threads: 2)
            try Self.expectEqual(out, reference: Self.directory.appendingPathComponent("xlm-roberta.\(outtype).json"), label: "xlm-roberta from tokenizer.json \(outtype)")
        }

        let tjURL = folder.appendingPathComponent("tokenizer.json")
        let original = try Data(contentsOf: tjURL)
        func refused(_ edit: (inout [String: Any]) -> Void, _ message: String) throws {
            var tj = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
            edit(&tj)
            try JSONSerialization.data(withJSONObject: tj).write(to: tjURL)
            let out = dir.appendingPathComponent("bad.gguf").path
            #expect {
                _ = try ModelQuantizer.run(input: folder.path, output: out, target: .f32, threads: 2)
            } throws: { e in
                let text = "\(e)"
                return text.contains("tokenizer.json") && text.contains(message) && !text.contains("\n")
            }
            #expect(!fm.fileExists(atPath: out))
        }
        try refused({ tj in var m = tj["model"] as! [String: Any]; m["type"] = "BPE"; tj["model"] = m }, "Unigram")
        try refused({ tj in var m = tj["model"] as! [String: Any]; m["vocab"] = [["<s>", 0], ["<pad>", "x"]]; tj["model"] = m }, "model.vocab[1]")
        try refused({ tj in var m = tj["model"] as! [String: Any]; m["vocab"] = (m["vocab"] as! [Any]).dropFirst().map { $0 }; tj["model"] = m }, "<s> <pad> </s> <unk>")
        try fm.removeItem(at: tjURL)
        #expect {
            _ = try ModelQuantizer.run(input: folder.path, output: dir.appendingPathComponent("none.gguf").path, target: .f32, threads: 2)
        } throws: { "\($0)".contains("no sentencepiece.bpe.model or tokenizer.json") }
    }

    static var bpeFolders: URL { Fixtures.cache.appendingPathComponent("hf-bpe") }

    /// Byte-level BPE tokenizer.json vocabularies (Qwen2.5's, pre-tokenizer `qwen2`, and SmolLM2's, `smollm`, rebuilt
    /// as Hugging Face files from the GGUFs `make models` fetches) on the tiny qwen2 and llama checkpoints: the whole
    /// file equals the converter's, so the pre-tokenizer was named from the check-text hash as the converter names it.
    /// Also GLM-4's tokenizer in outline (make_bpe_folders.py glm_tokenizer: its added special tokens, EOS and template
    /// on Qwen's vocabulary, GLM-4-0414's list-valued eos_token_id) on the tiny glm4 (Glm4ForCausalLM) and glm
    /// (GlmForCausalLM, arch chatglm) checkpoints: eos, eot (<|user|>), unk and (glm4) bos come from the added tokens
    /// as the converter's Glm4Model / ChatGLMModel.set_vocab sets them.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: bpeFolders.appendingPathComponent("glm-bpe/tokenizer.json").path),
                   "needs the BPE tokenizer folders (make hf-bpe, part of make models)"),
          arguments: ["qwen2-bpe", "llama-bpe", "glm4-bpe", "glm-bpe"])
    func bpeTokenizerEqualsConverter(name: String) throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("\(name).gguf").path
        _ = try ModelQuantizer.run(input: Self.bpeFolders.appendingPathComponent(name).path, output: out, target: .f32, threads: 2)
        try Self.expectEqual(out, reference: Self.directory.appendingPathComponent("\(name).f32.json"), label: name)
        let g = try GGUFFile(path: out)
        #expect(g.metadata.string("tokenizer.ggml.pre") == (name == "llama-bpe" ? "smollm" : "qwen2"))
        if name.hasPrefix("glm") { #expect(g.metadata.int("tokenizer.ggml.eot_token_id") == 151671) }
    }

    /// Qwen3-Reranker-0.6B's layout (make_bpe_folders.py qwen3-reranker: README "# Qwen3-Reranker-0.6B", tied
    /// embeddings tiled to Qwen's 151936 rows, Qwen's tokenizer): F32 and F16 equal the converter's, with rank
    /// pooling, yes/no labels, the rerank template and cls.output = the embedding rows of "yes" and "no".
    /// Also Qwen3-VL-Reranker's layout (qwen3-vl-reranker: the tiny qwen3vl checkpoint made the same way; arch qwen3vl)
    /// and Qwen3-Embedding's (qwen3-embedding: last-token pooling from modules.json, add_eos from the post-processor).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: bpeFolders.appendingPathComponent("qwen3-vl-reranker/tokenizer.json").path),
                   "needs the BPE tokenizer folders (make hf-bpe, part of make models)"),
          arguments: ["qwen3-reranker", "qwen3-vl-reranker", "qwen3-embedding"])
    func qwen3RerankerEqualsConverter(name: String) throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (target, outtype) in [(QuantTarget.f32, "f32"), (.f16, "f16")] {
            let out = dir.appendingPathComponent("\(name)-\(outtype).gguf").path
            _ = try ModelQuantizer.run(input: Self.bpeFolders.appendingPathComponent(name).path, output: out, target: target, threads: 2)
            try Self.expectEqual(out, reference: Self.directory.appendingPathComponent("\(name).\(outtype).json"), label: "\(name) \(outtype)")
        }
    }

    /// A BPE vocabulary whose check-text hash is in no table entry is refused with one line, as the converter
    /// refuses it (here: Qwen2.5's tokenizer.json cut to its first 1,000 merges, which no model publishes).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: bpeFolders.appendingPathComponent("qwen2-bpe/tokenizer.json").path),
                   "needs the BPE tokenizer folders (make hf-bpe, part of make models)"))
    func unknownBPETokenizerIsRefused() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = Self.bpeFolders.appendingPathComponent("qwen2-bpe")
        let folder = dir.appendingPathComponent("odd")
        try FileManager.default.copyItem(at: src, to: folder)
        let tjURL = folder.appendingPathComponent("tokenizer.json")
        var tj = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: tjURL)) as? [String: Any])
        var model = try #require(tj["model"] as? [String: Any])
        let merges = try #require(model["merges"] as? [Any])
        model["merges"] = Array(merges.prefix(1000))
        tj["model"] = model
        try JSONSerialization.data(withJSONObject: tj).write(to: tjURL)
        #expect {
            _ = try ModelQuantizer.run(input: folder.path, output: dir.appendingPathComponent("odd.gguf").path, target: .f32, threads: 2)
        } throws: { "\($0)".contains("BPE pre-tokenizer not recognized") }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("odd.gguf").path))
    }

    static var embeddingGemma: URL { Fixtures.cache.appendingPathComponent("embeddinggemma-300m") }

    /// EmbeddingGemma-300M (a real checkpoint, F32 safetensors, SentencePiece tokenizer, model card) → F16:
    /// all 314 tensors and every metadata key equal the converter's.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: embeddingGemma.appendingPathComponent("model.safetensors").path),
                   "needs EmbeddingGemma-300M's folder (make embeddinggemma)"))
    func embeddingGemmaEqualsConverter() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("embeddinggemma-300m-F16.gguf").path
        _ = try ModelQuantizer.run(input: Self.embeddingGemma.path, output: out, target: .f16, threads: 2)
        try Self.expectEqual(out, reference: Self.directory.appendingPathComponent("embeddinggemma-300m.f16.json"), label: "embeddinggemma")
    }

    /// With --sentence-transformers-dense-modules: also dense_2/dense_3 (first, as generated tensors) and their
    /// feat_in/feat_out keys, equal to convert_hf_to_gguf.py --sentence-transformers-dense-modules --outtype f16.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: embeddingGemma.appendingPathComponent("model.safetensors").path),
                   "needs EmbeddingGemma-300M's folder (make embeddinggemma)"))
    func embeddingGemmaDenseModulesEqualConverter() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("embeddinggemma-300m-dense-F16.gguf").path
        _ = try ModelQuantizer.run(input: Self.embeddingGemma.path, output: out, target: .f16, threads: 2, denseModules: true)
        try Self.expectEqual(out, reference: Self.directory.appendingPathComponent("embeddinggemma-300m.f16.dense.json"), label: "embeddinggemma dense")
    }

    static func expectEqual(_ path: String, reference refURL: URL, label: String) throws {
        let ref = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: refURL)) as? [String: Any])
        let g = try GGUFFile(path: path)
        let refTensors = try #require(ref["tensors"] as? [[String: Any]])
        #expect(g.tensors.map(\.name) == refTensors.map { $0["name"] as? String ?? "" }, "\(label) tensor order")
        for (t, r) in zip(g.tensors, refTensors) {
            #expect(t.type.name == r["type"] as? String, "\(label) \(t.name) type")
            #expect(t.shape == r["shape"] as? [Int], "\(label) \(t.name) shape")
            #expect(SHA256.hash(g.data(t)).hex == r["sha256"] as? String, "\(label) \(t.name) bytes")
        }
        let keys = g.metadata.keys
        #expect(keys == ref["keys"] as? [String], "\(label) metadata keys")
        let refMeta = try #require(ref["metadata"] as? [String: [String: Any]])
        for k in keys {
            let v = try #require(g.metadata[k]), r = try #require(refMeta[k], "\(k)")
            switch (v, r["type"] as? String) {
            case let (.uint32(x), "UINT32"): #expect(Int(x) == (r["value"] as? NSNumber)?.intValue, "\(label) \(k)")
            case let (.int32(x), "INT32"): #expect(Int(x) == (r["value"] as? NSNumber)?.intValue, "\(label) \(k)")
            case let (.float32(x), "FLOAT32"): #expect(x == (r["value"] as? NSNumber).map { Float($0.doubleValue) }, "\(label) \(k)")
            case let (.string(x), "STRING"): #expect(x == r["value"] as? String, "\(label) \(k)")
            case let (.bool(x), "BOOL"): #expect(x == r["value"] as? Bool, "\(label) \(k)")
            case let (.array(a), "ARRAY"):
                #expect(a.count == r["count"] as? Int, "\(label) \(k) count")
                #expect(digest(a) == r["sha256"] as? String, "\(label) \(k) elements")
            default: Issue.record("\(label) \(k): \(v) is not the converter's \(r)")
            }
        }
    }

    /// make_tiny_hf.py's array digest: strings joined by NUL, numbers as little-endian 4-byte values.
    static func digest(_ a: GGUFArray) -> String {
        var bytes: [UInt8] = []
        for (i, v) in a.values.enumerated() {
            switch v {
            case let .string(s): if i > 0 { bytes.append(0) }; bytes += Array(s.utf8)
            case let .float32(f): withUnsafeBytes(of: f.bitPattern.littleEndian) { bytes += $0 }
            case let .int32(x): withUnsafeBytes(of: x.littleEndian) { bytes += $0 }
            case let .uint8(x): withUnsafeBytes(of: Int32(x).littleEndian) { bytes += $0 }  // numpy int32, as the script hashes it
            default: return "unexpected \(v)"
            }
        }
        return SHA256.hash(bytes).hex
    }

    /// Q/K rows regrouped as LlamaModel.permute does: row (h, j, k) of (heads, rows/heads/2, 2) is HF row (h, k, j).
    @Test func ropePermutationMovesRows() {
        // 2 heads of 4 rows, rows of 1 element: HF [0…7] → [0 2 1 3 | 4 6 5 7].
        let src: [Float] = (0..<8).map(Float.init)
        var out = [Float](repeating: -1, count: 8)
        src.withUnsafeBytes { s in
            out.withUnsafeMutableBytes { o in
                HFTensorTransforms.apply([.permuteRows(heads: 2)], source: s, dtype: .f32, hfShape: [8], to: o, as: .f32)
            }
        }
        #expect(out == [0, 2, 1, 3, 4, 6, 5, 7])
    }

    /// Gemma's norm + 1 on an F16 tensor rounds to F16 (torch adds half tensors in float and rounds back).
    @Test func addOneInHalfPrecision() {
        let x = HalfFloat.f32ToF16(0.0004)
        var out: UInt16 = 0
        withUnsafeBytes(of: x) { s in
            withUnsafeMutableBytes(of: &out) { o in
                HFTensorTransforms.apply([.addOne], source: s, dtype: .f16, hfShape: [1], to: o, as: .f16)
            }
        }
        #expect(out == HalfFloat.f32ToF16(HalfFloat.f16ToF32(x) + 1))
        #expect(HalfFloat.f16ToF32(out) == 1.0)  // 1.0004 is nearer 1 than the next half (1 + 2^-10)
    }

    @Test func titleAndSizeLabelAsGGUFPy() {
        #expect(SafetensorsModel.idToTitle("llama") == "Llama")
        #expect(SafetensorsModel.idToTitle("embeddinggemma-300m") == "Embeddinggemma 300m")
        #expect(SafetensorsModel.idToTitle("Qwen2.5-0.5B-Instruct") == "Qwen2.5 0.5B Instruct")
        #expect(SafetensorsModel.idToTitle("tiny-llama3rope-v1.2") == "Tiny Llama3Rope v1.2")
        #expect(SafetensorsModel.sizeLabel(82_240) == "82K")
        #expect(SafetensorsModel.sizeLabel(302_863_104) == "303M")
        #expect(SafetensorsModel.sizeLabel(1_235_814_400) == "1.2B")
        #expect(SafetensorsModel.sizeLabel(500) == "0.50K")
    }

    /// A shard listed by the index but missing, and a tensor with an unreadable dtype, fail with one line naming them.
    @Test func badFoldersFailNamingTheProblem() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = Self.directory.appendingPathComponent("qwen3")
        for f in try FileManager.default.contentsOfDirectory(atPath: src.path) where f != "model-00002-of-00004.safetensors" {
            try FileManager.default.copyItem(at: src.appendingPathComponent(f), to: dir.appendingPathComponent(f))
        }
        #expect { try SafetensorsModel(folder: dir.path) } throws: { "\($0)".contains("model-00002-of-00004.safetensors") }

        let bad = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: bad) }
        try Data(#"{"architectures": ["LlamaForCausalLM"], "num_hidden_layers": 1}"#.utf8).write(to: bad.appendingPathComponent("config.json"))
        let header = Data(#"{"model.norm.weight": {"dtype": "I8", "shape": [4], "data_offsets": [0, 4]}}"#.utf8)
        var file = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Data($0) }
        file.append(header); file.append(Data(count: 4))
        try file.write(to: bad.appendingPathComponent("model.safetensors"))
        #expect { try SafetensorsModel(folder: bad.path) } throws: { "\($0)".contains("model.norm.weight") && "\($0)".contains("I8") }

        // A folder that says it is Qwen3-Reranker but has no tokenizer.json (the ids of "yes" and "no"), or a
        // tokenizer.json without those tokens, fails with one line naming the file and what is missing.
        let rr = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: rr) }
        for f in try FileManager.default.contentsOfDirectory(atPath: src.path) {
            try FileManager.default.copyItem(at: src.appendingPathComponent(f), to: rr.appendingPathComponent(f))
        }
        try Data("# Qwen3-Reranker-0.6B\n".utf8).write(to: rr.appendingPathComponent("README.md"))
        #expect { try SafetensorsModel(folder: rr.path) } throws: { e in
            let m = "\(e)"
            return m.contains("tokenizer.json") && m.contains("Qwen3 reranker") && !m.contains("\n")
        }
        try Data(#"{"added_tokens": [], "model": {"type": "BPE", "vocab": {"yes": 5}, "merges": []}}"#.utf8).write(to: rr.appendingPathComponent("tokenizer.json"))
        #expect { try SafetensorsModel(folder: rr.path) } throws: { e in
            let m = "\(e)"
            return m.contains("tokenizer.json") && m.contains("\"no\"") && !m.contains("\n")
        }

        // A truncated tokenizer.model fails naming the file, not with a partial vocabulary.
        let tok = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: tok) }
        let llama = Self.directory.appendingPathComponent("llama")
        for f in ["config.json", "model.safetensors", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: llama.appendingPathComponent(f), to: tok.appendingPathComponent(f))
        }
        let model = try Data(contentsOf: llama.appendingPathComponent("tokenizer.model"))
        try model.prefix(model.count - 1).write(to: tok.appendingPathComponent("tokenizer.model"))
        #expect { try SafetensorsModel(folder: tok.path) } throws: { "\($0)".contains("tokenizer.model") }

        // FP8: another quantization method, or scales that do not match the block size, fail with one line.
        let fp8 = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: fp8) }
        let fp8src = Self.directory.appendingPathComponent("llama-fp8")
        try FileManager.default.copyItem(at: fp8src.appendingPathComponent("model.safetensors"), to: fp8.appendingPathComponent("model.safetensors"))
        var cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: fp8src.appendingPathComponent("config.json"))) as! [String: Any]
        for (q, want) in [(["quant_method": "awq"], "quant_method 'awq'"), (["quant_method": "fp8", "weight_block_size": [64, 64]], "block size")] {
            cfg["quantization_config"] = q
            try JSONSerialization.data(withJSONObject: cfg).write(to: fp8.appendingPathComponent("config.json"))
            #expect { try SafetensorsModel(folder: fp8.path) } throws: { "\($0)".contains(want) && !"\($0)".contains("\n") }
        }
    }
}
