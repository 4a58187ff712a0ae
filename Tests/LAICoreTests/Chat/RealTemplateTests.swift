// RealTemplateTests: the real chat templates of the major model families, rendered and compared with
// the prompt formats their model cards document (a system + alternating conversation, generation prompt on).
import Foundation
import Testing
import LAICore

enum Conversations {
    /// The conversation llama.cpp's template tests use (note the padded assistant reply).
    static let standard: [ChatMessage] = [
        ChatMessage(role: "system", content: "You are a helpful assistant"),
        ChatMessage(role: "user", content: "Hello"),
        ChatMessage(role: "assistant", content: "Hi there"),
        ChatMessage(role: "user", content: "Who are you"),
        ChatMessage(role: "assistant", content: "   I am an assistant   "),
        ChatMessage(role: "user", content: "Another question"),
    ]
    static var withoutSystem: [ChatMessage] { Array(standard.dropFirst()) }

    static let weatherTool = #"{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}"#

    /// Variables for a render with tool calls, from JSON (messages can carry tool_calls there).
    static func variables(_ json: String) throws -> [String: JinjaValue] {
        guard case let .dict(d) = try JinjaValue.parseJSON(json) else { return [:] }
        var out: [String: JinjaValue] = [:]
        for (k, v) in d.pairs { out[k] = v }
        return out
    }
}

private func render(_ source: String, _ messages: [ChatMessage] = Conversations.standard, bos: String = "", eos: String = "",
                    generationPrompt: Bool = true, tools: [String]? = nil) throws -> String {
    try ChatTemplate(source: source).render(messages: messages, addGenerationPrompt: generationPrompt,
                                            bosToken: bos, eosToken: eos, tools: tools)
}

private func raised(_ body: () throws -> String) -> String? {
    do { _ = try body(); return nil } catch let ChatTemplateError.raised(message) { return message } catch { return "\(error)" }
}

/// Prints where two renders first differ, so a failure shows the divergence rather than two long strings.
private func expectSame(_ got: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
    if got == expected { return }
    let g = Array(got), e = Array(expected)
    var i = 0
    while i < min(g.count, e.count), g[i] == e[i] { i += 1 }
    let from = max(0, i - 30)
    Issue.record("""
        renders differ at character \(i):
          got:      \(String(g[from..<min(g.count, i + 40)]).debugDescription)
          expected: \(String(e[from..<min(e.count, i + 40)]).debugDescription)
        """, sourceLocation: sourceLocation)
}

@Suite struct ChatRealTemplateTests {
    static let chatmlStandard = "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n<|im_start|>assistant\n"

