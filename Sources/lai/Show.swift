// lai show: facts about a model file (architecture, size, quantization, tokenizer, template).
import ArgumentParser
import Foundation
import LAICore

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show facts about a model: architecture, parameters, quantization, context, tokenizer.")

    @Argument(help: "A GGUF file.")
    var model: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Flag(help: "Also list every metadata key (long arrays summarized).")
    var metadata = false

    @Flag(help: "Also list every tensor: name, type, shape, offset.")
    var tensors = false

    func run() throws {
        let file = try GGUFFile(path: model)
        let s = ModelSummary(file)
        if json {
            var obj = ModelShowFormat.summaryJSON(s)
            if metadata { obj.append(("metadata", ModelShowFormat.metadataJSON(file.metadata))) }
            if tensors { obj.append(("tensors", ModelShowFormat.tensorsJSON(file))) }
            print(JSON.object(obj).serialized())
            return
        }
        print(ModelShowFormat.summaryText(s), terminator: "")
        if metadata { print(""); print(ModelShowFormat.metadataText(file.metadata), terminator: "") }
        if tensors { print(""); print(ModelShowFormat.tensorsText(file), terminator: "") }
    }
}
