// GGUF robustness: seeded random mutations and truncations of real files never crash or hang the reader.
import Foundation
import Testing
import LAICore

/// Mutates copies of real GGUF files and checks that the reader either rejects them with a GGUFError or
/// returns a file whose every tensor lies inside the bytes it was given.
///
/// `LAI_FUZZ_CASES` sets the number of cases per file (`make fuzz` runs many more).
enum GGUFFuzz {
    static var casesPerFile: Int {
        Int(ProcessInfo.processInfo.environment["LAI_FUZZ_CASES"] ?? "") ?? 1700
    }

    struct Outcome { var rejected = 0; var accepted = 0; var truncationsRejected = 0 }

    static func run(path: String, cases: Int, seed: UInt64) throws -> Outcome {
        let original = try MappedFile(path: path)
        let good = try GGUFFile(file: original)
        let dataEnd = good.tensors.map { good.dataOffset + $0.offset + $0.byteCount }.max() ?? good.dataOffset
        // Mutations land in the header, metadata and tensor infos: the bytes the reader interprets.
        let headerEnd = good.dataOffset
        let copy = MappedFile(owning: original.count, name: "fuzz.gguf")
        let buf = copy.mutableBase!.bindMemory(to: UInt8.self, capacity: original.count)
        buf.update(from: original.base.assumingMemoryBound(to: UInt8.self), count: original.count)
        var rng = SplitMix64(seed: seed)
        var outcome = Outcome()
        let interesting: [UInt64] = [0, 1, 2, 3, 31, 32, 255, 256, 0x7FFF_FFFF, 0xFFFF_FFFF, 1 << 32, UInt64(Int64.max), UInt64.max, 13, 9, 64]
        for i in 0..<cases {
            var length = original.count
            var saved: [(Int, UInt8)] = []
            func set(_ at: Int, _ v: UInt8) { if at < original.count { saved.append((at, buf[at])); buf[at] = v } }
            let kind = i % 4
            if kind == 0 {
                length = Int.random(in: 0..<original.count, using: &rng)
                if Bool.random(using: &rng) { length = Int.random(in: 0..<min(original.count, headerEnd + 64), using: &rng) }
            } else {
                let flips = kind == 1 ? 1 : Int.random(in: 1...8, using: &rng)
                for _ in 0..<flips {
                    let at = Int.random(in: 0..<headerEnd, using: &rng)
                    if kind == 3 {
                        // Overwrite a little-endian integer with an edge value (counts, lengths, types, offsets).
                        let v = interesting.randomElement(using: &rng)!
                        let width = [1, 4, 8].randomElement(using: &rng)!
                        for b in 0..<width { set(at + b, UInt8(truncatingIfNeeded: v >> (8 * UInt64(b)))) }
                    } else {
                        set(at, UInt8.random(in: 0...255, using: &rng))
                    }
                }
            }
            do {
                let f = try GGUFFile(file: copy, length: length)
                outcome.accepted += 1
                for t in f.tensors {
                    precondition(f.dataOffset + t.offset + t.byteCount <= length, "accepted a tensor outside the file")
                }
                // Touch every string array the way a tokenizer would.
                for (_, v) in f.metadata.entries { if let a = v.array { a.forEachStringBytes { _, b in _ = b.count }; _ = a.values(prefix: 4) } }
                if kind == 0 && length < dataEnd { preconditionFailure("accepted a file truncated to \(length) < \(dataEnd)") }
            } catch is GGUFError {
                outcome.rejected += 1
                if kind == 0 { outcome.truncationsRejected += 1 }
            }
            for (at, v) in saved.reversed() { buf[at] = v }
        }
        return outcome
    }
}

@Suite struct GGUFFuzzTests {
    @Test(arguments: [Fixtures.smolLM2] + Fixtures.vocabFiles)
    func mutationsNeverCrash(path: String) throws {
        let n = GGUFFuzz.casesPerFile
        let o = try GGUFFuzz.run(path: path, cases: n, seed: 0x1A1 ^ UInt64(path.utf8.count))
        #expect(o.accepted + o.rejected == n)
        #expect(o.rejected > n / 8, "suspiciously few rejections: \(o)")
        print("fuzz \(URL(fileURLWithPath: path).lastPathComponent): \(n) cases, \(o.rejected) rejected, \(o.accepted) accepted")
    }
}
