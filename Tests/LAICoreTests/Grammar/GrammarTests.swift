// GrammarTests: the GBNF parser and recogniser against llama.cpp (its grammars parse; random strings get the same
// verdicts its validator gave), errors as one line, fuzzed grammars, and the token mask against its per-token twin.
import Foundation
import Testing
import LAICore

private let llamaGrammars = Fixtures.cache.appendingPathComponent("llama.cpp-grammars")

private func readFixture(_ path: String) throws -> String {
    try String(contentsOf: Fixtures.repoRoot.appendingPathComponent(path), encoding: .utf8)
}

private func grammarError(_ source: String) -> String? {
    do { _ = try Grammar(source); return nil } catch { return "\(error)" }
}

@Suite struct GBNFTests {
    @Test func llamaCppGrammarsParse() throws {
        let names = ["arithmetic", "c", "chess", "english", "japanese", "json", "json_arr", "list"]
        try #require(FileManager.default.fileExists(atPath: llamaGrammars.appendingPathComponent("json.gbnf").path),
                     "llama.cpp's grammars are missing: run `make grammars`")
        for n in names {
            let text = try String(contentsOf: llamaGrammars.appendingPathComponent("\(n).gbnf"), encoding: .utf8)
            let g = try Grammar(text)
            _ = try GrammarAutomaton(g)
        }
    }

    /// 844 strings (random derivations of each llama.cpp grammar and one-edit near misses), judged by llama.cpp's
    /// own recogniser (tests/test-gbnf-validator) — scripts/grammar-reference.sh made the fixture.
    @Test func verdictsMatchLlamaCpp() throws {
        try #require(FileManager.default.fileExists(atPath: llamaGrammars.appendingPathComponent("json.gbnf").path),
                     "llama.cpp's grammars are missing: run `make grammars`")
        var grammars: [String: Grammar] = [:]
        var checked = 0, valid = 0
        for line in try readFixture("Tests/Fixtures/grammar/llama-verdicts.jsonl").split(separator: "\n") {
            let row = try JSON.parseOrdered(String(line))
            let name = try #require(row["grammar"]?.stringValue), text = try #require(row["text"]?.stringValue)
            let expected = try #require(row["valid"]?.boolValue as Bool?)
            if grammars[name] == nil {
                grammars[name] = try Grammar(String(contentsOf: llamaGrammars.appendingPathComponent(name), encoding: .utf8))
            }
            let got = GrammarCheck.check(text, against: grammars[name]!) == nil
            #expect(got == expected, "\(name): \(text.debugDescription): llama.cpp says \(expected)")
            checked += 1; if expected { valid += 1 }
        }
        #expect(checked > 800 && valid > 100 && checked - valid > 100)
    }

    @Test func basics() throws {
        let g = try Grammar(#"""
        root ::= greeting (", " name){1,3} "!"?
        greeting ::= "hi" | "hello"   # a comment
        name ::= [A-Z] [a-z]* | "\u00e9t\xe9"
        """#)
        for ok in ["hi, Bob", "hello, Al, Bo, Cy!", "hi, été"] { #expect(GrammarCheck.check(ok, against: g) == nil, "\(ok)") }
        #expect(GrammarCheck.check("hi, Al, Bo, Cy, Di", against: g) == "line 1 col 15: unexpected ','")
        #expect(GrammarCheck.check("hi", against: g) == "line 1 col 3: unexpected end of input")
        #expect(GrammarCheck.check("hey", against: g) == "line 1 col 3: unexpected 'y'")
        let any = try Grammar("root ::= [^\\n]* \"\\n\" .")
        #expect(GrammarCheck.check("abc\n😀", against: any) == nil)
    }

    @Test func errorsAreOneLineWithPlace() {
        let cases: [(String, String)] = [
            ("root ::= foo", "grammar: rule 'foo' is used but not defined"),
            ("start ::= \"a\"", "grammar: there is no 'root' rule"),
            ("root ::= root \"a\" | \"b\"", "grammar: rule 'root' is left-recursive"),
            ("root ::= x \"a\"\nx ::= \"\" | root", "grammar: rule 'root' is left-recursive"),
            ("root ::= \"abc", "grammar: line 1 col 14: unterminated string literal"),
            ("root ::= [a-", "grammar: line 1 col 12: unexpected end of input"),
            ("root ::= \"\\q\"", "grammar: line 1 col 11: unknown escape '\\q'"),
            ("root ::= (\"a\"", "grammar: line 1 col 14: expecting ')'"),
            ("root = \"a\"", "grammar: line 1 col 6: expecting '::=' after 'root'"),
            ("root ::= * \"a\"", "grammar: line 1 col 10: expecting something before the repetition operator"),
            ("root ::= \"a\"{3,1}", "grammar: line 1 col 18: repetition {3,1}: the maximum is below the minimum"),
            ("root ::= \"a\"{5000}", "grammar: line 1 col 19: repetition count 5000 exceeds 2000"),
            ("root ::= <hello>", "grammar: line 1 col 10: token reference <hello> needs a model's vocabulary"),
        ]
        for (src, want) in cases {
            let got = grammarError(src)
            #expect(got == want, "\(src.debugDescription)")
            #expect(!(got ?? "").contains("\n"))
        }
    }

    @Test func tokenReferences() throws {
        let g = try Grammar("root ::= \"x\" <[42]> !<[7]>")
        #expect(g.usesTokens)
        let a = try GrammarAutomaton(g)
        var s = a.step(a.start, UInt32(("x" as Unicode.Scalar).value))
        #expect(a.stepToken(s, 41) == GrammarAutomaton.dead)
        s = a.stepToken(s, 42)
        #expect(s != GrammarAutomaton.dead && a.stepToken(s, 7) == GrammarAutomaton.dead)
        #expect(a.isFinished(a.stepToken(s, 8)))
    }

    /// Mutated grammars and random bytes: every outcome is a grammar or a one-line error, quickly.
    @Test func fuzzedGrammarsNeverCrashOrHang() throws {
        var rng = SplitMix64(seed: 42)
        var seeds = [#"root ::= "a" b* | [x-z]+ (c | "d"){2,4}"#, "b ::= \"b\"", "c ::= [^\\n] c?"]
        if let json = try? String(contentsOf: llamaGrammars.appendingPathComponent("json.gbnf"), encoding: .utf8) { seeds.append(json) }
        let alphabet = Array("root::=\"ab|()[]^-*+?{},0123.\\\n #xuU<>!".utf8)
        var parsed = 0
        for i in 0..<3000 {
            var bytes = Array(seeds[i % seeds.count].utf8)
            for _ in 0...Int(rng.next() % 4) {
                let pos = bytes.isEmpty ? 0 : Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: pos)
                case 1: if !bytes.isEmpty { bytes.remove(at: pos) }
                default: if !bytes.isEmpty { bytes[pos] = UInt8(truncatingIfNeeded: rng.next()) }
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            do {
                let g = try Grammar(text)
                let a = try GrammarAutomaton(g)
                _ = a.matches("ab{x}")
                parsed += 1
            } catch let e as GrammarError {
                #expect(!e.description.contains("\n"))
            }
        }
        #expect(parsed > 100)
    }

    @Test func partialUTF8() throws {
        // é is C3 A9: the first byte alone is a partial that [é] can complete and [a-z] cannot
        let g = try Grammar("root ::= [é]")
        let a = try GrammarAutomaton(g)
        let d = try #require(UTF8Partial.decode([0xC3], from: .none))
        #expect(d.codePoints.isEmpty && d.tail.remaining == 1)
        #expect(a.acceptsPartial(a.start, value: d.tail.value, remaining: d.tail.remaining))
        let g2 = try GrammarAutomaton(try Grammar("root ::= [a-z]"))
        #expect(!g2.acceptsPartial(g2.start, value: d.tail.value, remaining: d.tail.remaining))
        let done = try #require(UTF8Partial.decode([0xA9, 0x41], from: d.tail))
        #expect(done.codePoints == [0xE9, 0x41] && done.tail == .none)
        #expect(UTF8Partial.decode([0x80], from: .none) == nil)
    }
}

/// The token constraint on a real vocabulary (Qwen2.5's 151,936 tokens): the fast trie mask allows exactly
/// the tokens the per-token check allows, in many states of a JSON grammar, with and without a partial character.
@Suite struct GrammarConstraintTests {
    static let qwen = Fixtures.cache.appendingPathComponent("qwen2.5-coder-0.5b/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf").path

    @Test func maskMatchesPerTokenCheck() throws {
        try #require(FileManager.default.fileExists(atPath: Self.qwen), "the Qwen2.5-Coder 0.5B model is missing: run `make models`")
        let tok = try Tokenizer(gguf: try GGUFFile(path: Self.qwen))
        let vocab = GrammarVocabulary.shared(for: tok)
        let g = try Grammar(JSONSchemaGrammar.anyJSON)
        let c = try GrammarConstraint(grammar: g, vocabulary: vocab)
        // walk a JSON text token by token; compare mask and allows at every step
        let text = #"{"name": "Zoë 😀", "tags": ["a", 1.5e3, true, null], "n": {"x": -0}}"#
        var logits = [Float](repeating: 0, count: vocab.count)
        var steps = 0
        for t in tok.encode(text, addSpecial: false, parseSpecial: false) {
            for i in logits.indices { logits[i] = 0 }
            logits.withUnsafeMutableBufferPointer { c.mask($0) }
            var mismatches = 0
            for i in 0..<vocab.count where (logits[i] == 0) != c.allows(Int32(i)) { mismatches += 1 }
            #expect(mismatches == 0, "step \(steps)")
            #expect(logits[Int(t)] == 0, "the text's own token \(t) was masked at step \(steps)")
            c.accept(t)
            steps += 1
        }
        #expect(c.isFinished)
        for e in tok.endOfGeneration { #expect(c.allows(e)) }
    }

    /// Token references (`<[id]>`, `!<[id]>`): the mask agrees with the per-token check there too.
    @Test func tokenElementMaskMatchesPerTokenCheck() throws {
        try #require(FileManager.default.fileExists(atPath: Self.qwen), "the Qwen2.5-Coder 0.5B model is missing: run `make models`")
        let tok = try Tokenizer(gguf: try GGUFFile(path: Self.qwen))
        let vocab = GrammarVocabulary.shared(for: tok)
        let c = try GrammarConstraint(grammar: try Grammar("root ::= <[1000]> (!<[42]> | <[42]> \"x\")"), vocabulary: vocab)
        var logits = [Float](repeating: 0, count: vocab.count)
        for step in 0..<2 {
            for i in logits.indices { logits[i] = 0 }
            logits.withUnsafeMutableBufferPointer { c.mask($0) }
            var mismatches = 0, allowed = 0
            for i in 0..<vocab.count where (logits[i] == 0) != c.allows(Int32(i)) { mismatches += 1 }
            for i in 0..<vocab.count where logits[i] == 0 { allowed += 1 }
            #expect(mismatches == 0, "step \(step)")
            #expect(step == 0 ? allowed == 1 : allowed > vocab.count - 10)
            c.accept(step == 0 ? 1000 : 42)
        }
    }

    @Test func lazyTriggerStartsTheGrammarAtTheTrigger() throws {
        try #require(FileManager.default.fileExists(atPath: Self.qwen), "the Qwen2.5-Coder 0.5B model is missing: run `make models`")
        let tok = try Tokenizer(gguf: try GGUFFile(path: Self.qwen))
        let vocab = GrammarVocabulary.shared(for: tok)
        let g = try Grammar(#"root ::= "<tool_call>\n{" [a-z]+ "}""#)
        let c = try GrammarConstraint(grammar: g, vocabulary: vocab, triggers: ["<tool_call>"])
        for t in tok.encode("Let me check. ", addSpecial: false, parseSpecial: false) { #expect(c.allows(t)); c.accept(t) }
        #expect(!c.active)
        for t in tok.encode("<tool_call>\n{", addSpecial: false, parseSpecial: true) { c.accept(t) }
        #expect(c.active)
        let digit = try #require(tok.encode("7", addSpecial: false, parseSpecial: false).first)
        #expect(!c.allows(digit))
        for t in tok.encode("abc}", addSpecial: false, parseSpecial: false) { #expect(c.allows(t)); c.accept(t) }
        #expect(c.isFinished)
        // a trigger that only counts at the start: free text first means no constraint at all
        let s = try GrammarConstraint(grammar: try Grammar(#"root ::= "{}""#), vocabulary: vocab, triggers: ["{"], triggerAtStartOnly: true)
        for t in tok.encode("ok {", addSpecial: false, parseSpecial: false) { s.accept(t) }
        #expect(!s.active && s.abandoned)
    }
}
