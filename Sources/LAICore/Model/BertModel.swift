// BertModel: the weights and hyperparameters of a BERT-family encoder, viewed in place or expanded to f32 for
// BLAS. Two GGUF architectures (tensor names as llama.cpp's convert_hf_to_gguf.py writes them):
//   bert        learned position embeddings, separate attn_q/k/v with biases, GELU feed-forward;
//   nomic-bert  rotary positions (NeoX pairing), one fused attn_qkv, SwiGLU feed-forward (ffn_gate, ffn_up), no biases.
// Both are post-LayerNorm encoders with the same embedding LayerNorm and block structure.
import Foundation

/// How an encoder tells positions apart.
package enum BertPositions: Sendable, Equatable {
    /// `position_embd.weight` rows added to the token embeddings (bert).
    case learned
    /// RoPE on q and k in every block, GPT-NeoX pairing (element i with i + dims/2), as llama.cpp's
    /// LLAMA_ROPE_TYPE_NEOX for nomic-bert; `dims` leading entries of each head rotate.
    case rope(base: Float, dims: Int)
}

/// BERT-family hyperparameters from GGUF metadata (llama.cpp's `<arch>.*` keys).
package struct BertConfig: Sendable {
    /// The GGUF architectures this encoder runs.
    package static let architectures = ["bert", "nomic-bert"]

    package var architecture: String
    package var embedding: Int        // <arch>.embedding_length (n_embd)
    package var layers: Int           // <arch>.block_count
    package var heads: Int            // <arch>.attention.head_count
    package var feedForward: Int      // <arch>.feed_forward_length
    package var context: Int          // <arch>.context_length (positions the model was trained on)
    package var vocabulary: Int
    package var tokenTypes: Int       // rows of token_types.weight (0 when the model has none)
    package var layerNormEps: Float   // <arch>.attention.layer_norm_epsilon
    package var pooling: Pooling      // <arch>.pooling_type, mean when absent or "none"
    package var positions: BertPositions
    /// SwiGLU feed-forward, silu(x·W_gateᵀ) ⊙ (x·W_upᵀ) (nomic-bert), instead of GELU(x·W_upᵀ + b).
    package var gatedFeedForward: Bool
    package var headDim: Int { embedding / heads }

    package init(_ f: GGUFFile) throws {
        let m = f.metadata
        guard let arch = m.architecture else { throw ModelError.missingKey(path: f.path, key: "general.architecture") }
        guard Self.architectures.contains(arch) else { throw ModelError.unsupportedArchitecture(path: f.path, arch: arch) }
        architecture = arch
        func req(_ k: String) throws -> Int {
            guard let v = m.int("\(arch).\(k)"), v > 0 else { throw ModelError.missingKey(path: f.path, key: "\(arch).\(k)") }
            return v
        }
        embedding = try req("embedding_length")
        layers = try req("block_count")
        heads = try req("attention.head_count")
        feedForward = try req("feed_forward_length")
        context = try req("context_length")
        vocabulary = m.array("tokenizer.ggml.tokens")?.count ?? 0
        tokenTypes = f.tensor(named: "token_types.weight")?.shape.last ?? 0
        layerNormEps = Float(m.double("\(arch).attention.layer_norm_epsilon") ?? 1e-12)
        pooling = Pooling(ggufValue: m.int("\(arch).pooling_type") ?? 1) ?? .mean
        if m.bool("\(arch).attention.causal") == true {
            throw ModelError.invalid(path: f.path, message: "causal BERT variants are not supported (\(arch).attention.causal is true)")
        }
        guard embedding % heads == 0, vocabulary > 0 else {
            throw ModelError.invalid(path: f.path, message: "inconsistent BERT metadata (embedding \(embedding), heads \(heads), vocabulary \(vocabulary))")
        }
        if arch == "nomic-bert" {
            let dims = m.int("\(arch).rope.dimension_count") ?? embedding / heads
            guard dims > 0, dims <= embedding / heads, dims % 2 == 0 else {
                throw ModelError.invalid(path: f.path, message: "rope.dimension_count \(dims) does not fit head size \(embedding / heads)")
            }
            if let type = m.string("\(arch).rope.scaling.type"), type != "none" {
                throw ModelError.invalid(path: f.path, message: "RoPE scaling '\(type)' is not supported for embedding")
            }
            positions = .rope(base: Float(m.double("\(arch).rope.freq_base") ?? 10000), dims: dims)
            gatedFeedForward = true
        } else {
            positions = .learned
            gatedFeedForward = false
            if let p = f.tensor(named: "position_embd.weight"), let rows = p.shape.last { context = min(context, rows) }
        }
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

/// One encoder block (post-LayerNorm, as the original BERT). For a fused `attn_qkv`, q, k and v are views
/// of its three row blocks (and of its bias).
package struct BertLayer: @unchecked Sendable {
    package let q, k, v, output: BertLinear
    package let attnNormW, attnNormB: UnsafePointer<Float>     // attn_output_norm
    package let up, down: BertLinear
    package let gate: BertLinear?                              // ffn_gate (SwiGLU models)
    package let outNormW, outNormB: UnsafePointer<Float>       // layer_output_norm
}

package final class BertModel: @unchecked Sendable {
    package let file: GGUFFile
    package let config: BertConfig
    package let tokenEmbedding: WeightMatrix      // (vocab, E)
    package let positionEmbedding: WeightMatrix?  // (context, E); nil for rotary models
    package let tokenTypeEmbedding: WeightMatrix? // (types, E); row 0 is added to every token
    package let embNormW, embNormB: UnsafePointer<Float>
    package let layers: [BertLayer]
    /// The classification head of a reranker / sequence classifier (`cls.*` tensors), nil for embedders.
    package let classifier: ClassifierHead?
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
        func prepared(_ w: WeightMatrix, bias: UnsafePointer<Float>?) -> BertLinear {
            let rows = w.rows, cols = w.cols
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
        func linear(_ name: String, rows: Int, cols: Int) throws -> BertLinear {
            let w = try WeightMatrix(file: file, name: name + ".weight", rows: rows, cols: cols)
            let bias = file.tensor(named: name + ".bias") == nil ? nil : try vector(name + ".bias", rows)
            return prepared(w, bias: bias)
        }
        do {
            tokenEmbedding = try WeightMatrix(file: file, name: "token_embd.weight", rows: c.vocabulary, cols: E)
            if c.positions == .learned {
                guard let pe = file.tensor(named: "position_embd.weight"), let pr = pe.shape.last else {
                    throw TensorError.missing(path: file.path, tensor: "position_embd.weight")
                }
                positionEmbedding = try WeightMatrix(file: file, name: "position_embd.weight", rows: pr, cols: E)
            } else {
                positionEmbedding = nil
            }
            tokenTypeEmbedding = c.tokenTypes > 0
                ? try WeightMatrix(file: file, name: "token_types.weight", rows: c.tokenTypes, cols: E) : nil
            embNormW = try vector("token_embd_norm.weight", E)
            embNormB = try vector("token_embd_norm.bias", E)
            var ls: [BertLayer] = []
            for i in 0..<c.layers {
                let p = "blk.\(i)."
                let q, k, v: BertLinear
                if file.tensor(named: p + "attn_qkv.weight") != nil {
                    // Rows 0..<E are q, E..<2E k, 2E..<3E v (llama.cpp's build_qkv views).
                    let qkv = try WeightMatrix(file: file, name: p + "attn_qkv.weight", rows: 3 * E, cols: E)
                    let bias = file.tensor(named: p + "attn_qkv.bias") == nil ? nil : try vector(p + "attn_qkv.bias", 3 * E)
                    (q, k, v) = (prepared(qkv.rows(0..<E), bias: bias), prepared(qkv.rows(E..<2 * E), bias: bias.map { $0 + E }),
                                 prepared(qkv.rows(2 * E..<3 * E), bias: bias.map { $0 + 2 * E }))
                } else {
                    (q, k, v) = (try linear(p + "attn_q", rows: E, cols: E), try linear(p + "attn_k", rows: E, cols: E),
                                 try linear(p + "attn_v", rows: E, cols: E))
                }
                ls.append(BertLayer(
                    q: q, k: k, v: v,
                    output: try linear(p + "attn_output", rows: E, cols: E),
                    attnNormW: try vector(p + "attn_output_norm.weight", E),
                    attnNormB: try vector(p + "attn_output_norm.bias", E),
                    up: try linear(p + "ffn_up", rows: c.feedForward, cols: E),
                    down: try linear(p + "ffn_down", rows: E, cols: c.feedForward),
                    gate: c.gatedFeedForward ? try linear(p + "ffn_gate", rows: c.feedForward, cols: E) : nil,
                    outNormW: try vector(p + "layer_output_norm.weight", E),
                    outNormB: try vector(p + "layer_output_norm.bias", E)))
            }
            layers = ls
            classifier = try ClassifierHead.load(file, embedding: E, architecture: c.architecture)
        } catch {
            for p in copies { p.deallocate() }
            throw error
        }
        owned = copies
    }

    package convenience init(path: String) throws { try self.init(file: GGUFFile(path: path)) }

    deinit { for p in owned { p.deallocate() } }
}
