// DecoderModel: a decoder-only model's configuration and weights, viewed in place in the GGUF mapping.

package final class DecoderModel: @unchecked Sendable {
    package let file: GGUFFile
    package let config: DecoderConfig
    package let tokenEmbedding: WeightMatrix
    package let layers: [DecoderLayer]
    package let outputNorm: Norm
    /// The output projection; the token embedding itself when the model ties them.
    package let output: WeightMatrix
    package let outputBias: UnsafePointer<Float>?
    /// Phi-3 LongRoPE: the long factors, used when the context exceeds `ropeOriginalContext` (short ones otherwise).
    package let ropeFactorsLong: UnsafePointer<Float>?
    package let ropeOriginalContext: Int
    /// sentence-transformers Dense layers after pooling (llama.cpp's dense_2 / dense_3), when the converter kept them.
    package let poolingProjections: [WeightMatrix]
    /// A reranker's head (`cls.output`: Qwen3-Reranker's yes/no rows), nil for other models.
    package let classifier: ClassifierHead?

    package init(file: GGUFFile) throws {
        self.file = file
        guard let arch = file.metadata.architecture else { throw ModelError.missingKey(path: file.path, key: "general.architecture") }
        guard let family = Architectures.decoderFamily(arch) else {
            if Architectures.encoders.contains(arch) {
                throw ModelError.invalid(path: file.path, message: "'\(arch)' is an embedding model: use lai embed (text generation needs one of \(Architectures.decoders.joined(separator: ", ")))")
            }
            throw ModelError.unsupportedArchitecture(path: file.path, arch: arch)
        }
        var c = try DecoderConfig(file, architecture: arch, neox: family.neoxRope)
        try family.configure(&c, file)
        let w = WeightLoader(file)
        let half = c.rope.dims / 2
        if let f = try w.optionalVector(.ropeFrequencies, nil, half) {
            c.rope.factors = f  // Llama 3.1+: per-pair divisors
        } else if let short = try w.optionalVector(.ropeFactorsShort, nil, half) {
            c.rope.factors = short
        }
        ropeFactorsLong = try w.optionalVector(.ropeFactorsLong, nil, half)
        ropeOriginalContext = file.metadata.int("\(arch).rope.scaling.original_context_length") ?? c.trainedContext
        config = c
        tokenEmbedding = try w.matrix(.tokenEmbedding, rows: c.vocabulary, cols: c.embedding)
        outputNorm = try w.norm(.outputNorm, nil, c.embedding, kind: c.normKind, eps: c.normEps)
        output = try w.optionalMatrix(.output, rows: c.vocabulary, cols: c.embedding) ?? tokenEmbedding
        outputBias = try w.optionalVector(.output, nil, bias: true, c.vocabulary)
        layers = try (0..<c.layers).map { try family.layer($0, w, c) }
        let dense2Out = file.metadata.int("\(arch).dense_2_feat_out") ?? 0, dense3In = file.metadata.int("\(arch).dense_3_feat_in") ?? 0
        poolingProjections = [try dense2Out > 0 ? w.optionalMatrix(.dense2, rows: dense2Out, cols: c.embedding) : nil,
                              try dense3In > 0 ? w.optionalMatrix(.dense3, rows: c.embedding, cols: dense3In) : nil].compactMap { $0 }
        classifier = try ClassifierHead.load(file, embedding: c.embedding, architecture: arch)
    }

    package convenience init(path: String) throws { try self.init(file: GGUFFile(path: path)) }

    /// RoPE of layer `l` for a session of `contextSize` tokens (LongRoPE switches factors past the original context).
    func rope(layer l: Int, contextSize: Int) -> RopeParameters {
        var r = config.slidingLayers[l] ? (config.ropeLocal ?? config.rope) : config.rope
        if let long = ropeFactorsLong, contextSize > ropeOriginalContext { r.factors = long }
        return r
    }
}
