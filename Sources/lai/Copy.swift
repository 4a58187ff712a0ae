// lai cp: give a stored model another name (the blobs are shared).
import ArgumentParser
import LAICore

struct Copy: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cp", abstract: "Copy a model to a new name.")

    @Argument(help: "The model to copy.")
    var source: String

    @Argument(help: "The new name.")
    var destination: String

    func run() throws {
        let store = ModelStore.default()
        let src = try ModelName(parsing: source), dst = try ModelName(parsing: destination)
        try store.withLock { try store.copy(src, to: dst) }
        print("copied '\(src)' to '\(dst)'")
    }
}
