// ByteStringTable and PairTable: allocation-free hash lookups for token text and BPE merge pairs.

/// Maps byte strings (token texts) to token ids without creating a `String` per lookup.
///
/// Keys live back to back in one byte buffer; open addressing with linear probing over a power-of-two
/// slot array. Inserting an existing key overwrites its id (llama.cpp's `token_to_id[word] = i`, last wins).
package struct ByteStringTable: Sendable {
    private var bytes: [UInt8] = []
    private var starts: [Int32] = []      // per entry: start in `bytes`; entry i spans starts[i]..<starts[i+1]
    private var ids: [Int32] = []
    private var slots: [Int32]            // entry index, -1 empty
    private var mask: Int

    package init(capacity: Int) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        slots = [Int32](repeating: -1, count: n)
        mask = n - 1
        starts = [0]
    }

    @inline(__always)
    static func hash(_ p: UnsafeRawBufferPointer) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in p { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    package mutating func insert(_ key: UnsafeRawBufferPointer, id: Int32) {
        var s = ByteStringTable.hash(key) & mask
        while true {
            let e = slots[s]
            if e < 0 {
                slots[s] = Int32(ids.count)
                bytes.append(contentsOf: key)
                starts.append(Int32(bytes.count))
                ids.append(id)
                return
            }
            if equal(Int(e), key) { ids[Int(e)] = id; return }
            s = (s + 1) & mask
        }
    }

    @inline(__always)
    private func equal(_ e: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let a = Int(starts[e]), b = Int(starts[e + 1])
        if b - a != key.count { return false }
        return bytes.withUnsafeBufferPointer { buf in
            var i = 0
            while i < key.count { if buf[a + i] != key[i] { return false }; i += 1 }
            return true
        }
    }

    @inline(__always)
    package func find(_ key: UnsafeRawBufferPointer) -> Int32? {
        var s = ByteStringTable.hash(key) & mask
        while true {
            let e = slots[s]
            if e < 0 { return nil }
            if equal(Int(e), key) { return ids[Int(e)] }
            s = (s + 1) & mask
        }
    }

    package func find(_ key: [UInt8]) -> Int32? { key.withUnsafeBytes { find($0) } }
}

/// BPE merges keyed by the packed pair (left id << 32 | right id) → (rank << 32 | merged id).
package struct PairTable: Sendable {
    private var keys: [UInt64]
    private var values: [UInt64]
    private var mask: Int
    private static let empty = UInt64.max

    package init(capacity: Int) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        keys = [UInt64](repeating: PairTable.empty, count: n)
        values = [UInt64](repeating: 0, count: n)
        mask = n - 1
    }

    @inline(__always)
    static func slot(_ k: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (k &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Keeps the first (lowest-rank) entry for a pair, like `std::unordered_map::emplace`.
    package mutating func insert(left: Int32, right: Int32, rank: Int32, merged: Int32) {
        let k = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
        var s = PairTable.slot(k, mask)
        while keys[s] != PairTable.empty {
            if keys[s] == k { return }
            s = (s + 1) & mask
        }
        keys[s] = k
        values[s] = UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: merged))
    }

    /// (rank, merged id) of the pair, or nil.
    @inline(__always)
    package func find(_ left: Int32, _ right: Int32) -> (rank: Int32, merged: Int32)? {
        let k = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
        return keys.withUnsafeBufferPointer { kb in
            var s = PairTable.slot(k, mask)
            while true {
                let x = kb[s]
                if x == k {
                    let v = values[s]
                    return (Int32(truncatingIfNeeded: v >> 32), Int32(truncatingIfNeeded: v))
                }
                if x == PairTable.empty { return nil }
                s = (s + 1) & mask
            }
        }
    }
}
