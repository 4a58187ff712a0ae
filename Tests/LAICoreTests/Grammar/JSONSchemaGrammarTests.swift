// JSONSchemaGrammarTests: schema grammars judged against the references — 279 texts whose validity python-jsonschema and
// llama.cpp's validator (with our grammar) agreed on — plus errors that name the keyword, and fuzzed schemas.
import Foundation
import Testing
import LAICore

private let root = Fixtures.repoRoot.appendingPathComponent("Tests/Fixtures/grammar")

@Suite struct JSONSchemaGrammarTests {
    @Test func casesAgreeWithTheReferences() throws {
        var grammars: [String: Grammar] = [:]
        var n = 0
        for line in try String(contentsOf: root.appendingPathComponent("schema-cases.jsonl"), encoding: .utf8).split(separator: "\n") {
            let row = try JSON.parseOrdered(String(line))
            let name = try #require(row["schema"]?.stringValue), text = try #require(row["text"]?.stringValue)
            if grammars[name] == nil {
                let schema = try JSON.parseOrdered(String(contentsOf: root.appendingPathComponent("schemas/\(name)"), encoding: .utf8))
                grammars[name] = try Grammar(JSONSchemaGrammar.grammar(for: schema))
            }
            let accepted = GrammarCheck.check(text, against: grammars[name]!) == nil
            #expect(accepted == row["valid"]?.boolValue, "\(name): \(text)")
            n += 1
        }
        #expect(n > 250 && grammars.count >= 20)
    }

    @Test func errorsNameTheKeywordAndPlace() {
        func err(_ s: String) -> String? {
            do { _ = try JSONSchemaGrammar.grammar(for: try JSON.parseOrdered(s)); return nil } catch { return "\(error)" }
        }
        #expect(err(#"{"not": {}}"#) == "JSON schema: unsupported keyword 'not' at #")
        #expect(err(#"{"type": "object", "properties": {"a": {"type": "array", "uniqueItems": true}}}"#) == "JSON schema: unsupported keyword 'uniqueItems' at #/properties/a")
        #expect(err(##"{"$ref": "#/$defs/missing"}"##)?.contains("missing") == true)
        #expect(err(#"{"type": "integer", "minimum": "zero"}"#)?.contains("minimum") == true)
        #expect(err(##"{"$ref": "#"}"##) != nil)
        #expect(err(#"{"type": "strin"}"#)?.contains("strin") == true)
    }

    @Test func propertyOrderAndBoundedWhitespace() throws {
        let g = try Grammar(JSONSchemaGrammar.grammar(for: try JSON.parseOrdered(
            #"{"type": "object", "properties": {"b": {"type": "integer", "minimum": -5, "maximum": 10}, "a": {"type": "boolean"}}, "required": ["b"]}"#)))
        #expect(GrammarCheck.check(#"{"b": -5, "a": true}"#, against: g) == nil)
        #expect(GrammarCheck.check(#"{"b":10}"#, against: g) == nil)
        #expect(GrammarCheck.check(#"{"a": true, "b": 1}"#, against: g) != nil)   // schema order
        #expect(GrammarCheck.check(#"{"b": 11}"#, against: g) != nil)
        #expect(GrammarCheck.check(#"{"b": -6}"#, against: g) != nil)
        #expect(GrammarCheck.check(#"{"b": 1} "#, against: g) != nil)            // nothing after the value
        #expect(GrammarCheck.check("{\"b\":" + String(repeating: " ", count: 40) + "1}", against: g) != nil)
        let any = try Grammar(JSONSchemaGrammar.anyJSON)
        for ok in ["1", "\"x\"", "[]", "{\"k\": [null, false, -0.5e3]}"] { #expect(GrammarCheck.check(ok, against: any) == nil, "\(ok)") }
    }

    /// Mutated fixture schemas: an error (one line) or a grammar our parser accepts, never a crash or a hang.
    @Test func fuzzedSchemasNeverCrashOrHang() throws {
        let dir = root.appendingPathComponent("schemas")
        let texts = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted().map {
            try String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8)
        }
        var rng = SplitMix64(seed: 7)
        let alphabet = Array("{}[]\":,0123456789-.eE truefalsnul$#/ref".utf8)
        var grammars = 0
        for i in 0..<600 {
            var b = Array(texts[i % texts.count].utf8)
            for _ in 0...Int(rng.next() % 3) {
                let p = Int(rng.next() % UInt64(max(b.count, 1)))
                switch rng.next() % 3 {
                case 0: b.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: p)
                case 1: if !b.isEmpty { b.remove(at: p) }
                default: if !b.isEmpty { b[p] = alphabet[Int(rng.next() % UInt64(alphabet.count))] }
                }
            }
            guard let schema = try? JSON.parseOrdered(String(decoding: b, as: UTF8.self)) else { continue }
            do {
                let text = try JSONSchemaGrammar.grammar(for: schema)
                _ = try GrammarAutomaton(try Grammar(text))
                grammars += 1
            } catch {
                #expect(!"\(error)".contains("\n"), "\(error)")
            }
        }
        #expect(grammars > 50)
    }

    @Test func orderedJSONParser() throws {
        let v = try JSON.parseOrdered(#"{"z": 1, "a": [1.0, -2e1, "\u00e9\ud83d\ude00"], "m": null}"#)
        #expect(v.objectValue?.map(\.0) == ["z", "a", "m"])
        #expect(v.serialized() == #"{"z":1,"a":[1,-20,"é😀"],"m":null}"#)
        for bad in ["{\"a\": 1,}", "[1 2]", "\"\u{01}\"", String(repeating: "[", count: 300)] {
            do { _ = try JSON.parseOrdered(bad); Issue.record("accepted \(bad.prefix(20))") } catch {
                #expect("\(error)".contains("offset") && !"\(error)".contains("\n"), "\(error)")
            }
        }
    }
}
