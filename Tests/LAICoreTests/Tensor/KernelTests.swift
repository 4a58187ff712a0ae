// Kernels: the AVX2 block kernels against their portable Swift twins on random data.
import Foundation
import LAIKernels
import Testing
import LAICore

@Suite struct KernelTests {
    /// Random weights of `type` made by lai's reference quantizer (so every block is a real block).
    static func randomMatrix(_ type: GGMLType, rows: Int, cols: Int, seed: UInt64) throws -> (MappedFile, WeightMatrix) {
        var rng = SplitMix64(seed: seed)
        let floats = (0..<(rows * cols)).map { _ in Float.random(in: -1...1, using: &rng) * (Bool.random(using: &rng) ? 1 : 0.05) }
        let rowBytes = type.rowBytes(cols)!
        let buf = MappedFile(owning: rows * rowBytes, name: "random")
        try floats.withUnsafeBufferPointer { f in
            for r in 0..<rows { try Quantize.row(type, f.baseAddress! + r * cols, buf.mutableBase! + r * rowBytes, count: cols) }
        }
        let w = WeightMatrix(name: "w", type: type, rows: rows, cols: cols, data: buf.base, rowBytes: rowBytes)
        return (buf, w)
    }

    @Test(.enabled(if: CPUFeatures.active.detected >= .avx2, "the AVX2 kernels need AVX2/FMA/F16C"),
          arguments: [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .f16, .bf16, .f32, .q4_K, .q6_K, .iq4_nl, .iq4_xs], [1, 3, 7, 70])
    func fastProductsMatchReference(type: GGMLType, tokens: Int) throws {
        let rows = tokens == 3 ? 64 : 61, cols = 256  // 64 rows: the packed kernels where the type has one
        let (keep, w) = try Self.randomMatrix(type, rows: rows, cols: cols, seed: UInt64(type.rawValue) * 1000 + UInt64(tokens))
        defer { withExtendedLifetime(keep) {} }
        var rng = SplitMix64(seed: 7)
        let x = (0..<(tokens * cols)).map { _ in Float.random(in: -3...3, using: &rng) }
        var fast = [Float](repeating: 0, count: tokens * rows), ref = fast
        let pool = ThreadPool(threads: 2)
        MatMul(pool: pool, useKernels: true).apply(w, x, n: tokens, &fast)
        MatMul(pool: pool, useKernels: false).apply(w, x, n: tokens, &ref)
        var maxRel: Float = 0
        for i in 0..<fast.count { maxRel = max(maxRel, abs(fast[i] - ref[i]) / max(1, abs(ref[i]))) }
        print("\(type.name) × \(tokens) tokens: OK, max rel diff = \(maxRel)")
        #expect(maxRel < 1e-5)
        // And both agree with a plain f32 product of the dequantized weights, within the worst-case
        // error of 8-bit activations (each activation off by at most half a step of max|x|/127).
        var row = [Float](repeating: 0, count: cols)
        for c in 0..<tokens {
            let xc = Array(x[(c * cols)..<((c + 1) * cols)])
            let step = xc.map(abs).max()! / 127
            for r in 0..<rows {
                w.dequantizeRow(r, into: &row)
                let exact = (0..<cols).reduce(Float(0)) { $0 + row[$1] * xc[$1] }
                let bound = row.map(abs).reduce(0, +) * step * 0.5 + 1e-3 * max(1, abs(exact))
                #expect(abs(exact - ref[c * rows + r]) <= bound)
            }
        }
    }

