// ModelQuantizer: converts one GGUF model to another type mix, tensor by tensor, rows split over threads.
import Foundation

/// Errors of a whole-model conversion, as one line naming the input.
package enum ModelQuantizeError: Error, CustomStringConvertible {
    case requantizeDisabled(path: String, tensor: String, type: GGMLType)
    case unsupportedTensor(path: String, tensor: String, from: GGMLType, to: GGMLType)
    case nonFinite(path: String, tensor: String, row: Int)
    case needsImportanceMatrix(path: String, tensor: String, type: GGMLType, target: QuantTarget)

    package var description: String {
        switch self {
        case let .requantizeDisabled(p, t, ty):
            return "\(p): tensor '\(t)' is already quantized (\(ty.name)); pass --allow-requantize to dequantize and quantize it again"
        case let .unsupportedTensor(p, t, from, to):
            return "\(p): tensor '\(t)': cannot convert \(from.name) to \(to.name)"
        case let .nonFinite(p, t, row):
            return "\(p): tensor '\(t)' has NaN or infinite values (row \(row)); refusing to write a broken model"
        case let .needsImportanceMatrix(p, t, ty, target):
            return "\(p): \(target.name) needs an importance matrix (tensor '\(t)' would be \(ty.name)); llama-quantize refuses it without one too"
        }
    }
}

/// One tensor of the output: where it comes from and what it becomes.
package struct QuantPlanEntry: Sendable {
    package let tensor: GGUFTensorInfo
    package let newType: GGMLType
    package var outputBytes: Int { newType.rowBytes(tensor.shape[0])! * tensor.rowCount }
}

/// What a finished conversion did.
package struct QuantizeReport: Sendable {
    package let inputBytes: Int
    package let outputBytes: Int
    package let seconds: Double
    /// Output tensor count per type, in first-seen order.
    package let typeCounts: [(GGMLType, Int)]
    /// Tensors whose type fell back because of their row length.
    package let fallbacks: [String]
    /// Quantized input tensors that were dequantized and quantized again.
    package let requantized: Int
    /// With an imatrix: quantized tensors it has no entry for (quantized without weights, as llama-quantize
    /// reports with "did not find weights for …").
    package var imatrixMissing: [String] = []
}

