// SHA256: FIPS 180-4 SHA-256 with no dependencies, fast enough to hash multi-GB model files.

/// Incremental SHA-256. `update` as often as needed, then `finalize` once.
///
///     var h = SHA256(); h.update(bytes); let hex = h.finalize().hex
///
/// Whole 64-byte blocks are compressed straight from the caller's buffer (no copy); only a tail
/// shorter than a block is buffered.
package struct SHA256 {
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19)
    private var tail = [UInt8](repeating: 0, count: 64)
    private var tailCount = 0
    private var length: UInt64 = 0

    package init() {}

    /// The digest of `bytes` in one call.
    package static func hash(_ bytes: UnsafeRawBufferPointer) -> Digest {
        var h = SHA256(); h.update(bytes); return h.finalize()
    }

    package static func hash(_ bytes: [UInt8]) -> Digest { bytes.withUnsafeBytes { hash($0) } }

    /// A 32-byte digest.
    package struct Digest: Equatable, Sendable, CustomStringConvertible {
        package let bytes: [UInt8]
        /// Lower-case hexadecimal, as `sha256sum` prints it.
        package var hex: String {
            let digits = Array("0123456789abcdef".utf8)
            var out = [UInt8](); out.reserveCapacity(64)
            for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
            return String(decoding: out, as: UTF8.self)
        }
        package var description: String { hex }
    }

    package mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress, bytes.count > 0 else { return }
        var n = bytes.count
        length &+= UInt64(n)
        if tailCount > 0 {
            let k = min(64 - tailCount, n)
            tail.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: tailCount).copyMemory(from: p, byteCount: k) }
            tailCount += k; p += k; n -= k
            if tailCount < 64 { return }
            var s = state
            tail.withUnsafeBytes { SHA256.compress(&s, $0.baseAddress!, blocks: 1) }
            state = s
            tailCount = 0
        }
        let whole = n / 64
        if whole > 0 {
            var s = state
            SHA256.compress(&s, p, blocks: whole)
            state = s
            p += whole * 64; n -= whole * 64
        }
        if n > 0 {
            tail.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: p, byteCount: n) }
            tailCount = n
        }
    }

    package mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    package mutating func finalize() -> Digest {
        let bitLength = length &* 8
        var pad = [UInt8](repeating: 0, count: tailCount < 56 ? 56 - tailCount : 120 - tailCount)
        pad[0] = 0x80
        for i in (0..<8).reversed() { pad.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
        let saved = length
        update(pad)
        length = saved
        precondition(tailCount == 0)
        var out = [UInt8](); out.reserveCapacity(32)
        for w in [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7] {
            out.append(UInt8(w >> 24)); out.append(UInt8(truncatingIfNeeded: w >> 16))
            out.append(UInt8(truncatingIfNeeded: w >> 8)); out.append(UInt8(truncatingIfNeeded: w))
        }
        return Digest(bytes: out)
    }

    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 &- n)) }

    /// One round with the working variables passed in rotated order, so no values move between rounds.
    @inline(__always)
    private static func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                              _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32) {
        let t1 = h &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ (g ^ (e & (f ^ g))) &+ kw
        d = d &+ t1
        h = t1 &+ (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) | (c & (a | b)))
    }

    /// Compresses `blocks` consecutive 64-byte blocks at `p` into `s`.
    private static func compress(_ s: inout (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32),
                                 _ p: UnsafeRawPointer, blocks: Int) {
        k.withUnsafeBufferPointer { kb in
            let K = kb.baseAddress!
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { wb in
                let w = wb.baseAddress!
                var (a, b, c, d, e, f, g, h) = s
                for blk in 0..<blocks {
                    let base = p + blk &* 64
                    for i in 0..<16 { w[i] = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 4 &* i, as: UInt32.self)) }
                    for i in 16..<64 {
                        let x = w[i &- 15], y = w[i &- 2]
                        let s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3)
                        let s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >> 10)
                        w[i] = w[i &- 16] &+ s0 &+ w[i &- 7] &+ s1
                    }
                    let (a0, b0, c0, d0, e0, f0, g0, h0) = (a, b, c, d, e, f, g, h)
                    var i = 0
                    while i < 64 {
                        round(a, b, c, &d, e, f, g, &h, K[i] &+ w[i])
                        round(h, a, b, &c, d, e, f, &g, K[i &+ 1] &+ w[i &+ 1])
                        round(g, h, a, &b, c, d, e, &f, K[i &+ 2] &+ w[i &+ 2])
                        round(f, g, h, &a, b, c, d, &e, K[i &+ 3] &+ w[i &+ 3])
                        round(e, f, g, &h, a, b, c, &d, K[i &+ 4] &+ w[i &+ 4])
                        round(d, e, f, &g, h, a, b, &c, K[i &+ 5] &+ w[i &+ 5])
                        round(c, d, e, &f, g, h, a, &b, K[i &+ 6] &+ w[i &+ 6])
                        round(b, c, d, &e, f, g, h, &a, K[i &+ 7] &+ w[i &+ 7])
                        i &+= 8
                    }
                    a = a &+ a0; b = b &+ b0; c = c &+ c0; d = d &+ d0
                    e = e &+ e0; f = f &+ f0; g = g &+ g0; h = h &+ h0
                }
                s = (a, b, c, d, e, f, g, h)
            }
        }
    }
}