    /// The row-major kernels keep ggml's one-column vec_dot arithmetic in their multi-column tiles (q4_1 and q5_1
    /// take one row × 4 columns with 4-wide scale products), so a product of many tokens equals the same tokens
    /// multiplied one at a time, bit for bit; the one-column path is what the llama.cpp logit references check.
    @Test(.enabled(if: CPUFeatures.active.detected >= .avx2, "the AVX2 kernels need AVX2/FMA/F16C"),
          arguments: [GGMLType.q4_1, .q5_1, .q6_K, .iq4_nl], [4, 6, 9, 70])
    func multiColumnTilesEqualOneColumnAtATime(type: GGMLType, tokens: Int) throws {
        let rows = 37, cols = 512
        let (keep, w) = try Self.randomMatrix(type, rows: rows, cols: cols, seed: 91 + UInt64(tokens))
        defer { withExtendedLifetime(keep) {} }
        #expect(w.packedForKernels().packed == nil)
        var rng = SplitMix64(seed: 13)
        let x = (0..<(tokens * cols)).map { _ in Float.random(in: -3...3, using: &rng) }
        var batched = [Float](repeating: 0, count: tokens * rows), single = batched
        let mm = MatMul(pool: ThreadPool(threads: 2), useKernels: true)
        mm.apply(w, x, n: tokens, &batched)
        for t in 0..<tokens {
            x.withUnsafeBufferPointer { xp in
                single.withUnsafeMutableBufferPointer { o in mm.apply(w, xp.baseAddress! + t * cols, n: 1, o.baseAddress! + t * rows) }
            }
        }
        #expect(batched.map(\.bitPattern) == single.map(\.bitPattern))
    }

