// CLI tests: run the built `lai` binary and check stdout, stderr and the exit code.
import Foundation
import Testing

struct CommandResult { var status: Int32; var stdout: String; var stderr: String }

enum CLI {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `lai` binary built beside this test bundle.
    static var binary: URL {
        let products = Bundle.main.bundleURL.deletingLastPathComponent()
        for dir in [products, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()] {
            let u = dir.appendingPathComponent("lai")
            if FileManager.default.isExecutableFile(atPath: u.path) { return u }
        }
        return repoRoot.appendingPathComponent(".build/release/lai")
    }

    static var cache: URL {
        if let c = ProcessInfo.processInfo.environment["LAI_CACHE"], !c.isEmpty { return URL(fileURLWithPath: c) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/lai")
    }
    static var tinyGemma3: String { cache.appendingPathComponent("tiny/gemma3.gguf").path }
    static var smolLM2: String { cache.appendingPathComponent("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path }

    @discardableResult
    static func run(_ args: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> CommandResult {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out; p.standardError = err; p.standardInput = inp
        try p.run()
        if let s = stdin { inp.fileHandleForWriting.write(Data(s.utf8)) }
        try inp.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child never blocks on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let g = DispatchGroup()
        g.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); g.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        g.wait()
        p.waitUntilExit()
        return CommandResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }

    static func tempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("lai-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }
}

@Suite struct ShowCommandTests {
    @Test func showsSmolLM2Facts() throws {
        let r = try CLI.run(["show", CLI.smolLM2])
        #expect(r.status == 0, "\(r.stderr)")
        for line in ["architecture           llama", "parameters             134.52M", "context length         8192",
                     "embedding length       576", "layers                 30", "heads                  9 (kv 3)",
                     "vocabulary             49152 tokens (gpt2, pre smollm)", "chat template          yes",
                     "license                apache-2.0", "quantization           Q4_1"] {
            #expect(r.stdout.contains(line), "missing '\(line)' in:\n\(r.stdout)")
        }
        #expect(r.stderr.isEmpty)
    }

    @Test func jsonIsParseableAndComplete() throws {
        let r = try CLI.run(["show", "--json", "--metadata", "--tensors", CLI.smolLM2])
        #expect(r.status == 0)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["architecture"] as? String == "llama")
        #expect(obj["parameters"] as? Int == 134_515_008)
        #expect(obj["file_size"] as? Int == 98_362_432)
        #expect((obj["tensors"] as? [Any])?.count == 272)
        let md = try #require(obj["metadata"] as? [String: Any])
        #expect(md["llama.block_count"] as? Int == 30)
        #expect((md["tokenizer.ggml.tokens"] as? [String: Any])?["count"] as? Int == 49152)
    }

    @Test func tensorsListing() throws {
        let r = try CLI.run(["show", "--tensors", CLI.smolLM2])
        #expect(r.stdout.contains("token_embd.weight"))
        #expect(r.stdout.contains("Q8_0    [576, 49152]"))
    }

    @Test func missingFileIsOneLineError() throws {
        let r = try CLI.run(["show", "/nonexistent/model.gguf"])
        #expect(r.status == 1)
        #expect(r.stderr == "lai: /nonexistent/model.gguf: cannot open: No such file or directory\n")
        #expect(r.stdout.isEmpty)
    }

    /// `lai perplexity MODEL FILE` and llama-perplexity's `-f FILE` give the same result; no file is a usage error.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: CLI.tinyGemma3), "needs the tiny family models (make tiny-models)"))
    func perplexityTakesTheFileEitherWay() throws {
        let text = CLI.repoRoot.deletingLastPathComponent().appendingPathComponent("shared/ref/ppl-text.txt").path
        let a = try CLI.run(["perplexity", CLI.tinyGemma3, text, "-c", "128", "--json"])
        let b = try CLI.run(["perplexity", CLI.tinyGemma3, "-f", text, "-c", "128", "--json"])
        #expect(a.status == 0 && b.status == 0)
        func ppl(_ r: CommandResult) -> Double? {
            (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["perplexity"] as? Double
        }
        #expect(ppl(a) != nil && ppl(a) == ppl(b), "\(a.stdout) vs \(b.stdout)")
        let none = try CLI.run(["perplexity", CLI.tinyGemma3])
        #expect(none.status != 0 && none.stderr.contains("give the text file once"))
    }

    /// An architecture lai does not run, and an embedding model given to `run`: one line naming what it runs.
    @Test func unknownArchitectureNamesTheSupportedOnes() throws {
        let vocab = CLI.repoRoot.deletingLastPathComponent().appendingPathComponent("shared/vocab")
        let gemma4 = vocab.appendingPathComponent("ggml-vocab-gemma-4.gguf").path
        let r = try CLI.run(["run", gemma4, "hi"])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("lai: \(gemma4): unknown model architecture 'gemma4' (lai runs llama, "))
        #expect(r.stderr.contains("gemma3") && r.stderr.contains("deepseek2") && r.stderr.contains("nomic-bert"))
        #expect(r.stderr.filter { $0 == "\n" }.count == 1 && r.stdout.isEmpty)
        let bert = vocab.appendingPathComponent("ggml-vocab-bert-bge.gguf").path
        let b = try CLI.run(["run", bert, "hi"])
        #expect(b.status == 1 && b.stderr.contains("'bert' is an embedding model: use lai embed"))
    }

    @Test func truncatedAndForeignFilesAreOneLineErrors() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let src = try Data(contentsOf: URL(fileURLWithPath: CLI.smolLM2), options: .alwaysMapped)
        let cut = dir.appendingPathComponent("cut.gguf")
        try src.prefix(50_000_000).write(to: cut)
        let r = try CLI.run(["show", cut.path])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("lai: \(cut.path): tensor '") && r.stderr.contains("extends past end of file (offset"))
        #expect(r.stderr.filter { $0 == "\n" }.count == 1)
        let txt = dir.appendingPathComponent("notes.gguf")
        try Data("hello".utf8).write(to: txt)
        let t = try CLI.run(["show", txt.path])
        #expect(t.status == 1 && t.stderr == "lai: \(txt.path): not a GGUF file (no 'GGUF' magic at the start)\n")
        let d = try CLI.run(["show", dir.path])
        #expect(d.status == 1 && d.stderr == "lai: \(dir.path): cannot open: is a directory\n")
    }
}
