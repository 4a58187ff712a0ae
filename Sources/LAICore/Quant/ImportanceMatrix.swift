// ImportanceMatrix: llama.cpp's imatrix files (GGUF and the legacy .dat), and the per-tensor weights
// llama-quantize derives from them.
import Foundation

/// A malformed imatrix file, as one line naming the file and what is wrong.
package enum ImatrixError: Error, CustomStringConvertible, Equatable {
    case invalid(path: String, message: String)
    case sizeMismatch(tensor: String, imatrix: Int, expected: Int)
    case nonFinite(tensor: String)

    package var description: String {
        switch self {
        case let .invalid(p, m): return "\(p): \(m)"
        case let .sizeMismatch(t, n, e):
            return "imatrix size \(n) is different from tensor size \(e) for \(t) (was the imatrix computed for another model?)"
        case let .nonFinite(t): return "imatrix entry '\(t)' contains a non-finite value"
        }
    }
}

/// The statistics of one weight matrix: per input column, the sum over tokens of x² (`sums`), for each of
/// `counts.count` matrices (experts of an `*_exps` tensor, one otherwise), and how many tokens each saw.
package struct ImatrixEntry: Sendable, Equatable {
    /// `columns × counts.count` values, matrix after matrix.
    package var sums: [Float]
    package var counts: [Int64]
    package init(sums: [Float], counts: [Int64]) { self.sums = sums; self.counts = counts }
    package var columns: Int { counts.isEmpty ? 0 : sums.count / counts.count }
}