    @Test(.enabled(if: FileManager.default.fileExists(atPath: Fixtures.smolLM2), "needs the demo model (make models)"))
    func smolLM2TemplateFromTheGGUF() throws {
        let path = Fixtures.smolLM2
        let file = try GGUFFile(path: path)
        let source = try #require(file.metadata.string("tokenizer.chat_template"))
        expectSame(try render(source), Self.chatmlStandard)
        // Without a system message SmolLM2 adds its own.
        let own = try render(source, [ChatMessage(role: "user", content: "Hi")])
        expectSame(own, "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        #expect(BuiltinChatFormat.detect(templateSource: source) == .chatml)
        let noPrompt = try render(source, [ChatMessage(role: "system", content: "S"), ChatMessage(role: "user", content: "U")], generationPrompt: false)
        expectSame(noPrompt, "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n")
    }

    @Test func chatml() throws {
        expectSame(try render(RealTemplates.chatml), Self.chatmlStandard)
    }

    @Test func qwen25WithoutTools() throws {
        expectSame(try render(RealTemplates.qwen25), Self.chatmlStandard)
        let defaultSystem = try render(RealTemplates.qwen25, [ChatMessage(role: "user", content: "Hi")])
        expectSame(defaultSystem, "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func qwen25WithTools() throws {
        let messages = [ChatMessage(role: "system", content: "You are a helpful assistant"),
                        ChatMessage(role: "user", content: "Weather in Paris?")]
        let got = try render(RealTemplates.qwen25, messages, tools: [Conversations.weatherTool])
        let expected = "<|im_start|>system\nYou are a helpful assistant\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
            + Conversations.weatherTool
            + "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n"
        expectSame(got, expected)
    }

    @Test func qwen25ToolCallsAndResponses() throws {
        let vars = try Conversations.variables("""
        {"messages": [
          {"role": "user", "content": "Weather in Paris?"},
          {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
          {"role": "tool", "content": "22C"},
          {"role": "tool", "content": "sunny"}
        ], "add_generation_prompt": true, "tools": null}
        """)
        let got = try ChatTemplate(source: RealTemplates.qwen25).render(variables: vars)
        expectSame(got, "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n22C\n</tool_response>\n<tool_response>\nsunny\n</tool_response><|im_end|>\n<|im_start|>assistant\n")
    }

    static let llama3Standard = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"

    @Test func llama3() throws {
        expectSame(try render(RealTemplates.llama3, bos: "<|begin_of_text|>", eos: "<|eot_id|>"), Self.llama3Standard)
    }

    @Test func llama32DatesTheSystemPromptWithStrftimeNow() throws {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "dd MMM yyyy"
        let today = f.string(from: Date())
        let got = try render(RealTemplates.llama32, bos: "<|begin_of_text|>", eos: "<|eot_id|>")
        let expected = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: \(today)\n\nYou are a helpful assistant<|eot_id|>"
            + Self.llama3Standard.dropFirst("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|>".count)
        expectSame(got, expected)
    }

    @Test func llama32ToolsGoInTheFirstUserMessage() throws {
        let vars = try Conversations.variables("""
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather in Paris?"},
                      {"role": "assistant", "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
                      {"role": "ipython", "content": {"temp": 22}}],
         "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
         "bos_token": "<|begin_of_text|>", "add_generation_prompt": true, "date_string": "26 Jul 2024"}
        """)
        let got = try ChatTemplate(source: RealTemplates.llama32).render(variables: vars)
        let toolJSON = "{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n        \"parameters\": {\n            \"type\": \"object\"\n        }\n    }\n}"
        let expected = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nBe brief.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\n"
            + "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n"
            + toolJSON + "\n\nWeather in Paris?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>"
            + "<|start_header_id|>ipython<|end_header_id|>\n\n{\"temp\": 22}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
        expectSame(got, expected)

        let noUser = try Conversations.variables(#"{"messages": [{"role": "system", "content": "S"}], "tools": [], "add_generation_prompt": true}"#)
        #expect(raised { try ChatTemplate(source: RealTemplates.llama32).render(variables: noUser) }
                == "Cannot put tools in the first user message when there's no first user message!")
    }

    @Test func llama2() throws {
        expectSame(try render(RealTemplates.llama2, bos: "<s>", eos: "</s>"),
                   "<s>[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST] Hi there </s><s>[INST] Who are you [/INST] I am an assistant </s><s>[INST] Another question [/INST]")
        let twoUsers = [ChatMessage(role: "user", content: "a"), ChatMessage(role: "user", content: "b")]
        #expect(raised { try render(RealTemplates.llama2, twoUsers) } == "Conversation roles must alternate user/assistant/user/assistant/...")
    }

    @Test func mistralV1() throws {
        expectSame(try render(RealTemplates.mistralV1, bos: "<s>", eos: "</s>"),
                   "<s> [INST] You are a helpful assistant\n\nHello [/INST] Hi there</s> [INST] Who are you [/INST]    I am an assistant   </s> [INST] Another question [/INST]")
        let twoUsers = [ChatMessage(role: "system", content: "s"), ChatMessage(role: "user", content: "a"), ChatMessage(role: "user", content: "b")]
        #expect(raised { try render(RealTemplates.mistralV1, twoUsers) }
                == "After the optional system message, conversation roles must alternate user/assistant/user/assistant/...")
        let tool = [ChatMessage(role: "user", content: "a"), ChatMessage(role: "tool", content: "b")]
        #expect(raised { try render(RealTemplates.mistralV1, tool) }
                == "Only user and assistant roles are supported, with the exception of an initial optional system message!")
    }

