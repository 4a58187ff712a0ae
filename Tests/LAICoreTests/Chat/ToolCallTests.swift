// ToolCallTests: tool calls through chat templates (compared with Python jinja2 rendering the same templates the
// way transformers' apply_chat_template does), parsing per model family, the streaming splitter, grammar parts
// and tool definition errors.
import Foundation
import Testing
import LAICore

private enum ToolFixtures {
    static let weatherTool = #"{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["city"]}}}"#
    static let timeTool = #"{"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}}}}"#

    static func json(_ text: String) -> JSON {
        guard let v = try? JinjaValue.parseJSON(text), let j = JSON(jinja: v) else { return .null }
        return j
    }

    /// System, user, an assistant tool call, its result; the generation prompt follows.
    static let roundTrip: [ChatMessage] = [
        ChatMessage(role: "system", content: "You are a helpful assistant."),
        ChatMessage(role: "user", content: "What is the weather in Zürich?"),
        ChatMessage(role: "assistant", content: "", toolCalls: [
            ToolCall(id: "call12345", name: "get_weather", arguments: json(#"{"city": "Zürich", "unit": "celsius"}"#)),
        ]),
        ChatMessage(role: "tool", content: "22°C, sunny", toolCallID: "call12345", toolName: "get_weather"),
    ]

    /// Two calls in one turn (with text), two results, an answer and a new question.
    static let parallel: [ChatMessage] = [
        ChatMessage(role: "user", content: "Weather in Paris and Lyon?"),
        ChatMessage(role: "assistant", content: "Checking both.", toolCalls: [
            ToolCall(id: "callParis", name: "get_weather", arguments: json(#"{"city": "Paris"}"#)),
            ToolCall(id: "callLyon1", name: "get_weather", arguments: json(#"{"city": "Lyon"}"#)),
        ]),
        ChatMessage(role: "tool", content: "22C", toolCallID: "callParis", toolName: "get_weather"),
        ChatMessage(role: "tool", content: "18C", toolCallID: "callLyon1", toolName: "get_weather"),
        ChatMessage(role: "assistant", content: "Paris 22C, Lyon 18C."),
        ChatMessage(role: "user", content: "Thanks"),
    ]

    static func render(_ source: String, _ messages: [ChatMessage], bos: String, eos: String) throws -> String {
        try ChatTemplate(source: source).render(messages: messages, addGenerationPrompt: true, bosToken: bos, eosToken: eos,
                                                tools: [weatherTool])
    }

    /// Feeds `text` in chunks of `size` characters; returns what was shown while streaming, and `finish()`.
    static func stream(_ text: String, format: ToolCallFormat, size: Int) -> (shown: String, rest: String, calls: [ToolCall]) {
        var splitter = ToolCallStreamSplitter(format: format)
        var shown = ""
        var chars = Substring(text)
        while !chars.isEmpty {
            shown += splitter.feed(String(chars.prefix(size)))
            chars = chars.dropFirst(size)
        }
        let end = splitter.finish()
        return (shown, end.content, end.calls)
    }
}


private func call(_ name: String, _ arguments: String, id: String? = nil) -> ToolCall {
    ToolCall(id: id, name: name, arguments: ToolFixtures.json(arguments))
}

@Suite struct ToolCallRenderTests {
    // Expected renders: Python jinja2 3.1 ImmutableSandboxedEnvironment(trim_blocks, lstrip_blocks) with
    // transformers' tojson/raise_exception/strftime_now, given the same conversation as OpenAI-style dicts
    // (assistant content null beside tool_calls, arguments as dicts).
    static let weatherTool = ToolFixtures.weatherTool
    static let qwenTools = "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" + weatherTool + "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"

    @Test func qwen25ToolRoundTripMatchesJinja2() throws {
        expectSame(try ToolFixtures.render(RealTemplates.qwen25, ToolFixtures.roundTrip, bos: "", eos: "<|im_end|>"),
                         "<|im_start|>system\nYou are a helpful assistant." + Self.qwenTools + "<|im_start|>user\nWhat is the weather in Zürich?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Zürich\", \"unit\": \"celsius\"}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n22°C, sunny\n</tool_response><|im_end|>\n<|im_start|>assistant\n")
        expectSame(try ToolFixtures.render(RealTemplates.qwen25, ToolFixtures.parallel, bos: "", eos: "<|im_end|>"),
                         "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant." + Self.qwenTools + "<|im_start|>user\nWeather in Paris and Lyon?<|im_end|>\n<|im_start|>assistant\nChecking both.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lyon\"}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n22C\n</tool_response>\n<tool_response>\n18C\n</tool_response><|im_end|>\n<|im_start|>assistant\nParis 22C, Lyon 18C.<|im_end|>\n<|im_start|>user\nThanks<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func llama32ToolRoundTripMatchesJinja2() throws {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "dd MMM yyyy"
        let today = f.string(from: Date())
        // The tool result goes through `tojson` because a string "is iterable" in Jinja: hence the quotes.
        expectSame(try ToolFixtures.render(RealTemplates.llama32, ToolFixtures.roundTrip, bos: "<|begin_of_text|>", eos: "<|eot_id|>"),
                         "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\nToday Date: \(today)\n\nYou are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\nRespond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n        \"description\": \"Get the weather\",\n        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n                \"city\": {\n                    \"type\": \"string\"\n                },\n                \"unit\": {\n                    \"type\": \"string\",\n                    \"enum\": [\n                        \"celsius\",\n                        \"fahrenheit\"\n                    ]\n                }\n            },\n            \"required\": [\n                \"city\"\n            ]\n        }\n    }\n}\n\nWhat is the weather in Zürich?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Zürich\", \"unit\": \"celsius\"}}<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n\n\"22°C, sunny\"<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")
    }

    @Test func mistralToolRoundTripsMatchJinja2() throws {
        // The system message is dropped here: these templates only place it before the last message when it is a user's.
        expectSame(try ToolFixtures.render(RealTemplates.mistralV3, ToolFixtures.roundTrip, bos: "<s>", eos: "</s>"),
                         "<s>[AVAILABLE_TOOLS] [" + Self.weatherTool + "][/AVAILABLE_TOOLS][INST] What is the weather in Zürich?[/INST][TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Zürich\", \"unit\": \"celsius\"}, \"id\": \"call12345\"}]</s>[TOOL_RESULTS] {\"content\": 22°C, sunny, \"call_id\": \"call12345\"}[/TOOL_RESULTS]")
        expectSame(try ToolFixtures.render(RealTemplates.mistralTekken, ToolFixtures.roundTrip, bos: "<s>", eos: "</s>"),
                         "<s>[AVAILABLE_TOOLS][" + Self.weatherTool + "][/AVAILABLE_TOOLS][INST]What is the weather in Zürich?[/INST][TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Zürich\", \"unit\": \"celsius\"}, \"id\": \"call12345\"}]</s>[TOOL_RESULTS]{\"content\": 22°C, sunny, \"call_id\": \"call12345\"}[/TOOL_RESULTS]")
        expectSame(try ToolFixtures.render(RealTemplates.mistralV3, ToolFixtures.parallel, bos: "<s>", eos: "</s>"),
                         "<s>[INST] Weather in Paris and Lyon?[/INST][TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"callParis\"}, {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lyon\"}, \"id\": \"callLyon1\"}]</s>[TOOL_RESULTS] {\"content\": 22C, \"call_id\": \"callParis\"}[/TOOL_RESULTS][TOOL_RESULTS] {\"content\": 18C, \"call_id\": \"callLyon1\"}[/TOOL_RESULTS] Paris 22C, Lyon 18C.</s>[AVAILABLE_TOOLS] [" + Self.weatherTool + "][/AVAILABLE_TOOLS][INST] Thanks[/INST]")
    }

    @Test func parsedToolDefinitionsRenderLikeToolTexts() throws {
        let template = try ChatTemplate(source: RealTemplates.qwen25)
        let fromText = try template.render(messages: ToolFixtures.roundTrip, addGenerationPrompt: true, bosToken: "", eosToken: "",
                                           tools: [ToolFixtures.weatherTool])
        let fromJSON = try template.render(messages: ToolFixtures.roundTrip, addGenerationPrompt: true, bosToken: "", eosToken: "",
                                           toolDefinitions: [ToolFixtures.json(ToolFixtures.weatherTool)])
        expectSame(fromJSON, fromText)
    }

    @Test func plainMessagesCarryOnlyRoleAndContent() {
        // Templates test `'tool_calls' in message` (Llama) and `message.tool_calls is defined` (Mistral).
        guard case let .dict(d) = ChatMessage(role: "assistant", content: "Hi").templateValue else { Issue.record("not a dict"); return }
        #expect(d.keys == ["role", "content"])
        guard case let .dict(t) = ChatMessage(role: "tool", content: "1", toolCallID: "c1", toolName: "f").templateValue else { Issue.record("tool message: not a dict"); return }
        #expect(t.keys == ["role", "content", "tool_call_id", "name"])
        guard case let .dict(c) = ToolFixtures.roundTrip[2].templateValue else { Issue.record("assistant call message: not a dict"); return }
        #expect(c.keys == ["role", "content", "tool_calls"])
    }
}

@Suite struct ToolCallParsingTests {
    @Test func detectsTheFamilyFromTheTemplate() {
        #expect(ToolCallFormat.detect(templateSource: RealTemplates.qwen25) == .hermes)
        #expect(ToolCallFormat.detect(templateSource: RealTemplates.qwen3) == .hermes)
        #expect(ToolCallFormat.detect(templateSource: RealTemplates.llama32) == .llama3)
        #expect(ToolCallFormat.detect(templateSource: RealTemplates.mistralV3) == .mistral)
        #expect(ToolCallFormat.detect(templateSource: RealTemplates.mistralSmall32) == .mistral)
        #expect(ToolCallFormat.detect(templateSource: RealTemplates.chatml) == .generic)
        #expect(ToolCallFormat.detect(templateSource: nil) == .generic)
    }

    @Test func hermesCalls() {
        let f = ToolCallFormat.hermes
        let one = f.parse("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"celsius\"}}\n</tool_call>")
        #expect(one.content == "")
        #expect(one.calls == [call("get_weather", #"{"city": "Paris", "unit": "celsius"}"#)])
        // Arguments keep the model's key order.
        #expect(one.calls.first?.arguments.serialized() == #"{"city":"Paris","unit":"celsius"}"#)

        let two = f.parse("I'll check both cities.\n\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lyon\"}}\n</tool_call>")
        #expect(two.content == "I'll check both cities.")
        #expect(two.calls == [call("get_weather", #"{"city": "Paris"}"#), call("get_weather", #"{"city": "Lyon"}"#)])

        // Arguments as a JSON string; no closing tag (generation stopped on it); no arguments at all.
        #expect(f.parse(#"<tool_call>{"name": "f", "arguments": "{\"x\": 1}"}</tool_call>"#).calls == [call("f", #"{"x": 1}"#)])
        #expect(f.parse("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": [1, 2]}}\n").calls == [call("f", #"{"x": [1, 2]}"#)])
        #expect(f.parse("<tool_call>\n{\"name\": \"now\"}\n</tool_call>").calls == [call("now", "{}")])
    }

    @Test func malformedHermesCallsStayText() {
        let f = ToolCallFormat.hermes
        for text in [
            "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Par",    // cut off
            "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": 1}\n</tool_call>",         // unbalanced
            "<tool_call>\n{\"arguments\": {\"x\": 1}}\n</tool_call>",                         // no name
            "<tool_call>\n{\"name\": \"f\", \"arguments\": [1]}\n</tool_call>",              // arguments not an object
            "Use <tool_call> tags to call tools.",
            "Just an answer.",
        ] {
            let r = f.parse(text)
            #expect(r.calls.isEmpty, "\(text)")
            #expect(r.content == text)
        }
        // One bad call makes the whole reply text: half a set of calls would be acted on wrongly.
        let mixed = "<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n{oops}\n</tool_call>"
        #expect(f.parse(mixed) == (content: mixed, calls: []))
    }

    @Test func llama3Calls() {
        let f = ToolCallFormat.llama3
        #expect(f.parse(#"{"name": "get_weather", "parameters": {"city": "Paris"}}"#).calls == [call("get_weather", #"{"city": "Paris"}"#)])
        #expect(f.parse("<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}").calls.count == 1)
        let two = f.parse(#" {"name": "a", "parameters": {"x": 1}}; {"name": "b", "parameters": {}}"#)
        #expect(two.calls == [call("a", #"{"x": 1}"#), call("b", "{}")])
        #expect(two.content == "")
        let tagged = f.parse("Let me look.<|python_tag|>{\"name\": \"a\", \"arguments\": {\"x\": \"1\"}}")
        #expect(tagged == (content: "Let me look.", calls: [call("a", #"{"x": "1"}"#)]))
        for text in [
            #"The JSON is {"name": "a", "parameters": {}}"#,          // a "{" inside prose is not a call
            #"{"name": "a", "parameters": {"x": 1}"#,                 // cut off
            #"{"name": "a", "parameters": {}} and then some text"#,
            #"{"answer": 42}"#,
            "<|python_tag|>brave_search.call(query=\"weather\")",      // built-in tools are not JSON calls
        ] {
            #expect(f.parse(text) == (content: text, calls: []), "\(text)")
        }
    }

    @Test func mistralCalls() {
        let f = ToolCallFormat.mistral
        let v3 = f.parse(#"[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Paris"}, "id": "abc123def"}, {"name": "get_time", "arguments": {}}]"#)
        #expect(v3.calls == [call("get_weather", #"{"city": "Paris"}"#, id: "abc123def"), call("get_time", "{}")])
        #expect(f.parse(#"[TOOL_CALLS][{"name": "f", "arguments": {"a": 1}}]</s>"#).calls == [call("f", #"{"a": 1}"#)])
        let newer = f.parse(#"Sure.[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}[TOOL_CALLS]get_time[CALL_ID]x1y2z3w4v[ARGS]{}"#)
        #expect(newer == (content: "Sure.", calls: [call("get_weather", #"{"city": "Paris"}"#), call("get_time", "{}", id: "x1y2z3w4v")]))
        for text in [
            #"[TOOL_CALLS] [{"name": "f", "arguments": {"a": 1}"#,
            #"[TOOL_CALLS]get weather[ARGS]{"city": "Paris"}"#,
            #"[TOOL_CALLS]f[ARGS]{"a": 1} trailing text"#,
            #"[TOOL_CALLS]f"#,
        ] {
            #expect(f.parse(text) == (content: text, calls: []), "\(text)")
        }
    }

    @Test func genericCalls() {
        let f = ToolCallFormat.generic
        #expect(f.parse(#"{"name": "f", "arguments": {"a": 1}}"#).calls == [call("f", #"{"a": 1}"#)])
        #expect(f.parse(#"[{"name": "f", "arguments": {}}, {"name": "g", "arguments": {"b": true}}]"#).calls.map(\.name) == ["f", "g"])
        #expect(f.parse("```json\n{\"name\": \"f\", \"arguments\": {\"a\": 1}}\n```").calls == [call("f", #"{"a": 1}"#)])
        #expect(f.parse(#"{"tool_calls": [{"name": "f", "arguments": {}}]}"#).calls == [call("f", "{}")])
        for text in [#"{"answer": 42}"#, "Here: {\"name\": \"f\", \"arguments\": {}}", "```json\n{\"name\": \"f\"", "plain"] {
            #expect(f.parse(text) == (content: text, calls: []), "\(text)")
        }
    }
}

@Suite struct ToolCallStreamingTests {
    @Test func textBeforeAHermesCallStreamsAndTheCallIsHeld() {
        let reply = "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"
        for size in [1, 2, 3, 5, 7, 13, 1000] {
            let r = ToolFixtures.stream(reply, format: .hermes, size: size)
            #expect(r.shown == "Let me check.\n", "chunk size \(size)")
            #expect(r.rest == "")
            #expect(r.calls == [call("get_weather", #"{"city": "Paris"}"#)])
        }
    }

    @Test func aPartialTriggerIsHeldThenReleased() {
        var s = ToolCallStreamSplitter(format: .hermes)
        #expect(s.feed("a <tool") == "a ")
        #expect(s.feed("_ca") == "")
        #expect(s.feed("rd> b") == "<tool_card> b")
        #expect(s.feed(" <") == " ")
        #expect(s.finish() == (content: "<", calls: []))

        var m = ToolCallStreamSplitter(format: .mistral)
        #expect(m.feed("[TOOL") == "")
        #expect(m.feed("_CALLS]f[ARGS]{\"a\": 1}") == "")
        #expect(m.finish() == (content: "", calls: [call("f", #"{"a": 1}"#)]))
    }

    @Test func repliesWithoutCallsComeThroughWhole() {
        let replies = [
            "Plain answer with <b>tags</b>, [brackets] and {\"json\": true}.",
            "  \n{not a call at all",
            "<tool_call>\n{\"name\": \"broken\", \"arguments\": {",
            "[TOOL_CALLS] nope",
            "<|python_tag|>code()",
            "```\nsome code\n```",
        ]
        for format in ToolCallFormat.allCases {
            for reply in replies {
                for size in [1, 3, 1000] {
                    let r = ToolFixtures.stream(reply, format: format, size: size)
                    #expect(r.calls.isEmpty)
                    #expect(r.shown + r.rest == reply, "\(format) \(size): \(reply)")
                }
            }
        }
    }

    @Test func startTriggersCountOnlyAtTheStartOfTheReply() {
        let llama = ToolFixtures.stream("  <|python_tag|>{\"name\": \"f\", \"parameters\": {\"a\": 1}}", format: .llama3, size: 2)
        #expect(llama.shown == "")
        #expect(llama.calls == [call("f", #"{"a": 1}"#)])
        let bare = ToolFixtures.stream("\n{\"name\": \"f\", \"parameters\": {}}; {\"name\": \"g\", \"parameters\": {}}", format: .llama3, size: 4)
        #expect(bare.shown == "" && bare.calls.map(\.name) == ["f", "g"])

        var prose = ToolCallStreamSplitter(format: .llama3)
        #expect(prose.feed("Use ") == "Use ")
        #expect(prose.feed("{\"a\": 1} like this") == "{\"a\": 1} like this")
        #expect(prose.finish() == (content: "", calls: []))

        var generic = ToolCallStreamSplitter(format: .generic)
        #expect(generic.feed(" ") == "")
        #expect(generic.feed("``") == "")
        #expect(generic.feed("`json\n{\"name\": \"f\", \"arguments\": {}}\n```") == "")
        #expect(generic.finish() == (content: "", calls: [call("f", "{}")]))

        // Replies that merely begin with "[" or a code fence stream at once.
        var list = ToolCallStreamSplitter(format: .generic)
        #expect(list.feed("[") == "")
        #expect(list.feed("1] First") == "[1] First")
        var code = ToolCallStreamSplitter(format: .generic)
        #expect(code.feed("```") == "")
        #expect(code.feed("py") == "```py")
        var array = ToolCallStreamSplitter(format: .generic)
        #expect(array.feed("[ ") == "")
        #expect(array.feed("{\"name\": \"f\", \"arguments\": {}}]") == "")
        #expect(array.finish().calls == [call("f", "{}")])
    }
}

@Suite struct ToolCallGrammarTests {
    let tools = [ToolFixtures.json(ToolFixtures.weatherTool), ToolFixtures.json(ToolFixtures.timeTool)]
    let weather = #"{"type":"object","properties":{"name":{"const":"get_weather"},"arguments":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"]}},"required":["name","arguments"]}"#
    let time = #"{"type":"object","properties":{"name":{"const":"get_time"},"arguments":{"type":"object","properties":{"zone":{"type":"string"}}}},"required":["name","arguments"]}"#

    @Test func partsPerFamily() {
        let hermes = ToolCallFormat.hermes.callGrammarParts(tools: tools, forcedName: nil)
        #expect(hermes.prefix == "<tool_call>\n" && hermes.suffix == "\n</tool_call>")
        #expect(hermes.prefix.hasPrefix(ToolCallFormat.hermes.trigger))
        #expect(hermes.bodySchema.serialized() == #"{"anyOf":["# + weather + "," + time + "]}")

        let forced = ToolCallFormat.hermes.callGrammarParts(tools: tools, forcedName: "get_time")
        #expect(forced.bodySchema.serialized() == time)

        let llama = ToolCallFormat.llama3.callGrammarParts(tools: tools, forcedName: "get_weather")
        #expect(llama.prefix == "" && llama.suffix == "")
        #expect(llama.bodySchema.serialized() == weather.replacingOccurrences(of: "\"arguments\"", with: "\"parameters\""))

        let mistral = ToolCallFormat.mistral.callGrammarParts(tools: tools, forcedName: nil)
        #expect(mistral.prefix == "[TOOL_CALLS]" && mistral.suffix == "")
        #expect(mistral.bodySchema.serialized() == #"{"type":"array","items":{"anyOf":["# + weather + "," + time + #"]},"minItems":1}"#)

        // A tool without parameters takes any object.
        let bare = ToolCallFormat.generic.callGrammarParts(tools: [ToolFixtures.json(#"{"type": "function", "function": {"name": "now"}}"#)], forcedName: nil)
        #expect(bare.bodySchema.serialized() == #"{"type":"object","properties":{"name":{"const":"now"},"arguments":{"type":"object"}},"required":["name","arguments"]}"#)
        // No usable tools: still a satisfiable call shape.
        let none = ToolCallFormat.hermes.callGrammarParts(tools: [], forcedName: nil)
        #expect(none.bodySchema.serialized() == #"{"type":"object","properties":{"name":{"type":"string"},"arguments":{"type":"object"}},"required":["name","arguments"]}"#)
    }
}

@Suite struct ToolDefinitionTests {
    @Test func readsOpenAIToolDefinitions() throws {
        let defs = try ToolDefinition.parse([ToolFixtures.json(ToolFixtures.weatherTool), ToolFixtures.json(#"{"type": "function", "function": {"name": "now"}}"#)])
        #expect(defs.map(\.name) == ["get_weather", "now"])
        #expect(defs[0].description == "Get the weather")
        #expect(defs[1].parameters == ToolDefinition.anyObject)
    }

    @Test(arguments: [
        (#"[{"type": "function", "function": {"name": "a"}}, {"type": "function", "function": {"description": "x"}}]"#, "tools[1].function.name is missing"),
        (#"[{"type": "function"}]"#, "tools[0].function is missing"),
        (#"["get_weather"]"#, "tools[0] is not an object"),
        (#"[{"type": "retrieval", "function": {"name": "a"}}]"#, "tools[0].type must be \"function\""),
        (#"[{"function": {"name": ""}}]"#, "tools[0].function.name must be a non-empty string"),
        (#"[{"function": {"name": "a", "parameters": "x"}}]"#, "tools[0].function.parameters must be an object"),
        (#"[{"function": {"name": "a"}}, {"function": {"name": "a"}}]"#, "tools[1].function.name \"a\" repeats tools[0]"),
    ])
    func badDefinitionsNameTheField(tools: String, message: String) {
        let list = ToolFixtures.json(tools).arrayValue ?? []
        #expect(throws: ToolDefinitionError.self) { try ToolDefinition.parse(list) }
        do { _ = try ToolDefinition.parse(list) } catch { #expect(error.message == message) }
    }
}

@Suite struct ToolCallIDTests {
    /// Mistral's templates raise unless a call id is 9 letters and digits; the ids lai hands out for Mistral-format
    /// models pass, the OpenAI-shaped ones it uses elsewhere would not.
    @Test func mistralIDsSatisfyTheTemplate() throws {
        func messages(_ id: String) -> [ChatMessage] {
            [ChatMessage(role: "user", content: "Weather in Paris?"),
             ChatMessage(role: "assistant", content: "", toolCalls: [ToolCall(id: id, name: "get_weather", arguments: .object([("city", .string("Paris"))]))]),
             ChatMessage(role: "tool", content: "18°C", toolCallID: id, toolName: "get_weather")]
        }
        let id = ToolCall.newID(for: .mistral)
        #expect(id.count == 9 && id.allSatisfy { $0.isLetter || $0.isNumber })
        #expect(try ToolFixtures.render(RealTemplates.mistralV3, messages(id), bos: "<s>", eos: "</s>").contains("\(id)"))
        let openAI = ToolCall.newID(for: .hermes)
        #expect(openAI.hasPrefix("call_") && openAI.count == 29)
        #expect(throws: (any Error).self) { try ToolFixtures.render(RealTemplates.mistralV3, messages(openAI), bos: "<s>", eos: "</s>") }
    }
}
