// QuantizeCLITests: `lai quantize` end to end — llama.cpp's exact files, skip/force, failures, stdin, JSON.
import Foundation
import Testing

/// sha256 of a file, via coreutils (the CLI tests only see the binary, not LAICore).
private func sha256(_ path: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    p.arguments = [path]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(String(decoding: data, as: UTF8.self).prefix(64))
}

/// Whole-file sha256 of llama-quantize's outputs (../shared/ref/llamacpp-results.json).
private let llamaFiles = [
    "F16": "a269e3181fcbb25046f99f64ba8d3c159165b211c2ff4ffca7ba1bb219d2ccd0",
    "Q8_0": "f7933c716a5b5334c54b997d1f6db3f38a0786c9046ac5f46311b396a3f1fe54",
    "Q4_0": "5ba170526794902da0dd135b235a1627c1eb0aa02a93e3a18b4bbeae783b929c",
    "Q4_1": "941f309b54caaad6747569ba43712bcde44a2be3bae16c3282ff499c37c54af5",
    "Q4_K_M": "27e1496775b07d69415cc5b6658f448ded3829cd2d769473cf2781e77d020b19",
]

private func leftovers(_ dir: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.contains("lai-tmp") }
}

@Suite(.serialized) struct QuantizeCLITests {
    /// Q4_1 → F16 (with --allow-requantize), then F16 → Q8_0, Q4_0, Q4_1, Q4_K_M in one command: every
    /// output is byte-identical to llama-quantize's file (metadata order, tensor order, data, padding).
    @Test func reproducesLlamaQuantizeFiles() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("smol.gguf").path
        try FileManager.default.copyItem(atPath: CLI.smolLM2, toPath: input)

        let refused = try CLI.run(["quantize", input, "--type", "f16"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--allow-requantize"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("smol-F16.gguf").path))

        let r = try CLI.run(["quantize", input, "--type", "f16", "--allow-requantize", "--threads", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning"), "requantizing warns")
        let f16 = dir.appendingPathComponent("smol-F16.gguf").path
        #expect(try sha256(f16) == llamaFiles["F16"])

        let q = try CLI.run(["quantize", f16, "--type", "q8_0,q4_0,q4_1,q4_K_M", "--threads", "2"])
        #expect(q.status == 0, "\(q.stderr)")
        for t in ["Q8_0", "Q4_0", "Q4_1", "Q4_K_M"] {
            #expect(try sha256(dir.appendingPathComponent("smol-F16-\(t).gguf").path) == llamaFiles[t], "\(t)")
        }
        // The table: one header and one row per job, with sizes and a rate.
        let lines = q.stdout.split(separator: "\n")
        #expect(lines.count == 5, "\(q.stdout)")
        #expect(lines.first?.hasPrefix("input") == true)
        #expect(q.stdout.contains("258.3 MiB → 138.1 MiB"), "\(q.stdout)")
        #expect(leftovers(dir).isEmpty)
    }

    @Test func skipsExistingOutputsUnlessForced() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try CLI.run(["quantize", CLI.smolLM2, "--allow-requantize", "--type", "q8_0", "-o", dir.path, "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let out = dir.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1-Q8_0.gguf").path
        let sha1 = try sha256(out)
        let mtime = try FileManager.default.attributesOfItem(atPath: out)[.modificationDate] as? Date

        let again = try CLI.run(["quantize", CLI.smolLM2, "--allow-requantize", "--type", "q8_0", "-o", dir.path, "--json"])
        #expect(again.status == 0)
        let arr = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [[String: Any]])
        #expect(arr.first?["status"] as? String == "skipped")
        #expect(again.stderr.contains("skipped"))
        #expect(try FileManager.default.attributesOfItem(atPath: out)[.modificationDate] as? Date == mtime)

        let forced = try CLI.run(["quantize", CLI.smolLM2, "--allow-requantize", "--type", "q8_0", "-o", dir.path, "--json", "--force"])
        #expect(forced.status == 0)
        let arr2 = try #require(try JSONSerialization.jsonObject(with: Data(forced.stdout.utf8)) as? [[String: Any]])
        let job = try #require(arr2.first)
        #expect(job["status"] as? String == "ok")
        #expect(job["input_bytes"] as? Int == 98_362_432)
        #expect(job["output_bytes"] as? Int == 144_811_072)
        #expect((job["tensor_types"] as? [String: Any])?["Q8_0"] as? Int == 211)
        #expect(try sha256(out) == sha1, "quantization is deterministic")
    }

    /// A corrupt input fails with one line on stderr while the other job of the same command succeeds;
    /// nothing partial is left behind and the exit status is 1. Inputs come from stdin.
    @Test func failingJobDoesNotStopOthers() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.gguf")
        let head = try FileHandle(forReadingFrom: URL(fileURLWithPath: CLI.smolLM2)).read(upToCount: 100_000) ?? Data()
        try head.write(to: bad)
        let r = try CLI.run(["quantize", "-", "--allow-requantize", "--type", "q4_0", "-o", dir.path],
                            stdin: bad.path + "\n" + CLI.smolLM2 + "\n")
        #expect(r.status == 1)
        let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("lai: ") && !$0.contains("warning") }
        #expect(errors.count == 1, "\(r.stderr)")
        #expect(errors.first?.contains(bad.path) == true)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad-Q4_0.gguf").path))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1-Q4_0.gguf").path))
        #expect(r.stdout.contains("failed") && r.stdout.contains("ok"), "\(r.stdout)")
        #expect(leftovers(dir).isEmpty)
    }

