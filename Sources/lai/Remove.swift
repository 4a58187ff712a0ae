// lai rm: delete models; blobs no remaining model uses are deleted too.
import ArgumentParser
import LAICore

struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove models from the store.")

    @Argument(help: "Model names.")
    var models: [String]

    func validate() throws {
        if models.isEmpty { throw ValidationError("name at least one model") }
    }

    func run() throws {
        let store = ModelStore.default()
        let names = try models.map { try ModelName(parsing: $0) }
        try store.withLock {
            // All or nothing: check every name before removing any.
            for (n, arg) in zip(names, models) where (try? store.manifestBytes(n)) == nil { throw StoreError.notFound(arg) }
            for n in names {
                try store.remove(n)
                print("deleted '\(n)'")
            }
        }
    }
}
