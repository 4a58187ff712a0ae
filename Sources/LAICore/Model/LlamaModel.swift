// LlamaModel: the weights of a llama-family decoder, viewed in place in the GGUF mapping.

/// One transformer block's weights. Norm vectors and biases are f32 views into the file.
package struct LlamaLayer: @unchecked Sendable {
    package let attnNorm: UnsafePointer<Float>
    package let wq, wk, wv, wo: WeightMatrix
    package let bq, bk, bv: UnsafePointer<Float>?
    package let ffnNorm: UnsafePointer<Float>
    package let gate, up, down: WeightMatrix
}

package final class LlamaModel: @unchecked Sendable {
    package let file: GGUFFile
    package let config: LlamaConfig
    package let tokenEmbedding: WeightMatrix
    package let layers: [LlamaLayer]
    package let outputNorm: UnsafePointer<Float>
    /// The output projection; the token embedding itself when the model ties them.
    package let output: WeightMatrix

    package init(file: GGUFFile) throws {
        self.file = file
        let c = try LlamaConfig(file)
        config = c
        func vector(_ name: String, _ n: Int) throws -> UnsafePointer<Float> {
            guard let t = file.tensor(named: name) else { throw TensorError.missing(path: file.path, tensor: name) }
            guard t.type == .f32, t.shape == [n] else {
                throw TensorError.badShape(path: file.path, tensor: name, shape: t.shape, expected: [n])
            }
            return file.data(t).baseAddress!.assumingMemoryBound(to: Float.self)
        }
        func optionalVector(_ name: String, _ n: Int) throws -> UnsafePointer<Float>? {
            file.tensor(named: name) == nil ? nil : try vector(name, n)
        }
        tokenEmbedding = try WeightMatrix(file: file, name: "token_embd.weight", rows: c.vocabulary, cols: c.embedding)
        outputNorm = try vector("output_norm.weight", c.embedding)
        output = file.tensor(named: "output.weight") == nil
            ? tokenEmbedding
            : try WeightMatrix(file: file, name: "output.weight", rows: c.vocabulary, cols: c.embedding)
        var ls: [LlamaLayer] = []
        for i in 0..<c.layers {
            let p = "blk.\(i)."
            ls.append(LlamaLayer(
                attnNorm: try vector(p + "attn_norm.weight", c.embedding),
                wq: try WeightMatrix(file: file, name: p + "attn_q.weight", rows: c.qDim, cols: c.embedding),
                wk: try WeightMatrix(file: file, name: p + "attn_k.weight", rows: c.kvDim, cols: c.embedding),
                wv: try WeightMatrix(file: file, name: p + "attn_v.weight", rows: c.kvDim, cols: c.embedding),
                wo: try WeightMatrix(file: file, name: p + "attn_output.weight", rows: c.embedding, cols: c.qDim),
                bq: try optionalVector(p + "attn_q.bias", c.qDim),
                bk: try optionalVector(p + "attn_k.bias", c.kvDim),
                bv: try optionalVector(p + "attn_v.bias", c.kvDim),
                ffnNorm: try vector(p + "ffn_norm.weight", c.embedding),
                gate: try WeightMatrix(file: file, name: p + "ffn_gate.weight", rows: c.feedForward, cols: c.embedding),
                up: try WeightMatrix(file: file, name: p + "ffn_up.weight", rows: c.feedForward, cols: c.embedding),
                down: try WeightMatrix(file: file, name: p + "ffn_down.weight", rows: c.embedding, cols: c.feedForward)))
        }
        layers = ls
    }

    package convenience init(path: String) throws { try self.init(file: GGUFFile(path: path)) }
}
