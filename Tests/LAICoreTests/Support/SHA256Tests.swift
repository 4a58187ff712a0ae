// SHA256Tests: the FIPS 180-4 test vectors, split updates, and a throughput sanity check.
import Foundation
import LAICore
import Testing

@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ])
    func knownVectors(input: String, hex: String) {
        #expect(SHA256.hash(Array(input.utf8)).hex == hex)
    }

    @Test func millionAs() {
        let a = [UInt8](repeating: 0x61, count: 1_000_000)
        #expect(SHA256.hash(a).hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func splitUpdatesMatchOneShot() {
        var rng = SplitMix64(seed: 7)
        let data = (0..<10_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let whole = SHA256.hash(data)
        for cut in [1, 63, 64, 65, 127, 4096, 9999] {
            var h = SHA256()
            h.update(Array(data[..<cut])); h.update(Array(data[cut...]))
            #expect(h.finalize() == whole, "cut at \(cut)")
        }
        var h = SHA256()
        for b in data { h.update([b]) }
        #expect(h.finalize() == whole)
    }

    @Test func throughput() {
        let n = 64 << 20
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: n, alignment: 64)
        defer { buf.deallocate() }
        buf.initializeMemory(as: UInt8.self, repeating: 0x5A)
        let t0 = Date()
        _ = SHA256.hash(UnsafeRawBufferPointer(buf))
        let mbs = Double(n) / 1e6 / Date().timeIntervalSince(t0)
        print("SHA256: \(Int(mbs)) MB/s")
        #expect(mbs > 50)
    }
}
