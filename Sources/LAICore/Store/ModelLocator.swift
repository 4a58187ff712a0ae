// ModelLocator: turns a command-line model argument — a GGUF path or a store name — into a loadable model.
import Foundation

package enum ModelLocator {
    /// A path that exists (or looks like a path: `/`, `./`, `~`, `.gguf`) is a GGUF file; anything else is
    /// looked up in the store (`$LAI_MODELS`). Unknown names fail with a hint to `lai pull` or `lai list`.
    package static func resolve(_ arg: String, store: ModelStore = .default()) throws -> ResolvedModel {
        if let path = filePath(arg) { return ResolvedModel(name: nil, ggufPath: path) }
        let name = try ModelName(parsing: arg)
        do { return try store.resolve(name) } catch StoreError.notFound {
            throw StoreError.notFound(arg)
        }
    }

    /// The file path `arg` means, or nil if it should be read as a model name.
    package static func filePath(_ arg: String) -> String? {
        var p = arg
        if p == "~" || p.hasPrefix("~/") { p = FileManager.default.homeDirectoryForCurrentUser.path + p.dropFirst(1) }
        if FileManager.default.fileExists(atPath: p) { return p }
        if arg.hasPrefix("/") || arg.hasPrefix("./") || arg.hasPrefix("../") || arg.hasPrefix("~") || arg.lowercased().hasSuffix(".gguf") {
            return p
        }
        return nil
    }
}
