// HFCheckpoint: a Hugging Face model folder's config.json and safetensors tensors (one file or shards listed by
// model.safetensors.index.json), in the order convert_hf_to_gguf.py visits them. Tensor bytes stay mmap'd.
import Foundation

/// Errors reading a Hugging Face model folder.
package enum HFModelError: Error, CustomStringConvertible {
    case invalid(path: String, message: String)
    package var description: String {
        switch self { case let .invalid(p, m): return "\(p): \(m)" }
    }
}

/// A safetensors element type the converter reads (others are refused with the tensor's name).
package enum HFDType: String, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"
    var ggml: GGMLType { switch self { case .f32: .f32; case .f16: .f16; case .bf16: .bf16 } }
    var size: Int { self == .f32 ? 4 : 2 }
}

/// One tensor of a safetensors file: its bytes are `byteCount` bytes at `offset` in `files[file]`.
package struct HFTensor: Sendable {
    package internal(set) var name: String
    /// nil for element types lai does not convert (`rawDType`); such a tensor may only be one the family drops.
    package let dtype: HFDType?
    package let rawDType: String
    /// Safetensors (PyTorch) order: `shape.last` is the row length.
    package let shape: [Int]
    let file: Int
    let offset: Int
    let byteCount: Int
}

package final class HFCheckpoint {
    package let folder: URL
    package let config: [String: Any]
    /// Tensors as the converter lists them: shard files in name order, each shard's tensors by name (byte order).
    package private(set) var tensors: [HFTensor] = []
    package private(set) var files: [MappedFile] = []
    package var totalBytes: Int { files.reduce(0) { $0 + $1.count } }

    package init(folder path: String) throws {
        folder = URL(fileURLWithPath: path)
        guard let c = try Self.json(folder, "config.json") else { throw HFModelError.invalid(path: path, message: "no config.json") }
        config = c
        // Shards: the index's files when model.safetensors.index.json exists, else every model*.safetensors.
        let index = folder.appendingPathComponent("model.safetensors.index.json")
        var parts: [String]
        var indexed: Set<String>? = nil
        if FileManager.default.fileExists(atPath: index.path) {
            guard let o = try Self.json(folder, "model.safetensors.index.json"), let map = o["weight_map"] as? [String: String] else {
                throw HFModelError.invalid(path: index.path, message: "no 'weight_map' object")
            }
            parts = Array(Set(map.values))
            indexed = Set(map.keys)
        } else {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            parts = names.filter { $0.hasPrefix("model") && $0.hasSuffix(".safetensors") }
        }
        parts.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        guard !parts.isEmpty else { throw HFModelError.invalid(path: path, message: "no model*.safetensors files") }
        var seen = Set<String>()
        for part in parts {
            let file = folder.appendingPathComponent(part).path
            guard FileManager.default.fileExists(atPath: file) else {
                throw HFModelError.invalid(path: index.path, message: "lists '\(part)', which is missing")
            }
            let f = try MappedFile(path: file)
            let entries = try Self.header(f, fileIndex: files.count)
            files.append(f)
            for t in entries.sorted(by: { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }) {
                guard seen.insert(t.name).inserted else { throw HFModelError.invalid(path: file, message: "tensor '\(t.name)' is in two files") }
                tensors.append(t)
            }
        }
        if let indexed, indexed != seen {
            let missing = indexed.subtracting(seen).sorted(), extra = seen.subtracting(indexed).sorted()
            throw HFModelError.invalid(path: index.path, message: missing.isEmpty
                ? "does not list tensor '\(extra[0])' (\(extra.count) unlisted)"
                : "lists tensor '\(missing[0])', which no shard holds (\(missing.count) missing)")
        }
    }

    /// A JSON object file of the folder, nil when absent; throws when present but not a JSON object.
    package static func json(_ folder: URL, _ name: String) throws -> [String: Any]? {
        let u = folder.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: u.path) else { return nil }
        guard let d = try? Data(contentsOf: u), let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any] else {
            throw HFModelError.invalid(path: u.path, message: "not a JSON object")
        }
        return o
    }

    /// The bytes of a tensor (mmap'd).
    package func bytes(_ t: HFTensor) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: files[t.file].base + t.offset, count: t.byteCount)
    }

    /// Parses a safetensors header into tensors with absolute offsets; refuses entries whose shape does not
    /// match their byte range (element types other than F32/F16/BF16 are refused later, if the tensor is kept).
    static func header(_ f: MappedFile, fileIndex: Int) throws -> [HFTensor] {
        func fail(_ m: String) -> HFModelError { .invalid(path: f.path, message: m) }
        guard f.count >= 8 else { throw fail("too short for a safetensors file") }
        let n = Int(UInt64(littleEndian: f.base.loadUnaligned(as: UInt64.self)))
        guard n > 1, n <= f.count - 8 else { throw fail("header length \(n) is larger than the file") }
        let data = Data(bytes: f.base + 8, count: n)
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw fail("header is not a JSON object") }
        let dataStart = 8 + n
        var out: [HFTensor] = []
        for (name, v) in obj where name != "__metadata__" {
            guard let e = v as? [String: Any], let dt = e["dtype"] as? String, let shape = e["shape"] as? [Int],
                  let offs = e["data_offsets"] as? [Int], offs.count == 2, offs[0] >= 0, offs[0] <= offs[1],
                  offs[1] <= f.count - dataStart, shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor '\(name)' has a malformed header entry")
            }
            let dtype = HFDType(rawValue: dt)
            let sizes = ["F64": 8, "I64": 8, "U64": 8, "I32": 4, "U32": 4, "I16": 2, "U16": 2, "I8": 1, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1]
            let size = dtype?.size ?? sizes[dt]
            // Vision towers hold 5-D convolutions (Qwen2-VL's patch embedding); what is written is checked against GGUF's 4.
            guard shape.count <= 8 else { throw fail("tensor '\(name)' has \(shape.count) dimensions") }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d); return (p, acc.1 || o)
            }
            guard !overflow, size == nil || count * size! == offs[1] - offs[0] else {
                throw fail("tensor '\(name)': shape \(shape) does not match its \(offs[1] - offs[0]) bytes")
            }
            out.append(HFTensor(name: name, dtype: dtype, rawDType: dt, shape: shape, file: fileIndex, offset: dataStart + offs[0], byteCount: offs[1] - offs[0]))
        }
        return out
    }
}
