// lai tokenize: show how a model's vocabulary splits text into tokens (like llama.cpp's llama-tokenize).
import ArgumentParser
import Foundation
import LAICore

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tokenize text with a model's vocabulary (vocabulary-only GGUF files work too).")

    @Argument(help: "A GGUF file.")
    var model: String

    @Argument(help: "The text to tokenize (read from stdin when omitted).")
    var text: String?

    @Flag(help: "Print only the ids, as a list like [1, 4093, 198].")
    var ids = false

    @Flag(help: "Do not add BOS/EOS even if the vocabulary asks for them.")
    var noBos = false

    @Flag(help: "Recognise control tokens such as <|im_start|> in the text.")
    var parseSpecial = false

    @Flag(help: "Print JSON: {\"ids\": [...], \"pieces\": [...]}.")
    var json = false

    func run() throws {
        let tok = try Tokenizer(gguf: try GGUFFile(path: model))
        let input: String
        if let t = text {
            input = t
        } else {
            input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        let out = tok.encode(input, addSpecial: !noBos, parseSpecial: parseSpecial)
        if json {
            let pieces = out.map { JSON.string(String(decoding: tok.pieceBytes($0), as: UTF8.self)) }
            print(JSON.object([("ids", .array(out.map { .int(Int($0)) })), ("pieces", .array(pieces))]).serialized())
        } else if ids {
            print("[" + out.map(String.init).joined(separator: ", ") + "]")
        } else {
            var s = ""
            for id in out {
                let num = String(id)
                s += String(repeating: " ", count: max(0, 6 - num.count)) + num
                s += " -> '" + String(decoding: tok.pieceBytes(id), as: UTF8.self) + "'\n"
            }
            print(s, terminator: "")
        }
    }
}
