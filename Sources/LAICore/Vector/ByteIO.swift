// ByteIO: little-endian writer and bounds-checked reader for the store's binary files.

/// Appends little-endian values to a byte array.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func raw(_ s: String) { bytes.append(contentsOf: Array(s.utf8)) }
    /// u32 byte length, then the UTF-8 bytes.
    mutating func string(_ s: String) { let u = Array(s.utf8); u32(UInt32(u.count)); bytes.append(contentsOf: u) }
    mutating func zeros(_ n: Int) { bytes.append(contentsOf: repeatElement(0, count: n)) }
}

/// Reads little-endian values, throwing `VectorError.corrupt` (naming `path`) past the end.
struct ByteReader {
    let bytes: [UInt8]
    let path: String
    var pos = 0

    init(_ bytes: [UInt8], path: String) { self.bytes = bytes; self.path = path }

    var remaining: Int { bytes.count - pos }

    private mutating func need(_ n: Int, _ what: String) throws {
        if n < 0 || n > remaining { throw VectorError.corrupt(path: path, reason: "\(what) runs past the end (offset \(pos))") }
    }

    mutating func u16(_ what: String = "value") throws -> UInt16 {
        try need(2, what); defer { pos += 2 }
        return UInt16(bytes[pos]) | UInt16(bytes[pos + 1]) << 8
    }
    mutating func u32(_ what: String = "value") throws -> UInt32 {
        try need(4, what); defer { pos += 4 }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[pos + i]) << (8 * UInt32(i)) }
        return v
    }
    mutating func u64(_ what: String = "value") throws -> UInt64 {
        try need(8, what); defer { pos += 8 }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[pos + i]) << (8 * UInt64(i)) }
        return v
    }
    mutating func int(_ what: String = "value") throws -> Int {
        let v = try u64(what)
        guard v <= UInt64(Int.max) else { throw VectorError.corrupt(path: path, reason: "\(what) \(v) is out of range") }
        return Int(v)
    }
    mutating func rawBytes(_ n: Int, _ what: String) throws -> ArraySlice<UInt8> {
        try need(n, what); defer { pos += n }
        return bytes[pos..<(pos + n)]
    }
    mutating func string(_ what: String = "string") throws -> String {
        let n = Int(try u32(what))
        return String(decoding: try rawBytes(n, what), as: UTF8.self)
    }
    mutating func expectMagic(_ magic: String) throws {
        let m = Array(magic.utf8)
        guard remaining >= m.count, Array(bytes[pos..<(pos + m.count)]) == m else {
            throw VectorError.corrupt(path: path, reason: "bad magic (expected \(magic))")
        }
        pos += m.count
    }
}
