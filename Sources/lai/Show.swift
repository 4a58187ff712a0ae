// lai show: facts about a model file (architecture, size, quantization, tokenizer, template).
import ArgumentParser
import Foundation
import LAICore

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show facts about a model: architecture, parameters, quantization, context, tokenizer.")

    @Argument(help: "A GGUF file or a stored model name.")
    var model: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Flag(help: "Also list every metadata key (long arrays summarized).")
    var metadata = false

    @Flag(help: "Also list every tensor: name, type, shape, offset.")
    var tensors = false

    @Flag(help: "Print a Modelfile that recreates the model.")
    var modelfile = false

    @Flag(help: "Print the prompt template (the stored TEMPLATE, else the GGUF chat template).")
    var template = false

    @Flag(help: "Print the model's PARAMETERs.")
    var parameters = false

    @Flag(help: "Print the model's SYSTEM message.")
    var system = false

    func run() throws {
        let resolved = try ModelLocator.resolve(model)
        let file = try GGUFFile(path: resolved.ggufPath)
        if modelfile { print(Modelfile.render(resolved, from: resolved.ggufPath), terminator: ""); return }
        if template { print(resolved.template ?? file.metadata.string("tokenizer.chat_template") ?? ""); return }
        if system { print(resolved.system ?? ""); return }
        if parameters {
            for k in resolved.parameters.keys.sorted() { for v in resolved.parameters[k] ?? [] { print("\(k) \(v)") } }
            return
        }
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
