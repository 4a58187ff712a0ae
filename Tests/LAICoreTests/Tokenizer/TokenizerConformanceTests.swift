// Tokenizer conformance: ids must equal llama.cpp's for every case in ../shared/vocab and ../shared/ref.
import Foundation
import LAICore
import Testing

/// One `ggml-vocab-NAME.gguf` with its `.inp` cases and `.out` expected ids (made by llama.cpp's test-tokenizer-0).
struct VocabCases: CustomStringConvertible, Sendable {
    let path: String
    let cases: [String]
    let expected: [[Int32]]
    var description: String { URL(fileURLWithPath: path).lastPathComponent }

    /// Cases are separated by "\n__ggml_vocab_test__\n" (each case is followed by one); `.out` has one line per case.
    static func load(_ path: String) throws -> VocabCases {
        let inp = try String(contentsOfFile: path + ".inp", encoding: .utf8)
        var cases = inp.components(separatedBy: "\n__ggml_vocab_test__\n")
        if cases.last == "" { cases.removeLast() }
        let out = try String(contentsOfFile: path + ".out", encoding: .utf8)
        var lines = out.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        let expected = lines.map { $0.split(separator: " ").compactMap { Int32($0) } }
        return VocabCases(path: path, cases: cases, expected: expected)
    }

    static var all: [String] { Fixtures.vocabFiles }
}

/// "case N: 'text'\n  want [...]\n  got  [...]\n  first difference at i" for a failing comparison.
func divergence(_ text: String, want: [Int32], got: [Int32]) -> String {
    let i = zip(want, got).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset ?? min(want.count, got.count)
    return "text \(String(reflecting: text))\n  want \(want)\n  got  \(got)\n  first difference at index \(i)"
}

@Suite struct TokenizerConformanceTests {
    @Test(arguments: VocabCases.all)
    func vocabMatchesLlamaCpp(_ path: String) throws {
        let v = try VocabCases.load(path)
        #expect(v.cases.count == v.expected.count, "\(v): \(v.cases.count) cases but \(v.expected.count) expected lines")
        let tok = try Tokenizer(gguf: try GGUFFile(path: path))
        var failures = 0
        for (text, want) in zip(v.cases, v.expected) {
            let got = tok.encode(text, addSpecial: false, parseSpecial: false)
            if got != want {
                failures += 1
                Issue.record("\(v): \(divergence(text, want: want, got: got))")
            }
        }
        #expect(failures == 0, "\(v): \(failures) of \(v.cases.count) cases differ")
    }

    /// decode(encode(x)) == x for the byte-level BPE vocabularies (lossless); clean_spaces ones skip texts it rewrites.
    @Test(arguments: VocabCases.all.filter { !$0.hasSuffix("-spm.gguf") && !$0.hasSuffix("-bert-bge.gguf") })
    func bpeRoundTrip(_ path: String) throws {
        let tok = try Tokenizer(gguf: try GGUFFile(path: path))
        try #require(tok.kind == .bpe, "\(path) is not a BPE vocabulary")
        let v = try VocabCases.load(path)
        let extra = ["Hello world", "naïve café — 東京 🤖🚀 ❤️", "def f(x):\n\treturn x**2  # ok\n\n", "  lots   of\r\n spaces  ",
                     "\u{0}\u{1}\u{7F} bytes", "ﬁ ﬂ Ⅷ ①②", "Ünïcödé ÀÉÎÕÜ", String(repeating: "a", count: 3000)]
        for text in v.cases + extra {
            if tok.cleanSpaces && [" ?", " !", " .", " ,", " '"].contains(where: { text.contains($0) }) { continue }
            let ids = tok.encode(text, addSpecial: false)
            #expect(tok.decode(ids) == text, "\(URL(fileURLWithPath: path).lastPathComponent): round trip of \(String(reflecting: text))")
        }
    }

    @Test func smolLM2ReferenceIDs() throws {
        let tok = try Tokenizer(gguf: try GGUFFile(path: Fixtures.smolLM2))
        let data = try Data(contentsOf: Fixtures.ref.appendingPathComponent("tokens-smollm2.json"))
        let entries = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(entries.count == 12)
        for e in entries {
            let text = try #require(e["text"] as? String)
            let want = try #require(e["ids"] as? [Int]).map { Int32($0) }
            let got = tok.encode(text, addSpecial: true, parseSpecial: true)
            #expect(got == want, "\(divergence(text, want: want, got: got))")
        }
        // LLAMACPP.md: only the chat-markup entry differs with --no-parse-special.
        let chat = "<|im_start|>user\nhi<|im_end|>"
        #expect(tok.encode(chat, parseSpecial: true) == [1, 4093, 198, 6004, 2])
        #expect(tok.encode(chat, parseSpecial: false) == [44, 108, 306, 79, 3738, 108, 46, 4093, 198, 6004, 44, 108, 306, 79, 486, 108, 46])
    }

    @Test func smolLM2Facts() throws {
        let tok = try Tokenizer(gguf: try GGUFFile(path: Fixtures.smolLM2))
        #expect(tok.vocabularySize == 49152)
        #expect(tok.addBOS == false)
        #expect(tok.tokenID("<|im_end|>") == 2)
        #expect(tok.endOfGeneration.contains(2))
        #expect(tok.tokenText(2) == "<|im_end|>")
        #expect(tok.decode([1, 4093, 198, 6004, 2]) == "<|im_start|>user\nhi<|im_end|>")
        #expect(tok.decode([1, 4093, 198, 6004, 2], skipSpecial: true) == "user\nhi")
        #expect(tok.pieceBytes(198) == [0x0A])
    }

