// GrammarCLITests: `lai run --format/--grammar/--tools` in pipelines and `lai grammar`, as a user types them.
import Foundation
import Testing

private let qwen = CLI.cache.appendingPathComponent("qwen2.5-coder-0.5b/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf").path

private func temp(_ name: String, _ text: String) throws -> String {
    let u = FileManager.default.temporaryDirectory.appendingPathComponent("lai-grammar-\(UUID().uuidString)-\(name)")
    try text.write(to: u, atomically: true, encoding: .utf8)
    return u.path
}

@Suite struct GrammarCLITests {
    @Test func grammarCheckExitCodesAndPlaces() throws {
        let ok = try CLI.run(["grammar", "check", "json"], stdin: #"{"a": [1, 2.5, "x"]}"#)
        #expect(ok.status == 0)
        let bad = try CLI.run(["grammar", "check", "json"], stdin: "{\"a\": [1,, 2]}")
        #expect(bad.status == 1 && bad.stdout == "-: line 1 col 10: unexpected ','\n", "\(bad.stdout)")
        let g = try temp("list.gbnf", "root ::= item+\nitem ::= \"- \" [a-z]+ \"\\n\"\n")
        let files = [try temp("a.txt", "- apple\n- pear\n"), try temp("b.txt", "- Apple\n")]
        let r = try CLI.run(["grammar", "check", g] + files + ["--json"])
        #expect(r.status == 1)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 2 && lines[0].contains("\"valid\":true") && lines[1].contains("line 1 col 3: unexpected 'A'"))
        let broken = try CLI.run(["grammar", "check", try temp("x.gbnf", "root ::= (\"a\"\n")], stdin: "a")
        #expect(broken.status != 0 && broken.stderr.contains("line 2 col 1: expecting ')'") && broken.stderr.split(separator: "\n").count == 1, "\(broken.stderr)")
        let schema = try temp("s.json", #"{"type": "object", "properties": {"x": {"not": {}}}}"#)
        let unsupported = try CLI.run(["grammar", "from-schema", schema])
        #expect(unsupported.status != 0 && unsupported.stderr.contains("unsupported keyword 'not' at #/properties/x"), "\(unsupported.stderr)")
        let sample = try CLI.run(["grammar", "sample", g, "--count", "3"])
        #expect(sample.status == 0 && sample.stdout.split(separator: "\n").count == 3)
    }

    @Test func runWithASchemaPrintsOnlyTheValue() throws {
        try #require(FileManager.default.fileExists(atPath: qwen), "the Qwen2.5-Coder 0.5B model is missing: run `make models`")
        let schema = try temp("city.json", #"{"type": "object", "properties": {"city": {"type": "string", "maxLength": 30}, "population": {"type": "integer", "minimum": 0}}, "required": ["city", "population"]}"#)
        let r = try CLI.run(["run", qwen, "--format", schema, "--temperature", "0"], stdin: "Tell me about Lyon.")
        #expect(r.status == 0, "\(r.stderr)")
        let value = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(value?["city"] is String && value?["population"] is Int, "\(r.stdout)")
        #expect(r.stdout.hasSuffix("}\n"))
        // inline schemas and GBNF files work the same way
        let inline = try CLI.run(["run", qwen, "--format", #"{"enum": ["yes", "no"]}"#, "--temperature", "0", "Is Lyon in France?"])
        #expect(["\"yes\"\n", "\"no\"\n"].contains(inline.stdout), "\(inline.stdout)")
        let gbnf = try temp("n.gbnf", "root ::= [1-9] [0-9]? \" apples\"")
        let counted = try CLI.run(["run", qwen, "--grammar", gbnf, "--temperature", "0", "How many apples fit in a bag?"])
        #expect(counted.stdout.range(of: #"^[1-9][0-9]? apples\n$"#, options: .regularExpression) != nil, "\(counted.stdout)")
        let bad = try CLI.run(["run", qwen, "--format", try temp("bad.json", #"{"type": "object", "if": {}}"#), "hi"])
        #expect(bad.status != 0 && bad.stderr.contains("unsupported keyword 'if'") && bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
    }

    @Test func runWithToolsPrintsCallsAsJSONLines() throws {
        try #require(FileManager.default.fileExists(atPath: qwen), "the Qwen2.5-Coder 0.5B model is missing: run `make models`")
        let tools = try temp("tools.json", #"[{"type": "function", "function": {"name": "lookup_capital", "description": "Look up the capital city of a country", "parameters": {"type": "object", "properties": {"country": {"type": "string"}}, "required": ["country"]}}}]"#)
        let r = try CLI.run(["run", qwen, "--tools", tools, "--tool-choice", "required", "--temperature", "0", "What is the capital of Peru?"])
        #expect(r.status == 0, "\(r.stderr)")
        let line = try #require(r.stdout.split(separator: "\n").last.map(String.init))
        let call = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(call?["name"] as? String == "lookup_capital" && (call?["arguments"] as? [String: Any])?["country"] as? String == "Peru", "\(r.stdout)")
        let json = try CLI.run(["run", qwen, "--tools", tools, "--tool-choice", "required", "--temperature", "0", "--json", "Capital of Chile?"])
        let o = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((o?["tool_calls"] as? [[String: Any]])?.first?["name"] as? String == "lookup_capital", "\(json.stdout)")
        let badTools = try CLI.run(["run", qwen, "--tools", try temp("t.json", #"[{"type": "function", "function": {}}]"#), "hi"])
        #expect(badTools.status != 0 && badTools.stderr.contains("tools[0].function.name"), "\(badTools.stderr)")
    }
}
