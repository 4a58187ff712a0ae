// KeywordIndex: a per-segment inverted index (term → rows with term frequency) for BM25 keyword scoring.
//
// It lives with the vector segments (not in RAG/) because the store writes it in the same commit as the
// rows it describes, so keyword and vector search always see the same rows.

/// Splits text into BM25 terms: lower-cased runs of letters and digits, English stop words dropped,
/// a plural "s" removed (so "vectors" matches "vector").
package enum KeywordTokenizer {
    static let stopWords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "do", "does", "for", "from", "has", "have", "how",
        "i", "if", "in", "into", "is", "it", "its", "me", "my", "no", "not", "of", "on", "or", "our", "so", "such",
        "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "we", "what", "when",
        "where", "which", "who", "why", "will", "with", "you", "your", "can", "did", "should", "would", "about",
    ]

    package static func terms(_ text: String) -> [String] {
        var out: [String] = []
        var cur: [UInt8] = []
        func flush() {
            if cur.isEmpty { return }
            var t = String(decoding: cur, as: UTF8.self)
            cur.removeAll(keepingCapacity: true)
            if stopWords.contains(t) { return }
            if t.utf8.count > 3, t.hasSuffix("s"), !t.hasSuffix("ss") { t.removeLast() }
            if t.utf8.count > 64 { return }
            out.append(t)
        }
        for scalar in text.lowercased().unicodeScalars {
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" {
                cur.append(contentsOf: Array(String(scalar).utf8))
            } else {
                flush()
            }
        }
        flush()
        return out
    }
}

/// The inverted index of one segment's rows.
package struct KeywordSegment: Sendable {
    /// Terms per row (document length for BM25).
    package var rowLengths: [UInt32]
    /// term → (local row, term frequency), rows ascending.
    package var postings: [String: [(row: UInt32, tf: UInt32)]]

    package init(texts: [String]) {
        rowLengths = []
        postings = [:]
        for (i, t) in texts.enumerated() {
            let terms = KeywordTokenizer.terms(t)
            rowLengths.append(UInt32(terms.count))
            var counts: [String: UInt32] = [:]
            for term in terms { counts[term, default: 0] += 1 }
            for (term, c) in counts { postings[term, default: []].append((UInt32(i), c)) }
        }
    }

    init(rowLengths: [UInt32], postings: [String: [(row: UInt32, tf: UInt32)]]) {
        self.rowLengths = rowLengths; self.postings = postings
    }

    static let magic = "LAIKW001"

    func encode() -> [UInt8] {
        var w = ByteWriter()
        w.raw(Self.magic); w.u32(UInt32(rowLengths.count))
        for l in rowLengths { w.u32(l) }
        let terms = postings.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        w.u32(UInt32(terms.count))
        for t in terms {
            let u = Array(t.utf8)
            w.u16(UInt16(u.count)); w.bytes.append(contentsOf: u)
            let p = postings[t] ?? []
            w.u32(UInt32(p.count))
            for e in p { w.u32(e.row); w.u32(e.tf) }
        }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8], path: String, expectedRows: Int) throws -> KeywordSegment {
        var r = ByteReader(bytes, path: path)
        try r.expectMagic(magic)
        let n = Int(try r.u32("row count"))
        guard n == expectedRows else { throw VectorError.corrupt(path: path, reason: "keyword index has \(n) rows for \(expectedRows)") }
        guard n * 4 <= r.remaining else { throw VectorError.corrupt(path: path, reason: "row lengths run past the end") }
        var lengths: [UInt32] = []
        lengths.reserveCapacity(n)
        for _ in 0..<n { lengths.append(try r.u32("row length")) }
        let termCount = Int(try r.u32("term count"))
        var postings: [String: [(row: UInt32, tf: UInt32)]] = [:]
        postings.reserveCapacity(min(termCount, r.remaining / 6))
        for _ in 0..<termCount {
            let len = Int(try r.u16("term length"))
            let term = String(decoding: try r.rawBytes(len, "term"), as: UTF8.self)
            let pc = Int(try r.u32("posting count"))
            guard pc * 8 <= r.remaining else { throw VectorError.corrupt(path: path, reason: "postings of '\(term)' run past the end") }
            var list: [(row: UInt32, tf: UInt32)] = []
            list.reserveCapacity(pc)
            for _ in 0..<pc {
                let row = try r.u32("row"), tf = try r.u32("tf")
                guard Int(row) < n else { throw VectorError.corrupt(path: path, reason: "posting row \(row) out of range") }
                list.append((row, tf))
            }
            postings[term] = list
        }
        guard r.remaining == 0 else { throw VectorError.corrupt(path: path, reason: "\(r.remaining) trailing bytes") }
        return KeywordSegment(rowLengths: lengths, postings: postings)
    }
}
