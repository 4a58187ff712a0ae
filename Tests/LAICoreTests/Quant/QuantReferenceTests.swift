// QuantReferenceTests: bit-exactness against llama.cpp's outputs (tensor sha256 digests of SmolLM2).
import Foundation
import LAICore
import Testing

@Suite struct QuantReferenceTests {
    @Test func blockLayoutSizesMatchGGML() {
        for (t, size) in BlockLayouts.sizes { #expect(size == t.bytesPerBlock, "\(t.name)") }
        #expect(QK_K == 256)
    }

    @Test func fp16MatchesHardwareConversionForAllNonNaN() {
        var rng = SplitMix64(seed: 1)
        var mismatches = 0
        for i in 0..<2_000_000 {
            let bits: UInt32 = i < 1_000_000 ? UInt32(truncatingIfNeeded: rng.next()) : UInt32(i - 1_000_000) << 12 | 0x3000_0000
            let f = Float(bitPattern: bits)
            if f.isNaN { continue }
            if HalfFloat.f32ToF16(f) != Float16(f).bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
        #expect(HalfFloat.f32ToF16(.nan) == 0x7E00)
        #expect(HalfFloat.f32ToF16(70000) == 0x7C00)
        #expect(HalfFloat.f32ToF16(-0.0) == 0x8000)
        for h in UInt16(0)...UInt16.max where !Float16(bitPattern: h).isNaN {
            if HalfFloat.f32ToF16(HalfFloat.f16ToF32(h)) != h { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func bf16AsGGML() {
        #expect(HalfFloat.f32ToBF16(1.0) == 0x3F80)
        #expect(HalfFloat.f32ToBF16(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie → even
        #expect(HalfFloat.f32ToBF16(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie → even (up)
        #expect(HalfFloat.f32ToBF16(Float(bitPattern: 0x7F80_0001)) == 0x7FC0)  // signalling NaN → quiet
        #expect(HalfFloat.f32ToBF16(Float(bitPattern: 0xFFC1_2345)) == 0xFFC1)
        #expect(HalfFloat.bf16ToF32(0xC049) == Float(bitPattern: 0xC049_0000))
    }

    /// Dequantizes the Q4_1 SmolLM2 to F16 tensor by tensor (as llama-quantize --allow-requantize … F16),
    /// checks every digest, then quantizes that F16 data to Q8_0/Q4_0/Q4_1 with --pure semantics and
    /// checks those digests too. This proves Q4_1/Q8_0 dequantization, fp16 rounding and the three
    /// reference quantizers bit-exact on 272 real tensors.
    @Test func smolLM2DigestsMatchLlamaCpp() throws {
        let path = Fixtures.smolLM2
        guard FileManager.default.fileExists(atPath: path), !QuantRef.digests.isEmpty else {
            Issue.record("missing \(path) or quant-digests.json"); return
        }
        let file = try GGUFFile(path: path)
        let (f16Plan, _) = try ModelQuantizer.plan(file, target: .f16, pure: false, allowRequantize: true)
        var checked: [String: Int] = [:]
        var failures: [String] = []
        for e in f16Plan {
            let t = e.tensor
            let f16Bytes = e.outputBytes
            let f16 = UnsafeMutableRawPointer.allocate(byteCount: f16Bytes, alignment: 64)
            defer { f16.deallocate() }
            if e.newType == t.type {
                f16.copyMemory(from: file.data(t).baseAddress!, byteCount: f16Bytes)
            } else {
                try ModelQuantizer.convert(src: file.data(t).baseAddress!, from: t.type, to: f16, as: e.newType,
                                           rowLength: t.shape[0], rows: t.rowCount, threads: 2)
            }
            let want = QuantRef.digests["F16"]?[t.name]
            #expect(want?.type == e.newType.name, "\(t.name) type")
            if QuantRef.sha(f16, f16Bytes) == want?.sha { checked["F16", default: 0] += 1 } else { failures.append("F16 \(t.name)") }

            for target in ["Q8_0", "Q4_0", "Q4_1"] {
                guard let ref = QuantRef.digests[target]?[t.name], let type = GGMLType(name: ref.type) else {
                    failures.append("\(target) \(t.name): no reference"); continue
                }
                let n = type.rowBytes(t.shape[0])! * t.rowCount
                let out = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
                defer { out.deallocate() }
                if type == e.newType {
                    out.copyMemory(from: f16, byteCount: n)
                } else {
                    try ModelQuantizer.convert(src: f16, from: e.newType, to: out, as: type,
                                               rowLength: t.shape[0], rows: t.rowCount, threads: 2)
                }
                if QuantRef.sha(out, n) == ref.sha { checked[target, default: 0] += 1 } else { failures.append("\(target) \(t.name)") }
            }
        }
        #expect(failures.isEmpty, "digest mismatches (first 10): \(failures.prefix(10))")
        for f in ["F16", "Q8_0", "Q4_0", "Q4_1"] { #expect(checked[f] == 272, "\(f): \(checked[f] ?? 0) of 272 tensors match") }
    }
}
