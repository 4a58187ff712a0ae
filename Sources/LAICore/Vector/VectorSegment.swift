// VectorSegment: one memory-mapped segment file of fixed-size, 64-byte aligned vector rows.
import Foundation
import LAIKernels

/// A read-only view of `seg-NNNNNN.vec`: a 64-byte header, `rows` rows of `stride` bytes, and for int8 a
/// table of one f32 scale per row. Layout in docs/FORMATS.md ("Vector store").
final class VectorSegment: @unchecked Sendable {
    static let magic = Array("LAIVEC01".utf8)
    static let headerBytes = 64

    let entry: SegmentEntry
    /// The rows' bytes: the mapped file, or for an encrypted store its decrypted copy in memory.
    let file: MappedFile
    /// The file as on disk (what the manifest's size and SHA-256 describe).
    let source: MappedFile
    let element: VectorElement
    let dimension: Int
    /// Bytes from one row to the next (a multiple of 64).
    let stride: Int
    /// Row 0 (64-byte aligned: the mapping is page aligned and the header is 64 bytes).
    let rows: UnsafeRawPointer
    /// int8 only: rows.count scales.
    let scales: UnsafePointer<Float>?

    var count: Int { entry.rows }
    var firstRow: Int { entry.firstRow }

    /// File size for `rows` rows.
    static func fileBytes(rows: Int, element: VectorElement, dimension: Int) -> Int {
        let body = headerBytes + rows * element.rowStride(dimension: dimension)
        return element == .int8 ? body + ((rows * 4 + 63) & ~63) : body
    }

    /// Maps the segment and checks its header and size against the manifest (and, with `verify`, its SHA-256).
    init(directory: String, entry: SegmentEntry, manifest: StoreManifest, verify: Bool, cipher: StoreCipher? = nil) throws {
        let path = directory + "/" + entry.vectorsFile
        guard FileManager.default.fileExists(atPath: path) else { throw VectorError.missingFile(path: path) }
        let source = try MappedFile(path: path)
        let f: MappedFile
        if manifest.isEncrypted {
            guard let cipher else { throw VectorError.keyRequired(path: directory) }
            guard source.count == entry.vectorsBytes else {
                throw VectorError.corrupt(path: path, reason: "\(source.count) bytes, the manifest says \(entry.vectorsBytes)")
            }
            // The tag is checked over the whole file, so decrypting is also verifying.
            let plain = try cipher.openData(source.bytes, name: entry.vectorsFile, path: path)
            f = MappedFile(owning: plain.count, name: path)   // 64-byte aligned, as a mapping's rows are
            plain.withUnsafeBytes { if let b = $0.baseAddress { f.mutableBase?.copyMemory(from: b, byteCount: $0.count) } }
        } else {
            f = source
        }
        let expected = Self.fileBytes(rows: entry.rows, element: manifest.element, dimension: manifest.dimension)
        guard f.count == expected, source.count == entry.vectorsBytes else {
            throw VectorError.corrupt(path: path, reason: "\(f.count) bytes, expected \(expected) for \(entry.rows) rows")
        }
        let h = f.base
        guard Array(UnsafeRawBufferPointer(start: h, count: 8)) == Self.magic else { throw VectorError.corrupt(path: path, reason: "bad magic") }
        func u32(_ o: Int) -> Int { Int(UInt32(littleEndian: h.loadUnaligned(fromByteOffset: o, as: UInt32.self))) }
        func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: h.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        let stride = manifest.element.rowStride(dimension: manifest.dimension)
        guard u32(8) == 1 else { throw VectorError.corrupt(path: path, reason: "segment version \(u32(8)) is not supported") }
        guard u32(12) == Int(manifest.element.rawValue), u32(16) == manifest.dimension, u32(20) == stride,
              u64(24) == UInt64(entry.rows), u64(32) == UInt64(entry.firstRow) else {
            throw VectorError.corrupt(path: path, reason: "header disagrees with the manifest")
        }
        if verify, SHA256.hash(source.bytes).hex != entry.vectorsSHA256 { throw VectorError.checksumMismatch(path: path) }
        self.entry = entry; self.file = f; self.source = source; self.element = manifest.element; self.dimension = manifest.dimension
        self.stride = stride
        self.rows = h + Self.headerBytes
        self.scales = manifest.element == .int8
            ? (h + Self.headerBytes + entry.rows * stride).assumingMemoryBound(to: Float.self) : nil
    }

    func row(_ i: Int) -> UnsafeRawPointer { rows + i * stride }

