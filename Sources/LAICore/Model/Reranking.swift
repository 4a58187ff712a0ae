// Reranking: a sequence classifier's head and relevance scores of documents for a query, best first, as
// llama-server's /rerank orders them.
import Foundation

/// A sequence classifier's head (llama.cpp's LLAMA_POOLING_TYPE_RANK) on one pooled hidden state — the first
/// token's for an encoder, the last token's (after the output norm) for a decoder: `cls` (dense + tanh, RoBERTa's
/// classifier.dense) when present, then `cls.output` (the projection to the labels) when present, then a softmax
/// over the outputs for Qwen3 rerankers (llama.cpp applies it for qwen3 and qwen3vl). Cross-encoders
/// (bge-reranker-v2-m3, ms-marco) have one output, the relevance score as a logit; Qwen3-Reranker has two, (yes, no),
/// and scores P(yes). Weights are expanded to f32 at load: they are one or two small matrices.
package struct ClassifierHead: Sendable {
    package struct Dense: Sendable {
        package let weight: [Float]   // (rows, cols) row-major
        package let bias: [Float]?
        package let rows: Int, cols: Int
    }
    package let dense: Dense?
    package let output: Dense?
    package let softmax: Bool
    /// `<arch>.classifier.output_labels`, one per output ([] when the file names none).
    package let labels: [String]
    package var outputs: Int { output?.rows ?? dense?.rows ?? 0 }

    /// The head of `file` (`cls.*` tensors over `embedding`-wide hidden states), nil when it has none.
    package static func load(_ file: GGUFFile, embedding: Int, architecture arch: String) throws -> ClassifierHead? {
        func vector(_ name: String, _ n: Int) throws -> [Float] {
            guard let t = file.tensor(named: name), t.type == .f32, t.elementCount == n else {
                throw TensorError.badShape(path: file.path, tensor: name, shape: file.tensor(named: name)?.shape ?? [], expected: [n])
            }
            return Array(UnsafeBufferPointer(start: file.data(t).baseAddress!.assumingMemoryBound(to: Float.self), count: n))
        }
        func dense(_ name: String, cols: Int) throws -> Dense? {
            guard let t = file.tensor(named: name + ".weight") else { return nil }
            let rows = t.shape.count == 2 ? t.shape[1] : 0
            guard rows > 0, t.shape.first == cols else {
                throw TensorError.badShape(path: file.path, tensor: name + ".weight", shape: t.shape, expected: [cols, max(rows, 1)])
            }
            let w = try WeightMatrix(file: file, name: name + ".weight", rows: rows, cols: cols)
            var weight = [Float](repeating: 0, count: rows * cols)
            weight.withUnsafeMutableBufferPointer { b in for r in 0..<rows { w.dequantizeRow(r, into: b.baseAddress! + r * cols) } }
            let bias = file.tensor(named: name + ".bias") == nil ? nil : try vector(name + ".bias", rows)
            return Dense(weight: weight, bias: bias, rows: rows, cols: cols)
        }
        let d = try dense("cls", cols: embedding)
        let o = try dense("cls.output", cols: d?.rows ?? embedding)
        guard d != nil || o != nil else { return nil }
        return ClassifierHead(dense: d, output: o, softmax: arch == "qwen3" || arch == "qwen3vl",
                              labels: file.metadata.array("\(arch).classifier.output_labels")?.strings ?? [])
    }

    /// The head's outputs for one hidden state of `cols` floats.
    package func apply(_ hidden: UnsafePointer<Float>) -> [Float] {
        var x = Array(UnsafeBufferPointer(start: hidden, count: dense?.cols ?? output?.cols ?? 0))
        func project(_ d: Dense) -> [Float] {
            (0..<d.rows).map { r in
                var s: Float = 0
                for c in 0..<d.cols { s += d.weight[r * d.cols + c] * x[c] }
                return s + (d.bias?[r] ?? 0)
            }
        }
        if let d = dense { x = project(d).map { tanhf($0) } }
        if let o = output { x = project(o) }
        if softmax, let m = x.max() {
            // ggml_soft_max: exp(x - max) / sum, in float.
            let e = x.map { expf($0 - m) }
            let sum = e.reduce(0, +)
            x = e.map { $0 / sum }
        }
        return x
    }
}

/// One document's place in a ranking.
package struct RankedDocument: Sendable, Equatable {
    /// The document's 0-based index in the request.
    package var index: Int
    /// The reranker's raw score (a logit: higher is more relevant; llama-server returns the same value).
    package var score: Float
}

extension Embedder {
    /// Scores `documents` for `query` and orders them best first (ties keep request order), keeping `top` of them.
    package func rank(query: String, documents: [String], top: Int? = nil) throws -> [RankedDocument] {
        let scores = try rerank(query: query, documents: documents)
        return RankedDocument.order(scores, top: top)
    }
}

extension RankedDocument {
    /// `scores` by index, best first (NaN last, ties in index order), cut to `top` when given.
    package static func order(_ scores: [Float], top: Int? = nil) -> [RankedDocument] {
        let ranked = scores.enumerated().map { RankedDocument(index: $0.offset, score: $0.element) }.sorted { a, b in
            if a.score.isNaN != b.score.isNaN { return b.score.isNaN }
            return a.score != b.score && !a.score.isNaN ? a.score > b.score : a.index < b.index
        }
        return Array(ranked.prefix(max(0, top ?? ranked.count)))
    }
}
