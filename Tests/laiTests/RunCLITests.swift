// lai run: one-shot answers from arguments and stdin, JSON output, seeds, and errors.
import Foundation
import Testing

@Suite struct RunCommandTests {
    /// llama.cpp's greedy continuation (../shared/ref/greedy-smollm2.json, Q4_1, raw prompt, no BOS).
    @Test func rawGreedyMatchesLlamaCpp() throws {
        let r = try CLI.run(["run", CLI.smolLM2, "--raw", "--temperature", "0", "--repeat-penalty", "1", "-n", "24",
                             "The capital of France is"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix(" Paris.\n\nThe United States has a population of approximately 321 million people."), "\(r.stdout)")
    }

    /// A model without a chat template (the tiny gemma3, like the real gemma-3-270m base model) completes the prompt
    /// as text, as Ollama and llama-cli run a base model: the same output and prompt tokens as --raw; the note that
    /// says so goes to stderr only with --verbose when stderr is not a terminal.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: CLI.tinyGemma3), "needs the tiny family models (make tiny-models)"))
    func baseModelCompletesThePrompt() throws {
        let args = ["run", CLI.tinyGemma3, "--temperature", "0", "-n", "8", "--json", "The capital of France is"]
        let plain = try CLI.run(args), raw = try CLI.run(args + ["--raw"])
        #expect(plain.status == 0 && raw.status == 0, "\(plain.stderr) \(raw.stderr)")
        func obj(_ r: CommandResult) throws -> [String: Any] { try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]) }
        let p = try obj(plain), q = try obj(raw)
        #expect(p["response"] as? String == q["response"] as? String)
        #expect(p["prompt_eval_count"] as? Int == q["prompt_eval_count"] as? Int)
        #expect(plain.stderr.isEmpty, "\(plain.stderr)")
        let v = try CLI.run(["run", CLI.tinyGemma3, "--temperature", "0", "-n", "2", "--verbose", "Hi"])
        #expect(v.stderr.contains("no chat template (a base model)"), "\(v.stderr)")
    }

    @Test func stdinIsThePromptOrItsContext() throws {
        let a = try CLI.run(["run", CLI.smolLM2, "--raw", "--temperature", "0", "--repeat-penalty", "1", "-n", "4"],
                            stdin: "The capital of France is")
        #expect(a.status == 0 && a.stdout.hasPrefix(" Paris."), "\(a.stdout) \(a.stderr)")
        let b = try CLI.run(["run", CLI.smolLM2, "--temperature", "0", "-n", "16", "--json",
                             "Repeat the word in the text."], stdin: "banana")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(b.stdout.utf8)) as? [String: Any])
        #expect(obj["prompt_eval_count"] as? Int ?? 0 > 20)   // template + prompt + stdin
        #expect((obj["response"] as? String)?.isEmpty == false)
        #expect(obj["eval_count"] as? Int ?? 0 <= 16)
    }

    @Test func sameSeedSameAnswer() throws {
        let args = ["run", CLI.smolLM2, "--seed", "7", "-n", "20", "Tell me a story."]
        let a = try CLI.run(args), b = try CLI.run(args)
        #expect(a.status == 0 && a.stdout == b.stdout && !a.stdout.isEmpty)
    }

    @Test func verboseTimingsGoToStderr() throws {
        let r = try CLI.run(["run", CLI.smolLM2, "--verbose", "-n", "5", "Hi"])
        #expect(r.status == 0)
        for key in ["load duration:", "prompt eval count:", "prompt eval rate:", "eval count:", "eval rate:"] {
            #expect(r.stderr.contains(key))
            #expect(!r.stdout.contains(key))
        }
        #expect(!r.stdout.contains("\u{1B}["))  // no ANSI codes when stdout is not a terminal
    }

    @Test func errorsAreOneLine() throws {
        let m = try CLI.run(["run", "no-such-model", "hi"], env: ["LAI_MODELS": FileManager.default.temporaryDirectory.appendingPathComponent("lai-empty-\(UUID())").path])
        #expect(m.status == 1)
        #expect(m.stderr.hasPrefix("lai: model 'no-such-model' not found"), "\(m.stderr)")
        #expect(m.stderr.filter { $0 == "\n" }.count == 1)
        let long = String(repeating: "word ", count: 200)
        let c = try CLI.run(["run", CLI.smolLM2, "--ctx", "64", long])
        #expect(c.status == 1 && c.stderr.contains("does not fit in the context window"), "\(c.stderr)")
        let n = try CLI.run(["run", CLI.smolLM2], stdin: "")
        #expect(n.status != 0)
    }

    @Test func fullContextStopsWithANote() throws {
        let r = try CLI.run(["run", CLI.smolLM2, "--raw", "--ctx", "32", "--temperature", "0", "--repeat-penalty", "1", "Once upon a time"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("context window (32 tokens) is full"), "\(r.stderr)")
    }
}
