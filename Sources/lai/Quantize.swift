// lai quantize: convert GGUF models to other ggml types (Q8_0, Q4_K_M, F16, …), many jobs in one command.
import ArgumentParser
import Foundation
import LAICore

struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert GGUF models to quantized (or F16/BF16/F32) GGUF files, bit-identical to llama-quantize.",
        discussion: """
        Every input × type pair is one job; jobs run one after another, each tensor's rows split over \
        --threads cores. Outputs are <name>-<TYPE>.gguf beside the input (or in -o DIR; --output FILE, or -o \
        FILE.gguf, for one input and one type), written atomically; \
        existing outputs are skipped unless --force. A failing job does not stop the others; the exit status \
        is 1 if any job failed. Pass - as an input to read input paths from stdin, one per line.

        Types (llama-quantize's file types, case-insensitive): \(QuantTarget.namesDescription).
        Tensor policy (llama.cpp's llama_tensor_get_type, rule for rule): 1-D tensors and norms keep their \
        type (F32); the output matrix (token_embd.weight when embeddings are tied) gets Q6_K, or Q8_0 when \
        its rows are not a multiple of the block size; the K and IQ4 mixes give attn_v, attn_output and \
        ffn_down of some layers more bits (by file type, layer, grouped-query ratio, expert count, \
        architecture); a type whose block does not divide the row length falls back (Q4_K→Q5_0, Q5_K→Q5_1, \
        Q6_K→Q8_0, Q2_K/Q3_K/TQ*→Q4_0, IQ4_XS→IQ4_NL, else F16). --pure gives every quantizable tensor the \
        file type's main ggml type (still with the fallback). Q2_K_S needs an importance matrix, as in \
        llama-quantize.

        A Hugging Face folder (llama, Mixtral, qwen2, qwen3, Qwen2/3-MoE, gemma, gemma2, gemma3, EmbeddingGemma, \
        granite, olmo2, phi3, falcon, glm4, DeepSeek-V2/V3, nomic-bert, BERT, XLM-RoBERTa; safetensors F32/F16/BF16, \
        sharded or not) is converted as llama.cpp's convert_hf_to_gguf.py does: with f32/f16/bf16/q8_0 the \
        converter's file itself, other types in one pass as llama-quantize makes them of its F32 file; the \
        output is <folder name>-<TYPE>.gguf beside the folder.
        """)

    @Argument(help: "GGUF files (F32/F16/BF16; quantized ones need --allow-requantize) or Hugging Face folders (config.json, *.safetensors, tokenizer.model, tokenizer.json or vocab.txt). '-' reads paths from stdin.")
    var inputs: [String]

    @Option(name: [.short, .long], help: "Comma-separated target types, e.g. q4_0,q8_0,q4_K_M,iq4_xs.")
    var type: String

    @Option(name: [.short, .customLong("output-dir")], help: "Directory for the outputs (default: beside each input); a name ending in .gguf that is not a directory is the output file, as --output.")
    var outputDir: String?

    @Option(name: .customLong("output"), help: "The output file, for one input and one type (as llama-quantize IN OUT TYPE).")
    var output: String?

    @Flag(help: "Allow quantized inputs: dequantize, then quantize again (loses quality).")
    var allowRequantize = false

    @Flag(help: "Give every quantizable tensor the type's main ggml type (no output-tensor or mix rules).")
    var pure = false

    @Flag(help: "Overwrite existing outputs.")
    var force = false

    @Option(help: "An importance matrix (llama-imatrix's GGUF or legacy .dat, or lai imatrix's) to quantize with, as llama-quantize --imatrix.")
    var imatrix: String?

    @Flag(help: "Hugging Face folders: also convert the sentence-transformers Dense modules (EmbeddingGemma's projections), as convert_hf_to_gguf.py --sentence-transformers-dense-modules.")
    var sentenceTransformersDenseModules = false

    @Flag(help: "Print the results as JSON instead of a table.")
    var json = false

    @Option(help: "Threads per job (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        _ = try targets()
    }

    func targets() throws -> [QuantTarget] {
        var out: [QuantTarget] = []
        for raw in type.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !raw.isEmpty {
            guard let t = QuantTarget(name: raw) else {
                throw ValidationError("unknown type '\(raw)' (supported: \(QuantTarget.namesDescription))")
            }
            if !out.contains(t) { out.append(t) }
        }
        guard !out.isEmpty else { throw ValidationError("--type needs at least one type") }
        return out
    }

    struct Job {
        let input: String
        let output: String
        let target: QuantTarget
        var status = "pending"
        var error: String?
        var report: QuantizeReport?
        var inputBytes = 0
    }

    func run() throws {
        var paths: [String] = []
        for i in inputs {
            if i == "-" {
                while let line = readLine() {
                    let p = line.trimmingCharacters(in: .whitespaces)
                    if !p.isEmpty { paths.append(p) }
                }
            } else {
                paths.append(i)
            }
        }
        guard !paths.isEmpty else { throw CommandError("no input files") }
        // -o NAME.gguf names the file (what llama-quantize users type) unless NAME.gguf is an existing directory.
        var outputFile = output
        var outputDir = self.outputDir
        if let d = outputDir {
            var isDir: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: d, isDirectory: &isDir)
            if d.lowercased().hasSuffix(".gguf") && !(exists && isDir.boolValue) {
                guard outputFile == nil else { throw CommandError("give either --output FILE or -o \(d), not both") }
                (outputFile, outputDir) = (d, nil)
            }
        }
        if let f = outputFile {
            guard outputDir == nil else { throw CommandError("--output names the file; -o/--output-dir \(outputDir!) names a directory: give one") }
            let jobs = paths.count * (try targets()).count
            guard jobs == 1 else {
                throw CommandError("\(f): one output file for \(jobs) jobs (\(paths.count) input(s) × \((try targets()).count) type(s)); give -o DIR for several")
            }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: f, isDirectory: &isDir), isDir.boolValue {
                throw CommandError("\(f): the output file is a directory")
            }
            let parent = (f as NSString).deletingLastPathComponent
            if !parent.isEmpty && !FileManager.default.fileExists(atPath: parent) {
                do {
                    try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
                } catch {
                    throw CommandError("\(parent): cannot create the output directory (\((error as NSError).localizedDescription))")
                }
            }
        }
        if let d = outputDir {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: d, isDirectory: &isDir) {
                guard isDir.boolValue else { throw CommandError("\(d): the output directory is a file") }
            } else {
                do {
                    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
                } catch {
                    throw CommandError("\(d): cannot create the output directory (\((error as NSError).localizedDescription))")
                }
            }
        }
        let weights = try imatrix.map { try QuantImatrix(path: $0) }
        var jobs: [Job] = []
        for p in paths {
            for t in try targets() { jobs.append(Job(input: p, output: outputFile ?? outputPath(p, t, directory: outputDir), target: t)) }
        }
        let tty = isatty(2) != 0
        for i in jobs.indices {
            let label = "[\(i + 1)/\(jobs.count)] \((jobs[i].input as NSString).lastPathComponent) → \(jobs[i].target.name)"
            jobs[i].inputBytes = ((try? FileManager.default.attributesOfItem(atPath: jobs[i].input)[.size]) as? Int) ?? 0
            if jobs[i].output == jobs[i].input {
                jobs[i].status = "failed"; jobs[i].error = "\(jobs[i].input): output would overwrite the input"
                Stderr.line("lai: \(jobs[i].error!)"); continue
            }
            if !force && FileManager.default.fileExists(atPath: jobs[i].output) {
                jobs[i].status = "skipped"
                Stderr.line("\(label): skipped, \(jobs[i].output) exists (use --force to overwrite)")
                continue
            }
            let meter = ProgressMeter(label: label, tty: tty)
            do {
                let r = try ModelQuantizer.run(input: jobs[i].input, output: jobs[i].output, target: jobs[i].target,
                                               pure: pure, allowRequantize: allowRequantize, threads: threads,
                                               imatrix: weights, denseModules: sentenceTransformersDenseModules) { done, total in
                    meter.update(done, total)
                }
                meter.finish()
                if r.requantized > 0 {
                    Stderr.line("lai: warning: \(jobs[i].input): \(r.requantized) quantized tensors were dequantized and quantized again; quality is no better than the input's")
                }
                if !r.imatrixMissing.isEmpty {
                    Stderr.line("\(label): the imatrix has no weights for \(r.imatrixMissing.count) quantized tensors (quantized without): \(r.imatrixMissing.prefix(4).joined(separator: ", "))\(r.imatrixMissing.count > 4 ? ", …" : "")")
                }
                if !r.fallbacks.isEmpty {
                    Stderr.line("\(label): \(r.fallbacks.count) tensors fell back to another type (row length not a multiple of the block size)")
                }
                jobs[i].status = "ok"; jobs[i].report = r
            } catch {
                meter.abandon()
                jobs[i].status = "failed"; jobs[i].error = "\(error)"
                Stderr.line("lai: \(error)")
            }
        }
        if json { print(JSON.array(jobs.map(jobJSON)).serialized()) } else { print(table(jobs), terminator: "") }
        if jobs.contains(where: { $0.status == "failed" }) { throw ExitCode(1) }
    }

    func outputPath(_ input: String, _ t: QuantTarget, directory: String?) -> String {
        let url = URL(fileURLWithPath: input)
        var base = url.lastPathComponent
        if base.lowercased().hasSuffix(".gguf") { base = String(base.dropLast(5)) }
        let dir = directory ?? url.deletingLastPathComponent().path
        return (dir as NSString).appendingPathComponent("\(base)-\(t.name).gguf")
    }

    func jobJSON(_ j: Job) -> JSON {
        var o: [(String, JSON)] = [("input", .string(j.input)), ("output", .string(j.output)), ("type", .string(j.target.name)),
                                   ("status", .string(j.status))]
        if let e = j.error { o.append(("error", .string(e))) }
        if let r = j.report {
            o.append(("input_bytes", .int(r.inputBytes)))
            o.append(("output_bytes", .int(r.outputBytes)))
            o.append(("ratio", .double((Double(r.inputBytes) / Double(max(r.outputBytes, 1)) * 1000).rounded() / 1000)))
            o.append(("seconds", .double((r.seconds * 1000).rounded() / 1000)))
            o.append(("mb_per_s", .double((Double(r.inputBytes) / 1e6 / max(r.seconds, 1e-9) * 10).rounded() / 10)))
            o.append(("tensor_types", .object(r.typeCounts.map { ($0.0.name, .int($0.1)) })))
            o.append(("fallbacks", .int(r.fallbacks.count)))
        }
        return .object(o)
    }

    func table(_ jobs: [Job]) -> String {
        var rows = [["input", "type", "status", "size", "ratio", "time", "MB/s"]]
        for j in jobs {
            let name = (j.input as NSString).lastPathComponent
            if let r = j.report {
                rows.append([name, j.target.name, j.status,
                             "\(Formatting.bytes(r.inputBytes)) → \(Formatting.bytes(r.outputBytes))",
                             String(format: "%.2fx", Double(r.inputBytes) / Double(max(r.outputBytes, 1))),
                             String(format: "%.2fs", r.seconds),
                             String(format: "%.1f", Double(r.inputBytes) / 1e6 / max(r.seconds, 1e-9))])
            } else {
                rows.append([name, j.target.name, j.status, j.inputBytes > 0 ? Formatting.bytes(j.inputBytes) : "-", "-", "-", "-"])
            }
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        var out = ""
        for r in rows {
            let cells = r.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return i >= 3 ? pad + c : c + pad
            }
            out += cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }
        return out
    }
}

/// Progress of one job on stderr: a redrawn line on a terminal, otherwise a plain line at each quarter.
final class ProgressMeter {
    let label: String
    let tty: Bool
    let start = Date()
    var lastDraw = Date.distantPast
    var lastQuarter = 0
    var drewLine = false

    init(label: String, tty: Bool) { self.label = label; self.tty = tty }

    func text(_ done: Int, _ total: Int) -> String {
        let t = Date().timeIntervalSince(start)
        let rate = t > 0 ? Double(done) / t : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let pct = total > 0 ? 100 * done / total : 100
        return "\(label)  \(Formatting.bytes(done))/\(Formatting.bytes(total))  \(pct)%  "
            + String(format: "%.1f MB/s  ETA %.1fs", rate / 1e6, eta)
    }

    func update(_ done: Int, _ total: Int) {
        if tty {
            guard Date().timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
            lastDraw = Date(); drewLine = true
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text(done, total)).utf8))
        } else {
            let q = total > 0 ? 4 * done / total : 4
            if q > lastQuarter { lastQuarter = q; Stderr.line(text(done, total)) }
        }
    }

    func finish() {
        if tty && drewLine { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    func abandon() { finish() }
}
