// GGUFWriter: writes GGUF v3 files atomically, with ggml's alignment and zero padding.

/// A tensor to write: its header facts and a producer for exactly `byteCount` bytes of data.
package struct GGUFTensorSpec {
    package let name: String
    package let type: GGMLType
    package let shape: [Int]
    /// Writes the tensor's data (exactly `byteCount` bytes) to the sink.
    package let produce: (AtomicFileWriter) throws -> Void

    package init(name: String, type: GGMLType, shape: [Int], produce: @escaping (AtomicFileWriter) throws -> Void) {
        self.name = name; self.type = type; self.shape = shape; self.produce = produce
    }

    /// A tensor whose bytes already exist (e.g. copied from another GGUF file).
    package init(name: String, type: GGMLType, shape: [Int], bytes: UnsafeRawBufferPointer) {
        self.init(name: name, type: type, shape: shape) { try $0.write(bytes) }
    }

    package var byteCount: Int {
        let rows = shape.dropFirst().reduce(1, *)
        return (type.rowBytes(shape[0]) ?? 0) * rows
    }
}

package enum GGUFWriter {
    /// Writes a GGUF file at `path`: to a temporary file first, fsynced and renamed into place, so an
    /// error or interruption never leaves a partial file at `path`.
    ///
    /// Layout as ggml's writer: header, metadata in order, tensor infos with offsets packed in order and
    /// each rounded up to the alignment, zero padding to the alignment (only when there are tensors),
    /// then the data of each tensor followed by zero padding to the alignment.
    package static func write(path: String, version: UInt32 = 3, metadata: GGUFMetadata, tensors: [GGUFTensorSpec]) throws {
        var alignment = GGUFFile.defaultAlignment
        if let a = metadata["general.alignment"] {
            guard case let .uint32(v) = a, v != 0, v & (v - 1) == 0 else {
                throw GGUFError.invalid(path: path, message: "general.alignment must be a u32 power of 2")
            }
            alignment = Int(v)
        }
        for t in tensors {
            guard (1...GGUFFile.maxDims).contains(t.shape.count), t.shape.allSatisfy({ $0 > 0 }) else {
                throw GGUFError.invalid(path: path, message: "tensor '\(t.name)' has an invalid shape \(t.shape)")
            }
            guard t.shape[0] % t.type.blockSize == 0 else {
                throw GGUFError.invalid(path: path, message: "tensor '\(t.name)': row of \(t.shape[0]) elements is not a multiple of the \(t.type.name) block size \(t.type.blockSize)")
            }
        }
        let w = try AtomicFileWriter(path: path)
        try w.write(GGUFFile.magic)
        try w.write(version)
        try w.write(UInt64(tensors.count))
        try w.write(UInt64(metadata.count))
        for (k, v) in metadata.entries {
            try writeString(k, to: w)
            try w.write(v.type.rawValue)
            try writeValue(v, to: w)
        }
        var offset = 0
        for t in tensors {
            try writeString(t.name, to: w)
            try w.write(UInt32(t.shape.count))
            for d in t.shape { try w.write(UInt64(d)) }
            try w.write(t.type.rawValue)
            try w.write(UInt64(offset))
            offset += padded(t.byteCount, alignment)
        }
        // A file without tensors ends right after the metadata, as llama.cpp's vocab-only files do.
        if !tensors.isEmpty { try w.writeZeros(padded(w.offset, alignment) - w.offset) }
        for t in tensors {
            let start = w.offset
            try t.produce(w)
            let written = w.offset - start
            guard written == t.byteCount else {
                throw GGUFError.invalid(path: path, message: "internal error: tensor '\(t.name)' produced \(written) bytes, expected \(t.byteCount)")
            }
            try w.writeZeros(padded(written, alignment) - written)
        }
        try w.commit()
    }

    /// Rewrites `file` unchanged (metadata and tensors in their order): the identity the reader/writer pair must keep.
    package static func rewrite(_ file: GGUFFile, to path: String) throws {
        let specs = file.tensors.map { t in GGUFTensorSpec(name: t.name, type: t.type, shape: t.shape, bytes: file.data(t)) }
        try write(path: path, version: file.version, metadata: file.metadata, tensors: specs)
    }

    static func padded(_ n: Int, _ a: Int) -> Int { (n + a - 1) / a * a }

    static func writeString(_ s: String, to w: AtomicFileWriter) throws {
        var s = s
        try s.withUTF8 { b in
            try w.write(UInt64(b.count))
            try w.write(UnsafeRawBufferPointer(b))
        }
    }

    static func writeValue(_ v: GGUFValue, to w: AtomicFileWriter) throws {
        switch v {
        case let .uint8(x): try w.write(x)
        case let .int8(x): try w.write(x)
        case let .uint16(x): try w.write(x)
        case let .int16(x): try w.write(x)
        case let .uint32(x): try w.write(x)
        case let .int32(x): try w.write(x)
        case let .float32(x): try w.write(x)
        case let .bool(x): try w.write(UInt8(x ? 1 : 0))
        case let .string(s): try writeString(s, to: w)
        case let .uint64(x): try w.write(x)
        case let .int64(x): try w.write(x)
        case let .float64(x): try w.write(x)
        case let .array(a):
            try w.write(a.elementType.rawValue)
            try w.write(UInt64(a.count))
            if let raw = a.mappedBytes {
                try w.write(raw)  // already in GGUF encoding: copy byte for byte
            } else {
                for e in a.values { try writeValue(e, to: w) }
            }
        }
    }
}
