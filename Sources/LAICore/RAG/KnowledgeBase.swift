// KnowledgeBase: where knowledge bases live (`~/.lai/kb/NAME`, LAI_HOME overrides ~/.lai) and their listing.
import Foundation

package enum KnowledgeBase {
    package static let defaultName = "default"

    /// `LAI_HOME`, else `~/.lai`.
    package static var home: String {
        if let h = ProcessInfo.processInfo.environment["LAI_HOME"], !h.isEmpty { return h }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".lai").path
    }

    package static var root: String { home + "/kb" }

    /// Checks that `name` is a plain directory name (letters, digits, . _ -, not starting with a dot).
    package static func validate(_ name: String) throws {
        let ok = !name.isEmpty && name.count <= 100 && !name.hasPrefix(".") &&
            name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }
        if !ok { throw RAGError.invalid("knowledge base name '\(name)': use letters, digits, '.', '_' and '-' (not starting with '.')") }
    }

    package static func directory(_ name: String) throws -> String {
        try validate(name)
        return root + "/" + name
    }

    /// Names of the knowledge bases, sorted.
    package static func names() -> [String] {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return all.filter { !$0.hasPrefix(".") && VectorStore.exists(at: root + "/" + $0) }.sorted()
    }

    /// Deletes a knowledge base (waits for no one: fails with the lock message while a writer runs).
    package static func remove(_ name: String) throws {
        let dir = try directory(name)
        guard VectorStore.exists(at: dir) else { throw RAGError.noKnowledgeBase(name: name, path: dir) }
        // The writer lock only (no key needed to delete an encrypted knowledge base).
        let lock = try VectorStoreWriter.lock(dir)
        // Remove the manifest first: from then on no reader opens a half-deleted store.
        unlink(dir + "/" + StoreManifest.fileName)
        syncDirectory(of: dir + "/" + StoreManifest.fileName)
        close(lock)
        do { try FileManager.default.removeItem(atPath: dir) } catch {
            throw FileError.cannotWrite(path: dir, reason: error.localizedDescription)
        }
    }
}
