// GGUFCursor: bounds-checked little-endian reads over the bytes of a GGUF file.

/// Reads GGUF primitives, checking every length against the bytes left before trusting it.
struct GGUFCursor {
    let base: UnsafeRawPointer
    let count: Int
    let path: String
    /// Offset of `base` in the file, so errors report file offsets.
    let fileOffset: Int
    var position = 0

    init(base: UnsafeRawPointer, count: Int, path: String, fileOffset: Int = 0) {
        self.base = base; self.count = count; self.path = path; self.fileOffset = fileOffset
    }

    var remaining: Int { count - position }

    func truncated(_ what: String) -> GGUFError {
        .truncated(path: path, what: what, offset: fileOffset + position, fileSize: fileOffset + count)
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        guard remaining >= MemoryLayout<T>.size else { throw truncated(what()) }
        let v = T(littleEndian: (base + position).loadUnaligned(as: T.self))
        position += MemoryLayout<T>.size
        return v
    }

    /// Reads a u64 length-prefixed byte string and returns its (offset, length) without copying.
    mutating func readStringRange(_ what: @autoclosure () -> String) throws -> (Int, Int) {
        let n = try read(UInt64.self, what())
        guard n <= UInt64(remaining) else {
            throw GGUFError.invalid(path: path, message: "\(what()) has length \(n) but only \(remaining) bytes remain (offset \(fileOffset + position - 8))")
        }
        let start = position
        position += Int(n)
        return (start, Int(n))
    }

    /// Reads a string that must be valid UTF-8 (keys, tensor names, scalar string values).
    mutating func readString(_ what: @autoclosure () -> String) throws -> String {
        let (start, n) = try readStringRange(what())
        let bytes = UnsafeRawBufferPointer(start: base + start, count: n)
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw GGUFError.invalid(path: path, message: "\(what()) is not valid UTF-8 (offset \(fileOffset + start))")
        }
        return s
    }

    /// Nesting limit for arrays of arrays: real files use one level; this stops a crafted file from
    /// exhausting the stack.
    static let maxDepth = 8

    /// Reads one value of `type`. Arrays are validated element by element but kept as a mapped view.
    mutating func readValue(type: GGUFValueType, file: MappedFile, depth: Int, what: @autoclosure () -> String = "metadata value") throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try read(UInt8.self, what()))
        case .int8: return .int8(try read(Int8.self, what()))
        case .uint16: return .uint16(try read(UInt16.self, what()))
        case .int16: return .int16(try read(Int16.self, what()))
        case .uint32: return .uint32(try read(UInt32.self, what()))
        case .int32: return .int32(try read(Int32.self, what()))
        case .float32: return .float32(Float(bitPattern: try read(UInt32.self, what())))
        case .uint64: return .uint64(try read(UInt64.self, what()))
        case .int64: return .int64(try read(Int64.self, what()))
        case .float64: return .float64(Double(bitPattern: try read(UInt64.self, what())))
        case .bool:
            let b = try read(UInt8.self, what())
            guard b <= 1 else { throw GGUFError.invalid(path: path, message: "\(what()) is a bool with value \(b)") }
            return .bool(b != 0)
        case .string: return .string(try readString(what()))
        case .array:
            guard depth < Self.maxDepth else {
                throw GGUFError.invalid(path: path, message: "\(what()) nests arrays deeper than \(Self.maxDepth) levels")
            }
            let rawType = try read(UInt32.self, what())
            guard let et = GGUFValueType(rawValue: rawType) else {
                throw GGUFError.invalid(path: path, message: "\(what()) is an array of unknown value type \(rawType)")
            }
            let n64 = try read(UInt64.self, what())
            // Every element takes at least one byte, so a count above the bytes left is a lie.
            guard n64 <= UInt64(remaining) else {
                throw GGUFError.invalid(path: path, message: "\(what()) claims \(n64) elements but only \(remaining) bytes remain")
            }
            let n = Int(n64)
            let start = position
            if let size = et.fixedSize {
                let (bytes, o) = n.multipliedReportingOverflow(by: size)
                guard !o, bytes <= remaining else { throw truncated("\(what()) (\(n) × \(et.name))") }
                if et == .bool {
                    for i in 0..<n where (base + position + i).load(as: UInt8.self) > 1 {
                        throw GGUFError.invalid(path: path, message: "\(what())[\(i)] is a bool with value \((base + position + i).load(as: UInt8.self))")
                    }
                }
                position += bytes
            } else if et == .string {
                for i in 0..<n { _ = try readStringRange("\(what())[\(i)]") }
            } else {
                for i in 0..<n { _ = try readValue(type: .array, file: file, depth: depth + 1, what: "\(what())[\(i)]") }
            }
            return .array(GGUFArray(mapped: file, elementType: et, count: n,
                                    offset: fileOffset + start, byteCount: position - start))
        }
    }
}
