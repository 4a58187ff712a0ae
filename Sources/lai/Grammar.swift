// lai grammar: check text against a GBNF grammar (or a JSON schema), print a schema's grammar, sample strings.
import ArgumentParser
import Foundation
import LAICore

struct GrammarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grammar",
        abstract: "Work with GBNF grammars and JSON schemas (what `lai run --grammar/--format` constrain to).",
        subcommands: [Check.self, FromSchema.self, Sample.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Exit 0 if the text (files, or stdin) matches the grammar completely; else say where it fails and exit 1.")
        @Argument(help: "A .gbnf grammar, or a JSON schema (.json), or 'json' for any JSON value.")
        var grammar: String
        @Argument(help: "Files to check (stdin when none).")
        var files: [String] = []
        @Flag(help: "Print one JSON line per input: {\"file\", \"valid\", \"error\"}.")
        var json = false

        func run() throws {
            let g = try GrammarSource.load(grammar)
            let inputs = files.isEmpty ? [("-", readStdin())] : try files.map { ($0, try readText($0)) }
            var failed = false
            for (name, text) in inputs {
                let result = GrammarCheck.check(text, against: g)
                if json {
                    print(JSON.object([("file", .string(name)), ("valid", .bool(result == nil)), ("error", JSON(result))]).serialized())
                } else if let result {
                    print("\(name): \(result)")
                } else if !isQuiet { print("\(name): valid") }
                if result != nil { failed = true }
            }
            if failed { throw ExitCode(1) }
        }
        var isQuiet: Bool { false }
    }

    struct FromSchema: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "from-schema",
            abstract: "Print the GBNF grammar lai generates for a JSON schema file ('json' for any JSON value).")
        @Argument(help: "A JSON schema file, or 'json'.")
        var schema: String
        func run() throws { print(try GrammarSource.text(schema), terminator: "") }
    }

    struct Sample: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print random strings the grammar accepts (JSON lines); --near-misses adds one-edit variants.")
        @Argument(help: "A .gbnf grammar, a JSON schema (.json) or 'json'.")
        var grammar: String
        @Option(name: .shortAndLong, help: "How many strings.")
        var count = 10
        @Option(help: "Random seed.")
        var seed: UInt64 = 1
        @Option(help: "Stop extending a string after about this many characters.")
        var maxLength = 80
        @Flag(help: "After each accepted string, print a randomly edited copy (accepted or not).")
        var nearMisses = false

        func run() throws {
            var s = try GrammarSampler(grammar: try GrammarSource.load(grammar), seed: seed)
            for _ in 0..<count {
                guard let text = s.derive(maxLength: maxLength) else { continue }
                print(JSON.object([("text", .string(text))]).serialized())
                if nearMisses { print(JSON.object([("text", .string(s.mutate(text)))]).serialized()) }
            }
        }
    }
}

private func readStdin() -> String { String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) }
private func readText(_ path: String) throws -> String {
    guard let d = FileManager.default.contents(atPath: path) else { throw CommandError("\(path): cannot read the file") }
    return String(decoding: d, as: UTF8.self)
}
