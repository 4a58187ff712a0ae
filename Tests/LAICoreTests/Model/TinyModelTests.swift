// Tiny random llama and qwen2 models written as GGUF, run through DecoderSession and through a plain
// float64 transformer written here from the papers' equations (RoPE, RMSNorm, GQA, SwiGLU).
import Foundation
import Testing
import LAICore

@Suite struct TinyModelTests {
    struct Dims { let vocab = 64, embd = 32, layers = 2, heads = 4, kvHeads = 2, ff = 48; var hd: Int { embd / heads } }

    /// Writes a random F32 model of architecture `arch` and returns its path and weights by name.
    static func writeModel(arch: String, dir: URL, seed: UInt64, metadata overrides: [String: GGUFValue] = [:]) throws -> (String, [String: [Float]]) {
        let d = Dims()
        var rng = SplitMix64(seed: seed)
        var weights: [String: [Float]] = [:]
        var specs: [(String, [Int])] = [("token_embd.weight", [d.embd, d.vocab]), ("output_norm.weight", [d.embd]), ("output.weight", [d.embd, d.vocab])]
        for l in 0..<d.layers {
            let p = "blk.\(l)."
            specs += [(p + "attn_norm.weight", [d.embd]), (p + "attn_q.weight", [d.embd, d.embd]), (p + "attn_k.weight", [d.embd, d.kvHeads * d.hd]),
                      (p + "attn_v.weight", [d.embd, d.kvHeads * d.hd]), (p + "attn_output.weight", [d.embd, d.embd]),
                      (p + "ffn_norm.weight", [d.embd]), (p + "ffn_gate.weight", [d.embd, d.ff]), (p + "ffn_up.weight", [d.embd, d.ff]),
                      (p + "ffn_down.weight", [d.ff, d.embd])]
            if arch == "qwen2" { specs += [(p + "attn_q.bias", [d.embd]), (p + "attn_k.bias", [d.kvHeads * d.hd]), (p + "attn_v.bias", [d.kvHeads * d.hd])] }
        }
        for (name, shape) in specs {
            let n = shape.reduce(1, *)
            weights[name] = name.hasSuffix("norm.weight") ? (0..<n).map { _ in Float.random(in: 0.8...1.2, using: &rng) }
                : (0..<n).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
        }
        var m = GGUFMetadata()
        m["general.architecture"] = .string(arch)
        m["\(arch).context_length"] = .uint32(64); m["\(arch).embedding_length"] = .uint32(UInt32(d.embd))
        m["\(arch).block_count"] = .uint32(UInt32(d.layers)); m["\(arch).feed_forward_length"] = .uint32(UInt32(d.ff))
        m["\(arch).attention.head_count"] = .uint32(UInt32(d.heads)); m["\(arch).attention.head_count_kv"] = .uint32(UInt32(d.kvHeads))
        m["\(arch).attention.layer_norm_rms_epsilon"] = .float32(1e-6); m["\(arch).rope.freq_base"] = .float32(10000)
        for (k, v) in overrides { m[k] = v }
        m["tokenizer.ggml.model"] = .string("gpt2")
        m["tokenizer.ggml.tokens"] = .array(GGUFArray(strings: (0..<d.vocab).map { "t\($0)" }))
        let path = dir.appendingPathComponent("\(arch).gguf").path
        let stored = specs.map { (name, shape) in (name, shape, weights[name]!) }
        try GGUFWriter.write(path: path, metadata: m, tensors: stored.map { name, shape, w in
            GGUFTensorSpec(name: name, type: .f32, shape: shape) { out in try w.withUnsafeBytes { try out.write($0) } }
        })
        return (path, weights)
    }

