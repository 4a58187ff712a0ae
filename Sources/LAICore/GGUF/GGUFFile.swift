// GGUFFile: a validated, memory-mapped GGUF file (v2/v3): metadata, tensor infos, zero-copy tensor data.

/// Where one tensor's data lies and how to read it.
package struct GGUFTensorInfo: Sendable {
    package let name: String
    package let type: GGMLType
    /// Dimensions in ggml order: `shape[0]` is the row length (contiguous), then rows, …
    package let shape: [Int]
    /// Offset of the data from the start of the data section (a multiple of the alignment).
    package let offset: Int
    package let byteCount: Int
    package var elementCount: Int { shape.reduce(1, *) }
    /// Rows of `shape[0]` elements (product of the other dimensions).
    package var rowCount: Int { shape.dropFirst().reduce(1, *) }
}

/// A GGUF file opened for reading. Every count, length and offset is checked before it is trusted;
/// any violation is a `GGUFError` naming the file.
package final class GGUFFile: @unchecked Sendable {
    package static let defaultAlignment = 32
    package static let magic: UInt32 = 0x4655_4747  // "GGUF" read as little-endian u32
    /// ggml's limit on tensor dimensions.
    package static let maxDims = 4

    package let path: String
    package let file: MappedFile
    package let version: UInt32
    package let metadata: GGUFMetadata
    package let tensors: [GGUFTensorInfo]
    package let alignment: Int
    /// File offset where tensor data starts.
    package let dataOffset: Int
    private let tensorIndex: [String: Int]

    package var fileSize: Int { file.count }

    /// Opens and validates the GGUF file at `path`.
    package convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    /// Parses the first `length` bytes (default all) of `file`; `length` lets tests view truncations without copying.
    package init(file: MappedFile, length: Int? = nil) throws {
        let size = min(length ?? file.count, file.count)
        let path = file.path
        self.path = path
        self.file = file
        var c = GGUFCursor(base: file.base, count: size, path: path)

        let magic = try c.read(UInt32.self, "the magic number")
        guard magic == Self.magic else { throw GGUFError.notGGUF(path: path) }
        let version = try c.read(UInt32.self, "the version")
        guard version == 2 || version == 3 else {
            if version.byteSwapped == 2 || version.byteSwapped == 3 {
                throw GGUFError.invalid(path: path, message: "big-endian GGUF files are not supported")
            }
            throw GGUFError.unsupportedVersion(path: path, version: version)
        }
        self.version = version
        let nTensors64 = try c.read(UInt64.self, "the tensor count")
        let nKV64 = try c.read(UInt64.self, "the metadata count")
        // Smallest encodings: a key/value pair is 8 (key length) + 4 (type) + 1 bytes; a tensor info 8 + 4 + 8 + 4 + 8.
        guard nKV64 <= UInt64(c.remaining / 13) else {
            throw GGUFError.invalid(path: path, message: "header claims \(nKV64) metadata entries, more than the file can hold")
        }
        guard nTensors64 <= UInt64(c.remaining / 32) else {
            throw GGUFError.invalid(path: path, message: "header claims \(nTensors64) tensors, more than the file can hold")
        }

        var md = GGUFMetadata()
        for i in 0..<Int(nKV64) {
            let key = try c.readString("the key of metadata entry \(i)")
            guard !md.contains(key) else { throw GGUFError.invalid(path: path, message: "duplicate metadata key '\(key)'") }
            let rawType = try c.read(UInt32.self, "the type of '\(key)'")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw GGUFError.invalid(path: path, message: "metadata key '\(key)' has unknown value type \(rawType)")
            }
            md.append(key, try c.readValue(type: type, file: file, depth: 0, what: "metadata '\(key)'"))
        }
        self.metadata = md

        var alignment = Self.defaultAlignment
        if let a = md["general.alignment"] {
            guard case let .uint32(v) = a else {
                throw GGUFError.invalid(path: path, message: "general.alignment must be a u32, found \(a.type.name)")
            }
            guard v != 0, v & (v - 1) == 0 else {
                throw GGUFError.invalid(path: path, message: "general.alignment \(v) is not a power of 2")
            }
            alignment = Int(v)
        }
        self.alignment = alignment

        var infos: [GGUFTensorInfo] = []
        infos.reserveCapacity(Int(nTensors64))
        var index: [String: Int] = [:]
        for i in 0..<Int(nTensors64) {
            let name = try c.readString("the name of tensor \(i)")
            guard index[name] == nil else { throw GGUFError.invalid(path: path, message: "duplicate tensor name '\(name)'") }
            let nDims = try c.read(UInt32.self, "the dimension count of tensor '\(name)'")
            guard nDims >= 1, nDims <= UInt32(Self.maxDims) else {
                throw GGUFError.invalid(path: path, message: "tensor '\(name)' has \(nDims) dimensions (1 to \(Self.maxDims) allowed)")
            }
            var shape: [Int] = []
            var elements = 1
            for d in 0..<Int(nDims) {
                let n = try c.read(UInt64.self, "the shape of tensor '\(name)'")
                guard n >= 1, n <= UInt64(Int64.max) else {
                    throw GGUFError.invalid(path: path, message: "tensor '\(name)' has dimension \(d) of size \(n)")
                }
                let (p, o) = elements.multipliedReportingOverflow(by: Int(n))
                guard !o, p <= Int(Int64.max) / 8 else {
                    throw GGUFError.invalid(path: path, message: "tensor '\(name)' has too many elements (dimension product overflows)")
                }
                elements = p
                shape.append(Int(n))
            }
            let rawType = try c.read(UInt32.self, "the type of tensor '\(name)'")
            guard let type = GGMLType(rawValue: rawType) else {
                throw GGUFError.unknownType(path: path, tensor: name, id: rawType)
            }
            guard shape[0] % type.blockSize == 0 else {
                throw GGUFError.invalid(path: path, message: "tensor '\(name)': row of \(shape[0]) elements is not a multiple of the \(type.name) block size \(type.blockSize)")
            }
            let (bytes, o) = (elements / type.blockSize).multipliedReportingOverflow(by: type.bytesPerBlock)
            guard !o else { throw GGUFError.invalid(path: path, message: "tensor '\(name)' byte size overflows") }
            let off64 = try c.read(UInt64.self, "the offset of tensor '\(name)'")
            guard off64 <= UInt64(Int64.max) - UInt64(bytes) else {
                throw GGUFError.tensorPastEnd(path: path, tensor: name, offset: Int(Int64.max), byteCount: bytes, fileSize: size)
            }
            guard Int(off64) % alignment == 0 else {
                throw GGUFError.invalid(path: path, message: "tensor '\(name)' offset \(off64) is not a multiple of the alignment \(alignment)")
            }
            index[name] = infos.count
            infos.append(GGUFTensorInfo(name: name, type: type, shape: shape, offset: Int(off64), byteCount: bytes))
        }

        let dataOffset = (c.position + alignment - 1) / alignment * alignment
        self.dataOffset = dataOffset
        for t in infos {
            let (start, o1) = dataOffset.addingReportingOverflow(t.offset)
            let (end, o2) = start.addingReportingOverflow(t.byteCount)
            guard !o1, !o2, end <= size else {
                throw GGUFError.tensorPastEnd(path: path, tensor: t.name, offset: start, byteCount: t.byteCount, fileSize: size)
            }
        }
        self.tensors = infos
        self.tensorIndex = index
    }

    package func tensor(named name: String) -> GGUFTensorInfo? { tensorIndex[name].map { tensors[$0] } }

    /// The tensor's bytes, viewed in the mapping (valid while this file is alive).
    package func data(_ t: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: file.base + dataOffset + t.offset, count: t.byteCount)
    }
}
