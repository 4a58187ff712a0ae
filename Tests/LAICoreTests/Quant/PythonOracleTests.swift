// PythonOracleTests: gguf-py (numpy) as an independent oracle: the tools venv that `make tiny-models` builds in
// the model cache (or any python3 with `gguf`).
//
// lai writes a GGUF with, per type, the fp32 input, lai's quantized bytes and lai's dequantized fp32.
// gguf.quants must dequantize lai's bytes to exactly lai's fp32 (every type), and quantize the input to
// exactly lai's bytes (the types gguf-py can quantize: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, BF16).
import Foundation
import LAICore
import Testing

@Suite struct PythonOracleTests {
    static let script = """
    import sys, json, numpy as np
    from gguf import GGUFReader, GGMLQuantizationType as Q
    from gguf.quants import quantize, dequantize
    r = GGUFReader(sys.argv[1]); t = {x.name: x for x in r.tensors}; out = {}
    for name in sorted(n[2:] for n in t if n.startswith('q.')):
        q, x, d = t['q.' + name], t['x.' + name], t['d.' + name]
        qb = np.array(q.data).reshape(-1).view(np.uint8)
        xs = np.array(x.data).astype(np.float32).reshape(-1, int(x.shape[0]))
        ours = np.array(d.data).astype(np.float32).reshape(-1)
        py = dequantize(qb.reshape(-1, qb.size // xs.shape[0]), q.tensor_type).astype(np.float32).reshape(-1)
        res = {'dequant_equal': bool(np.array_equal(py.view(np.uint32), ours.view(np.uint32))),
               'rel_rms': float(np.sqrt(np.mean((py - xs.reshape(-1)) ** 2) / np.mean(xs ** 2)))}
        try:
            res['quant_equal'] = bool(np.array_equal(quantize(xs, q.tensor_type).reshape(-1).view(np.uint8), qb))
        except NotImplementedError:
            pass
        out[name] = res
    print(json.dumps(out))
    """

    static var python: String? {
        for p in [Fixtures.cache.appendingPathComponent("venv/bin/python").path, "/usr/bin/python3", "/usr/local/bin/python3"] + (ProcessInfo.processInfo.environment["PATH"] ?? "")
            .split(separator: ":").map({ "\($0)/python3" }) where FileManager.default.isExecutableFile(atPath: p) {
            let c = Process(); c.executableURL = URL(fileURLWithPath: p); c.arguments = ["-c", "import gguf.quants"]
            c.standardError = FileHandle.nullDevice; c.standardOutput = FileHandle.nullDevice
            if (try? c.run()) != nil { c.waitUntilExit(); if c.terminationStatus == 0 { return p } }
        }
        return nil
    }

    @Test(.enabled(if: python != nil, "needs python3 with gguf (make tiny-models builds it in the model cache)"))
    func ggufPyAgreesWithLai() throws {
        let py = try #require(Self.python)
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let types: [GGMLType] = [.bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]
        let rowLen = 512, rows = 24, n = rowLen * rows
        var specs: [GGUFTensorSpec] = []
        var keep: [[UInt8]] = []
        for (k, t) in types.enumerated() {
            let x = QuantRef.randomRow(n, seed: UInt64(100 + k), scale: 0.03)
            var q = [UInt8](repeating: 0, count: t.rowBytes(n)!)
            var d = [Float](repeating: 0, count: n)
            try x.withUnsafeBufferPointer { xp in try q.withUnsafeMutableBytes { try Quantize.row(t, xp.baseAddress!, $0.baseAddress!, count: n) } }
            try q.withUnsafeBytes { qp in try d.withUnsafeMutableBufferPointer { try Dequantize.row(t, qp.baseAddress!, $0.baseAddress!, count: n) } }
            let xb = x.withUnsafeBytes { Array($0) }, db = d.withUnsafeBytes { Array($0) }
            keep += [xb, q, db]
            for (prefix, type, bytes) in [("x", GGMLType.f32, xb), ("q", t, q), ("d", GGMLType.f32, db)] {
                specs.append(GGUFTensorSpec(name: "\(prefix).\(t.name)", type: type, shape: [rowLen, rows]) { try $0.write(bytes) })
            }
        }
        var md = GGUFMetadata()
        md["general.architecture"] = .string("test")
        let path = dir.appendingPathComponent("oracle.gguf").path
        try GGUFWriter.write(path: path, metadata: md, tensors: specs)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: py)
        p.arguments = ["-c", Self.script, path]
        let out = Pipe(); p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let res = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        for t in types {
            let r = try #require(res[t.name], "\(t.name) missing")
            #expect(r["dequant_equal"] as? Bool == true, "\(t.name): gguf-py dequantizes lai's bytes differently")
            if let qe = r["quant_equal"] as? Bool { #expect(qe, "\(t.name): gguf-py quantizes differently") }
            print("gguf-py oracle \(t.name): dequant equal \(r["dequant_equal"] ?? "?"), quant equal \(r["quant_equal"] ?? "n/a"), rel RMS \(r["rel_rms"] ?? "?")")
        }
        _ = keep
    }
}
