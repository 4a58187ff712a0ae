// KVCache: the keys and values of every layer for several sequences, apart from the model and the session.

/// f16 keys and values (llama.cpp's default cache type), `cellsPerSequence` cells per sequence per layer.
/// A sequence's token at position p lives in its cell p, so a sequence is always one contiguous run of cells
/// and attention reads it without gathering. Sequences can be truncated, cleared and have a prefix copied
/// from another (prompt reuse across requests).
package final class KVCache {
    package let layers: Int
    package let kvDim: Int
    package let cellsPerSequence: Int
    package let sequences: Int
    private let keys: UnsafeMutablePointer<UInt16>
    private let values: UnsafeMutablePointer<UInt16>
    /// Cells in use per sequence: positions 0..<length hold valid keys and values.
    package private(set) var lengths: [Int]

    package init(layers: Int, kvDim: Int, cellsPerSequence: Int, sequences: Int = 1) {
        self.layers = layers; self.kvDim = kvDim
        self.cellsPerSequence = max(1, cellsPerSequence); self.sequences = max(1, sequences)
        let n = layers * self.sequences * self.cellsPerSequence * kvDim
        keys = .allocate(capacity: n)
        values = .allocate(capacity: n)
        lengths = [Int](repeating: 0, count: self.sequences)
    }

    deinit { keys.deallocate(); values.deallocate() }

    package var bytes: Int { 2 * 2 * layers * sequences * cellsPerSequence * kvDim }

    @inline(__always) private func offset(_ layer: Int, _ seq: Int) -> Int { ((layer * sequences) + seq) * cellsPerSequence * kvDim }
    /// Cell 0 of `seq` in `layer`; cells are `kvDim` f16 values apart.
    @inline(__always) package func keys(layer: Int, sequence: Int) -> UnsafeMutablePointer<UInt16> { keys + offset(layer, sequence) }
    @inline(__always) package func values(layer: Int, sequence: Int) -> UnsafeMutablePointer<UInt16> { values + offset(layer, sequence) }

    /// Marks positions up to `end` (exclusive) of `seq` as filled (after a forward pass wrote them).
    package func extend(sequence seq: Int, to end: Int) { lengths[seq] = max(lengths[seq], min(end, cellsPerSequence)) }

    /// Forgets everything of `seq` from position `n` on.
    package func truncate(sequence seq: Int, to n: Int) { lengths[seq] = min(lengths[seq], max(0, n)) }

    package func clear(sequence seq: Int) { lengths[seq] = 0 }
    package func clearAll() { for s in 0..<sequences { lengths[s] = 0 } }

    /// Copies the first `count` positions of `source` into `destination` (which then holds exactly them).
    package func copyPrefix(from source: Int, to destination: Int, count: Int) {
        let n = min(count, lengths[source])
        if source != destination {
            for l in 0..<layers {
                keys(layer: l, sequence: destination).update(from: keys(layer: l, sequence: source), count: n * kvDim)
                values(layer: l, sequence: destination).update(from: values(layer: l, sequence: source), count: n * kvDim)
            }
        }
        lengths[destination] = n
    }
}