/// An importance matrix as llama-imatrix writes it and llama-quantize reads it (`common_imatrix`).
package struct ImportanceMatrix: Sendable {
    package var entries: [String: ImatrixEntry] = [:]
    /// `imatrix.datasets`: the text files it was computed on.
    package var datasets: [String] = []
    /// `imatrix.chunk_count` and `imatrix.chunk_size` (tokens per chunk; 0 in legacy files).
    package var chunkCount = 0
    package var chunkSize = 0
    /// Read from a legacy `.dat` file, whose sums are already averages × ncall.
    package var isLegacy = false
    /// A GGUF file with all three `imatrix.*` keys (llama-quantize refuses one without).
    package var hasMetadata = false

    package init() {}

    package static let datasetsKey = "imatrix.datasets"
    package static let chunkCountKey = "imatrix.chunk_count"
    package static let chunkSizeKey = "imatrix.chunk_size"

    // MARK: - Reading

    /// Reads a GGUF imatrix (a file starting with the GGUF magic) or a legacy `.dat` one.
    package init(path: String) throws {
        let file = try MappedFile(path: path)
        let raw = UnsafeRawBufferPointer(start: file.base, count: file.count)
        if raw.count >= 4 && raw.load(as: UInt32.self) == GGUFFile.magic {
            try self.init(gguf: GGUFFile(file: file))
        } else {
            try self.init(legacy: raw, path: path)
        }
    }

    /// `common_imatrix_load`: tensors `<name>.in_sum2` (columns × matrices) and `<name>.counts` (1 × matrices), F32.
    init(gguf f: GGUFFile) throws {
        let path = f.path
        guard !f.tensors.isEmpty else { throw ImatrixError.invalid(path: path, message: "no tensors: not an imatrix file") }
        let md = f.metadata
        if let v = md[Self.datasetsKey] {
            guard let a = v.array, a.elementType == .string else {
                throw ImatrixError.invalid(path: path, message: "\(Self.datasetsKey) must be an array of strings")
            }
            datasets = a.values.compactMap(\.string)
        }
        func u32(_ key: String) throws -> Int {
            guard let v = md[key] else { return 0 }
            guard case let .uint32(x) = v else { throw ImatrixError.invalid(path: path, message: "\(key) must be a u32, not \(v.type.name)") }
            return Int(x)
        }
        chunkCount = try u32(Self.chunkCountKey)
        chunkSize = try u32(Self.chunkSizeKey)
        hasMetadata = md.contains(Self.datasetsKey) && md.contains(Self.chunkCountKey) && md.contains(Self.chunkSizeKey)
        var pairs: [String: (sums: GGUFTensorInfo?, counts: GGUFTensorInfo?)] = [:]
        for t in f.tensors {
            if t.name.hasSuffix(".in_sum2") {
                pairs[String(t.name.dropLast(8)), default: (nil, nil)].sums = t
            } else if t.name.hasSuffix(".counts") {
                pairs[String(t.name.dropLast(7)), default: (nil, nil)].counts = t
            }
        }
        for (name, p) in pairs {
            guard let s = p.sums, let c = p.counts else {
                throw ImatrixError.invalid(path: path, message: "tensor '\(name)': \(p.sums == nil ? ".in_sum2" : ".counts") is missing (sums and counts come in pairs)")
            }
            guard s.type == .f32, c.type == .f32 else {
                throw ImatrixError.invalid(path: path, message: "tensor '\(name)': sums and counts must be F32, not \((s.type == .f32 ? c : s).type.name)")
            }
            let nval = s.elementCount, ncounts = c.elementCount
            guard ncounts > 0, nval % ncounts == 0 else {
                throw ImatrixError.invalid(path: path, message: "tensor '\(name)': \(nval) sums do not split into \(ncounts) matrices")
            }
            let sums = Array(f.data(s).bindMemory(to: Float.self))
            let counts = f.data(c).bindMemory(to: Float.self).map { v -> Int64 in
                v.isFinite && abs(v) < 9e18 ? Int64(v.rounded(.toNearestOrAwayFromZero)) : 0   // lround
            }
            entries[name] = ImatrixEntry(sums: Array(sums.prefix(nval)), counts: counts)
        }
    }

    /// `common_imatrix_load_legacy`: i32 entry count, then per entry i32 name length, name, i32 ncall,
    /// i32 value count and the values; optionally i32 chunk count, i32 dataset length and the dataset name.
    init(legacy raw: UnsafeRawBufferPointer, path: String) throws {
        var off = 0
        func i32(_ what: String) throws -> Int {
            guard off + 4 <= raw.count else {
                throw ImatrixError.invalid(path: path, message: "not a GGUF file and truncated as a legacy imatrix: file ends inside \(what) (offset \(off), file size \(raw.count))")
            }
            defer { off += 4 }
            return Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: off, as: Int32.self)))
        }
        func bytes(_ n: Int, _ what: String) throws -> UnsafeRawBufferPointer {
            guard n >= 0, off + n <= raw.count else {
                throw ImatrixError.invalid(path: path, message: "not a GGUF file and truncated as a legacy imatrix: \(what) needs \(n) bytes at offset \(off), file size \(raw.count)")
            }
            defer { off += n }
            return UnsafeRawBufferPointer(rebasing: raw[off..<(off + n)])
        }
        let n = try i32("the entry count")
        guard n >= 1 else { throw ImatrixError.invalid(path: path, message: "not a GGUF file, and as a legacy imatrix its entry count is \(n)") }
        for i in 0..<n {
            let len = try i32("the name length of entry \(i + 1)")
            guard len >= 0 else { throw ImatrixError.invalid(path: path, message: "legacy imatrix entry \(i + 1): negative name length \(len)") }
            let nameBytes = try bytes(len, "the name of entry \(i + 1)")
            // As llama.cpp: the name stops at the first NUL.
            let name = String(decoding: nameBytes.prefix(while: { $0 != 0 }), as: UTF8.self)
            let ncall = try i32("ncall of '\(name)'")
            let nval = try i32("the value count of '\(name)'")
            guard nval >= 1 else { throw ImatrixError.invalid(path: path, message: "legacy imatrix entry '\(name)': value count \(nval)") }
            let v = try bytes(4 * nval, "the values of '\(name)'")
            var sums = [Float](repeating: 0, count: nval)
            sums.withUnsafeMutableBytes { $0.copyMemory(from: v) }
            entries[name] = ImatrixEntry(sums: sums, counts: [Int64(ncall)])
        }
        // Optional trailer: chunk count, then the dataset name.
        if off < raw.count, let c = try? i32("the chunk count") {
            chunkCount = c
            if let len = try? i32("the dataset length"), len > 0, let d = try? bytes(len, "the dataset name") {
                datasets.append(String(decoding: d.prefix(while: { $0 != 0 }), as: UTF8.self))
            }
        }
        isLegacy = true
    }

    // MARK: - Weights for the quantizers

    /// llama-quantize's `load_imatrix`: per tensor name, `columns × matrices` weights — in GGUF files
    /// sums / count per matrix (1 where a matrix saw no token), in legacy ones sums / ncall.
    /// Throws for a GGUF file without the imatrix metadata or entries with non-finite values, as llama-quantize does.
    package func quantizationWeights(path: String) throws -> [String: [Float]] {
        if !isLegacy && !hasMetadata {
            throw ImatrixError.invalid(path: path, message: "missing imatrix metadata (\(Self.datasetsKey), \(Self.chunkCountKey), \(Self.chunkSizeKey))")
        }
        var out: [String: [Float]] = [:]
        for (name, e) in entries {
            var w = [Float](repeating: 0, count: e.sums.count)
            if !isLegacy {
                let ne0 = e.columns
                for j in 0..<e.counts.count {
                    let count = Float(e.counts[j])
                    for i in 0..<ne0 { w[j * ne0 + i] = count > 0 ? e.sums[j * ne0 + i] / count : 1 }
                }
            } else {
                let ncall = e.counts.first ?? 0
                for i in 0..<e.sums.count { w[i] = ncall > 0 ? e.sums[i] / Float(ncall) : e.sums[i] }
            }
            guard w.allSatisfy(\.isFinite) else { throw ImatrixError.nonFinite(tensor: name) }
            out[name] = w
        }
        return out
    }

    // MARK: - Writing

    /// Writes the file llama-imatrix writes: legacy `.dat` when `path` ends in `.dat`, GGUF otherwise.
    package func write(path: String) throws {
        if path.hasSuffix(".dat") { try writeLegacy(path: path) } else { try writeGGUF(path: path) }
    }

    /// `save_imatrix`: `general.type` = imatrix, the three `imatrix.*` keys, then per entry in name order
    /// `<name>.in_sum2` (columns × matrices) and `<name>.counts` (1 × matrices), F32.
    package func writeGGUF(path: String) throws {
        var md = GGUFMetadata()
        md["general.type"] = .string("imatrix")
        md[Self.datasetsKey] = .array(GGUFArray(strings: datasets))
        md[Self.chunkCountKey] = .uint32(UInt32(clamping: chunkCount))
        md[Self.chunkSizeKey] = .uint32(UInt32(clamping: chunkSize))
        // ggml drops trailing dimensions of 1 (ggml_n_dims).
        func shape(_ ne0: Int, _ ne1: Int) -> [Int] { ne1 == 1 ? [ne0] : [ne0, ne1] }
        var specs: [GGUFTensorSpec] = []
        for name in entries.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let e = entries[name]!
            let nmat = e.counts.count
            guard !e.sums.isEmpty, nmat > 0 else { continue }
            let sums = e.sums, counts = e.counts.map { Float($0) }
            specs.append(GGUFTensorSpec(name: name + ".in_sum2", type: .f32, shape: shape(sums.count / nmat, nmat)) { w in
                try sums.withUnsafeBytes { try w.write($0) }
            })
            specs.append(GGUFTensorSpec(name: name + ".counts", type: .f32, shape: shape(1, nmat)) { w in
                try counts.withUnsafeBytes { try w.write($0) }
            })
        }
        try GGUFWriter.write(path: path, metadata: md, tensors: specs)
    }

    /// `save_imatrix_legacy`: entries with any data, in name order, as averages × ncall
    /// (ncall = ⌈max count / chunk size⌉), then the chunk count and the last dataset's name.
    package func writeLegacy(path: String) throws {
        let chunk = max(1, chunkSize)
        let names = entries.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
            .filter { n in let c = entries[n]!.counts; return !c.isEmpty && c.contains { $0 != 0 } }
        let w = try AtomicFileWriter(path: path)
        try w.write(Int32(names.count))
        for name in names {
            let e = entries[name]!
            let utf8 = Array(name.utf8)
            try w.write(Int32(utf8.count))
            try w.write(utf8)
            let ncall = Int32(truncatingIfNeeded: (e.counts.max()! + Int64(chunk - 1)) / Int64(chunk))
            try w.write(ncall)
            let nval = e.sums.count, nmat = e.counts.count
            try w.write(Int32(nval))
            var tmp = [Float](repeating: 0, count: nval)
            for i in 0..<nval {
                var count = Float(e.counts[i / (nval / nmat)]), value = e.sums[i]
                if count == 0 { value = 1; count = 1 }   // partial data: store 1
                tmp[i] = (value / count) * Float(ncall)
            }
            try tmp.withUnsafeBytes { try w.write($0) }
        }
        try w.write(Int32(truncatingIfNeeded: chunkCount))
        let dataset = Array((datasets.last ?? "").utf8)
        try w.write(Int32(dataset.count))
        try w.write(dataset)
        try w.commit()
    }
}

