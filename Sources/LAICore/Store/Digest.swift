// Digest: streaming SHA-256 for blob verification (FIPS 180-4), private to the store.
// The support library will get a shared SHA-256 later; this one only has to be correct and fast enough
// to hash multi-GB blobs at disk speed.

/// A streaming SHA-256 hasher. `update` any number of times, then `finalize()` once.
package struct BlobHasher {
    private var h: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
    private var block = [UInt8](repeating: 0, count: 64)
    private var blockUsed = 0
    private var length: UInt64 = 0

    package init() {}

    package mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    package mutating func update(_ data: UnsafeRawBufferPointer) {
        guard var p = data.baseAddress, data.count > 0 else { return }
        var n = data.count
        length &+= UInt64(n)
        if blockUsed > 0 {
            let k = min(64 - blockUsed, n)
            block.withUnsafeMutableBytes { ($0.baseAddress! + blockUsed).copyMemory(from: p, byteCount: k) }
            blockUsed += k; p += k; n -= k
            if blockUsed == 64 {
                block.withUnsafeBytes { compress($0.baseAddress!, blocks: 1) }
                blockUsed = 0
            }
        }
        if n >= 64 {
            let full = n / 64
            compress(p, blocks: full)
            p += full * 64; n -= full * 64
        }
        if n > 0 {
            block.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: p, byteCount: n) }
            blockUsed = n
        }
    }

    /// The digest as 64 lowercase hex characters.
    package mutating func finalize() -> String {
        let bitLength = length &* 8
        var tail: [UInt8] = [0x80]
        let padZeros = (blockUsed + 1 <= 56) ? 56 - blockUsed - 1 : 120 - blockUsed - 1
        tail += [UInt8](repeating: 0, count: padZeros)
        for i in (0..<8).reversed() { tail.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
        let savedLength = length
        update(tail)
        length = savedLength
        let words = [h.0, h.1, h.2, h.3, h.4, h.5, h.6, h.7]
        let hex: [Character] = Array("0123456789abcdef")
        var s = ""
        s.reserveCapacity(64)
        for w in words {
            for shift in stride(from: 28, through: 0, by: -4) { s.append(hex[Int((w >> UInt32(shift)) & 0xf)]) }
        }
        return s
    }

    /// Hex SHA-256 of a byte array.
    package static func hex(_ bytes: [UInt8]) -> String { var x = BlobHasher(); x.update(bytes); return x.finalize() }

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 &- n)) }

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    /// Compresses `blocks` consecutive 64-byte blocks at `p` into the state.
    private mutating func compress(_ p: UnsafeRawPointer, blocks: Int) {
        var (a0, b0, c0, d0, e0, f0, g0, h0) = h
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            BlobHasher.k.withUnsafeBufferPointer { k in
                for blk in 0..<blocks {
                    let base = p + blk &* 64
                    for i in 0..<16 { w[i] = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self)) }
                    for i in 16..<64 {
                        let x = w[i &- 15], y = w[i &- 2]
                        let s0 = BlobHasher.rotr(x, 7) ^ BlobHasher.rotr(x, 18) ^ (x >> 3)
                        let s1 = BlobHasher.rotr(y, 17) ^ BlobHasher.rotr(y, 19) ^ (y >> 10)
                        w[i] = w[i &- 16] &+ s0 &+ w[i &- 7] &+ s1
                    }
                    var a = a0, b = b0, c = c0, d = d0, e = e0, f = f0, g = g0, hh = h0
                    for i in 0..<64 {
                        let s1 = BlobHasher.rotr(e, 6) ^ BlobHasher.rotr(e, 11) ^ BlobHasher.rotr(e, 25)
                        let ch = (e & f) ^ (~e & g)
                        let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                        let s0 = BlobHasher.rotr(a, 2) ^ BlobHasher.rotr(a, 13) ^ BlobHasher.rotr(a, 22)
                        let maj = (a & b) ^ (a & c) ^ (b & c)
                        let t2 = s0 &+ maj
                        hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
                    }
                    a0 = a0 &+ a; b0 = b0 &+ b; c0 = c0 &+ c; d0 = d0 &+ d
                    e0 = e0 &+ e; f0 = f0 &+ f; g0 = g0 &+ g; h0 = h0 &+ hh
                }
            }
        }
        h = (a0, b0, c0, d0, e0, f0, g0, h0)
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension BlobHasher {
    /// SHA-256 hex and size of the file at `path`, read in 4 MiB chunks.
    package static func hashFile(_ path: String) throws -> (hex: String, size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let cap = 4 << 20
        let buf = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 64)
        defer { buf.deallocate() }
        var hasher = BlobHasher()
        var total = 0
        while true {
            let r = read(fd, buf, cap)
            if r < 0 {
                if errno == EINTR { continue }
                throw FileError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
            }
            if r == 0 { break }
            hasher.update(UnsafeRawBufferPointer(start: buf, count: r))
            total += r
        }
        return (hasher.finalize(), total)
    }
}