    @Test func mistralV3PutsTheSystemPromptInTheLastUserTurn() throws {
        expectSame(try render(RealTemplates.mistralV3, bos: "<s>", eos: "</s>"),
                   "<s>[INST] Hello[/INST] Hi there</s>[INST] Who are you[/INST] I am an assistant</s>[INST] You are a helpful assistant\n\nAnother question[/INST]")
        let twoAssistants = [ChatMessage(role: "user", content: "a"), ChatMessage(role: "assistant", content: "b"), ChatMessage(role: "assistant", content: "c")]
        #expect(raised { try render(RealTemplates.mistralV3, twoAssistants) }
                == "After the optional system message, conversation roles must alternate user/assistant/user/assistant/...")
    }

    @Test func mistralV3WithToolsAndToolCalls() throws {
        let got = try render(RealTemplates.mistralV3, [ChatMessage(role: "user", content: "Weather in Paris?")],
                             bos: "<s>", eos: "</s>", tools: [Conversations.weatherTool])
        expectSame(got, "<s>[AVAILABLE_TOOLS] [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}][/AVAILABLE_TOOLS][INST] Weather in Paris?[/INST]")

        let vars = try Conversations.variables("""
        {"messages": [{"role": "user", "content": "Weather?"},
                      {"role": "assistant", "tool_calls": [{"id": "abcdef123", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
                      {"role": "tool", "tool_call_id": "abcdef123", "content": "22C"}],
         "bos_token": "<s>", "eos_token": "</s>"}
        """)
        expectSame(try ChatTemplate(source: RealTemplates.mistralV3).render(variables: vars),
                   "<s>[INST] Weather?[/INST][TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"abcdef123\"}]</s>[TOOL_RESULTS] {\"content\": 22C, \"call_id\": \"abcdef123\"}[/TOOL_RESULTS]")
        let badID = try Conversations.variables("""
        {"messages": [{"role": "user", "content": "W"}, {"role": "assistant", "tool_calls": [{"id": "short", "function": {"name": "f", "arguments": {}}}]}]}
        """)
        #expect(raised { try ChatTemplate(source: RealTemplates.mistralV3).render(variables: badID) }
                == "Tool call IDs should be alphanumeric strings with length 9!")
    }

    @Test func mistralTekken() throws {
        expectSame(try render(RealTemplates.mistralTekken, bos: "<s>", eos: "</s>"),
                   "<s>[INST]Hello[/INST]Hi there</s>[INST]Who are you[/INST]   I am an assistant   </s>[INST]You are a helpful assistant\n\nAnother question[/INST]")
    }

    @Test func gemma() throws {
        expectSame(try render(RealTemplates.gemma, Conversations.withoutSystem, bos: "<bos>", eos: "<eos>"),
                   "<bos><start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\nHi there<end_of_turn>\n<start_of_turn>user\nWho are you<end_of_turn>\n<start_of_turn>model\nI am an assistant<end_of_turn>\n<start_of_turn>user\nAnother question<end_of_turn>\n<start_of_turn>model\n")
        #expect(raised { try render(RealTemplates.gemma) } == "System role not supported")
        let assistantFirst = [ChatMessage(role: "assistant", content: "a")]
        #expect(raised { try render(RealTemplates.gemma, assistantFirst) } == "Conversation roles must alternate user/assistant/user/assistant/...")
    }

    @Test func phi3() throws {
        expectSame(try render(RealTemplates.phi3Small, bos: "<s>", eos: "<|endoftext|>"),
                   "<s><|system|>\nYou are a helpful assistant<|end|>\n<|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n<|user|>\nWho are you<|end|>\n<|assistant|>\n   I am an assistant   <|end|>\n<|user|>\nAnother question<|end|>\n<|assistant|>\n")
        expectSame(try render(RealTemplates.phi3Small, [ChatMessage(role: "user", content: "x")], bos: "<s>", eos: "<|endoftext|>", generationPrompt: false),
                   "<s><|user|>\nx<|end|>\n<|endoftext|>")
        expectSame(try render(RealTemplates.phi3Mini, bos: "<s>"),
                   "<s><|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n<|user|>\nWho are you<|end|>\n<|assistant|>\n   I am an assistant   <|end|>\n<|user|>\nAnother question<|end|>\n<|assistant|>\n")
    }

    static let dsBos = "<｜begin▁of▁sentence｜>", dsEos = "<｜end▁of▁sentence｜>"

    @Test func deepseekV2() throws {
        expectSame(try render(RealTemplates.deepseekV2, bos: Self.dsBos, eos: Self.dsEos),
                   "<｜begin▁of▁sentence｜>You are a helpful assistant\n\nUser: Hello\n\nAssistant: Hi there<｜end▁of▁sentence｜>User: Who are you\n\nAssistant:    I am an assistant   <｜end▁of▁sentence｜>User: Another question\n\nAssistant:")
    }

    @Test func deepseekCoderWhitespaceControl() throws {
        expectSame(try render(RealTemplates.deepseekCoder),
                   "You are a helpful assistant### Instruction:\nHello\n### Response:\nHi there\n<|EOT|>\n### Instruction:\nWho are you\n### Response:\n   I am an assistant   \n<|EOT|>\n### Instruction:\nAnother question\n### Response:\n")
        let noSystem = try render(RealTemplates.deepseekCoder, [ChatMessage(role: "user", content: "Q")], generationPrompt: false)
        #expect(noSystem.hasPrefix("You are an AI programming assistant, utilizing the Deepseek Coder model"))
        #expect(noSystem.hasSuffix("will refuse to answer\n### Instruction:\nQ\n"))
    }

    @Test func deepseekR1() throws {
        var messages = Conversations.standard
        messages[2].content = "<think>\nLet me greet.\n</think>Hi there"
        expectSame(try render(RealTemplates.deepseekR1, messages, bos: Self.dsBos, eos: Self.dsEos),
                   "<｜begin▁of▁sentence｜>You are a helpful assistant<｜User｜>Hello<｜Assistant｜>Hi there<｜end▁of▁sentence｜><｜User｜>Who are you<｜Assistant｜>   I am an assistant   <｜end▁of▁sentence｜><｜User｜>Another question<｜Assistant｜><think>\n")
    }

    @Test func zephyr() throws {
        expectSame(try render(RealTemplates.zephyr, eos: "</s>"),
                   "<|system|>\nYou are a helpful assistant</s>\n<|user|>\nHello</s>\n<|assistant|>\nHi there</s>\n<|user|>\nWho are you</s>\n<|assistant|>\n   I am an assistant   </s>\n<|user|>\nAnother question</s>\n<|assistant|>\n")
    }

    @Test func commandR() throws {
        expectSame(try render(RealTemplates.commandR),
                   "<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>You are a helpful assistant<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|USER_TOKEN|>Hello<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>Hi there<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|USER_TOKEN|>Who are you<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>I am an assistant<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|USER_TOKEN|>Another question<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>")
    }

    @Test func vigogneDefaultSystemPrompt() throws {
        expectSame(try render(RealTemplates.vigogne, eos: "</s>"),
                   "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST] Hi there </s>[INST] Who are you [/INST] I am an assistant </s>[INST] Another question [/INST]")
        expectSame(try render(RealTemplates.vigogne, [ChatMessage(role: "user", content: "Bonjour")], eos: "</s>"),
                   "[INST] <<SYS>>\nVous êtes Vigogne, un assistant IA créé par Zaion Lab. Vous suivez extrêmement bien les instructions. Aidez autant que vous le pouvez.\n<</SYS>>\n\nBonjour [/INST]")
    }

    @Test func granite3() throws {
        let chat = "<|start_of_role|>system<|end_of_role|>You are a helpful assistant<|end_of_text|>\n<|start_of_role|>user<|end_of_role|>Hello<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|>Hi there<|end_of_text|>\n<|start_of_role|>user<|end_of_role|>Who are you<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|>   I am an assistant   <|end_of_text|>\n<|start_of_role|>user<|end_of_role|>Another question<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|>"
        expectSame(try render(RealTemplates.granite3), chat)
        let tool = #"{"type": "function", "function": {"name": "f", "parameters": {}}}"#
        let indented = "{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"f\",\n        \"parameters\": {}\n    }\n}"
        expectSame(try render(RealTemplates.granite3, tools: [tool, tool]),
                   "<|start_of_role|>available_tools<|end_of_role|>\n" + indented + "\n\n" + indented + "<|end_of_text|>\n" + chat)
    }

    @Test func yandexGPTMacros() throws {
        let chat = " Пользователь: Hello\n\n Ассистент: Hi there\n\n Пользователь: Who are you\n\n Ассистент:    I am an assistant   \n\n Пользователь: Another question\n\n Ассистент:[SEP]"
        expectSame(try render(RealTemplates.yandex), "<s>" + chat)
        expectSame(try render(RealTemplates.yandex, tools: [Conversations.weatherTool]),
                   "<s>Тебе доступны следующие функции:\nfunction {'name':'get_weather','description':'Get the weather','parameters':{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}\n\n" + chat)
    }
}