/// An importance matrix as `llama-quantize --imatrix` applies it: the weights per tensor name and the
/// `quantize.imatrix.*` keys it records in the output.
package struct QuantImatrix: Sendable {
    package var weights: [String: [Float]]
    /// The path as given on the command line (recorded as `quantize.imatrix.file`).
    package var file: String
    package var dataset: String?
    package var chunkCount: Int

    package init(weights: [String: [Float]], file: String, dataset: String?, chunkCount: Int) {
        self.weights = weights; self.file = file; self.dataset = dataset; self.chunkCount = chunkCount
    }

    /// Loads `path` as llama-quantize's `load_imatrix` does.
    package init(path: String) throws {
        let m = try ImportanceMatrix(path: path)
        self.init(weights: try m.quantizationWeights(path: path), file: path, dataset: m.datasets.first, chunkCount: m.chunkCount)
    }

    /// llama-quantize's key-value overrides, in its order: strings cut to 127 bytes, counts as u32.
    package var metadata: [(String, GGUFValue)] {
        func cut(_ s: String) -> GGUFValue { .string(String(decoding: Array(s.utf8.prefix(127)), as: UTF8.self)) }
        var md: [(String, GGUFValue)] = [("quantize.imatrix.file", cut(file))]
        if let d = dataset { md.append(("quantize.imatrix.dataset", cut(d))) }
        md.append(("quantize.imatrix.entries_count", .uint32(UInt32(clamping: weights.count))))
        if chunkCount > 0 { md.append(("quantize.imatrix.chunks_count", .uint32(UInt32(chunkCount)))) }
        return md
    }
}
