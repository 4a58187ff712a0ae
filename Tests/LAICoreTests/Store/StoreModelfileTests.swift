// Modelfile tests: the syntax Ollama accepts, clear line-numbered errors, and the params layer codec.
import Foundation
import LAICore
import Testing

@Suite struct StoreModelfileTests {
    @Test func parsesEveryInstruction() throws {
        let text = """
            # a comment
            from ./model.gguf
            PARAMETER stop "<|im_end|>"
            PARAMETER stop <|im_start|>
            parameter temperature 0.2
            TEMPLATE \"\"\"{{ .System }}
            {{ .Prompt }}\"\"\"
            SYSTEM "You are \\"helpful\\"."
            MESSAGE user Hello there
            MESSAGE assistant \"\"\"Hi!
            How can I help?\"\"\"
            LICENSE \"\"\"MIT\"\"\"
            """
        let m = try Modelfile(parsing: text)
        #expect(m.from == "./model.gguf")
        #expect(m.parameters.map { "\($0.0)=\($0.1)" } == ["stop=<|im_end|>", "stop=<|im_start|>", "temperature=0.2"])
        #expect(m.template == "{{ .System }}\n{{ .Prompt }}")
        #expect(m.system == "You are \"helpful\".")
        #expect(m.messages == [ModelMessage(role: "user", content: "Hello there"), ModelMessage(role: "assistant", content: "Hi!\nHow can I help?")])
        #expect(m.licenses == ["MIT"])
    }

    @Test(arguments: [
        ("FROM x\nFOO bar", "Modelfile line 2: unknown instruction 'FOO'"),
        ("FROM x\nPARAMETER tempurature 1", "Modelfile line 2: unknown parameter 'tempurature'"),
        ("FROM x\nPARAMETER stop", "Modelfile line 2: PARAMETER needs a value for 'stop'"),
        ("FROM x\nMESSAGE robot hi", "Modelfile line 2: MESSAGE role must be system, user or assistant, not 'robot'"),
        ("FROM x\nTEMPLATE \"\"\"abc\n", "Modelfile line 2: unterminated \"\"\" (no closing \"\"\")"),
        ("FROM x\nSYSTEM \"abc", "Modelfile line 2: unterminated quoted value"),
        ("PARAMETER temperature 1", "Modelfile line 1: no FROM instruction"),
        ("FROM", "Modelfile line 1: FROM needs a GGUF path or a model name"),
    ])
    func errors(text: String, message: String) {
        do { _ = try Modelfile(parsing: text); Issue.record("accepted: \(text)") } catch {
            #expect("\(error)" == message)
        }
    }

    @Test func paramsLayerRoundTrip() throws {
        let p: [String: [String]] = ["stop": ["<|im_end|>"], "temperature": ["0.2"], "num_ctx": ["8192"], "use_mmap": ["true"]]
        let bytes = ModelParameters.encode(p)
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"num_ctx":8192,"stop":["<|im_end|>"],"temperature":0.2,"use_mmap":true}"#)
        #expect(try ModelParameters.decode(bytes, what: "t") == p)
        #expect(throws: StoreError.self) { try ModelParameters.decode(Array("[1]".utf8), what: "t") }
    }

    @Test func shippedModelfilesParse() throws {
        for f in ["smollm2.Modelfile", "all-minilm.Modelfile"] {
            let u = Fixtures.repoRoot.appendingPathComponent("Modelfiles/\(f)")
            let m = try Modelfile(parsing: String(decoding: try Data(contentsOf: u), as: UTF8.self))
            #expect(m.from?.hasPrefix("~/.cache/lai/") == true, "\(f)")
        }
    }
}
