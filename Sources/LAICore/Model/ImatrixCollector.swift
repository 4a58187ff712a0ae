// ImatrixCollector: llama-imatrix's statistics — for every weight matrix a product runs with, the sum over
// tokens of each input column's square, and the tokens counted — gathered from MatMul's inputs.
import Foundation

/// Accumulates Σx² per input column of each weight matrix as llama-imatrix's `collect_imatrix` does.
///
/// Set as `MatMul.collector`, it sees the input rows of every product. Which products count and how:
/// - names starting with `blk.` (and `output.weight` when `processOutput`); a tied output (token_embd) never;
/// - ordinary products only with at least 16 rows (llama-imatrix skips smaller batches), one count per row;
/// - expert matrices (`…_exps.weight[e]`, llama.cpp's MUL_MAT_ID) always, counted per expert;
/// - row views of a fused matrix (`…[a..<b]`) once, through the view starting at row 0;
/// - other per-index views of a 3-D tensor (DeepSeek's per-head `attn_k_b[h]`) per index, with one count.
package final class ImatrixCollector {
    final class Stats {
        var sums: [Float]
        var counts: [Int64]
        init(columns: Int, matrices: Int, counts n: Int) {
            sums = [Float](repeating: 0, count: columns * matrices)
            counts = [Int64](repeating: 0, count: n)
        }
    }

    package let processOutput: Bool
    /// Matrices per base tensor name (its third dimension; 1 for a 2-D tensor).
    private let matrixCount: (String) -> Int
    private var stats: [String: Stats] = [:]

    package init(processOutput: Bool = false, matrixCount: @escaping (String) -> Int) {
        self.processOutput = processOutput
        self.matrixCount = matrixCount
    }

    /// A collector for the tensors of `file`.
    package convenience init(file: GGUFFile, processOutput: Bool = false) {
        self.init(processOutput: processOutput) { name in
            guard let s = file.tensor(named: name)?.shape, s.count > 2 else { return 1 }
            return s[2]
        }
    }

    /// Splits a WeightMatrix name into the tensor name, the index of a per-matrix view (`[e]`), and whether it
    /// is a row view that starts after row 0 (`[a..<b]`, a > 0).
    static func parse(_ name: String) -> (base: String, index: Int?, laterRows: Bool) {
        guard name.hasSuffix("]"), let open = name.lastIndex(of: "[") else { return (name, nil, false) }
        let base = String(name[..<open])
        let inner = name[name.index(after: open)..<name.index(before: name.endIndex)]
        if let r = inner.range(of: "..<") {
            return (base, nil, Int(inner[..<r.lowerBound]) != 0)
        }
        return (base, Int(inner), false)
    }

    package static func parseForTests(_ name: String) -> (String, Int?, Bool) { parse(name) }

    /// Called by MatMul with the (n, cols) input shared by `jobs`.
    package func observe(_ jobs: [MatMulJob], _ x: UnsafePointer<Float>, n: Int) {
        for j in jobs { observe(j.w, x, n: n) }
    }

    package func observe(_ w: WeightMatrix, _ x: UnsafePointer<Float>, n: Int) {
        let (base, index, laterRows) = Self.parse(w.name)
        guard !laterRows, n > 0 else { return }
        guard base.hasPrefix("blk.") || (processOutput && base == "output.weight") else { return }
        let expert = index != nil && base.contains("_exps")
        if !expert && n < 16 { return }
        let cols = w.cols
        let e: Stats
        if let s = stats[base] {
            e = s
        } else {
            let m = index == nil ? 1 : max(matrixCount(base), index! + 1)
            e = Stats(columns: cols, matrices: m, counts: expert ? m : 1)
            stats[base] = e
        }
        let mat = index ?? 0
        guard (mat + 1) * cols <= e.sums.count else { return }
        e.sums.withUnsafeMutableBufferPointer { sp in
            let acc = sp.baseAddress! + mat * cols
            for t in 0..<n {
                let xt = x + t * cols
                for j in 0..<cols { acc[j] += xt[j] * xt[j] }
            }
        }
        if expert { e.counts[mat] += Int64(n) } else if mat == 0 { e.counts[0] += Int64(n) }
    }

    /// What was gathered, as the file llama-imatrix writes: chunk count = the largest count / chunk size.
    package func importanceMatrix(datasets: [String], chunkSize: Int) -> ImportanceMatrix {
        var m = ImportanceMatrix()
        m.datasets = datasets
        m.chunkSize = chunkSize
        m.hasMetadata = true
        var maxCount: Int64 = 0
        for (name, s) in stats {
            m.entries[name] = ImatrixEntry(sums: s.sums, counts: s.counts)
            maxCount = max(maxCount, s.counts.max() ?? 0)
        }
        m.chunkCount = chunkSize > 0 ? Int(maxCount / Int64(chunkSize)) : 0
        return m
    }
}

/// llama-imatrix's `compute_imatrix`: the text's tokens in chunks of `context`, each from an empty cache with its
/// first token replaced by BOS when the model adds one, all logits computed (and, as llama-imatrix prints,
/// the perplexity of each chunk's second half).
package enum ImatrixComputation {
    /// Runs the chunks with `collector` attached to the session's products. Needs at least 2 × `context` tokens,
    /// as llama-imatrix does; `chunks` caps the number of chunks. `progress(done, total, running perplexity)`.
    /// `source` names the text in errors.
    package static func run(session: DecoderSession, tokens: [Int32], context: Int, chunks: Int?, bos: Int32?,
                            collector: ImatrixCollector, source: String = "imatrix",
                            progress: (Int, Int, Double) -> Void = { _, _, _ in }) throws -> (chunks: Int, perplexity: Double) {
        guard tokens.count >= 2 * context else {
            throw ModelError.invalid(path: source, message: "the text tokenizes to only \(tokens.count) tokens; at least \(2 * context) are needed for a context of \(context) (use a longer text or a smaller -c)")
        }
        let nChunks = min(chunks ?? Int.max, tokens.count / context)
        let first = context / 2
        var nll = 0.0, nll2 = 0.0, count = 0
        session.matmul.collector = collector
        defer { session.matmul.collector = nil }
        for c in 0..<nChunks {
            var chunk = Array(tokens[(c * context)..<((c + 1) * context)])
            if let b = bos { chunk[0] = b }
            session.reset()
            let logits = try session.evaluate(chunk, logits: .all)
            let s = Perplexity.score(logits: logits, tokens: chunk, vocabulary: session.config.vocabulary, from: first)
            nll += s.nll; nll2 += s.nll2; count += s.count
            progress(c + 1, nChunks, exp(nll / Double(max(count, 1))))
        }
        return (nChunks, exp(nll / Double(max(count, 1))))
    }
}