package enum ModelQuantizer {
    /// The output metadata: the input's, minus split keys, with `general.quantization_version` (2)
    /// and `general.file_type` moved to the end — the order llama-quantize (gguf.cpp) writes.
    package static func outputMetadata(_ input: GGUFMetadata, target: QuantTarget, imatrix: QuantImatrix? = nil) -> GGUFMetadata {
        var md = input
        for k in ["general.quantization_version", "general.file_type", "split.no", "split.count", "split.tensors.count"] {
            md.remove(k)
        }
        md["general.quantization_version"] = .uint32(2)
        md["general.file_type"] = .uint32(UInt32(target.fileType))
        // llama-quantize's overrides, each set anew at the end.
        for (k, v) in imatrix?.metadata ?? [] { md.remove(k); md[k] = v }
        return md
    }

    /// The tensors in output order with their new types; throws if a conversion is impossible or a
    /// quantized tensor would be requantized without `allowRequantize`.
    package static func plan(_ file: ModelSource, target: QuantTarget, pure: Bool, allowRequantize: Bool,
                             hasImatrix: Bool = false) throws -> (entries: [QuantPlanEntry], fallbacks: [String]) {
        let names = file.tensors.map(\.name)
        var policy = QuantPolicy(target: target, pure: pure, metadata: file.metadata, tensorNames: names)
        policy.hasImatrix = hasImatrix
        var entries: [QuantPlanEntry] = []
        // llama-quantize's tensor order and types, except that a Hugging Face folder converted to one of
        // convert_hf_to_gguf.py's types (F32/F16/BF16/Q8_0) gets the converter's order and types.
        let hf = file as? SafetensorsModel
        let order = hf?.converterMetadata(target: target) != nil ? Array(names.indices) : QuantPolicy.order(names)
        var ffnDownIndex = 0
        for i in order {
            let t = file.tensors[i]
            var newType = hf?.converterType(t, target: target) ?? policy.type(name: t.name, shape: t.shape, current: file.unquantizedType(t))
            // llama_tensor_get_type with an imatrix: Q4_0/Q5_0 files give the ffn_down of the first eighth of
            // the layers Q4_1/Q5_1 ("guard against craziness"). (Belongs in QuantPolicy; kept here to leave it untouched.)
            if hasImatrix && !pure && (target == .q4_0 || target == .q5_0) && QuantPolicy.category(t.name) == .ffnDown
                && QuantPolicy.allowsQuantization(name: t.name, shape: t.shape) {
                if ffnDownIndex < policy.nLayer / 8 && newType == target.defaultType { newType = target == .q4_0 ? .q4_1 : .q5_1 }
                ffnDownIndex += 1
            }
            if newType != t.type {
                guard Dequantize.supported.contains(t.type), Quantize.supported.contains(newType),
                      t.shape[0] % newType.blockSize == 0 else {
                    throw ModelQuantizeError.unsupportedTensor(path: file.path, tensor: t.name, from: t.type, to: newType)
                }
                if t.type.isQuantized && !allowRequantize {
                    throw ModelQuantizeError.requantizeDisabled(path: file.path, tensor: t.name, type: t.type)
                }
            }
            if !hasImatrix && QuantPolicy.allowsQuantization(name: t.name, shape: t.shape) && QuantPolicy.requiresImportanceMatrix(name: t.name, type: newType, target: target) {
                throw ModelQuantizeError.needsImportanceMatrix(path: file.path, tensor: t.name, type: newType, target: target)
            }
            entries.append(QuantPlanEntry(tensor: t, newType: newType))
        }
        return (entries, policy.fallbacks)
    }

    /// Converts `input` (a GGUF file, or a Hugging Face folder with config.json and *.safetensors)
    /// to `output` (written atomically). `progress(doneInputBytes, totalInputBytes)`
    /// is called after each tensor, from the calling thread.
    /// With `imatrix`, each quantized tensor with an entry of its name is quantized with those importance
    /// weights (per expert for 3-D tensors), and the imatrix's `quantize.imatrix.*` keys are written, as
    /// llama-quantize --imatrix does.
    package static func run(input: String, output: String, target: QuantTarget, pure: Bool = false,
                            allowRequantize: Bool = false, threads: Int, imatrix: QuantImatrix? = nil, denseModules: Bool = false,
                            progress: @escaping (Int, Int) -> Void = { _, _ in }) throws -> QuantizeReport {
        let start = DispatchTime.now().uptimeNanoseconds
        let file: ModelSource = SafetensorsModel.isModelFolder(input) ? try SafetensorsModel(folder: input, denseModules: denseModules) : try GGUFFile(path: input)
        let hf = file as? SafetensorsModel
        let (entries, fallbacks) = try plan(file, target: target, pure: pure, allowRequantize: allowRequantize, hasImatrix: imatrix != nil)
        // Importance weights per quantized tensor, checked before anything is written.
        var weightsOf: [String: [Float]] = [:]
        var missing: [String] = []
        if let imatrix {
            for e in entries where e.newType != e.tensor.type {
                let t = e.tensor
                guard let w = imatrix.weights[t.name] else { missing.append(t.name); continue }
                let expected = t.shape[0] * (t.shape.count > 2 ? t.shape[2] : 1)
                if w.count == expected {
                    weightsOf[t.name] = w
                } else if t.name != "token_embd.weight" && t.name != "per_layer_token_embd.weight" {
                    // llama-quantize ignores a mismatched token_embd entry and refuses any other.
                    throw ImatrixError.sizeMismatch(tensor: t.name, imatrix: w.count, expected: expected)
                }
            }
        }
        let total = entries.reduce(0) { $0 + $1.tensor.byteCount }
        var done = 0
        var specs: [GGUFTensorSpec] = []
        for e in entries {
            let t = e.tensor
            // Data is asked for when written: a converted Hugging Face tensor is computed then, one at a time.
            if e.newType == t.type {
                specs.append(GGUFTensorSpec(name: t.name, type: t.type, shape: t.shape) { w in
                    try w.write(file.data(t))
                    file.release(t)
                    done += t.byteCount
                    progress(done, total)
                })
            } else {
                specs.append(GGUFTensorSpec(name: t.name, type: e.newType, shape: t.shape) { w in
                    let n = e.outputBytes
                    let src = file.data(t)
                    let out = UnsafeMutableRawPointer.allocate(byteCount: max(n, 1), alignment: 64)
                    defer { out.deallocate() }
                    do {
                        try (weightsOf[t.name] ?? []).withUnsafeBufferPointer { w in
                            try convert(src: src.baseAddress!, from: t.type, to: out, as: e.newType,
                                        rowLength: t.shape[0], rows: t.rowCount, threads: threads,
                                        weights: w.isEmpty ? nil : w.baseAddress, rowsPerWeights: t.shape.count > 1 ? t.shape[1] : 1,
                                        consumed: { file.releaseRange($0, bytes: $1) })
                        }
                    } catch QuantError.nonFinite(let row) {
                        throw ModelQuantizeError.nonFinite(path: file.path, tensor: t.name, row: row)
                    }
                    file.release(t)
                    try w.write(UnsafeRawBufferPointer(start: out, count: n))
                    done += t.byteCount
                    progress(done, total)
                })
            }
        }
        let md = hf?.converterMetadata(target: target) ?? outputMetadata(file.metadata, target: target, imatrix: imatrix)
        try GGUFWriter.write(path: output, metadata: md, tensors: specs)
        var counts: [(GGMLType, Int)] = []
        for e in entries {
            if let i = counts.firstIndex(where: { $0.0 == e.newType }) { counts[i].1 += 1 } else { counts.append((e.newType, 1)) }
        }
        let outSize = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        let requantized = entries.filter { $0.newType != $0.tensor.type && $0.tensor.type.isQuantized }.count
        return QuantizeReport(inputBytes: file.fileSize, outputBytes: outSize,
                              seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
                              typeCounts: counts, fallbacks: fallbacks, requantized: requantized, imatrixMissing: missing)
    }

    /// Converts `rows` rows of `rowLength` elements from one type to another, splitting the rows
    /// into `threads` contiguous ranges. Blocks are independent, so the bytes do not depend on the split.
    /// Throws `QuantError.nonFinite` if the fp32 values hold NaN or ±inf (llama-quantize rejects such
    /// data too, after quantizing, as "quantized data validation failed").
    /// `weights`: importance weights, `rowLength` values for each run of `rowsPerWeights` rows (an expert).
    /// `consumed(start, bytes)`: called by each worker after a chunk of source rows is read (to drop their pages).
    package static func convert(src: UnsafeRawPointer, from: GGMLType, to dst: UnsafeMutableRawPointer, as type: GGMLType,
                                rowLength: Int, rows: Int, threads: Int,
                                weights: UnsafePointer<Float>? = nil, rowsPerWeights: Int = 1,
                                consumed: ((UnsafeRawPointer, Int) -> Void)? = nil) throws {
        guard let inRow = from.rowBytes(rowLength), let outRow = type.rowBytes(rowLength) else {
            throw QuantError.badCount(from.rowBytes(rowLength) == nil ? from : type, count: rowLength)
        }
        guard Dequantize.supported.contains(from) else { throw QuantError.unsupported(from) }
        guard Quantize.supported.contains(type) else { throw QuantError.unsupported(type) }
        let parts = max(1, min(threads, rows))
        // Rows per scratch refill: about 64 KiB of fp32 at a time.
        let chunkRows = max(1, 16384 / max(rowLength, 1))
        // The first row with a non-finite value seen by each part (Int.max: none); one slot per part, no sharing.
        let badRow = UnsafeMutableBufferPointer<Int>.allocate(capacity: parts)
        badRow.initialize(repeating: Int.max)
        defer { badRow.deallocate() }
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            let r0 = rows * p / parts, r1 = rows * (p + 1) / parts
            if r0 >= r1 { return }
            // fp32 input is used in place when aligned (GGUF data always is; safetensors data may not be).
            let direct = from == .f32 && Int(bitPattern: src) % MemoryLayout<Float>.alignment == 0
            let scratch: UnsafeMutablePointer<Float>? = direct ? nil : .allocate(capacity: chunkRows * rowLength)
            defer { scratch?.deallocate() }
            var r = r0
            while r < r1 {
                let k = min(chunkRows, r1 - r)
                let values: UnsafePointer<Float>
                if let scratch {
                    try? Dequantize.row(from, src + r * inRow, scratch, count: k * rowLength)
                    values = UnsafePointer(scratch)
                } else {
                    values = (src + r * inRow).assumingMemoryBound(to: Float.self)
                }
                if badRow[p] == Int.max, let i = firstNonFinite(values, k * rowLength) { badRow[p] = r + i / rowLength }
                if let weights {
                    // Weighted quantizers see one row at a time (Q4_0…Q5_1 weigh by the whole row's variance).
                    for i in 0..<k {
                        let w = weights + ((r + i) / max(1, rowsPerWeights)) * rowLength
                        try? Quantize.row(type, values + i * rowLength, dst + (r + i) * outRow, count: rowLength, weights: w)
                    }
                } else {
                    try? Quantize.row(type, values, dst + r * outRow, count: k * rowLength)
                }
                consumed?(src + r * inRow, k * inRow)
                r += k
            }
        }
        if let bad = badRow.min(), bad != Int.max { throw QuantError.nonFinite(row: bad) }
    }

    /// Index of the first NaN or ±inf among `n` floats, or nil.
    static func firstNonFinite(_ p: UnsafePointer<Float>, _ n: Int) -> Int? {
        // Exponent bits all ones ⇔ NaN or inf; checked 8 at a time without branches, then located.
        var i = 0
        let mask = SIMD8<UInt32>(repeating: 0x7F80_0000)
        while i + 8 <= n {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<UInt32>.self)
            if any((v & mask) .== mask) { break }
            i += 8
        }
        while i < n { if !p[i].isFinite { return i }; i += 1 }
        return nil
    }
}
