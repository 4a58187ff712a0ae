// Pre-tokenizer tests: every llama.cpp type compiles, and the hand-written splitters agree with the regex engine.
import Foundation
import LAICore
import Testing

/// Random text mixing the character classes the splitters care about.
func randomText(_ rng: inout SplitMix64, length: Int) -> String {
    let pool: [String] = ["a", "b", "Z", "é", "ß", "я", "字", "日本", "'", "'s", "'LL", "'re", " ", " ", "  ", "\n", "\r\n", "\t",
                          "1", "23", "4567", "٣", "½", ".", ",", "!", "?", "~", "$", "+", "<", "—", "“", "🤖", "👍🏽", "\u{A0}",
                          "\u{3000}", "\u{300}", "_", "/", "#", "Ⅷ"]
    var s = ""
    for _ in 0..<length { s += pool[Int(rng.next() % UInt64(pool.count))] }
    return s
}

@Suite struct PreTokenizerTests {
    @Test(arguments: PreTokenizer.knownNames)
    func everyPreTokenizerCompilesAndCovers(_ name: String) throws {
        let p = try #require(PreTokenizer(pre: name), "pre-tokenizer \(name) failed to compile")
        var rng = SplitMix64(seed: 7)
        for _ in 0..<50 {
            let text = randomText(&rng, length: 40)
            let cps = text.unicodeScalars.map(\.value)
            let words = p.split(cps)
            // words are non-empty, in order, and cover the text exactly
            var pos = 0
            for w in words { #expect(w.lowerBound == pos && !w.isEmpty); pos = w.upperBound }
            #expect(pos == cps.count, "\(name): split does not cover \(String(reflecting: text))")
        }
    }

    /// The fast GPT-2 and Llama-3 state machines against the same patterns run through the regex engine.
    @Test(arguments: [PreTokenizer.gpt2PatternForTests, PreTokenizer.llama3PatternForTests])
    func handWrittenSplittersMatchRegexEngine(_ pattern: String) throws {
        let regex = try #require(SplitRegex(pattern))
        var rng = SplitMix64(seed: 42)
        for i in 0..<3000 {
            let text = randomText(&rng, length: 1 + i % 30)
            let cps = text.unicodeScalars.map(\.value)
            let fast = pattern == PreTokenizer.gpt2PatternForTests
                ? PreTokenizer.splitGPT2ForTests(cps) : PreTokenizer.splitLlama3ForTests(cps)
            let slow = regex.split(cps, pieces: [0..<cps.count])
            if fast != slow {
                Issue.record("\(String(reflecting: text)): fast \(fast) regex \(slow)")
                break
            }
        }
    }

    @Test func regexEngineBasics() throws {
        let cps = Array("1234567 abc".unicodeScalars.map(\.value))
        // superbpe's digit grouping: a zero-width lookahead split
        let r = try #require(SplitRegex("(?=(\\d{3})+(?!\\d))"))
        #expect(r.split(cps, pieces: [0..<7]) == [0..<1, 1..<4, 4..<7])
        let t = try #require(SplitRegex("\\s+$"))
        #expect(t.split(Array("ab  ".unicodeScalars.map(\.value)), pieces: [0..<4]) == [0..<2, 2..<4])
        #expect(SplitRegex("(unclosed") == nil)
    }
}