    @Test func streamingDecoderNeverSplitsCharacters() throws {
        let tok = try Tokenizer(gguf: try GGUFFile(path: Fixtures.smolLM2))
        let text = "你好，世界 🤖🚀 👍🏽 ❤️ naïve"
        let ids = tok.encode(text, addSpecial: false)
        var d = StreamingDecoder(tokenizer: tok)
        var out = ""
        for id in ids {
            let s = d.append(id)
            #expect(!s.unicodeScalars.contains("\u{FFFD}"), "half a character emitted after \(id)")
            out += s
        }
        out += d.flush()
        #expect(out == text)
    }

    /// `lai run` prints generated control tokens as nothing, as llama-cli does without --special (llama.cpp's
    /// token_to_piece(special = false)); the server's streamer keeps their text for its tool-call formats.
    @Test func controlTokensRenderAsNothingInRun() throws {
        let tok = try Tokenizer(gguf: try GGUFFile(path: Fixtures.smolLM2))
        let ids: [Int32] = [1, 4093, 198, 6004, 2]   // <|im_start|>user\nhi<|im_end|>
        var run = TextStreamer(tokenizer: tok, stop: [], special: false)
        #expect(ids.map { run.append($0) }.joined() + run.finish() == "user\nhi")
        var serve = TextStreamer(tokenizer: tok, stop: [])
        #expect(ids.map { serve.append($0) }.joined() + serve.finish() == "<|im_start|>user\nhi<|im_end|>")
        #expect(tok.isControlOnly(1) && !tok.isControlOnly(4093))
    }

    /// Generated text continues its prompt: the first piece keeps SentencePiece's space, as llama.cpp prints it
    /// (`lai run --raw "The quick fox"` must print " jumps", not "jumps").
    @Test func spmStreamingKeepsTheSpaceOfAContinuation() throws {
        let path = Fixtures.vocab.appendingPathComponent("ggml-vocab-llama-spm.gguf").path
        let tok = try Tokenizer(gguf: try GGUFFile(path: path))
        let ids = tok.encode("The quick fox jumps", addSpecial: false)
        #expect(tok.decode([ids[0]]) == "The")
        var cont = StreamingDecoder(tokenizer: tok)
        #expect(ids.dropFirst().map { cont.append($0) }.joined() == " quick fox jumps")
        var start = StreamingDecoder(tokenizer: tok, atStartOfText: true)
        #expect(ids.map { start.append($0) }.joined() == "The quick fox jumps")
    }

    @Test func spmDecodeAndBOS() throws {
        let path = Fixtures.vocab.appendingPathComponent("ggml-vocab-llama-spm.gguf").path
        let tok = try Tokenizer(gguf: try GGUFFile(path: path))
        #expect(tok.bos == 1 && tok.eos == 2 && tok.addBOS)
        let ids = tok.encode("Hello world", addSpecial: true)
        #expect(ids.first == 1)
        #expect(tok.decode(ids, skipSpecial: true) == " Hello world")   // llama.cpp keeps the space when BOS is removed
        #expect(tok.decode(Array(ids.dropFirst())) == "Hello world")
        // byte fallback round trip
        let t = "😀 ⌘ ü"
        #expect(tok.decode(tok.encode(t, addSpecial: false)) == t)
    }

    @Test func wordPieceSpecials() throws {
        let path = Fixtures.vocab.appendingPathComponent("ggml-vocab-bert-bge.gguf").path
        let tok = try Tokenizer(gguf: try GGUFFile(path: path))
        let ids = tok.encode("Hello World!", addSpecial: true)
        #expect(ids.first == 101 && ids.last == 102)
        // llama.cpp keeps the space of the first ▁word: bert vocabs do not set add_space_prefix
        #expect(tok.decode(ids, skipSpecial: true) == " hello world!")
    }

    /// Gemma 4: SentencePiece-style BPE (▁ for spaces, raw UTF-8, <0xNN> fallback); llama.cpp forces BOS on.
    @Test func gemma4SpacesAndBOS() throws {
        let path = Fixtures.vocab.appendingPathComponent("ggml-vocab-gemma-4.gguf").path
        let tok = try Tokenizer(gguf: try GGUFFile(path: path))
        #expect(!tok.byteLevel && tok.addBOS)
        let ids = tok.encode(" Hello  world\n\n🤖", addSpecial: true)
        #expect(ids.first == tok.bos)
        #expect(tok.decode(ids, skipSpecial: true) == " Hello  world\n\n🤖")
    }

    @Test func missingVocabularyIsOneLineError() throws {
        // A GGUF without tokenizer keys: write one with the GGUF writer.
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = dir.appendingPathComponent("empty.gguf").path
        var md = GGUFMetadata()
        md["general.architecture"] = .string("llama")
        try GGUFWriter.write(path: p, metadata: md, tensors: [])
        #expect(throws: TokenizerError.missingKey(path: p, key: "tokenizer.ggml.model")) {
            _ = try Tokenizer(gguf: try GGUFFile(path: p))
        }
        md["tokenizer.ggml.model"] = .string("rwkv")
        md["tokenizer.ggml.tokens"] = .array(GGUFArray(strings: ["a"]))
        try GGUFWriter.write(path: p, metadata: md, tensors: [])
        #expect(throws: TokenizerError.unsupportedModel(path: p, model: "rwkv")) {
            _ = try Tokenizer(gguf: try GGUFFile(path: p))
        }
    }
}
