// BertModel: the weights and hyperparameters of a BERT-family encoder (GGUF architecture `bert`, tensor
// names as llama.cpp's convert_hf_to_gguf.py writes them), viewed in place or expanded to f32 for BLAS.
import Foundation

/// BERT hyperparameters from GGUF metadata (llama.cpp's `bert.*` keys).
package struct BertConfig: Sendable {
    package var embedding: Int        // bert.embedding_length (n_embd)
    package var layers: Int           // bert.block_count
    package var heads: Int            // bert.attention.head_count
    package var feedForward: Int      // bert.feed_forward_length
    package var context: Int          // bert.context_length (positions the model was trained on)
    package var vocabulary: Int
    package var tokenTypes: Int       // rows of token_types.weight (0 when the model has none)
    package var layerNormEps: Float   // bert.attention.layer_norm_epsilon
    package var pooling: Pooling      // bert.pooling_type, mean when absent or "none"
    package var headDim: Int { embedding / heads }

    package init(_ f: GGUFFile) throws {
        let m = f.metadata
        guard let arch = m.architecture else { throw ModelError.missingKey(path: f.path, key: "general.architecture") }
        guard arch == "bert" else { throw ModelError.unsupportedArchitecture(path: f.path, arch: arch) }
        func req(_ k: String) throws -> Int {
            guard let v = m.int("bert.\(k)"), v > 0 else { throw ModelError.missingKey(path: f.path, key: "bert.\(k)") }
            return v
        }
        embedding = try req("embedding_length")
        layers = try req("block_count")
        heads = try req("attention.head_count")
        feedForward = try req("feed_forward_length")
        context = try req("context_length")
        vocabulary = m.array("tokenizer.ggml.tokens")?.count ?? 0
        tokenTypes = f.tensor(named: "token_types.weight")?.shape.last ?? 0
        layerNormEps = Float(m.double("bert.attention.layer_norm_epsilon") ?? 1e-12)
        pooling = Pooling(ggufValue: m.int("bert.pooling_type") ?? 1) ?? .mean
        if m.bool("bert.attention.causal") == true {
            throw ModelError.invalid(path: f.path, message: "causal BERT variants are not supported (bert.attention.causal is true)")
        }
        guard embedding % heads == 0, vocabulary > 0 else {
            throw ModelError.invalid(path: f.path, message: "inconsistent BERT metadata (embedding \(embedding), heads \(heads), vocabulary \(vocabulary))")
        }
        if let p = f.tensor(named: "position_embd.weight"), let rows = p.shape.last { context = min(context, rows) }
    }
}

/// A dense layer y = x·Wᵀ + b. `dense` is W as f32 (rows, cols) for cblas_sgemm: the file's own bytes
/// for F32, an expanded copy for F16/BF16/K-quants; nil when W multiplies through MatMul's block kernels
/// (q4_0 … q8_0, as ggml: activations quantized to q8 once per product).
package struct BertLinear: @unchecked Sendable {
    package let w: WeightMatrix
    package let dense: UnsafePointer<Float>?
    package let bias: UnsafePointer<Float>?
}

/// One encoder block (post-LayerNorm, as the original BERT).
package struct BertLayer: @unchecked Sendable {
    package let q, k, v, output: BertLinear
    package let attnNormW, attnNormB: UnsafePointer<Float>     // attn_output_norm
    package let up, down: BertLinear
    package let outNormW, outNormB: UnsafePointer<Float>       // layer_output_norm
}

