// Store digest tests: the streaming SHA-256 against FIPS 180-4 vectors and the demo model's published digest.
import Foundation
import LAICore
import Testing

@Suite struct StoreDigestTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        // Lengths around the padding boundaries (56 and 64 bytes), from Python's hashlib.
        (String(repeating: "a", count: 55), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
        (String(repeating: "a", count: 56), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
        (String(repeating: "a", count: 57), "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6"),
        (String(repeating: "a", count: 63), "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
        (String(repeating: "a", count: 64), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
        (String(repeating: "a", count: 65), "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"),
        (String(repeating: "a", count: 119), "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"),
        (String(repeating: "a", count: 120), "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"),
    ])
    func knownVectors(input: String, hex: String) {
        #expect(BlobHasher.hex(Array(input.utf8)) == hex)
    }

    @Test func millionAs() {
        var h = BlobHasher()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { h.update(chunk) }
        #expect(h.finalize() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Any way of cutting the input into `update` calls gives the same digest (block-boundary bookkeeping).
    @Test func chunkingDoesNotMatter() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<200 {
            let n = Int.random(in: 0..<700, using: &rng)
            let data = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let whole = BlobHasher.hex(data)
            var h = BlobHasher()
            var i = 0
            while i < n {
                let k = min(n - i, Int.random(in: 1...130, using: &rng))
                h.update(Array(data[i..<i + k]))
                i += k
            }
            #expect(h.finalize() == whole, "n=\(n)")
        }
    }

    @Test func demoModelFile() throws {
        let (hex, size) = try BlobHasher.hashFile(Fixtures.smolLM2)
        #expect(size == 98_362_432)
        #expect(hex == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
    }
}
