// Unigram (UGM, tokenizer.ggml.model "t5") against llama.cpp: Tests/Fixtures/ugm, made by make_ugm_fixture.py from
// SentencePiece's botchan unigram test model through llama.cpp's XLM-RoBERTa converter, ids from llama-server/libllama.
import Foundation
import LAICore
import Testing

/// One `ugm-*.tokens.json`: per string, llama.cpp's ids (add_special true/false with parse_special, add_special with
/// parse_special false) and its detokenizations of the add_special ids.
struct UGMCases: CustomStringConvertible, Sendable {
    struct Case: Sendable {
        let text: String
        let idsAddSpecial: [Int32]
        let ids: [Int32]
        let idsNoParseSpecial: [Int32]
        let serverDetokenize: String?
        let detokenize: String
        let detokenizeRemoveSpecial: String
    }
    let name: String
    let model: String
    let cases: [Case]
    var description: String { name }

    static let directory = Fixtures.repoRoot.appendingPathComponent("Tests/Fixtures/ugm")
    static let all = ["ugm-botchan", "ugm-botchan-userdef", "ugm-botchan-nocharsmap"]

    static func load(_ name: String) throws -> UGMCases {
        let data = try Data(contentsOf: directory.appendingPathComponent("\(name).tokens.json"))
        let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let model = try #require(doc["model"] as? String)
        let raw = try #require(doc["cases"] as? [[String: Any]])
        func ids(_ e: [String: Any], _ k: String) throws -> [Int32] { try #require(e[k] as? [Int], "\(name): \(k)").map { Int32($0) } }
        let cases = try raw.map { e in
            Case(text: try #require(e["text"] as? String), idsAddSpecial: try ids(e, "ids_add_special"), ids: try ids(e, "ids"),
                 idsNoParseSpecial: try ids(e, "ids_no_parse_special"), serverDetokenize: e["server_detokenize"] as? String,
                 detokenize: try #require(e["detokenize"] as? String),
                 detokenizeRemoveSpecial: try #require(e["detokenize_remove_special"] as? String))
        }
        return UGMCases(name: name, model: directory.appendingPathComponent(model).path, cases: cases)
    }
}

@Suite struct UnigramTokenizerTests {
    @Test(arguments: UGMCases.all)
    func idsMatchLlamaCpp(_ name: String) throws {
        let v = try UGMCases.load(name)
        #expect(v.cases.count >= 50, "\(v): only \(v.cases.count) cases")
        let tok = try Tokenizer(gguf: try GGUFFile(path: v.model))
        #expect(tok.kind == .ugm)
        var failures = 0
        for c in v.cases {
            for (label, got, want) in [("add_special", tok.encode(c.text, addSpecial: true, parseSpecial: true), c.idsAddSpecial),
                                       ("no add_special", tok.encode(c.text, addSpecial: false, parseSpecial: true), c.ids),
                                       ("no parse_special", tok.encode(c.text, addSpecial: true, parseSpecial: false), c.idsNoParseSpecial)]
            where got != want {
                failures += 1
                Issue.record("\(v) \(label): \(divergence(c.text, want: want, got: got))")
            }
        }
        #expect(failures == 0, "\(v): \(failures) of \(3 * v.cases.count) tokenizations differ")
    }

    @Test(arguments: UGMCases.all)
    func detokenizationMatchesLlamaCpp(_ name: String) throws {
        let v = try UGMCases.load(name)
        let tok = try Tokenizer(gguf: try GGUFFile(path: v.model))
        var servers = 0
        for c in v.cases {
            // llama_detokenize(remove_special false, unparse_special true) and (true, false)
            #expect(tok.decode(c.idsAddSpecial) == c.detokenize, "\(v): decode of \(String(reflecting: c.text))")
            #expect(tok.decode(c.idsAddSpecial, skipSpecial: true) == c.detokenizeRemoveSpecial,
                    "\(v): decode(skipSpecial) of \(String(reflecting: c.text))")
            // llama-server's /detokenize: the pieces back to back
            if let s = c.serverDetokenize {
                servers += 1
                let pieces = c.idsAddSpecial.flatMap { tok.pieceBytes($0) }
                #expect(String(decoding: pieces, as: UTF8.self) == s, "\(v): pieces of \(String(reflecting: c.text))")
            }
        }
        if name == "ugm-botchan" { #expect(servers == v.cases.count, "every case of \(v) carries llama-server's /detokenize") }
    }

    /// What the converter writes for an XLM-RoBERTa SentencePiece model and what lai makes of it.
    @Test func xlmRobertaVocabularyFacts() throws {
        let v = try UGMCases.load("ugm-botchan")
        let file = try GGUFFile(path: v.model)
        #expect(file.metadata.string("tokenizer.ggml.model") == "t5")
        #expect((file.metadata.array("tokenizer.ggml.precompiled_charsmap")?.count ?? 0) > 200_000)
        let tok = try Tokenizer(gguf: file)
        #expect(tok.vocabularySize == 1002)
        #expect(tok.bos == 0 && tok.eos == 2 && tok.unk == 3 && tok.pad == 1)
        #expect(tok.addBOS && tok.addEOS && tok.addSpacePrefix)
        // NFKC through the charsmap: full-width letters and ligatures tokenize as their plain forms
        #expect(tok.encode("Ｆｕｌｌｗｉｄｔｈ", addSpecial: false) == tok.encode("Fullwidth", addSpecial: false))
        #expect(tok.encode("\u{FB01}nance", addSpecial: false) == tok.encode("finance", addSpecial: false))
    }

    /// A charsmap whose size header promises more than follows, or whose last string lacks its NUL, is a one-line
    /// error naming the file; a garbled double array tokenizes without crashing.
    @Test func corruptCharsmapIsAnError() throws {
        let v = try UGMCases.load("ugm-botchan")
        let md = try GGUFFile(path: v.model).metadata
        let key = "tokenizer.ggml.precompiled_charsmap"
        let cm = try #require(md.array(key)?.mappedBytes).map { $0 }
        func with(_ bytes: [UInt8]) -> GGUFMetadata {
            var m = md
            m[key] = .array(GGUFArray(.uint8, bytes.map { .uint8($0) }))
            return m
        }
        // truncated: the double array's size runs past the end
        #expect(throws: TokenizerError.self) { _ = try Tokenizer(metadata: with(Array(cm.prefix(cm.count / 3))), path: "t.gguf") }
        do {
            _ = try Tokenizer(metadata: with(Array(cm.prefix(1000))), path: "t.gguf")
            Issue.record("a truncated charsmap was accepted")
        } catch let e as TokenizerError {
            #expect(e.description.hasPrefix("t.gguf: tokenizer.ggml.precompiled_charsmap is truncated"), "\(e)")
            #expect(!e.description.contains("\n"))
        }
        #expect(throws: TokenizerError.self) { _ = try Tokenizer(metadata: with([1, 2]), path: "t.gguf") }
        #expect(throws: TokenizerError.self) { _ = try Tokenizer(metadata: with(cm.dropLast() + [0x41]), path: "t.gguf") }
        // not bytes
        var m = md
        m[key] = .array(GGUFArray(strings: ["x"]))
        #expect(throws: TokenizerError.self) { _ = try Tokenizer(metadata: m, path: "t.gguf") }
        // a scrambled double array (valid header, random entries) never traps
        var rng = SplitMix64(seed: 7)
        var garbled = cm
        let blob = Int(cm[0]) | Int(cm[1]) << 8 | Int(cm[2]) << 16 | Int(cm[3]) << 24
        for i in 4..<(4 + blob) { garbled[i] = UInt8(truncatingIfNeeded: rng.next()) }
        let tok = try Tokenizer(metadata: with(garbled), path: "t.gguf")
        for c in try UGMCases.load("ugm-botchan").cases { _ = tok.encode(c.text) }
    }
}