    /// The q6_K kernel on word-interleaved activations (q8_Kw, what products use) keeps ggml's lane sums, so it
    /// equals ggml's vec_dot arithmetic (lai_gemm_q6_K_q8_K, which the llama.cpp logit references check) bit for
    /// bit: random blocks (every bit pattern is a valid q6_K block), plus a row of the largest 6-bit values with
    /// the most negative scales and a block of ±127 activations, the int16 sums' extremes.
    @Test(.enabled(if: CPUFeatures.active.detected >= .avx2, "the AVX2 kernels need AVX2/FMA/F16C"),
          arguments: [1, 3, 4, 5, 8, 9, 70])
    func q6KInterleavedKernelIsBitIdenticalToGGMLs(tokens: Int) throws {
        let rows = 37, cols = 768, nb = cols / 256, rowBytes = GGMLType.q6_K.rowBytes(cols)!
        var rng = SplitMix64(seed: 3 + UInt64(tokens))
        var w = (0..<(rows * rowBytes)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for r in 0..<rows {
            for b in 0..<nb {
                let d = r * rowBytes + b * 210 + 208   // a normal f16 scale, not a random bit pattern
                let h = Float16(Float.random(in: 1e-4...1e-2, using: &rng)).bitPattern
                w[d] = UInt8(h & 0xFF); w[d + 1] = UInt8(h >> 8)
                if r == 0 { for k in 0..<192 { w[r * rowBytes + b * 210 + k] = 0xFF }; for k in 192..<208 { w[r * rowBytes + b * 210 + k] = 0x80 } }
            }
        }
        var x = (0..<(tokens * cols)).map { _ in Float.random(in: -3...3, using: &rng) }
        for i in 0..<256 { x[i] = i % 3 == 0 ? -3 : 3 }
        let arb = ActivationEncoding.q8_K.rowBytes(cols), arbW = ActivationEncoding.q8_Kw.rowBytes(cols)
        #expect(arbW == nb * 320)
        var act = [UInt8](repeating: 0, count: tokens * arb), actW = [UInt8](repeating: 0, count: tokens * arbW)
        x.withUnsafeBufferPointer { xp in
            for t in 0..<tokens {
                act.withUnsafeMutableBytes { lai_quantize_row_q8_K(xp.baseAddress! + t * cols, $0.baseAddress! + t * arb, Int32(cols)) }
                actW.withUnsafeMutableBytes { lai_quantize_row_q8_Kw(xp.baseAddress! + t * cols, $0.baseAddress! + t * arbW, Int32(cols)) }
            }
        }
        var ggml = [Float](repeating: .nan, count: tokens * rows), interleaved = ggml
        w.withUnsafeBytes { wp in
            act.withUnsafeBytes { lai_gemm_q6_K_q8_K(Int32(nb), wp.baseAddress!, rowBytes, Int32(rows), $0.baseAddress!, arb, Int32(tokens), &ggml, rows) }
            actW.withUnsafeBytes { lai_gemm_q6_K_q8_Kw(Int32(nb), wp.baseAddress!, rowBytes, Int32(rows), $0.baseAddress!, arbW, Int32(tokens), &interleaved, rows) }
        }
        #expect(ggml.allSatisfy { $0.isFinite })
        #expect(interleaved.map(\.bitPattern) == ggml.map(\.bitPattern))
    }

    /// The packed q4_0/q4_K/q5_0/q8_0 kernels (AVX2 and, where the CPU has it, AVX-512 VNNI) equal their twin bit for
    /// bit; the twin reads the original rows, so this also checks the packing.
    @Test(.enabled(if: CPUFeatures.active.detected >= .avx2, "the packed kernels need AVX2/FMA/F16C"),
          arguments: [GGMLType.q4_0, .q4_K, .q5_0, .q8_0], [1, 3, 4, 6, 8, 9])
    func packedProductsAreBitIdenticalToTheirTwin(type: GGMLType, tokens: Int) throws {
        let rows = 40, cols = 512
        let (keep, w0) = try Self.randomMatrix(type, rows: rows, cols: cols, seed: 77 + UInt64(tokens))
        defer { withExtendedLifetime(keep) {} }
        let w = w0.packedForKernels()
        let packed = try #require(w.packed)
        var rng = SplitMix64(seed: 5)
        var x = (0..<(tokens * cols)).map { _ in Float.random(in: -3...3, using: &rng) }
        for i in 0..<32 { x[i] = i % 2 == 0 ? 3 : -3 }   // a block of ±127 quants: the split's and sums' extremes
        let variants = CPUFeatures.active.detected >= .avx512vnni ? [0, 1] : [0]
        for vnni in variants {
            // the AVX2 q8_0x8 kernel takes q8_0p activations, VNNI and the other layouts q8_0s (q4_K: q8_K)
            let enc: ActivationEncoding = type == .q4_K ? .q8_K : type == .q8_0 && vnni == 0 ? .q8_0p : .q8_0s
            let arb = enc.rowBytes(cols)
            var act = [UInt8](repeating: 0, count: tokens * arb), actRef = act
            for t in 0..<tokens {
                x.withUnsafeBufferPointer { xp in
                    let src = xp.baseAddress! + t * cols
                    act.withUnsafeMutableBytes { a in
                        let dst = a.baseAddress! + t * arb
                        switch enc {
                        case .q8_K: lai_quantize_row_q8_K(src, dst, Int32(cols))
                        case .q8_0p: lai_quantize_row_q8_0p(src, dst, Int32(cols))
                        default: lai_quantize_row_q8_0s(src, dst, Int32(cols))
                        }
                    }
                    actRef.withUnsafeMutableBytes { a in
                        let dst = a.baseAddress! + t * arb
                        switch enc {
                        case .q8_K: try? Quantize.row(.q8_K, src, dst, count: cols)
                        case .q8_0p: ReferenceKernels.quantizeRowQ8P(src, dst, cols)
                        default: ReferenceKernels.quantizeRowQ8S(src, dst, cols)
                        }
                    }
                }
            }
            #expect(act == actRef, "\(type.name) activations vnni=\(vnni)")
            var ref = [Float](repeating: 0, count: tokens * rows)
            act.withUnsafeBytes { a in
                ReferenceKernels.gemmPacked(packed.layout, w.data, w.rowBytes, nr: rows, cols: cols, a.baseAddress!, arb, nc: tokens, &ref, rows,
                                            activations: enc)
            }
            let k = lai_packed_kernel_set(Int32(vnni))
            var out = [Float](repeating: .nan, count: tokens * rows)
            act.withUnsafeBytes { a in
                if type == .q4_0 { k.q4_0x8(Int32(cols / 32), w.packedBase, packed.groupBytes, Int32(rows / 8), a.baseAddress!, arb, Int32(tokens), &out, rows) }
                else if type == .q5_0 { k.q5_0x8(Int32(cols / 32), w.packedBase, packed.groupBytes, Int32(rows / 8), a.baseAddress!, arb, Int32(tokens), &out, rows) }
                else if type == .q8_0 { k.q8_0x8(Int32(cols / 32), w.packedBase, packed.groupBytes, Int32(rows / 8), a.baseAddress!, arb, Int32(tokens), &out, rows) }
                else { k.q4_Kx8(Int32(cols / 256), w.packedBase, packed.groupBytes, Int32(rows / 8), a.baseAddress!, arb, Int32(tokens), &out, rows) }
            }
            #expect(out == ref, "\(type.name) vnni=\(vnni)")
        }
        if type == .q8_0 {
            // the two q8_0x8 encodings are the same numbers: the twin gives one result for both
            let arbS = ActivationEncoding.q8_0s.rowBytes(cols), arbP = ActivationEncoding.q8_0p.rowBytes(cols)
            var s = [UInt8](repeating: 0, count: tokens * arbS), p = [UInt8](repeating: 0, count: tokens * arbP)
            var outS = [Float](repeating: 0, count: tokens * rows), outP = outS
            x.withUnsafeBufferPointer { xp in
                for t in 0..<tokens {
                    s.withUnsafeMutableBytes { ReferenceKernels.quantizeRowQ8S(xp.baseAddress! + t * cols, $0.baseAddress! + t * arbS, cols) }
                    p.withUnsafeMutableBytes { ReferenceKernels.quantizeRowQ8P(xp.baseAddress! + t * cols, $0.baseAddress! + t * arbP, cols) }
                }
            }
            s.withUnsafeBytes { ReferenceKernels.gemmPacked(.q8_0x8, w.data, w.rowBytes, nr: rows, cols: cols, $0.baseAddress!, arbS, nc: tokens, &outS, rows) }
            p.withUnsafeBytes { ReferenceKernels.gemmPacked(.q8_0x8, w.data, w.rowBytes, nr: rows, cols: cols, $0.baseAddress!, arbP, nc: tokens, &outP, rows, activations: .q8_0p) }
            #expect(outS == outP)
        }
        // Row views on group boundaries keep the packed copy; others fall back to the plain rows.
        #expect(w.rows(8..<24).packed != nil && w.rows(4..<12).packed == nil)
    }

    @Test(.enabled(if: CPUFeatures.active.detected >= .avx2, "the AVX2 kernels need AVX2/FMA/F16C"))
    func activationQuantizationIsBitIdentical() {
        var rng = SplitMix64(seed: 3)
        for withSum in [false, true] {
            let n = 32 * 40
            var x = (0..<n).map { _ in Float.random(in: -5...5, using: &rng) }
            x[0] = 0; x[33] = 127.5 / 127; for i in 64..<96 { x[i] = 0 }  // zero blocks and ties
            let bs = withSum ? 36 : 34
            var a = [UInt8](repeating: 0, count: n / 32 * bs), b = a
            if withSum { lai_quantize_row_q8_1(x, &a, Int32(n)) } else { lai_quantize_row_q8_0(x, &a, Int32(n)) }
            x.withUnsafeBufferPointer { xp in b.withUnsafeMutableBytes { ReferenceKernels.quantizeRowQ8(xp.baseAddress!, $0.baseAddress!, n, withSum: withSum) } }
            #expect(a == b)
        }
    }

    /// F16 and BF16 activations: rounded as ggml rounds them (F16C nearest even; GGML_FP32_TO_BF16 with its tie and
    /// NaN rules), by the kernel and by the twin alike.
    @Test(.enabled(if: CPUFeatures.active.detected >= .avx2, "the AVX2 kernels need AVX2/FMA/F16C"))
    func halfPrecisionActivationsRoundAsGGML() {
        var rng = SplitMix64(seed: 11)
        var x = (0..<203).map { _ in Float.random(in: -70000...70000, using: &rng) }
        // ties to even both ways, a NaN, infinities, the largest finite float, a subnormal
        x[0] = Float(bitPattern: 0x3f80_8000); x[1] = Float(bitPattern: 0x3f81_8000); x[2] = .nan; x[3] = .infinity
        x[4] = -.infinity; x[5] = .greatestFiniteMagnitude; x[6] = Float(bitPattern: 0x0000_8001); x[200] = Float(bitPattern: 0x3f80_8000)
        var bf = [Float](repeating: 0, count: x.count), h = bf
        lai_round_to_bf16(x, &bf, Int32(x.count))
        lai_round_to_f16(x, &h, Int32(x.count))
        for i in 0..<x.count {
            #expect(bf[i].bitPattern == ReferenceKernels.roundToBF16(x[i]).bitPattern, "bf16 of \(x[i])")
            #expect(h[i].bitPattern == Float(Float16(x[i])).bitPattern || (h[i].isNaN && x[i].isNaN), "f16 of \(x[i])")
        }
        #expect(bf[0].bitPattern == 0x3f80_0000 && bf[1].bitPattern == 0x3f82_0000 && bf[2].isNaN && bf[5] == .infinity)
    }

    @Test(.enabled(if: CPUFeatures.active.detected >= .avx2, "the AVX2 kernels need AVX2/FMA/F16C"))
    func q8KActivationsMatchTheReferenceQuantizer() throws {
        var rng = SplitMix64(seed: 9)
        let n = 256 * 6
        var x = (0..<n).map { _ in Float.random(in: -4...4, using: &rng) }
        for i in 256..<512 { x[i] = 0 }
        var a = [UInt8](repeating: 0, count: n / 256 * 292), b = a
        lai_quantize_row_q8_K(x, &a, Int32(n))
        try x.withUnsafeBufferPointer { xp in try b.withUnsafeMutableBytes { try Quantize.row(.q8_K, xp.baseAddress!, $0.baseAddress!, count: n) } }
        #expect(a == b)
    }

    @Test(.enabled(if: CPUFeatures.active.detected >= .avx2, "the AVX2 kernels need AVX2/FMA/F16C"), arguments: [Float(0), 1.5])
    func attentionMatchesReference(softcap: Float) {
        var rng = SplitMix64(seed: 11)
        let hd = 64, n = 37, stride = 3 * hd
        let q = (0..<hd).map { _ in Float.random(in: -2...2, using: &rng) }
        let kv = (0..<(n * stride)).map { _ in Float16(Float.random(in: -2...2, using: &rng)).bitPattern }
        let vv = (0..<(n * stride)).map { _ in Float16(Float.random(in: -2...2, using: &rng)).bitPattern }
        var fast = [Float](repeating: 0, count: hd), ref = fast
        var scratch = [UInt16](repeating: 0, count: 2 * hd)
        kv.withUnsafeBytes { k in vv.withUnsafeBytes { v in
            lai_attention_f16(q, k.baseAddress!, v.baseAddress!, stride * 2, Int32(n), Int32(hd), 0.125, softcap, &fast, &scratch)
            Ops.attentionF16Reference(q, k: k.baseAddress!, v: v.baseAddress!, kvStride: stride * 2, n: n, hd: hd, scale: 0.125, softcap: softcap, out: &ref)
        } }
        let maxDiff = zip(fast, ref).map { abs($0 - $1) }.max()!
        print("attention (softcap \(softcap)): OK, maxdiff = \(maxDiff)")
        #expect(maxDiff < 2e-3)  // both accumulate V in f16; they differ only in the order of the QK sums
    }

    /// ggml's tiled flash attention: the C kernel equals its Swift twin bit for bit (rows at arbitrary positions,
    /// a sliding window, a softcap, a head size that is not a multiple of 16), and both are within f32 rounding
    /// of exact softmax attention.
    @Test(.enabled(if: CPUFeatures.active.detected >= .avx2, "the AVX2 kernels need AVX2/FMA/F16C"),
          arguments: [(64, Float(0), 0), (64, 1.5, 0), (136, 0, 100), (256, 0, 0)])
    func tiledAttentionMatchesReference(hd: Int, softcap: Float, window: Int) {
        var rng = SplitMix64(seed: 13)
        let rows = 50, cells = 300, stride = 2 * hd, qStride = 3 * hd
        let q = (0..<(rows * qStride)).map { _ in Float.random(in: -2...2, using: &rng) }
        let kc = (0..<(cells * stride)).map { _ in Float16(Float.random(in: -4...4, using: &rng)).bitPattern }
        let vc = (0..<(cells * stride)).map { _ in Float16(Float.random(in: -2...2, using: &rng)).bitPattern }
        let positions = (0..<rows).map { 237 + $0 }
        var fast = [Float](repeating: 0, count: rows * hd), ref = fast
        var scratch = [Float](repeating: 0, count: lai_attention_tiled_scratch_floats(Int32(hd)))
        kc.withUnsafeBytes { k in vc.withUnsafeBytes { v in
            lai_attention_tiled_f16(q, qStride, positions, Int32(rows), k.baseAddress!, v.baseAddress!, stride * 2, Int32(window),
                                    Int32(hd), 0.125, softcap, &fast, hd, &scratch)
            Ops.attentionTiledReference(q, qStride: qStride, positions: positions, rows: rows, k: k.baseAddress!, v: v.baseAddress!,
                                        kvStride: stride * 2, window: window, hd: hd, scale: 0.125, softcap: softcap, out: &ref, outStride: hd)
        } }
        let maxDiff = zip(fast, ref).map { abs($0 - $1) }.max()!
        var exactDiff: Double = 0
        for r in 0..<rows {
            let p = positions[r], lo = window > 0 ? max(0, p - window + 1) : 0
            var w = [Double](repeating: 0, count: p + 1)
            for j in lo...p {
                var s: Double = 0
                for d in 0..<hd { s += Double(q[r * qStride + d]) * Double(Float16(bitPattern: kc[j * stride + d])) }
                s *= 0.125
                if softcap != 0 { s = Double(softcap) * tanh(s / Double(softcap)) }
                w[j] = s
            }
            let m = w[lo...p].max()!
            var sum: Double = 0
            for j in lo...p { w[j] = exp(w[j] - m); sum += w[j] }
            for d in 0..<hd {
                var a: Double = 0
                for j in lo...p { a += w[j] * Double(Float16(bitPattern: vc[j * stride + d])) }
                exactDiff = max(exactDiff, abs(a / sum - Double(fast[r * hd + d])))
            }
        }
        print("tiled attention (hd \(hd), softcap \(softcap), window \(window)): OK, maxdiff = \(maxDiff), vs exact \(exactDiff)")
        #expect(maxDiff == 0)
        #expect(exactDiff < 2e-5)
    }

    /// ggml's split-KV path: partials over chunks of the cache, merged; C equals the Swift twin bit for bit,
    /// and one chunk gives exactly the one-query kernel's result.
    @Test(.enabled(if: CPUFeatures.active.detected >= .avx2, "the AVX2 kernels need AVX2/FMA/F16C"), arguments: [Float(0), 1.5])
    func splitAttentionMatchesReference(softcap: Float) {
        var rng = SplitMix64(seed: 17)
        let hd = 64, n = 700, stride = 3 * hd, chunks = 3, size = (768 + chunks - 1) / chunks
        let q = (0..<hd).map { _ in Float.random(in: -2...2, using: &rng) }
        let kc = (0..<(n * stride)).map { _ in Float16(Float.random(in: -3...3, using: &rng)).bitPattern }
        let vc = (0..<(n * stride)).map { _ in Float16(Float.random(in: -2...2, using: &rng)).bitPattern }
        var parts = [Float](repeating: 0, count: chunks * (2 + hd)), refParts = parts
        var fast = [Float](repeating: 0, count: hd), ref = fast, one = fast, oneRef = fast
        var scratch = [UInt16](repeating: 0, count: 2 * hd)
        kc.withUnsafeBytes { k in vc.withUnsafeBytes { v in
            for c in 0..<chunks {
                let j0 = c * size, j1 = min(n, (c + 1) * size)
                parts.withUnsafeMutableBufferPointer { lai_attention_f16_partial(q, k.baseAddress!, v.baseAddress!, stride * 2, Int32(j0), Int32(j1),
                                                                                 Int32(hd), 0.125, softcap, $0.baseAddress! + c * (2 + hd), &scratch) }
                refParts.withUnsafeMutableBufferPointer { Ops.attentionF16PartialReference(q, k: k.baseAddress!, v: v.baseAddress!, kvStride: stride * 2,
                                                                                           range: j0..<j1, hd: hd, scale: 0.125, softcap: softcap,
                                                                                           partial: $0.baseAddress! + c * (2 + hd)) }
            }
            lai_attention_reduce_partials(parts, Int32(chunks), Int32(hd), &fast)
            Ops.attentionReducePartialsReference(refParts, chunks: chunks, hd: hd, out: &ref)
            var part = [Float](repeating: 0, count: 2 + hd)
            lai_attention_f16_partial(q, k.baseAddress!, v.baseAddress!, stride * 2, 0, Int32(n), Int32(hd), 0.125, softcap, &part, &scratch)
            lai_attention_reduce_partials(part, 1, Int32(hd), &one)
            lai_attention_f16(q, k.baseAddress!, v.baseAddress!, stride * 2, Int32(n), Int32(hd), 0.125, softcap, &oneRef, &scratch)
        } }
        let maxDiff = zip(fast, ref).map { abs($0 - $1) }.max()!
        let partsDiff = zip(parts, refParts).map { abs($0 - $1) }.max()!
        print("split attention (softcap \(softcap)): OK, maxdiff = \(maxDiff), partials \(partsDiff)")
        #expect(maxDiff == 0 && partsDiff == 0)
        #expect(one == oneRef)
    }

    /// Grouped-query attention: `heads` query heads over one KV head in one call (interleaved cell by cell) give each
    /// head exactly the one-head kernel's result, for the whole cache and for a split-KV chunk.
    @Test(.enabled(if: CPUFeatures.active.detected >= .avx2, "the AVX2 kernels need AVX2/FMA/F16C"),
          arguments: [(1, Float(0)), (3, 0), (6, 1.5), (16, 0)])
    func groupedHeadsAttentionEqualsOneHeadAtATime(heads: Int, softcap: Float) {
        var rng = SplitMix64(seed: 19)
        let hd = 64, n = 300, stride = 2 * hd, chunk = 120..<260
        let q = (0..<(heads * hd)).map { _ in Float.random(in: -3...3, using: &rng) }
        let kc = (0..<(n * stride)).map { _ in Float16(Float.random(in: -3...3, using: &rng)).bitPattern }
        let vc = (0..<(n * stride)).map { _ in Float16(Float.random(in: -2...2, using: &rng)).bitPattern }
        var grouped = [Float](repeating: .nan, count: heads * hd), single = grouped
        var groupedParts = [Float](repeating: .nan, count: heads * 2 * (2 + hd)), singleParts = groupedParts
        var scratch = [UInt16](repeating: 0, count: heads * 2 * hd)
        kc.withUnsafeBytes { k in vc.withUnsafeBytes { v in
            lai_attention_f16_heads(q, Int32(heads), k.baseAddress!, v.baseAddress!, stride * 2, Int32(n), Int32(hd), 0.125, softcap, &grouped, &scratch)
            // partials of head g at g * 2 * (2 + hd), as two chunks per head would lay them out
            groupedParts.withUnsafeMutableBufferPointer {
                lai_attention_f16_partial_heads(q, Int32(heads), k.baseAddress!, v.baseAddress!, stride * 2, Int32(chunk.lowerBound), Int32(chunk.upperBound),
                                                Int32(hd), 0.125, softcap, $0.baseAddress!, 2 * (2 + hd), &scratch)
            }
            for g in 0..<heads {
                single.withUnsafeMutableBufferPointer {
                    lai_attention_f16(q.withUnsafeBufferPointer { $0.baseAddress! + g * hd }, k.baseAddress!, v.baseAddress!, stride * 2, Int32(n), Int32(hd),
                                      0.125, softcap, $0.baseAddress! + g * hd, &scratch)
                }
                singleParts.withUnsafeMutableBufferPointer {
                    lai_attention_f16_partial(q.withUnsafeBufferPointer { $0.baseAddress! + g * hd }, k.baseAddress!, v.baseAddress!, stride * 2,
                                              Int32(chunk.lowerBound), Int32(chunk.upperBound), Int32(hd), 0.125, softcap,
                                              $0.baseAddress! + g * 2 * (2 + hd), &scratch)
                }
            }
        } }
        #expect(grouped.map(\.bitPattern) == single.map(\.bitPattern))
        // compare the written partials only (the second chunk's slots stay NaN in both)
        let part = 2 + hd
        var written: [Int] = []
        for g in 0..<heads { written += Array((g * 2 * part)..<(g * 2 * part + part)) }
        #expect(written.map { groupedParts[$0].bitPattern } == written.map { singleParts[$0].bitPattern })
        #expect(!grouped.contains { $0.isNaN })
    }

    @Test(.enabled(if: CPUFeatures.active.detected >= .avx2, "the AVX2 kernels need AVX2/FMA/F16C"))
    func swigluAndRopeMatchReference() {
        var rng = SplitMix64(seed: 5)
        let n = 1000
        var g = (0..<n).map { _ in Float.random(in: -20...20, using: &rng) }
        let u = (0..<n).map { _ in Float.random(in: -3...3, using: &rng) }
        var g2 = g
        lai_swiglu(&g, u, Int32(n))
        Ops.swiglu(&g2, u, n)
        #expect(zip(g, g2).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
        for neox in [false, true] {
            var cache = [Float](repeating: 0, count: 64)
            Ops.ropeCache(&cache, position: 17, dims: 64, base: 10000, freqScale: 1)
            var a = (0..<(3 * 64)).map { _ in Float.random(in: -2...2, using: &rng) }
            var b = a
            lai_rope(&a, 3, 64, 64, cache, neox ? 1 : 0)
            Ops.rope(&b, heads: 3, headDim: 64, dims: 64, cache: cache, neox: neox)
            #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-5 })
        }
    }

    @Test func threadPoolRunsEveryTaskOnce() {
        let pool = ThreadPool(threads: 3)
        for tasks in [1, 2, 5, 100, 1000] {
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: tasks)
            counts.initialize(repeating: 0, count: tasks)
            for _ in 0..<50 { pool.parallelFor(tasks) { counts[$0] += 1 } }
            #expect((0..<tasks).allSatisfy { counts[$0] == 50 })
            counts.deallocate()
        }
    }
}

extension KernelTests {
    /// Several threads sharing one pool (as tests, or a server, do) each get all their tasks run once.
    @Test func threadPoolIsSafeForConcurrentCallers() {
        let pool = ThreadPool(threads: 2)
        let callers = 4, tasks = 300
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: callers * tasks)
        counts.initialize(repeating: 0, count: callers * tasks)
        DispatchQueue.concurrentPerform(iterations: callers) { c in
            for _ in 0..<100 { pool.parallelFor(tasks) { counts[c * tasks + $0] += 1 } }
        }
        #expect((0..<(callers * tasks)).allSatisfy { counts[$0] == 100 })
        counts.deallocate()
    }
}
