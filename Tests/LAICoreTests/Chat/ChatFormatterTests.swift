// ChatFormatterTests: built-in formats (checked against the real templates they stand in for), detection, and the fallback rules.
import Testing
import LAICore

@Suite struct ChatFormatterTests {
    let conv = Conversations.standard

    @Test func builtinFormatsMatchTheRealTemplates() throws {
        func builtin(_ f: BuiltinChatFormat, _ m: [ChatMessage], bos: String = "", eos: String = "") -> String {
            f.render(messages: m, addGenerationPrompt: true, bosToken: bos, eosToken: eos)
        }
        func real(_ source: String, _ m: [ChatMessage], bos: String = "", eos: String = "") throws -> String {
            try ChatTemplate(source: source).render(messages: m, addGenerationPrompt: true, bosToken: bos, eosToken: eos)
        }
        #expect(builtin(.chatml, conv) == (try real(RealTemplates.chatml, conv)))
        #expect(builtin(.llama3, conv, bos: "<|begin_of_text|>") == (try real(RealTemplates.llama3, conv, bos: "<|begin_of_text|>")))
        #expect(builtin(.llama2, conv, bos: "<s>", eos: "</s>") == (try real(RealTemplates.llama2, conv, bos: "<s>", eos: "</s>")))
        #expect(builtin(.phi3, conv) == (try real(RealTemplates.phi3Small, conv)))
        #expect(builtin(.zephyr, conv, eos: "</s>") == (try real(RealTemplates.zephyr, conv, eos: "</s>")))
        let noSystem = Conversations.withoutSystem
        #expect(builtin(.gemma, noSystem, bos: "<bos>") == (try real(RealTemplates.gemma, noSystem, bos: "<bos>")))
        #expect(builtin(.mistral, noSystem, bos: "<s>", eos: "</s>") == (try real(RealTemplates.mistralV3, noSystem, bos: "<s>", eos: "</s>"))
            .replacingOccurrences(of: " I am an assistant</s>", with: "    I am an assistant   </s>"))
        let r1 = try real(RealTemplates.deepseekR1, conv, bos: "<s>")
        #expect(builtin(.deepseek, conv, bos: "<s>") + "<think>\n" == r1)
    }

    @Test func builtinFormatsFoldTheSystemPromptWhereTheFamilyHasNoSystemRole() {
        let gemma = BuiltinChatFormat.gemma.render(messages: conv, addGenerationPrompt: true, bosToken: "<bos>", eosToken: "")
        #expect(gemma.hasPrefix("<bos><start_of_turn>user\nYou are a helpful assistant\n\nHello<end_of_turn>\n<start_of_turn>model\nHi there<end_of_turn>\n"))
        #expect(gemma.hasSuffix("<start_of_turn>user\nAnother question<end_of_turn>\n<start_of_turn>model\n"))
        let mistral = BuiltinChatFormat.mistral.render(messages: conv, addGenerationPrompt: true, bosToken: "<s>", eosToken: "</s>")
        #expect(mistral == "<s>[INST] You are a helpful assistant\n\nHello[/INST] Hi there</s>[INST] Who are you[/INST]    I am an assistant   </s>[INST] Another question[/INST]")
        let chatml = BuiltinChatFormat.chatml.render(messages: [ChatMessage(role: "user", content: "x")], addGenerationPrompt: false, bosToken: "", eosToken: "")
        #expect(chatml == "<|im_start|>user\nx<|im_end|>\n")
    }

    @Test(arguments: [
        (RealTemplates.chatml, BuiltinChatFormat.chatml), (RealTemplates.qwen25, .chatml),
        (RealTemplates.llama3, .llama3), (RealTemplates.llama32, .llama3), (RealTemplates.llama2, .llama2),
        (RealTemplates.mistralV1, .mistral), (RealTemplates.mistralV3, .mistral), (RealTemplates.mistralTekken, .mistral),
        (RealTemplates.gemma, .gemma), (RealTemplates.phi3Mini, .phi3), (RealTemplates.phi3Small, .phi3),
        (RealTemplates.deepseekV2, .deepseek), (RealTemplates.deepseekR1, .deepseek), (RealTemplates.zephyr, .zephyr),
    ])
    func detectsTheFamily(_ source: String, _ family: BuiltinChatFormat) {
        #expect(BuiltinChatFormat.detect(templateSource: source) == family)
    }

    @Test func detectReturnsNilForUnknownTemplates() {
        #expect(BuiltinChatFormat.detect(templateSource: "{{ messages }}") == nil)
        #expect(BuiltinChatFormat.detect(templateSource: RealTemplates.deepseekCoder) == nil)
    }

    @Test func usesTheModelTemplateWhenItWorks() {
        let f = ChatFormatter(templateSource: RealTemplates.chatml, bosToken: "", eosToken: "")
        #expect(f.fallbackReason == nil)
        #expect(f.render(conv, addGenerationPrompt: true) == ChatRealTemplateTests.chatmlStandard)
    }

    @Test func fallsBackToChatMLWithoutATemplate() {
        for source in [nil, "", "  \n"] as [String?] {
            let f = ChatFormatter(templateSource: source, bosToken: "<s>", eosToken: "</s>")
            #expect(f.fallbackReason == "the model has no chat template; using the built-in chatml format")
            #expect(f.render(conv, addGenerationPrompt: true) == ChatRealTemplateTests.chatmlStandard)
        }
    }

    @Test func fallsBackToTheDetectedFormatWhenTheTemplateDoesNotParse() {
        let f = ChatFormatter(templateSource: "{% for m in messages %}<|im_start|>{{ m.role }", bosToken: "", eosToken: "")
        #expect(f.fallbackReason == "chat template: line 1 col 36: '{{' is never closed with '}}'; using the built-in chatml format (detected from the template)")
        #expect(f.render(conv, addGenerationPrompt: true) == ChatRealTemplateTests.chatmlStandard)

        let l2 = ChatFormatter(templateSource: "{{ bos_token + '[INST] <<SYS>>' }}{% if %}", bosToken: "<s>", eosToken: "</s>")
        #expect(l2.fallbackReason == "chat template: line 1 col 41: expected an expression but found end of tag; using the built-in llama2 format (detected from the template)")
        #expect(l2.render(conv, addGenerationPrompt: true).hasPrefix("<s>[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]"))

        let unknown = ChatFormatter(templateSource: "{% if x %}", bosToken: "", eosToken: "")
        #expect(unknown.fallbackReason == "chat template: line 1 col 1: '{% if %}' is never closed (expected {% elif %} or {% else %} or {% endif %}); using the built-in chatml format (template family not recognized)")
    }

    @Test func fallsBackPerConversationWhenTheTemplateRejectsIt() {
        let f = ChatFormatter(templateSource: RealTemplates.gemma, bosToken: "<bos>", eosToken: "<eos>")
        #expect(f.fallbackReason == nil)
        let ok = f.renderWithReason(Conversations.withoutSystem, addGenerationPrompt: true)
        #expect(ok.fallbackReason == nil)
        let withSystem = f.renderWithReason(conv, addGenerationPrompt: true)
        #expect(withSystem.fallbackReason == "chat template: raise_exception: System role not supported; using the built-in gemma format for this conversation")
        #expect(withSystem.text == BuiltinChatFormat.gemma.render(messages: conv, addGenerationPrompt: true, bosToken: "<bos>", eosToken: "<eos>"))
        #expect(f.render(conv, addGenerationPrompt: true) == withSystem.text)
    }

    @Test func everyBuiltinEndsWithItsGenerationPromptOnlyWhenAsked() {
        for format in BuiltinChatFormat.allCases {
            let on = format.render(messages: conv, addGenerationPrompt: true, bosToken: "", eosToken: "")
            let off = format.render(messages: conv, addGenerationPrompt: false, bosToken: "", eosToken: "")
            #expect(on.hasPrefix(off), "\(format)")
            #expect(!on.isEmpty)
        }
    }
}
