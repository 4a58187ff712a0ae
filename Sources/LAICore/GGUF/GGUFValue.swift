// GGUFValue: a metadata value of any GGUF type, arrays included, viewed lazily from the mapped file.

/// The value type tags of GGUF metadata (`gguf_type` in the spec).
package enum GGUFValueType: UInt32, Sendable {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// Encoded size of one value, nil for the variable-size string and array.
    package var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        case .string, .array: nil
        }
    }

    package var name: String {
        switch self {
        case .uint8: "u8"; case .int8: "i8"; case .uint16: "u16"; case .int16: "i16"
        case .uint32: "u32"; case .int32: "i32"; case .float32: "f32"; case .bool: "bool"
        case .string: "str"; case .array: "arr"; case .uint64: "u64"; case .int64: "i64"; case .float64: "f64"
        }
    }
}

/// One metadata value.
package enum GGUFValue: Sendable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String), array(GGUFArray)
    case uint64(UInt64), int64(Int64), float64(Double)

    package var type: GGUFValueType {
        switch self {
        case .uint8: .uint8; case .int8: .int8; case .uint16: .uint16; case .int16: .int16
        case .uint32: .uint32; case .int32: .int32; case .float32: .float32; case .bool: .bool
        case .string: .string; case .array: .array; case .uint64: .uint64; case .int64: .int64
        case .float64: .float64
        }
    }

    /// The value as an Int when it is an integer of any width that fits.
    package var int: Int? {
        switch self {
        case let .uint8(v): Int(v); case let .int8(v): Int(v); case let .uint16(v): Int(v); case let .int16(v): Int(v)
        case let .uint32(v): Int(v); case let .int32(v): Int(v); case let .uint64(v): Int(exactly: v)
        case let .int64(v): Int(v)
        default: nil
        }
    }

    /// The value as a Double when it is a number (integers included).
    package var double: Double? {
        switch self {
        case let .float32(v): Double(v)
        case let .float64(v): v
        default: int.map(Double.init)
        }
    }

    package var string: String? { if case let .string(s) = self { s } else { nil } }
    package var bool: Bool? { if case let .bool(b) = self { b } else { nil } }
    package var array: GGUFArray? { if case let .array(a) = self { a } else { nil } }
}

/// A GGUF array: typed elements, either viewed in the mapped file (as read) or held in memory (as built).
///
/// Vocabularies hold ~50k–250k strings; viewing them in place keeps opening a model cheap and lets the
/// writer copy them back byte for byte.
package struct GGUFArray: @unchecked Sendable {
    package let elementType: GGUFValueType
    package let count: Int
    fileprivate enum Storage {
        case mapped(MappedFile, offset: Int, byteCount: Int)
        case values([GGUFValue])
    }
    fileprivate let storage: Storage

    /// An in-memory array. All `values` must have type `elementType`.
    package init(_ elementType: GGUFValueType, _ values: [GGUFValue]) {
        self.elementType = elementType; self.count = values.count; self.storage = .values(values)
    }
    package init(strings: [String]) { self.init(.string, strings.map { .string($0) }) }
    package init(floats: [Float]) { self.init(.float32, floats.map { .float32($0) }) }
    package init(int32s: [Int32]) { self.init(.int32, int32s.map { .int32($0) }) }

    init(mapped file: MappedFile, elementType: GGUFValueType, count: Int, offset: Int, byteCount: Int) {
        self.elementType = elementType; self.count = count
        self.storage = .mapped(file, offset: offset, byteCount: byteCount)
    }

    /// The encoded elements (without the type and count header) when the array is mapped.
    package var mappedBytes: UnsafeRawBufferPointer? {
        if case let .mapped(f, off, n) = storage { return UnsafeRawBufferPointer(start: f.base + off, count: n) }
        return nil
    }

    /// Every element as a `GGUFValue` (materializes mapped arrays).
    package var values: [GGUFValue] { values(prefix: count) }

    /// The first `limit` elements as `GGUFValue`s.
    package func values(prefix limit: Int) -> [GGUFValue] {
        switch storage {
        case let .values(v): return Array(v.prefix(limit))
        case let .mapped(f, off, n):
            var c = GGUFCursor(base: f.base + off, count: n, path: f.path, fileOffset: off)
            var out: [GGUFValue] = []
            out.reserveCapacity(min(count, limit))
            for _ in 0..<min(count, limit) {
                // Validated when the file was opened, so this cannot fail; stop quietly if it somehow does.
                guard let v = try? c.readValue(type: elementType, file: f, depth: 1) else { break }
                out.append(v)
            }
            return out
        }
    }

    /// Calls `body` with the raw UTF-8 bytes of each string element, in order, without allocating.
    package func forEachStringBytes(_ body: (Int, UnsafeRawBufferPointer) throws -> Void) rethrows {
        guard elementType == .string else { return }
        switch storage {
        case let .values(v):
            for (i, e) in v.enumerated() {
                guard case var .string(s) = e else { continue }
                try s.withUTF8 { try body(i, UnsafeRawBufferPointer($0)) }
            }
        case let .mapped(f, off, _):
            var p = f.base + off
            for i in 0..<count {
                let len = Int(UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
                try body(i, UnsafeRawBufferPointer(start: p + 8, count: len))
                p += 8 + len
            }
        }
    }

    /// The string elements (invalid UTF-8 is repaired with U+FFFD; use `forEachStringBytes` for exact bytes).
    package var strings: [String] {
        var out: [String] = []
        out.reserveCapacity(count)
        forEachStringBytes { _, b in out.append(String(decoding: b, as: UTF8.self)) }
        return out
    }

    /// Numeric elements as Float (empty if the elements are not numbers).
    package var floats: [Float] {
        if case let .mapped(f, off, _) = storage, elementType == .float32 {
            return (0..<count).map { Float(bitPattern: UInt32(littleEndian: (f.base + off + 4 * $0).loadUnaligned(as: UInt32.self))) }
        }
        return values.compactMap { $0.double.map(Float.init) }
    }

    /// Integer elements as Int (empty if the elements are not integers).
    package var ints: [Int] {
        if case let .mapped(f, off, _) = storage, elementType == .int32 {
            return (0..<count).map { Int(Int32(littleEndian: (f.base + off + 4 * $0).loadUnaligned(as: Int32.self))) }
        }
        return values.compactMap { $0.int }
    }
}
