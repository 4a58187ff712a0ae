// HashingEmbedder: a deterministic bag-of-words embedder for tests (no model needed).

/// Feature hashing of lower-cased words (stop words dropped, plural "s" removed, as BM25's terms) and their
/// character trigrams into `dimension` signed buckets, sqrt-damped counts, L2-normalized.
///
/// Texts that share words get high cosine similarity, so retrieval tests mean something without a neural
/// model; it is not a semantic model (synonyms do not match).
package final class HashingEmbedder: TextEmbedder {
    package let dimension: Int
    package var modelName: String { "test-hash-\(dimension)" }
    package let maxTokens = 256

    package init(dimension: Int = 384) { self.dimension = max(1, dimension) }

    /// About what a WordPiece tokenizer gives for English: words plus punctuation, long words split.
    package func countTokens(_ text: String) -> Int {
        var n = 0
        var word = 0
        for s in text.unicodeScalars {
            if s.properties.isAlphabetic || ("0"..."9").contains(s) { word += 1; continue }
            if word > 0 { n += 1 + (word - 1) / 8; word = 0 }
            if !s.properties.isWhitespace { n += 1 }
        }
        if word > 0 { n += 1 + (word - 1) / 8 }
        return n
    }

    private static func fnv(_ s: String, seed: UInt64) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        for b in s.utf8 { h ^= UInt64(b); h = h &* 0x100_0000_01b3 }
        h ^= h >> 33; h = h &* 0xff51_afd7_ed55_8ccd; h ^= h >> 33
        return h
    }

    package func embed(_ texts: [String]) throws -> [[Float]] {
        texts.map { text in
            var counts: [String: Float] = [:]
            for t in KeywordTokenizer.terms(text) {
                counts[t, default: 0] += 1
                let u = Array(("^" + t + "$").utf8)
                if u.count > 5 {
                    for i in 0...(u.count - 3) { counts["#" + String(decoding: u[i..<(i + 3)], as: UTF8.self), default: 0] += 0.2 }
                }
            }
            var v = [Float](repeating: 0, count: dimension)
            // Sorted: a Dictionary's order changes per process, and float sums with it (in the last bits).
            for (t, c) in counts.sorted(by: { $0.key < $1.key }) {
                let h = Self.fnv(t, seed: 7)
                v[Int(h % UInt64(dimension))] += (h >> 63 == 0 ? 1 : -1) * c.squareRoot()
            }
            VectorStore.normalize(&v)
            return v
        }
    }
}
