// SafetensorsModelTests: all-MiniLM-L6-v2 (safetensors folder) → GGUF as convert_hf_to_gguf.py writes it.
import Foundation
import LAICore
import Testing

@Suite struct SafetensorsModelTests {
    @Test func tensorNamesFollowGGUF() {
        #expect(SafetensorsModel.ggufName("embeddings.word_embeddings.weight", nLayer: 6) == "token_embd.weight")
        #expect(SafetensorsModel.ggufName("bert.embeddings.LayerNorm.gamma", nLayer: 6) == "token_embd_norm.weight")
        #expect(SafetensorsModel.ggufName("encoder.layer.5.attention.self.query.bias", nLayer: 6) == "blk.5.attn_q.bias")
        #expect(SafetensorsModel.ggufName("encoder.layer.2.output.LayerNorm.weight", nLayer: 6) == "blk.2.layer_output_norm.weight")
        #expect(SafetensorsModel.ggufName("encoder.layer.2.intermediate.dense.weight", nLayer: 6) == "blk.2.ffn_up.weight")
        #expect(SafetensorsModel.ggufName("encoder.layer.6.output.dense.weight", nLayer: 6) == nil)
        #expect(SafetensorsModel.ggufName("pooler.dense.weight", nLayer: 6) == nil)
        #expect(SafetensorsModel.ggufName("embeddings.position_ids", nLayer: 6) == nil)
    }