package final class BertModel: @unchecked Sendable {
    package let file: GGUFFile
    package let config: BertConfig
    package let tokenEmbedding: WeightMatrix      // (vocab, E)
    package let positionEmbedding: WeightMatrix   // (context, E)
    package let tokenTypeEmbedding: WeightMatrix? // (types, E); row 0 is added to every token
    package let embNormW, embNormB: UnsafePointer<Float>
    package let layers: [BertLayer]
    /// f32 copies made at load (freed with the model).
    private var owned: [UnsafeMutablePointer<Float>] = []

    /// Loads the weights. Block-quantized matrices (q4_0 … q8_0) use MatMul's kernels when `quantizedKernels`;
    /// otherwise every matrix is multiplied as f32 through OpenBLAS, which measured ~12% less CPU time for
    /// MiniLM's Q8_0 than the q8_0×q8_0 kernels (the weights keep their Q8_0 values; only memory grows).
    package init(file: GGUFFile, quantizedKernels: Bool = false) throws {
        self.file = file
        let c = try BertConfig(file)
        config = c
        let E = c.embedding
        func vector(_ name: String, _ n: Int) throws -> UnsafePointer<Float> {
            guard let t = file.tensor(named: name) else { throw TensorError.missing(path: file.path, tensor: name) }
            guard t.type == .f32, t.elementCount == n else {
                throw TensorError.badShape(path: file.path, tensor: name, shape: t.shape, expected: [n])
            }
            return file.data(t).baseAddress!.assumingMemoryBound(to: Float.self)
        }
        var copies: [UnsafeMutablePointer<Float>] = []
        func linear(_ name: String, rows: Int, cols: Int) throws -> BertLinear {
            let w = try WeightMatrix(file: file, name: name + ".weight", rows: rows, cols: cols)
            let bias = file.tensor(named: name + ".bias") == nil ? nil : try vector(name + ".bias", rows)
            let kernel = quantizedKernels && w.hasKernel && w.type != .f32 && w.type != .f16
            if kernel { return BertLinear(w: w, dense: nil, bias: bias) }
            if w.type == .f32 && Int(bitPattern: w.data) % 4 == 0 {
                return BertLinear(w: w, dense: w.data.assumingMemoryBound(to: Float.self), bias: bias)
            }
            let p = UnsafeMutablePointer<Float>.allocate(capacity: rows * cols)
            for r in 0..<rows { w.dequantizeRow(r, into: p + r * cols) }
            copies.append(p)
            return BertLinear(w: w, dense: UnsafePointer(p), bias: bias)
        }
        do {
            tokenEmbedding = try WeightMatrix(file: file, name: "token_embd.weight", rows: c.vocabulary, cols: E)
            guard let pe = file.tensor(named: "position_embd.weight"), let pr = pe.shape.last else {
                throw TensorError.missing(path: file.path, tensor: "position_embd.weight")
            }
            positionEmbedding = try WeightMatrix(file: file, name: "position_embd.weight", rows: pr, cols: E)
            tokenTypeEmbedding = c.tokenTypes > 0
                ? try WeightMatrix(file: file, name: "token_types.weight", rows: c.tokenTypes, cols: E) : nil
            embNormW = try vector("token_embd_norm.weight", E)
            embNormB = try vector("token_embd_norm.bias", E)
            var ls: [BertLayer] = []
            for i in 0..<c.layers {
                let p = "blk.\(i)."
                if file.tensor(named: p + "attn_qkv.weight") != nil {
                    throw ModelError.invalid(path: file.path, message: "fused attn_qkv tensors (nomic-bert style) are not supported")
                }
                ls.append(BertLayer(
                    q: try linear(p + "attn_q", rows: E, cols: E),
                    k: try linear(p + "attn_k", rows: E, cols: E),
                    v: try linear(p + "attn_v", rows: E, cols: E),
                    output: try linear(p + "attn_output", rows: E, cols: E),
                    attnNormW: try vector(p + "attn_output_norm.weight", E),
                    attnNormB: try vector(p + "attn_output_norm.bias", E),
                    up: try linear(p + "ffn_up", rows: c.feedForward, cols: E),
                    down: try linear(p + "ffn_down", rows: E, cols: c.feedForward),
                    outNormW: try vector(p + "layer_output_norm.weight", E),
                    outNormB: try vector(p + "layer_output_norm.bias", E)))
            }
            layers = ls
        } catch {
            for p in copies { p.deallocate() }
            throw error
        }
        owned = copies
    }

    package convenience init(path: String) throws { try self.init(file: GGUFFile(path: path)) }

    deinit { for p in owned { p.deallocate() } }
}