    /// The reference: a float64 forward pass over the whole sequence, returning the last position's logits.
    static func reference(_ w: [String: [Float]], tokens: [Int], neox: Bool, bias: Bool) -> [Double] {
        let d = Dims(), hd = d.hd, kvd = d.kvHeads * hd
        func mat(_ name: String, _ x: [Double], rows: Int, cols: Int) -> [Double] {
            let m = w[name]!
            return (0..<rows).map { r in (0..<cols).reduce(0.0) { $0 + Double(m[r * cols + $1]) * x[$1] } }
        }
        func rms(_ x: [Double], _ name: String) -> [Double] {
            let s = (x.reduce(0) { $0 + $1 * $1 } / Double(x.count) + 1e-6).squareRoot()
            return x.enumerated().map { $1 / s * Double(w[name]![$0]) }
        }
        func rope(_ v: inout [Double], pos: Int, heads: Int) {
            for h in 0..<heads {
                for i in 0..<(hd / 2) {
                    let theta = Double(pos) * pow(10000, -2.0 * Double(i) / Double(hd))
                    let (a, b) = neox ? (h * hd + i, h * hd + i + hd / 2) : (h * hd + 2 * i, h * hd + 2 * i + 1)
                    let x0 = v[a], x1 = v[b]
                    v[a] = x0 * cos(theta) - x1 * sin(theta); v[b] = x0 * sin(theta) + x1 * cos(theta)
                }
            }
        }
        var xs = tokens.map { t in (0..<d.embd).map { Double(w["token_embd.weight"]![t * d.embd + $0]) } }
        for l in 0..<d.layers {
            let p = "blk.\(l)."
            var qs: [[Double]] = [], ks: [[Double]] = [], vs: [[Double]] = []
            for (pos, x) in xs.enumerated() {
                let h = rms(x, p + "attn_norm.weight")
                var q = mat(p + "attn_q.weight", h, rows: d.embd, cols: d.embd)
                var k = mat(p + "attn_k.weight", h, rows: kvd, cols: d.embd)
                var v = mat(p + "attn_v.weight", h, rows: kvd, cols: d.embd)
                if bias {
                    for i in 0..<d.embd { q[i] += Double(w[p + "attn_q.bias"]![i]) }
                    for i in 0..<kvd { k[i] += Double(w[p + "attn_k.bias"]![i]); v[i] += Double(w[p + "attn_v.bias"]![i]) }
                }
                rope(&q, pos: pos, heads: d.heads); rope(&k, pos: pos, heads: d.kvHeads)
                qs.append(q); ks.append(k); vs.append(v)
            }
            for t in 0..<xs.count {
                var att = [Double](repeating: 0, count: d.embd)
                for h in 0..<d.heads {
                    let kh = h / (d.heads / d.kvHeads)
                    let scores = (0...t).map { j in (0..<hd).reduce(0.0) { $0 + qs[t][h * hd + $1] * ks[j][kh * hd + $1] } / Double(hd).squareRoot() }
                    let m = scores.max()!
                    let e = scores.map { exp($0 - m) }, z = e.reduce(0, +)
                    for j in 0...t { for i in 0..<hd { att[h * hd + i] += e[j] / z * vs[j][kh * hd + i] } }
                }
                let o = mat(p + "attn_output.weight", att, rows: d.embd, cols: d.embd)
                for i in 0..<d.embd { xs[t][i] += o[i] }
                let h = rms(xs[t], p + "ffn_norm.weight")
                let g = mat(p + "ffn_gate.weight", h, rows: d.ff, cols: d.embd), u = mat(p + "ffn_up.weight", h, rows: d.ff, cols: d.embd)
                let a = (0..<d.ff).map { g[$0] / (1 + exp(-g[$0])) * u[$0] }
                let dn = mat(p + "ffn_down.weight", a, rows: d.embd, cols: d.ff)
                for i in 0..<d.embd { xs[t][i] += dn[i] }
            }
        }
        return mat("output.weight", rms(xs.last!, "output_norm.weight"), rows: d.vocab, cols: d.embd)
    }

    @Test(arguments: ["llama", "qwen2"])
    func forwardMatchesAPlainTransformer(arch: String) throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (path, w) = try Self.writeModel(arch: arch, dir: dir, seed: arch == "llama" ? 1 : 2)
        let model = try DecoderModel(path: path)
        #expect(model.config.rope.neox == (arch == "qwen2"))
        let tokens = [3, 17, 42, 5, 9, 60, 1]
        for useKernels in [true, false] {
            // Whole prompt in one batch, and then token by token: both must give the same answer.
            let s = DecoderSession(model: model, contextSize: 32, useKernels: useKernels)
            let batch = Array(try s.evaluate(tokens.map(Int32.init)))
            let s2 = DecoderSession(model: model, contextSize: 32, batchCapacity: 1, useKernels: useKernels)
            var last: [Float] = []
            for t in tokens { last = Array(try s2.evaluate([Int32(t)])) }
            let ref = Self.reference(w, tokens: tokens, neox: arch == "qwen2", bias: arch == "qwen2")
            let maxDiff = zip(batch, ref).map { abs(Double($0) - $1) }.max()!
            let stepDiff = zip(batch, last).map { abs($0 - $1) }.max()!
            print("\(arch) kernels=\(useKernels): max |Δlogit| vs float64 = \(maxDiff), batch vs step = \(stepDiff)")
            #expect(maxDiff < 2e-2)   // f16 activations and KV cache, as llama.cpp
            #expect(stepDiff < 1e-3)
        }
    }
}