    /// Converts the MiniLM folder to F32 and F16 and checks names, types, data and tokenizer metadata;
    /// the token list must equal llama.cpp's own bert-bge vocabulary byte for byte.
    @Test func convertsMiniLM() throws {
        let folder = Fixtures.miniLM.path
        guard FileManager.default.fileExists(atPath: folder + "/model.safetensors") else {
            Issue.record("missing \(folder)"); return
        }
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try SafetensorsModel(folder: folder)
        #expect(source.tensors.count == 101)
        for target in [QuantTarget.f32, .f16] {
            let out = dir.appendingPathComponent("minilm-\(target.name).gguf").path
            let r = try ModelQuantizer.run(input: folder, output: out, target: target, threads: 2)
            #expect(r.fallbacks.isEmpty)
            let g = try GGUFFile(path: out)
            #expect(g.tensors.count == 101)
            let byName = Dictionary(uniqueKeysWithValues: g.tensors.map { ($0.name, $0) })
            let emb = try #require(byName["token_embd.weight"])
            #expect(emb.shape == [384, 30522])
            #expect(emb.type == target.defaultType)
            #expect(byName["position_embd.weight"]?.type == .f32)
            #expect(byName["token_types.weight"]?.type == .f32)
            #expect(byName["blk.5.ffn_down.weight"]?.shape == [1536, 384])
            #expect(byName["blk.5.ffn_down.weight"]?.type == target.defaultType)
            #expect(byName["blk.0.attn_output_norm.bias"]?.type == .f32)
            // Every tensor's data equals the safetensors data converted to the stored type.
            for t in source.tensors {
                let o = try #require(byName[t.name])
                let src = source.data(t)
                var f = [Float](repeating: 0, count: t.elementCount)
                try f.withUnsafeMutableBufferPointer { try Dequantize.row(t.type, src.baseAddress!, $0.baseAddress!, count: t.elementCount) }
                var want = [UInt8](repeating: 0, count: o.byteCount)
                try f.withUnsafeBufferPointer { fp in try want.withUnsafeMutableBytes { try Quantize.row(o.type, fp.baseAddress!, $0.baseAddress!, count: t.elementCount) } }
                #expect(Array(g.data(o)) == want, "\(t.name)")
            }
            let md = g.metadata
            #expect(md.string("general.architecture") == "bert")
            #expect(md.int("bert.block_count") == 6)
            #expect(md.int("bert.context_length") == 512)
            #expect(md.int("bert.embedding_length") == 384)
            #expect(md.int("bert.feed_forward_length") == 1536)
            #expect(md.int("bert.attention.head_count") == 12)
            #expect(md.double("bert.attention.layer_norm_epsilon") == Double(Float(1e-12)))
            #expect(md.bool("bert.attention.causal") == false)
            #expect(md.int("bert.pooling_type") == 1)
            #expect(md.int("general.file_type") == target.fileType)
            #expect(md.string("tokenizer.ggml.model") == "bert")
            // The converter's table names this vocabulary's check-text hash (0876d13b…) "jina-v2-en" (its later entry).
            #expect(md.string("tokenizer.ggml.pre") == "jina-v2-en")
            #expect(md.int("tokenizer.ggml.token_type_count") == 2)
            for (k, v) in [("bos", 101), ("eos", 102), ("unknown", 100), ("seperator", 102), ("padding", 0), ("mask", 103)] {
                #expect(md.int("tokenizer.ggml.\(k)_token_id") == v, "\(k)")
            }
            #expect(md.bool("tokenizer.ggml.add_bos_token") == true)
            #expect(md.bool("tokenizer.ggml.add_eos_token") == true)
            #expect(md.bool("tokenizer.ggml.add_sep_token") == false)
            #expect(md.int("tokenizer.ggml.cls_token_id") == nil, "gguf-py has no add_cls_token_id")
        }
        // Tokens and token types equal llama.cpp's converted bert-bge vocabulary (same WordPiece vocab), made by an
        // older converter that kept every [bracketed] token as it is: today's gives the normal ones ([unused0]…, not
        // added tokens) the phantom space, like any other word.
        let ours = try GGUFFile(path: dir.appendingPathComponent("minilm-F32.gguf").path)
        let ref = try GGUFFile(path: Fixtures.vocab.appendingPathComponent("ggml-vocab-bert-bge.gguf").path)
        let tokens = try #require(ours.metadata.array("tokenizer.ggml.tokens")).strings
        let types = try #require(ours.metadata.array("tokenizer.ggml.token_type")).ints
        let refTokens = try #require(ref.metadata.array("tokenizer.ggml.tokens")).strings
        let refTypes = try #require(ref.metadata.array("tokenizer.ggml.token_type")).ints
        #expect(tokens.count == refTokens.count && types.count == refTypes.count)
        var rephrased = 0, differing: [Int] = []
        for i in 0..<min(tokens.count, refTokens.count, types.count, refTypes.count) {
            if tokens[i] == refTokens[i] && types[i] == refTypes[i] { continue }
            if refTypes[i] == 1, refTokens[i].hasPrefix("["), tokens[i] == "\u{2581}" + refTokens[i], types[i] == 1 { rephrased += 1; continue }
            differing.append(i)
        }
        #expect(differing.isEmpty, "ids \(differing.prefix(10)) differ")
        #expect(rephrased == 994, "[unusedN] tokens given the phantom space")
        // The pre-tokenizer name came from the table, not the fallback: lai's WordPiece tokenizer gives the check
        // text the ids Hugging Face's BertTokenizerFast gives it (the converter's hash for bert-base-uncased).
        let tokenizer = try Tokenizer(metadata: ours.metadata, path: ours.path)
        #expect(HFBPEVocab.checkHash(tokenizer.encode(HFBPEVocab.checkText, addSpecial: true, parseSpecial: true))
                == "0876d13b50744004aa9aeae05e7b0647eac9d801b5ba4668afc01e709c15e19f")
    }

    @Test func rejectsUnsupportedArchitectures() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(#"{"model_type": "mamba", "architectures": ["MambaForCausalLM"]}"#.utf8).write(to: dir.appendingPathComponent("config.json"))
        #expect(SafetensorsModel.isModelFolder(dir.path))
        #expect(throws: HFModelError.self) { try SafetensorsModel(folder: dir.path) }
    }
}
