// ImatrixCLITests: `lai imatrix` end to end — a GGUF and a legacy .dat file that `lai quantize --imatrix` takes,
// and one-line errors.
import Foundation
import Testing

@Suite(.serialized) struct ImatrixCLITests {
    /// Two chunks of 64 tokens: the GGUF file, the .dat file, and quantizing with either.
    @Test func writesFilesThatQuantizeTakes() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = CLI.repoRoot.deletingLastPathComponent().appendingPathComponent("shared/ref/ppl-text.txt").path
        let gguf = dir.appendingPathComponent("m.gguf").path, dat = dir.appendingPathComponent("m.dat").path
        for out in [gguf, dat] {
            let r = try CLI.run(["imatrix", CLI.smolLM2, text, "-c", "64", "--chunks", "2", "-o", out])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("210 entries, 2 chunks of 64"), "\(r.stdout)")
            #expect(r.stderr.contains("[1]") && r.stderr.contains("[2]"))
        }
        let head = try FileHandle(forReadingFrom: URL(fileURLWithPath: gguf)).readData(ofLength: 4)
        #expect(head == Data("GGUF".utf8))
        for im in [gguf, dat] {
            let r = try CLI.run(["quantize", "--allow-requantize", CLI.smolLM2, "--type", "q4_0", "--imatrix", im, "-o", dir.path, "--force", "--threads", "2"])
            #expect(r.status == 0, "\(r.stderr)")
            // This input's tied token_embd is Q8_0, which a Q4_0 file keeps (the output-tensor rule), so every
            // tensor that is quantized has an entry and no "no weights for" notice is due.
            #expect(!r.stderr.contains("no weights for"), "\(r.stderr)")
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("SmolLM2-135M-Instruct.Q4_1-Q4_0.gguf").path))
        }
    }

    @Test func errorsAreOneLine() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let short = dir.appendingPathComponent("short.txt").path
        try "Hello there.".write(toFile: short, atomically: true, encoding: .utf8)
        let r = try CLI.run(["imatrix", CLI.smolLM2, short, "-o", dir.appendingPathComponent("x.gguf").path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("at least 1024 are needed"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")

        let garbage = dir.appendingPathComponent("garbage.imatrix").path
        try Data([1, 0, 0, 0, 200, 0, 0, 0, 65]).write(to: URL(fileURLWithPath: garbage))
        let q = try CLI.run(["quantize", "--allow-requantize", CLI.smolLM2, "--type", "q4_0", "--imatrix", garbage, "-o", dir.path])
        #expect(q.status != 0)
        #expect(q.stderr.contains(garbage + ": not a GGUF file and truncated as a legacy imatrix"), "\(q.stderr)")
    }
}