    /// Row `i` as f32 values (dequantized).
    func decode(_ i: Int, into out: UnsafeMutablePointer<Float>) {
        let r = row(i)
        switch element {
        case .f32: out.update(from: r.assumingMemoryBound(to: Float.self), count: dimension)
        case .f16: lai_vec_f16_to_f32(r, out, Int32(dimension))
        case .int8:
            let q = r.assumingMemoryBound(to: Int8.self), s = scales?[i] ?? 0
            for j in 0..<dimension { out[j] = Float(q[j]) * s }
        }
    }

    /// Row `i` as f32 values.
    func vector(_ i: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: dimension) { b, n in decode(i, into: b.baseAddress!); n = dimension }
    }
}

/// Writes a new segment file: header, rows, scales, streamed through an AtomicFileWriter while hashing.
enum SegmentWriter {
    /// `fill(i, row)` writes row i's `stride` bytes (zeroed beforehand) and returns its scale (int8) or 0.
    /// With `cipher` the file is built in memory and written sealed (its size and SHA-256 are the sealed bytes').
    static func write(path: String, element: VectorElement, dimension: Int, firstRow: Int, rows: Int, cipher: StoreCipher? = nil,
                      fill: (Int, UnsafeMutableRawPointer) -> Float) throws -> (bytes: Int, sha256: String) {
        var plain: [UInt8] = []
        let w = try AtomicFileWriter(path: path)
        var sha = SHA256()
        let stride = element.rowStride(dimension: dimension)
        var header = ByteWriter()
        header.bytes.append(contentsOf: VectorSegment.magic)
        header.u32(1); header.u32(element.rawValue); header.u32(UInt32(dimension)); header.u32(UInt32(stride))
        header.u64(UInt64(rows)); header.u64(UInt64(firstRow))
        header.zeros(VectorSegment.headerBytes - header.bytes.count)
        func put(_ b: UnsafeRawBufferPointer) throws {
            if cipher != nil { plain.append(contentsOf: b) } else { sha.update(b); try w.write(b) }
        }
        try header.bytes.withUnsafeBytes { try put($0) }
        var scales: [Float] = []
        if element == .int8 { scales.reserveCapacity(rows) }
        let batch = max(1, (1 << 20) / stride)
        let buf = UnsafeMutableRawPointer.allocate(byteCount: batch * stride, alignment: 64)
        defer { buf.deallocate() }
        var i = 0
        while i < rows {
            let n = min(batch, rows - i)
            buf.initializeMemory(as: UInt8.self, repeating: 0, count: n * stride)
            for j in 0..<n {
                let s = fill(i + j, buf + j * stride)
                if element == .int8 { scales.append(s) }
            }
            try put(UnsafeRawBufferPointer(start: buf, count: n * stride))
            i += n
        }
        if element == .int8 {
            let pad = ((rows * 4 + 63) & ~63) - rows * 4
            scales += [Float](repeating: 0, count: pad / 4)
            try scales.withUnsafeBytes { try put($0) }
        }
        if let c = cipher {
            let sealed = try c.seal(plain, name: (path as NSString).lastPathComponent)
            try w.write(sealed)
            try w.commit()
            return (sealed.count, SHA256.hash(sealed).hex)
        }
        let bytes = w.offset
        try w.commit()
        return (bytes, sha.finalize().hex)
    }

    /// Encodes a row of f32 values into `dst` as `element`; returns the int8 scale (0 otherwise).
    static func encode(_ x: UnsafePointer<Float>, dimension: Int, element: VectorElement, into dst: UnsafeMutableRawPointer) -> Float {
        switch element {
        case .f32:
            dst.copyMemory(from: x, byteCount: dimension * 4); return 0
        case .f16:
            let h = dst.assumingMemoryBound(to: UInt16.self)
            for j in 0..<dimension { h[j] = HalfFloat.f32ToF16(x[j]) }
            return 0
        case .int8:
            return lai_vec_quantize_i8(x, dst.assumingMemoryBound(to: Int8.self), Int32(dimension))
        }
    }
}

/// Writes a small file (text or keywords) atomically; returns its size and SHA-256.
func writeSmallFile(path: String, bytes: [UInt8], cipher: StoreCipher? = nil) throws -> (bytes: Int, sha256: String) {
    let bytes = try cipher?.seal(bytes, name: (path as NSString).lastPathComponent) ?? bytes
    let w = try AtomicFileWriter(path: path)
    try w.write(bytes)
    try w.commit()
    return (bytes.count, SHA256.hash(bytes).hex)
}
