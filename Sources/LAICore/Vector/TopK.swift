// TopK: the k best (score, row) pairs seen so far, as a min-heap on score.

/// One search result: a global row id and its score (higher is closer).
package struct VectorHit: Sendable, Equatable {
    package var row: Int
    package var score: Float
    package init(row: Int, score: Float) { self.row = row; self.score = score }
}

/// A bounded min-heap: the root is the worst kept hit, so most candidates are rejected by one compare.
/// Ties on score keep the lower row id, so results are deterministic.
struct TopK {
    let k: Int
    private(set) var scores: [Float]
    private(set) var rows: [Int]

    init(k: Int) { self.k = k; scores = []; rows = []; scores.reserveCapacity(k); rows.reserveCapacity(k) }

    /// true when `a` ranks below `b`.
    @inline(__always) private static func worse(_ sa: Float, _ ra: Int, _ sb: Float, _ rb: Int) -> Bool {
        sa < sb || (sa == sb && ra > rb)
    }

    /// The score a candidate must beat (or -inf while not full).
    @inline(__always) var threshold: Float { scores.count < k ? -.infinity : scores[0] }

    @inline(__always) mutating func insert(_ s: Float, _ r: Int) {
        if k == 0 { return }
        if scores.count < k {
            scores.append(s); rows.append(r)
            var i = scores.count - 1
            while i > 0 {
                let p = (i - 1) / 2
                if Self.worse(scores[i], rows[i], scores[p], rows[p]) { scores.swapAt(i, p); rows.swapAt(i, p); i = p } else { break }
            }
            return
        }
        if !Self.worse(scores[0], rows[0], s, r) { return }
        scores[0] = s; rows[0] = r
        var i = 0
        let n = scores.count
        while true {
            let l = 2 * i + 1, rr = l + 1
            var m = i
            if l < n, Self.worse(scores[l], rows[l], scores[m], rows[m]) { m = l }
            if rr < n, Self.worse(scores[rr], rows[rr], scores[m], rows[m]) { m = rr }
            if m == i { break }
            scores.swapAt(i, m); rows.swapAt(i, m); i = m
        }
    }

    /// Best first.
    func sorted() -> [VectorHit] {
        zip(rows, scores).map { VectorHit(row: $0, score: $1) }
            .sorted { $0.score > $1.score || ($0.score == $1.score && $0.row < $1.row) }
    }
}
