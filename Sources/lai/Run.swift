// lai run: chat with a model in the terminal, or answer one prompt (arguments or stdin) and exit.
import ArgumentParser
import Foundation
import LAICore
import Synchronization

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chat with a model, or answer one prompt.",
        discussion: """
        With PROMPT, prints the answer and exits. With stdin piped and no PROMPT, stdin is the prompt;
        with both, stdin is added to the prompt as context. Otherwise starts an interactive chat
        (/? for help, Ctrl-C stops an answer, Ctrl-D or /bye exits).
        """)

    @Argument(help: "A GGUF model file or a model name from the store.") var model: String
    @Argument(parsing: .remaining, help: "The prompt (optional).") var prompt: [String] = []
    @Option(help: "System prompt.") var system: String?
    @Flag(help: "Send the prompt as is, without the chat template.") var raw = false
    @Flag(help: "Print generated control tokens (<|im_end|>, <end_of_turn>, …) as their text; by default they print as nothing, as in llama-cli.") var special = false
    @Flag(help: "Print load time, prompt and generation token counts and speeds on stderr.") var verbose = false
    @Flag(help: "Print one JSON object with the answer and statistics.") var json = false
    @Flag(help: "Run the portable Swift kernels instead of the AVX2 ones.") var portable = false
    @Option(help: "Constrain the answer: 'json' (any JSON value), a JSON schema file, or an inline schema '{...}'.") var format: String?
    @Option(help: "Constrain the answer to a GBNF grammar file (llama.cpp's format).") var grammar: String?
    @Option(help: "Tools the model may call: a JSON file holding an array of tool definitions (OpenAI/Ollama shape). Calls are printed as JSON lines.") var tools: String?
    @Option(name: .customLong("tool-choice"), help: "auto (the model decides), required, none, or a tool's name.") var toolChoice = "auto"
    @OptionGroup var sampling: SamplingOptions

    func validate() throws {
        if format != nil && grammar != nil { throw ValidationError("--format and --grammar cannot be used together") }
        if tools != nil && (format != nil || grammar != nil) { throw ValidationError("--tools cannot be combined with --format or --grammar") }
        if raw && tools != nil { throw ValidationError("--tools needs the chat template; it cannot be used with --raw") }
    }

    func run() throws {
        let resolved = try ModelResolution.resolve(model)
        let lm = try LanguageModel(path: resolved.path)
        let params = sampling.apply(to: try ModelResolution.parameters(for: resolved))
        let ctxParam = resolved.parameters.first { $0.0 == "num_ctx" }.flatMap { Int($0.1) }
        let ctx = lm.contextSize(requested: sampling.context ?? ctxParam)
        let session = DecoderSession(model: lm.model, contextSize: ctx, pool: sampling.pool, useKernels: !portable)
        let formatter = lm.chatFormatter(overrideTemplate: resolved.template)
        // A base model (no chat template) continues the prompt as text, as Ollama and llama-cli run one.
        let complete = !raw && tools == nil && !formatter.hasTemplateSource
        if complete {
            if verbose || isatty(STDERR_FILENO) != 0 {
                Stderr.line("lai: the model has no chat template (a base model): completing the prompt as text; a Modelfile TEMPLATE makes it chat")
            }
        } else if verbose, let why = formatter.fallbackReason {
            Stderr.line("lai: chat template: \(why)")
        }
        let systemPrompt = system ?? resolved.system

        var text = prompt.joined(separator: " ")
        let stdinIsTTY = LineEditor.stdinIsTerminal
        if !stdinIsTTY {
            let piped = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            if !piped.isEmpty { text = text.isEmpty ? piped : text + "\n\n" + piped }
        }
        var chat = Conversation(lm: lm, session: session, formatter: formatter, system: systemPrompt, raw: raw || complete, params: params)
        chat.special = special
        chat.messages = resolved.messages  // Modelfile MESSAGE lines start the conversation
        try constrain(&chat, lm: lm, template: resolved.template)
        if !text.isEmpty || !stdinIsTTY {
            guard !text.isEmpty else { throw ValidationError("no prompt: give PROMPT or pipe text on stdin") }
            try oneShot(&chat, text)
        } else {
            try interactive(&chat)
        }
    }

    /// --format / --grammar / --tools: what every answer must look like.
    private func constrain(_ chat: inout Conversation, lm: LanguageModel, template: String?) throws {
        if let format {
            let spec: JSON
            if format == "json" { spec = .string("json") } else if format.hasPrefix("{") {
                do { spec = try JSON.parseOrdered(format) } catch { throw CommandError("--format: \(error)") }
            } else {
                guard let d = FileManager.default.contents(atPath: format) else { throw CommandError("--format: \(format): cannot read the file") }
                do { spec = try JSON.parseOrdered(String(decoding: d, as: UTF8.self)) } catch { throw CommandError("--format: \(format): \(error)") }
            }
            do { chat.constraint = try OutputConstraint.format(spec) } catch { throw CommandError("--format: \(error)") }
        }
        if let grammar {
            do { chat.constraint = try OutputConstraint.gbnf(try GrammarSource.text(grammar), tokenID: lm.tokenizer.tokenID) } catch let e as GrammarError {
                throw CommandError("--grammar: \(e.message)")
            }
        }
        if let tools {
            guard let d = FileManager.default.contents(atPath: tools) else { throw CommandError("--tools: \(tools): cannot read the file") }
            let list: [JSON]
            do {
                let v = try JSON.parseOrdered(String(decoding: d, as: UTF8.self))
                guard let a = v.arrayValue else { throw CommandError("--tools: \(tools): expected a JSON array of tool definitions") }
                list = a
            } catch let e as ValidationError { throw e } catch { throw CommandError("--tools: \(tools): \(error)") }
            let defs: [ToolDefinition]
            do { defs = try ToolDefinition.parse(list) } catch { throw CommandError("--tools: \(tools): \(error)") }
            chat.tools = list
            chat.toolFormat = ToolCallFormat.detect(templateSource: template ?? lm.chatTemplateSource)
            do { chat.constraint = try OutputConstraint.toolCalls(chat.toolFormat, tools: defs, choice: ToolChoice(toolChoice)) } catch {
                throw CommandError("--tool-choice: \(error)")
            }
        }
    }

    /// Streams an answer's text; with tools, holds back what may be a call and prints calls as JSON lines at the end.
    private struct AnswerPrinter {
        var splitter: ToolCallStreamSplitter?
        let quiet: Bool
        var text = ""
        var calls: [ToolCall] = []
        mutating func piece(_ p: String) {
            let shown = splitter != nil ? splitter!.feed(p) : p
            text += shown
            if !quiet { Stdout.write(shown) }
        }
        /// `parsed`: the calls the conversation found in the reply (they may be in a looser syntax than the splitter's).
        mutating func finish(parsed: [ToolCall]) {
            guard splitter != nil else { return }
            var (rest, found) = splitter!.finish()
            if found.isEmpty {  // what the splitter held was not a call: it is text
                text += rest
                if !quiet { Stdout.write(rest) }
                found = parsed
            }
            calls = found
            if !quiet {
                if !text.isEmpty && !found.isEmpty && !text.hasSuffix("\n") { Stdout.write("\n") }
                for c in found { Stdout.write(Run.callJSON(c).serialized() + "\n") }
            }
        }
    }

    static func callJSON(_ c: ToolCall) -> JSON { .object([("name", .string(c.name)), ("arguments", c.arguments)]) }

    private func oneShot(_ chat: inout Conversation, _ text: String) throws {
        Interrupts.cancelOnInterrupt = false
        var printer = AnswerPrinter(splitter: tools == nil ? nil : ToolCallStreamSplitter(format: chat.toolFormat), quiet: json)
        let stats = try chat.send(text) { piece in printer.piece(piece); return true }
        printer.finish(parsed: chat.messages.last?.toolCalls ?? [])
        let answer = printer.text
        if json {
            print(JSON.object([
                ("model", .string(model)), ("response", .string(answer)),
                ("tool_calls", .array(printer.calls.map(Run.callJSON))), ("done_reason", .string(stats.doneReason)),
                ("load_duration", .double(chat.lm.loadSeconds)), ("prompt_eval_count", .int(stats.promptTokens)),
                ("prompt_eval_duration", .double(stats.promptSeconds)), ("eval_count", .int(stats.generatedTokens)),
                ("eval_duration", .double(stats.generateSeconds)), ("time_to_first_token", .double(stats.timeToFirstToken)),
            ]).serialized())
        } else {
            if printer.calls.isEmpty { Stdout.write("\n") }  // calls already ended their lines
        }
        if verbose { printStats(stats, lm: chat.lm) }
        if stats.doneReason == "context" { Stderr.line("lai: stopped: the context window (\(chat.session.contextSize) tokens) is full; use --ctx for more") }
    }

    private func interactive(_ chat: inout Conversation) throws {
        let editor = LineEditor()
        Interrupts.cancelOnInterrupt = true
        while true {
            var line: String
            switch editor.read(prompt: ">>> ") {
            case .eof: return
            case .interrupted: Stdout.write("Use Ctrl + d or /bye to exit.\n"); continue
            case let .line(l): line = l
            }
            if line.hasPrefix("\"\"\"") {
                var parts = [String(line.dropFirst(3))]
                while !(parts.last ?? "").hasSuffix("\"\"\"") {
                    switch editor.read(prompt: "... ") {
                    case .eof, .interrupted: parts = []; break
                    case let .line(l): parts.append(l); continue
                    }
                    break
                }
                if parts.isEmpty { continue }
                var joined = parts.joined(separator: "\n")
                if joined.hasSuffix("\"\"\"") { joined.removeLast(3) }
                line = joined
            } else if line.hasPrefix("/") {
                if try command(line, &chat) { return }
                continue
            }
            if line.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { continue }
            Interrupts.cancelled.store(false, ordering: .relaxed)
            var printer = AnswerPrinter(splitter: tools == nil ? nil : ToolCallStreamSplitter(format: chat.toolFormat), quiet: false)
            let stats = try chat.send(line, isCancelled: { Interrupts.cancelled.load(ordering: .relaxed) }) { piece in
                printer.piece(piece); return true
            }
            printer.finish(parsed: chat.messages.last?.toolCalls ?? [])
            Stdout.write("\n\n")
            if verbose { printStats(stats, lm: chat.lm) }
            if stats.doneReason == "context" {
                Stderr.line("lai: the context window is full; the conversation was cleared (/clear) — use --ctx for a larger one")
                chat.clear()
            }
        }
    }

    /// Handles a /command; returns true to exit.
    private func command(_ line: String, _ chat: inout Conversation) throws -> Bool {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        switch parts.first ?? "" {
        case "/bye", "/exit": return true
        case "/clear": chat.clear(); Stdout.write("Cleared session context\n")
        case "/set":
            if parts.count >= 4, parts[1] == "parameter" {
                let value = parts[3...].joined(separator: " ")
                do {
                    if parts[2] == "num_ctx" { Stdout.write("num_ctx is fixed for this session; restart with --ctx\n") } else {
                        try chat.sampler.parameters.set(parts[2], value)
                        if parts[2] == "seed" { chat.sampler.reseed(chat.sampler.parameters.seed) }
                        Stdout.write("Set parameter '\(parts[2])' to '\(value)'\n")
                    }
                } catch { Stdout.write("\(error)\n") }
            } else if parts.count >= 3, parts[1] == "system" {
                chat.system = parts[2...].joined(separator: " "); chat.clear(keepSystem: true)
                Stdout.write("Set system message.\n")
            } else if parts.count == 2, ["verbose", "quiet"].contains(parts[1]) {
                Stdout.write("Use --verbose when starting lai run.\n")
            } else {
                Stdout.write("Usage: /set parameter NAME VALUE | /set system TEXT\n")
            }
        case "/show":
            let what = parts.count > 1 ? parts[1] : ""
            switch what {
            case "info": Stdout.write(ModelShowFormat.summaryText(ModelSummary(chat.lm.file)))
            case "template": Stdout.write((chat.lm.chatTemplateSource ?? "(no template in the model; using \(chat.formatter.fallbackReason ?? "ChatML"))") + "\n")
            case "system": Stdout.write((chat.system ?? "(no system message)") + "\n")
            case "parameters":
                let p = chat.sampler.parameters
                Stdout.write("temperature \(p.temperature)\ntop_k \(p.topK)\ntop_p \(p.topP)\nmin_p \(p.minP)\nrepeat_penalty \(p.repeatPenalty)\nrepeat_last_n \(p.repeatLastN)\nnum_ctx \(chat.session.contextSize)\n" + p.stop.map { "stop \($0)\n" }.joined())
            default: Stdout.write("Usage: /show info | template | system | parameters\n")
            }
        case "/?", "/help":
            Stdout.write("""
            Available commands:
              /set parameter NAME VALUE   set a sampling parameter (temperature, top_k, top_p, min_p, seed, ...)
              /set system TEXT            set the system message
              /show info|template|system|parameters
              /clear                      forget the conversation
              /bye                        exit
              \"\"\"                         begin and end a multi-line message
            Ctrl-C stops an answer; Ctrl-D exits.

            """)
        default: Stdout.write("Unknown command '\(parts.first ?? "")'. Type /? for help\n")
        }
        return false
    }

    private func printStats(_ s: GenerationStats, lm: LanguageModel) {
        func ms(_ x: Double) -> String { String(format: "%.2fms", x * 1000) }
        let total = lm.loadSeconds + s.promptSeconds + s.generateSeconds
        Stderr.line("total duration:       \(ms(total))")
        Stderr.line("load duration:        \(ms(lm.loadSeconds))")
        Stderr.line("prompt eval count:    \(s.promptTokens) token(s)")
        Stderr.line("prompt eval duration: \(ms(s.promptSeconds))")
        Stderr.line("prompt eval rate:     \(String(format: "%.2f", Double(s.promptTokens) / max(s.promptSeconds, 1e-9))) tokens/s")
        Stderr.line("eval count:           \(s.generatedTokens) token(s)")
        Stderr.line("eval duration:        \(ms(s.generateSeconds))")
        Stderr.line("eval rate:            \(String(format: "%.2f", Double(s.generatedTokens) / max(s.generateSeconds, 1e-9))) tokens/s")
        Stderr.line("time to first token:  \(ms(s.timeToFirstToken))")
    }
}

enum Stdout {
    static func write(_ s: String) {
        guard !s.isEmpty else { return }
        FileHandle.standardOutput.write(s.data(using: .utf8)!)
    }
}
