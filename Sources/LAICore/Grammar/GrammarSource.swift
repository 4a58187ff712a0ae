// GrammarSource: where a constraint comes from on the command line — a .gbnf file, a JSON schema file, or
// "json" — and the text check `lai grammar check` runs.
import Foundation

package enum GrammarSource {
    /// The GBNF text for `spec`: "json" (any JSON value), a JSON schema file (*.json), or a GBNF file.
    package static func text(_ spec: String) throws -> String {
        if spec == "json" { return JSONSchemaGrammar.anyJSON }
        guard let data = FileManager.default.contents(atPath: spec) else {
            throw GrammarError("\(spec): cannot read the file")
        }
        let text = String(decoding: data, as: UTF8.self)
        if spec.hasSuffix(".json") {
            do { return try JSONSchemaGrammar.grammar(for: try JSON.parseOrdered(text)) } catch {
                throw GrammarError("\(spec): \(error)")
            }
        }
        return text
    }

    /// The parsed grammar for `spec` (see `text`); errors name the file.
    package static func load(_ spec: String, tokenID: ((String) -> Int32?)? = nil) throws -> Grammar {
        let t = try text(spec)
        do { return try Grammar(t, tokenID: tokenID) } catch let e as GrammarError {
            throw GrammarError("\(spec): \(e.message)")
        }
    }
}

package enum GrammarCheck {
    /// nil when `text` matches `grammar` completely, else where it fails ("line L col C: unexpected 'x'").
    package static func check(_ text: String, against grammar: Grammar) -> String? {
        let a: GrammarAutomaton
        do { a = try GrammarAutomaton(grammar) } catch { return "\(error)" }
        var s = a.start
        var line = 1, col = 1
        for u in text.unicodeScalars {
            let n = a.step(s, u.value)
            if n == GrammarAutomaton.dead {
                let shown = u.value < 0x20 ? String(format: "U+%04X", u.value) : String(u)
                return "line \(line) col \(col): unexpected '\(shown)'"
            }
            s = n
            if u == "\n" { line += 1; col = 1 } else { col += 1 }
        }
        return a.isAccepting(s) ? nil : "line \(line) col \(col): unexpected end of input"
    }
}
