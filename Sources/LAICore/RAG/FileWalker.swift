// FileWalker: the files `lai index` reads under the given paths, with hidden, binary and ignored ones skipped.
import Foundation

/// One file to index.
package struct WalkedFile: Sendable, Equatable {
    /// Absolute, standardized path (the key the store keeps).
    package var path: String
    /// Path relative to the root it was found under (what globs match).
    package var relative: String
}

/// Walks files and directories: hidden names (".x") and symlinked directories are skipped, `.gitignore`
/// files are honoured at every level (a later rule wins, `!` re-includes), `--exclude` globs drop paths,
/// `--include` globs (when any) keep only matching files. Binary files are detected by the reader.
package struct FileWalker {
    package var includes: [String] = []
    package var excludes: [String] = []
    /// Files larger than this are skipped (with a note).
    package var maxFileBytes = 64 << 20

    package init(includes: [String] = [], excludes: [String] = []) { self.includes = includes; self.excludes = excludes }

    package struct Result {
        package var files: [WalkedFile] = []
        package var skipped: [(path: String, reason: String)] = []
        /// The absolute roots walked (directories), used to find removed files.
        package var roots: [String] = []
    }

    package static func absolute(_ p: String) -> String {
        let u = p.hasPrefix("/") ? URL(fileURLWithPath: p) : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(p)
        return u.standardizedFileURL.path
    }

    package func walk(_ paths: [String]) throws -> Result {
        var out = Result()
        let fm = FileManager.default
        for p in paths {
            let abs = Self.absolute(p)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: abs, isDirectory: &isDir) else { throw RAGError.notFound(path: p) }
            out.roots.append(abs)
            if isDir.boolValue {
                walkDirectory(abs, relative: "", rules: [], into: &out)
            } else {
                consider(abs, relative: (abs as NSString).lastPathComponent, into: &out)
            }
        }
        var seen = Set<String>()
        out.files = out.files.filter { seen.insert($0.path).inserted }
        return out
    }

    private func excluded(_ relative: String) -> Bool { excludes.contains { Glob.matches($0, relative) } }

    private func walkDirectory(_ dir: String, relative: String, rules: [(base: String, rules: IgnoreRules)], into out: inout Result) {
        let fm = FileManager.default
        var rules = rules
        if let text = try? String(contentsOfFile: dir + "/.gitignore", encoding: .utf8) {
            rules.append((relative, IgnoreRules(text: text)))
        }
        guard let names = try? fm.contentsOfDirectory(atPath: dir) else {
            out.skipped.append((dir, "cannot list directory")); return
        }
        for name in names.sorted() where !name.hasPrefix(".") {
            let full = dir + "/" + name
            let rel = relative.isEmpty ? name : relative + "/" + name
            guard let attrs = try? fm.attributesOfItem(atPath: full), let type = attrs[.type] as? FileAttributeType else { continue }
            var isDir = type == .typeDirectory
            if type == .typeSymbolicLink {
                var d: ObjCBool = false
                guard fm.fileExists(atPath: full, isDirectory: &d) else { continue }
                if d.boolValue { continue }  // never follow directory links (loops)
                isDir = false
            } else if type != .typeDirectory && type != .typeRegular {
                continue
            }
            var ignored = false
            for (base, r) in rules {
                let sub = base.isEmpty ? rel : String(rel.dropFirst(base.count + 1))
                if let v = r.ignores(sub, isDirectory: isDir) { ignored = v }
            }
            if ignored || excluded(rel) { continue }
            if isDir { walkDirectory(full, relative: rel, rules: rules, into: &out) } else { consider(full, relative: rel, into: &out) }
        }
    }

    private func consider(_ path: String, relative: String, into out: inout Result) {
        if excluded(relative) { return }
        if !includes.isEmpty && !includes.contains(where: { Glob.matches($0, relative) }) { return }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size > maxFileBytes { out.skipped.append((path, "larger than \(Formatting.bytes(maxFileBytes))")); return }
        out.files.append(WalkedFile(path: path, relative: relative))
    }
}