    /// `-o DIR` is created when missing (with its parents); runtime errors are one line without a usage text;
    /// Q2_K_S without an importance matrix is refused as llama-quantize refuses it, and a missing input
    /// list is a runtime error too.
    @Test func createsOutputDirectoryAndErrorsWithoutUsage() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("new/nested")
        let r = try CLI.run(["quantize", CLI.smolLM2, "--allow-requantize", "--type", "q8_0,q2_K_S", "-o", out.path])
        #expect(r.status == 1)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1-Q8_0.gguf").path))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1-Q2_K_S.gguf").path))
        #expect(r.stderr.contains("Q2_K_S needs an importance matrix"), "\(r.stderr)")
        #expect(!r.stderr.contains("Usage"), "\(r.stderr)")
        let file = dir.appendingPathComponent("a-file")
        try Data().write(to: file)
        let e = try CLI.run(["quantize", CLI.smolLM2, "--type", "q8_0", "-o", file.path])
        #expect(e.status == 1)
        #expect(e.stderr == "lai: \(file.path): the output directory is a file\n", "\(e.stderr)")
        let none = try CLI.run(["quantize", "-", "--type", "q8_0"], stdin: "")
        #expect(none.status == 1)
        #expect(none.stderr == "lai: no input files\n", "\(none.stderr)")
    }

    /// `--output FILE` and `-o FILE.gguf` name the output file of one job (its directory made when missing); several
    /// jobs for one file are refused with one line; a directory named *.gguf is still a directory.
    @Test func outputFile() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let qwen3 = CLI.repoRoot.appendingPathComponent("Tests/Fixtures/hfconvert/qwen3").path
        let named = dir.appendingPathComponent("sub/named.gguf")
        let r = try CLI.run(["quantize", qwen3, "--type", "q8_0", "-o", named.path])
        #expect(r.status == 0, "\(r.stderr)")
        let head = try FileHandle(forReadingFrom: named).read(upToCount: 4)
        #expect(head == Data("GGUF".utf8), "a GGUF file, not a directory")
        let long = dir.appendingPathComponent("long.gguf")
        #expect(try CLI.run(["quantize", qwen3, "--type", "f16", "--output", long.path]).status == 0)
        #expect(FileManager.default.fileExists(atPath: long.path))
        let two = try CLI.run(["quantize", qwen3, "--type", "q8_0,f16", "-o", dir.appendingPathComponent("x.gguf").path])
        #expect(two.status == 1 && two.stderr.hasPrefix("lai: ") && two.stderr.contains("one output file for 2 jobs") && two.stderr.filter { $0 == "\n" }.count == 1, "\(two.stderr)")
        let asDir = dir.appendingPathComponent("models.gguf")
        try FileManager.default.createDirectory(at: asDir, withIntermediateDirectories: true)
        #expect(try CLI.run(["quantize", qwen3, "--type", "q8_0", "-o", asDir.path]).status == 0)
        #expect(FileManager.default.fileExists(atPath: asDir.appendingPathComponent("qwen3-Q8_0.gguf").path))
    }

    @Test func rejectsUnknownTypes() throws {
        let r = try CLI.run(["quantize", CLI.smolLM2, "--type", "q4_0,q9_9"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("unknown type 'q9_9'"), "\(r.stderr)")
    }
}
