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

/// Renders with the variables `apply_chat_template` hands a template: the JSON object's keys, and `tools` and
/// `documents` none and `add_generation_prompt` false unless given.
private func renderHF(_ source: String, _ json: String) throws -> String {
    var vars = try Conversations.variables(json)
    for key in ["tools", "documents"] where vars[key] == nil { vars[key] = JinjaValue.none }
    if vars["add_generation_prompt"] == nil { vars["add_generation_prompt"] = .bool(false) }
    return try ChatTemplate(source: source).render(variables: vars)
}

/// Today's date in `format` (en_US_POSIX), for templates that date their default system prompt with strftime_now.
private func today(_ format: String) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.dateFormat = format
    return f.string(from: Date())
}

/// Prints where two renders first differ, so a failure shows the divergence rather than two long strings.
func expectSame(_ got: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
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

    // Model families checked against transformers: every expected string below is what
    // scripts/template-oracle.py (transformers' apply_chat_template environment) rendered for the same variables.

    @Test func gemma3FoldsTheSystemPromptIntoTheFirstUserTurn() throws {
        expectSame(try render(RealTemplates.gemma3, bos: "<bos>", eos: "<eos>"),
                   "<bos><start_of_turn>user\nYou are a helpful assistant\n\nHello<end_of_turn>\n<start_of_turn>model\nHi there<end_of_turn>\n<start_of_turn>user\nWho are you<end_of_turn>\n<start_of_turn>model\nI am an assistant<end_of_turn>\n<start_of_turn>user\nAnother question<end_of_turn>\n<start_of_turn>model\n")
        expectSame(try render(RealTemplates.gemma3, Conversations.withoutSystem, bos: "<bos>", eos: "<eos>", generationPrompt: false),
                   "<bos><start_of_turn>user\nHello<end_of_turn>\n<start_of_turn>model\nHi there<end_of_turn>\n<start_of_turn>user\nWho are you<end_of_turn>\n<start_of_turn>model\nI am an assistant<end_of_turn>\n<start_of_turn>user\nAnother question<end_of_turn>\n")
        // Content as a list of parts (the system prompt's first text part, images as <start_of_image>).
        expectSame(try renderHF(RealTemplates.gemma3, #"{"messages": [{"role": "system", "content": [{"type": "text", "text": "Be brief."}]}, {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "  What is this?  "}]}], "add_generation_prompt": true, "bos_token": "<bos>", "eos_token": "<eos>"}"#),
                   "<bos><start_of_turn>user\nBe brief.\n\n<start_of_image>What is this?<end_of_turn>\n<start_of_turn>model\n")
        // `| trim` strips what Python's str.strip() does (here the ideographic space U+3000).
        expectSame(try renderHF(RealTemplates.gemma3, #"{"messages": [{"role": "system", "content": "日本語で答えて。"}, {"role": "user", "content": "こんにちは\u3000"}, {"role": "assistant", "content": [{"type": "text", "text": "\u3000はい。"}]}, {"role": "user", "content": "\u3000ありがとう\u3000\n"}], "add_generation_prompt": true, "bos_token": "<bos>", "eos_token": "<eos>"}"#),
                   "<bos><start_of_turn>user\n日本語で答えて。\n\nこんにちは<end_of_turn>\n<start_of_turn>model\nはい。<end_of_turn>\n<start_of_turn>user\nありがとう<end_of_turn>\n<start_of_turn>model\n")
        #expect(raised { try renderHF(RealTemplates.gemma3, #"{"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}], "add_generation_prompt": true, "bos_token": "<bos>", "eos_token": "<eos>"}"#) } == "Conversation roles must alternate user/assistant/user/assistant/...")
        #expect(raised { try renderHF(RealTemplates.gemma3, #"{"messages": [{"role": "user", "content": null}], "add_generation_prompt": true, "bos_token": "<bos>", "eos_token": "<eos>"}"#) } == "Invalid content type")
    }

    @Test func qwen3() throws {
        expectSame(try render(RealTemplates.qwen3, eos: "<|im_end|>"),
                   "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func qwen3Reasoning() throws {
        // Reasoning of turns before the last user message is dropped ...
        expectSame(try renderHF(RealTemplates.qwen3, #"{"messages": [{"role": "system", "content": "You are a helpful assistant"}, {"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "4", "reasoning_content": "2+2 is 4."}, {"role": "user", "content": "And 3+3?"}], "add_generation_prompt": true, "eos_token": "<|im_end|>"}"#),
                   "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n")
        // ... and kept (from reasoning_content, stripped of newlines) after it; an inline <think> block is split off the content.
        expectSame(try renderHF(RealTemplates.qwen3, #"{"messages": [{"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "<think>\nAdd them.\n</think>\n\n4"}, {"role": "user", "content": "And 3+3?"}, {"role": "assistant", "content": "6", "reasoning_content": "\n3+3 is 6.\n"}], "add_generation_prompt": false, "eos_token": "<|im_end|>"}"#),
                   "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n<think>\n3+3 is 6.\n</think>\n\n6<|im_end|>\n")
        // enable_thinking=false: an empty think block after the generation prompt.
        expectSame(try renderHF(RealTemplates.qwen3, #"{"messages": [{"role": "user", "content": "Hi"}], "add_generation_prompt": true, "enable_thinking": false, "eos_token": "<|im_end|>"}"#),
                   "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n")
    }

    // Tools in the system prompt, tool calls with object and string arguments, consecutive tool responses in one user turn.
    @Test func qwen3ToolsAndToolCalls() throws {
        expectSame(try renderHF(RealTemplates.qwen3, #"{"messages": [{"role": "system", "content": "You are a helpful assistant"}, {"role": "user", "content": "Weather in Paris and Lyon?"}, {"role": "assistant", "content": "", "reasoning_content": "I need the tool.", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}, {"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Lyon\"}"}}]}, {"role": "tool", "content": "22C"}, {"role": "tool", "content": "18C"}], "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}], "add_generation_prompt": true, "eos_token": "<|im_end|>"}"#),
                   "<|im_start|>system\nYou are a helpful assistant\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nWeather in Paris and Lyon?<|im_end|>\n<|im_start|>assistant\n<think>\nI need the tool.\n</think>\n\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lyon\"}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n22C\n</tool_response>\n<tool_response>\n18C\n</tool_response><|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func phi35Mini() throws {
        expectSame(try render(RealTemplates.phi35Mini, bos: "<s>", eos: "<|endoftext|>"),
                   "<|system|>\nYou are a helpful assistant<|end|>\n<|user|>\nHello<|end|>\n<|assistant|>\nHi there<|end|>\n<|user|>\nWho are you<|end|>\n<|assistant|>\n   I am an assistant   <|end|>\n<|user|>\nAnother question<|end|>\n<|assistant|>\n")
        // An empty system message is dropped; without a generation prompt the eos token ends the render.
        expectSame(try renderHF(RealTemplates.phi35Mini, #"{"messages": [{"role": "system", "content": ""}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}], "add_generation_prompt": false, "bos_token": "<s>", "eos_token": "<|endoftext|>"}"#),
                   "<|user|>\nHi<|end|>\n<|assistant|>\nHello!<|end|>\n<|endoftext|>")
    }

    @Test func phi4Mini() throws {
        expectSame(try render(RealTemplates.phi4Mini, bos: "<|endoftext|>", eos: "<|endoftext|>"),
                   "<|system|>You are a helpful assistant<|end|><|user|>Hello<|end|><|assistant|>Hi there<|end|><|user|>Who are you<|end|><|assistant|>   I am an assistant   <|end|><|user|>Another question<|end|><|assistant|>")
        // Tools ride on the system message as a JSON string.
        expectSame(try renderHF(RealTemplates.phi4Mini, #"{"messages": [{"role": "system", "content": "You have tools.", "tools": "[{\"name\": \"get_weather\", \"description\": \"Get the weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}]"}, {"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "content": "Let me check."}], "add_generation_prompt": false, "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"}"#),
                   "<|system|>You have tools.<|tool|>[{\"name\": \"get_weather\", \"description\": \"Get the weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}]<|/tool|><|end|><|user|>Weather in Paris?<|end|><|assistant|>Let me check.<|end|><|endoftext|>")
    }

    @Test func olmo2() throws {
        expectSame(try render(RealTemplates.olmo2, bos: "<|endoftext|>", eos: "<|endoftext|>"),
                   "<|endoftext|><|system|>\nYou are a helpful assistant\n<|user|>\nHello\n<|assistant|>\nHi there<|endoftext|>\n<|user|>\nWho are you\n<|assistant|>\n   I am an assistant   <|endoftext|>\n<|user|>\nAnother question\n<|assistant|>\n")
        // The last assistant turn has no newline after its eos token.
        expectSame(try renderHF(RealTemplates.olmo2, #"{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}], "add_generation_prompt": false, "bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"}"#),
                   "<|endoftext|><|user|>\nHi\n<|assistant|>\nHello!<|endoftext|>")
    }

    @Test func falcon3() throws {
        expectSame(try render(RealTemplates.falcon3, eos: "<|endoftext|>"),
                   "<|system|>\nYou are a helpful assistant\n<|user|>\nHello\n<|assistant|>\nHi there<|endoftext|>\n<|user|>\nWho are you\n<|assistant|>\n   I am an assistant   <|endoftext|>\n<|user|>\nAnother question\n<|assistant|>\n")
        // With tools: a tool-calling system prompt, tool calls as indented JSON, tool responses as assistant turns.
        expectSame(try renderHF(RealTemplates.falcon3, #"{"messages": [{"role": "system", "content": "Be brief. "}, {"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "content": null, "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}, {"role": "tool", "content": "22C"}], "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}], "add_generation_prompt": true, "eos_token": "<|endoftext|>"}"#),
                   "<|system|>\nBe brief. You are a Falcon assistant skilled in function calling. You are helpful, respectful, and concise.\n\n# Tools\n\nYou have access to the following functions. You MUST use them to answer questions when needed. For each function call, you MUST return a JSON object inside <tool_call></tool_call> tags.\n\n<tools>[\n  {\n    \"type\": \"function\",\n    \"function\": {\n      \"name\": \"get_weather\",\n      \"description\": \"Get the weather\",\n      \"parameters\": {\n        \"type\": \"object\",\n        \"properties\": {\n          \"city\": {\n            \"type\": \"string\"\n          }\n        },\n        \"required\": [\n          \"city\"\n        ]\n      }\n    }\n  }\n]</tools>\n\n# Output Format\n\nYour response MUST follow this format when making function calls:\n<tool_call>\n[\n  {\"name\": \"function_name\", \"arguments\": {\"arg1\": \"value1\", \"arg2\": \"value2\"}},\n  {\"name\": \"another_function\", \"arguments\": {\"arg\": \"value\"}}\n]\n</tool_call>\nIf no function calls are needed, respond normally without the tool_call tags.\n<|user|>\nWeather in Paris?\n\n<tool_call>\n[\n  {\n    \"name\": \"get_weather\",\n    \"arguments\": {\n      \"city\": \"Paris\"\n    }\n  }\n]\n</tool_call><|endoftext|>\n<|assistant|>\n<tool_response>\n22C\n</tool_response>\n<|assistant|>\n")
        // `'<|assistant|>\n' if add_generation_prompt` with no else renders nothing when false.
        expectSame(try renderHF(RealTemplates.falcon3, #"{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}], "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}], "add_generation_prompt": false, "eos_token": "<|endoftext|>"}"#),
                   "<|system|>\nYou are a Falcon assistant skilled in function calling. You are helpful, respectful, and concise.\n\n# Tools\n\nYou have access to the following functions. You MUST use them to answer questions when needed. For each function call, you MUST return a JSON object inside <tool_call></tool_call> tags.\n\n<tools>[\n  {\n    \"type\": \"function\",\n    \"function\": {\n      \"name\": \"get_weather\",\n      \"description\": \"Get the weather\",\n      \"parameters\": {\n        \"type\": \"object\",\n        \"properties\": {\n          \"city\": {\n            \"type\": \"string\"\n          }\n        },\n        \"required\": [\n          \"city\"\n        ]\n      }\n    }\n  }\n]</tools>\n\n# Output Format\n\nYour response MUST follow this format when making function calls:\n<tool_call>\n[\n  {\"name\": \"function_name\", \"arguments\": {\"arg1\": \"value1\", \"arg2\": \"value2\"}},\n  {\"name\": \"another_function\", \"arguments\": {\"arg\": \"value\"}}\n]\n</tool_call>\nIf no function calls are needed, respond normally without the tool_call tags.\n<|user|>\nHi\n<|assistant|>\nHello!<|endoftext|>\n")
    }

    @Test func granite33() throws {
        let longDate = today("MMMM dd, yyyy")
        expectSame(try render(RealTemplates.granite33, bos: "<|end_of_text|>", eos: "<|end_of_text|>"),
                   "<|start_of_role|>system<|end_of_role|>You are a helpful assistant<|end_of_text|>\n<|start_of_role|>user<|end_of_role|>Hello<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|>Hi there<|end_of_text|>\n<|start_of_role|>user<|end_of_role|>Who are you<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|>   I am an assistant   <|end_of_text|>\n<|start_of_role|>user<|end_of_role|>Another question<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|>")
        expectSame(try renderHF(RealTemplates.granite33, #"{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather in Paris?"}], "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}], "add_generation_prompt": true, "bos_token": "<|end_of_text|>", "eos_token": "<|end_of_text|>"}"#),
                   "<|start_of_role|>system<|end_of_role|>Be brief.<|end_of_text|>\n<|start_of_role|>available_tools<|end_of_role|>[\n    {\n        \"type\": \"function\",\n        \"function\": {\n            \"name\": \"get_weather\",\n            \"description\": \"Get the weather\",\n            \"parameters\": {\n                \"type\": \"object\",\n                \"properties\": {\n                    \"city\": {\n                        \"type\": \"string\"\n                    }\n                },\n                \"required\": [\n                    \"city\"\n                ]\n            }\n        }\n    }\n]<|end_of_text|>\n<|start_of_role|>user<|end_of_role|>Weather in Paris?<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|>")
        // Without a system message: a default one dated with strftime_now('%B %d, %Y'), documents, controls.
        expectSame(try renderHF(RealTemplates.granite33, #"{"messages": [{"role": "user", "content": "What colour is the sky?"}], "documents": [{"doc_id": 1, "text": "The sky is blue."}, {"doc_id": "b", "text": "Grass is green."}], "controls": {"citations": true, "length": "short"}, "add_generation_prompt": true, "bos_token": "<|end_of_text|>", "eos_token": "<|end_of_text|>"}"#),
                   "<|start_of_role|>system<|end_of_role|>Knowledge Cutoff Date: April 2024. Today's Date: \(longDate). You are Granite, developed by IBM. Write the response to the user's input by strictly aligning with the facts in the provided documents. If the information needed to answer the question is not available in the documents, inform the user that the question cannot be answered based on the available data.\nUse the symbols <|start_of_cite|> and <|end_of_cite|> to indicate when a fact comes from a document in the search result, e.g <|start_of_cite|> {document_id: 1}my fact <|end_of_cite|> for a fact from document 1. Afterwards, list all the citations with their corresponding documents in an ordered list.<|end_of_text|>\n<|start_of_role|>document {\"document_id\": \"1\"}<|end_of_role|>\nThe sky is blue.<|end_of_text|>\n<|start_of_role|>document {\"document_id\": \"b\"}<|end_of_role|>\nGrass is green.<|end_of_text|>\n<|start_of_role|>user<|end_of_role|>What colour is the sky?<|end_of_text|>\n<|start_of_role|>assistant {\"citations\": true, \"length\": \"short\"}<|end_of_role|>")
        expectSame(try renderHF(RealTemplates.granite33, #"{"messages": [{"role": "user", "content": "Hi"}], "thinking": true, "add_generation_prompt": true, "bos_token": "<|end_of_text|>", "eos_token": "<|end_of_text|>"}"#),
                   "<|start_of_role|>system<|end_of_role|>Knowledge Cutoff Date: April 2024. Today's Date: \(longDate). You are Granite, developed by IBM. You are a helpful AI assistant.\nRespond to every user query in a comprehensive and detailed way. You can write down your thoughts and reasoning process before responding. In the thought process, engage in a comprehensive cycle of analysis, summarization, exploration, reassessment, reflection, backtracing, and iteration to develop well-considered thinking process. In the response section, based on various attempts, explorations, and reflections from the thoughts section, systematically present the final solution that you deem correct. The response should summarize the thought process. Write your thoughts between <think></think> and write your response between <response></response> for each user query.<|end_of_text|>\n<|start_of_role|>user<|end_of_role|>Hi<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|>")
        // `'citations' in controls` with controls undefined is false, as in Jinja.
        expectSame(try renderHF(RealTemplates.granite33, #"{"messages": [{"role": "user", "content": "Hi"}], "add_generation_prompt": true, "bos_token": "<|end_of_text|>", "eos_token": "<|end_of_text|>"}"#),
                   "<|start_of_role|>system<|end_of_role|>Knowledge Cutoff Date: April 2024. Today's Date: \(longDate). You are Granite, developed by IBM. You are a helpful AI assistant.<|end_of_text|>\n<|start_of_role|>user<|end_of_role|>Hi<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|>")
    }

    @Test func mistralSmall32() throws {
        let isoDate = today("yyyy-MM-dd")
        expectSame(try render(RealTemplates.mistralSmall32, bos: "<s>", eos: "</s>"),
                   "<s>[SYSTEM_PROMPT]You are a helpful assistant[/SYSTEM_PROMPT][INST]Hello[/INST]Hi there</s>[INST]Who are you[/INST]   I am an assistant   </s>[INST]Another question[/INST]")
        // No system message: the default one dated with strftime_now('%Y-%m-%d'); tools before the last user message.
        expectSame(try renderHF(RealTemplates.mistralSmall32, #"{"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "tool_calls": [{"id": "abcdef123", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}, {"role": "tool", "tool_call_id": "abcdef123", "content": "22C"}, {"role": "assistant", "content": "It is 22C."}, {"role": "user", "content": "Thanks"}], "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}], "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>"}"#),
                   "<s>[SYSTEM_PROMPT]You are Mistral Small 3, a Large Language Model (LLM) created by Mistral AI, a French startup headquartered in Paris.\nYour knowledge base was last updated on 2023-10-01. The current date is \(isoDate).\n\nWhen you're not sure about some information or when the user's request requires up-to-date or specific data, you must use the available tools to fetch the information. Do not hesitate to use tools whenever they can provide a more accurate or complete response. If no relevant tools are available, then clearly state that you don't have the information and avoid making up anything.\n\nIf the user's question is not clear, ambiguous, or does not provide enough context for you to accurately answer the question, you do not try to answer it right away and you rather ask the user to clarify their request (e.g. \"What are some good restaurants around me?\" => \"Where are you?\" or \"When is the next flight to Tokyo\" => \"Where do you travel from?\").\nYou are always very attentive to dates, and when asked about information at specific dates, you discard information that is at another date.\nYou follow these instructions in all languages, and always respond to the user in the language they use or request.\nNext sections describe the capabilities that you have.\n\n# WEB BROWSING INSTRUCTIONS\n\nYou cannot perform any web search or access internet to open URLs, links etc. If it seems like the user is expecting you to do so, you clarify the situation and ask the user to copy paste the text directly in the chat.\n\n# MULTI-MODAL INSTRUCTIONS\n\nYou have the ability to read images, but you cannot generate images. You also cannot transcribe audio files or videos.\nYou cannot read nor transcribe audio files or videos.\n\n# TOOL CALLING INSTRUCTIONS\n\nYou may have access to tools that you can use to fetch information or perform actions. You must use these tools in the following situations:\n\n1. When the request requires up-to-date information.\n2. When the request requires specific data that you do not have in your knowledge base.\n3. When the request involves actions that you cannot perform without tools.\n\nAlways prioritize using tools to provide the most accurate and helpful response. If tools are not available, inform the user that you cannot perform the requested action at the moment.[/SYSTEM_PROMPT][INST]Weather in Paris?[/INST][TOOL_CALLS]get_weather[CALL_ID]abcdef123[ARGS]{\"city\": \"Paris\"}</s>[TOOL_RESULTS]abcdef123[TOOL_CONTENT]22C[/TOOL_RESULTS]It is 22C.</s>[AVAILABLE_TOOLS][{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}][/AVAILABLE_TOOLS][INST]Thanks[/INST]")
        #expect(raised { try renderHF(RealTemplates.mistralSmall32, #"{"messages": [{"role": "user", "content": "W"}, {"role": "assistant", "tool_calls": [{"id": "short", "function": {"name": "f", "arguments": {}}}]}], "bos_token": "<s>", "eos_token": "</s>"}"#) } == "Tool call IDs should be alphanumeric strings with length 9!")
    }

    // The two GLM templates: expected renders are llama.cpp's (test-chat-template.cpp) and, with tools,
    // transformers 4.57.6's render_jinja_template (its trim_blocks eats the newline after `{% if ... %}`).
    @Test func chatglm3() throws {
        expectSame(try render(RealTemplates.chatglm3), "[gMASK]sop<|system|>\n You are a helpful assistant<|user|>\n Hello<|assistant|>\n Hi there<|user|>\n Who are you<|assistant|>\n    I am an assistant   <|user|>\n Another question<|assistant|>")
    }

    @Test func glm4Chat() throws {
        expectSame(try render(RealTemplates.glm4Chat), "[gMASK]<sop><|system|>\nYou are a helpful assistant<|user|>\nHello<|assistant|>\nHi there<|user|>\nWho are you<|assistant|>\n   I am an assistant   <|user|>\nAnother question<|assistant|>\n")
        expectSame(try renderHF(RealTemplates.glm4Chat, #"{"messages": [{"role": "system", "content": "", "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]}, {"role": "user", "content": "Weather in Paris?", "metadata": ""}], "add_generation_prompt": true}"#),
                   "[gMASK]<sop><|system|>\n你是一个名为 ChatGLM 的人工智能助手。你是基于智谱AI训练的语言模型 GLM-4 模型开发的，你的任务是针对用户的问题和要求提供适当的答复和支持。\n\n# 可用工具\n## get_weather\n\n{\n    \"name\": \"get_weather\",\n    \"description\": \"Get the weather\",\n    \"parameters\": {\n        \"type\": \"object\",\n        \"properties\": {\n            \"city\": {\n                \"type\": \"string\"\n            }\n        },\n        \"required\": [\n            \"city\"\n        ]\n    }\n}\n......<|user|>\nWeather in Paris?<|assistant|>\n")
    }
}
