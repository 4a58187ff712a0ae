// VectorRecord: the text and metadata stored beside each vector (a chunk of a source file).

/// What a row of the store stands for: a chunk of text, where it came from, and the source's content hash.
package struct VectorRecord: Sendable, Equatable {
    /// The chunk text (what is shown and put into prompts).
    package var text: String
    /// The source file (absolute path for indexed files).
    package var path: String
    /// SHA-256 (hex) of the whole source file when it was indexed; incremental indexing compares it.
    package var contentHash: String
    /// Byte range of the chunk in the source's text (after extraction for HTML/PDF), half-open.
    package var byteRange: Range<Int>
    /// 1-based line range of the chunk, inclusive.
    package var lineRange: ClosedRange<Int>
    /// The heading path above the chunk ("Install > Debian"), or "" when none.
    package var title: String

    package init(text: String, path: String, contentHash: String = "", byteRange: Range<Int> = 0..<0,
                 lineRange: ClosedRange<Int> = 1...1, title: String = "") {
        self.text = text; self.path = path; self.contentHash = contentHash
        self.byteRange = byteRange; self.lineRange = lineRange; self.title = title
    }
}

/// The records of one segment: encoded as documented in docs/FORMATS.md ("Vector store") ("text file").
enum RecordCodec {
    static let magic = "LAITXT01"

    static func encode(_ records: [VectorRecord]) -> [UInt8] {
        var w = ByteWriter()
        w.raw(magic); w.u32(1); w.u32(UInt32(records.count))
        for r in records {
            w.string(r.path); w.string(r.contentHash)
            w.u64(UInt64(r.byteRange.lowerBound)); w.u64(UInt64(r.byteRange.upperBound))
            w.u32(UInt32(clamping: r.lineRange.lowerBound)); w.u32(UInt32(clamping: r.lineRange.upperBound))
            w.string(r.title); w.string(r.text)
        }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8], path: String, expectedCount: Int) throws -> [VectorRecord] {
        var r = ByteReader(bytes, path: path)
        try r.expectMagic(magic)
        let version = try r.u32("version")
        guard version == 1 else { throw VectorError.corrupt(path: path, reason: "text file version \(version) is not supported") }
        let n = Int(try r.u32("record count"))
        guard n == expectedCount else { throw VectorError.corrupt(path: path, reason: "\(n) records for \(expectedCount) rows") }
        var out: [VectorRecord] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            let p = try r.string("path"), h = try r.string("content hash")
            let b0 = try r.int("byte start"), b1 = try r.int("byte end")
            let l0 = Int(try r.u32("line start")), l1 = Int(try r.u32("line end"))
            let title = try r.string("title"), text = try r.string("text")
            guard b0 <= b1, l0 <= l1 else { throw VectorError.corrupt(path: path, reason: "inverted byte or line range") }
            out.append(VectorRecord(text: text, path: p, contentHash: h, byteRange: b0..<b1, lineRange: l0...l1, title: title))
        }
        guard r.remaining == 0 else { throw VectorError.corrupt(path: path, reason: "\(r.remaining) trailing bytes") }
        return out
    }
}
