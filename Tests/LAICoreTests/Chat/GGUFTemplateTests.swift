// GGUFTemplateTests: every chat template found in the shared vocab GGUFs and the demo model parses and renders.
import Foundation
import Testing
import LAICore

@Suite struct ChatGGUFTemplateTests {
    /// Paths of the GGUF files on this machine that can hold a chat template.
    static var files: [String] {
        (Fixtures.vocabFiles + [Fixtures.smolLM2]).filter { FileManager.default.fileExists(atPath: $0) }
    }

    @Test func everyEmbeddedTemplateRendersWithoutFallback() throws {
        var seen = 0
        for path in Self.files {
            let file = try GGUFFile(path: path)
            guard let source = file.metadata.string("tokenizer.chat_template") else { continue }
            seen += 1
            let formatter = ChatFormatter(templateSource: source, bosToken: "<s>", eosToken: "</s>")
            #expect(formatter.fallbackReason == nil, "\(path)")
            let (text, reason) = formatter.renderWithReason(Conversations.standard, addGenerationPrompt: true)
            #expect(reason == nil, "\(path)")
            // Every family renders the latest user turn and ends ready for the assistant.
            #expect(text.contains("Another question"), "\(path)")
            if BuiltinChatFormat.detect(templateSource: source) == .chatml {
                #expect(text == ChatRealTemplateTests.chatmlStandard, "\(path)")
            }
        }
        // Without the shared data or the demo model there is nothing to check; say so rather than fail.
        if seen == 0 { print("ChatGGUFTemplateTests: no GGUF with tokenizer.chat_template found") }
    }

    @Test func qwen2VocabTemplateAddsItsDefaultSystemPrompt() throws {
        let path = Fixtures.vocab.appendingPathComponent("ggml-vocab-qwen2.gguf").path
        try #require(FileManager.default.fileExists(atPath: path), "\(path) is missing (../shared/vocab)")
        let source = try #require(try GGUFFile(path: path).metadata.string("tokenizer.chat_template"))
        let text = try ChatTemplate(source: source).render(messages: [ChatMessage(role: "user", content: "Hi")],
                                                           addGenerationPrompt: true, bosToken: "", eosToken: "")
        #expect(text == "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }
}
