// ModelName: `[host/][namespace/]name[:tag]`, parsed and validated as Ollama does (types/model/name.go).

/// A fully qualified model name. Missing parts take Ollama's defaults:
/// host `registry.ollama.ai`, namespace `library`, tag `latest`.
///
/// Every part starts with a letter, digit or `_`; later characters may also be `-` and `.`
/// (not `.` in a namespace) and `:` only in the host (a port). Parts are 1–80 characters (host 1–350),
/// so `.`, `..`, `/` and empty parts can never reach the file system.
package struct ModelName: Hashable, Sendable, CustomStringConvertible {
    package static let defaultHost = "registry.ollama.ai"
    package static let defaultNamespace = "library"
    package static let defaultTag = "latest"

    package let host: String
    package let namespace: String
    package let model: String
    package let tag: String

    package init(host: String, namespace: String, model: String, tag: String) throws {
        self.host = host; self.namespace = namespace; self.model = model; self.tag = tag
        let shown = "\(host)/\(namespace)/\(model):\(tag)"
        try ModelName.check(host, kind: "host", max: 350, allowDot: true, allowColon: true, shown: shown)
        try ModelName.check(namespace, kind: "namespace", max: 80, allowDot: false, allowColon: false, shown: shown)
        try ModelName.check(model, kind: "name", max: 80, allowDot: true, allowColon: false, shown: shown)
        try ModelName.check(tag, kind: "tag", max: 80, allowDot: true, allowColon: false, shown: shown)
    }

    /// Parses `[host/][namespace/]name[:tag]`; a leading `http://` or `https://` is accepted and dropped.
    package init(parsing input: String) throws {
        var s = Substring(input)
        for scheme in ["https://", "http://"] where s.hasPrefix(scheme) { s = s.dropFirst(scheme.count) }
        func bad(_ reason: String) -> StoreError { .invalidName(input, reason: reason) }
        if s.isEmpty { throw bad("empty name") }
        if s.contains("@") { throw bad("digests (@sha256:…) are not supported; use a tag") }
        var tag = ModelName.defaultTag
        let lastColon = s.lastIndex(of: ":"), lastSlash = s.lastIndex(of: "/")
        if let c = lastColon, c > (lastSlash ?? s.startIndex) || lastSlash == nil {
            tag = String(s[s.index(after: c)...])
            if tag.isEmpty { throw bad("empty tag after ':'") }
            s = s[..<c]
        }
        let parts = s.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var host = ModelName.defaultHost, namespace = ModelName.defaultNamespace, model: String
        switch parts.count {
        case 1: model = parts[0]
        case 2: namespace = parts[0]; model = parts[1]
        case 3: host = parts[0]; namespace = parts[1]; model = parts[2]
        default: throw bad("too many '/' (expected [host/][namespace/]name[:tag])")
        }
        do {
            try self.init(host: host, namespace: namespace, model: model, tag: tag)
        } catch StoreError.invalidName(_, let reason) {
            throw bad(reason)
        }
    }

    private static func check(_ s: String, kind: String, max: Int, allowDot: Bool, allowColon: Bool, shown: String) throws {
        if s.isEmpty { throw StoreError.invalidName(shown, reason: "empty \(kind)") }
        if s.utf8.count > max { throw StoreError.invalidName(shown, reason: "\(kind) longer than \(max) characters") }
        for (i, c) in s.utf8.enumerated() {
            let alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95
            if alnum { continue }
            let ok = i > 0 && (c == 45 || (c == 46 && allowDot) || (c == 58 && allowColon))
            if !ok {
                let ch = Character(Unicode.Scalar(c))
                throw StoreError.invalidName(shown, reason: i == 0
                    ? "\(kind) must start with a letter, digit or '_'"
                    : "character '\(c < 128 ? String(ch) : "non-ASCII")' not allowed in the \(kind)")
            }
        }
    }

    /// `host/namespace/name/tag`, the manifest's path under `manifests/`.
    package var manifestRelativePath: String { "\(host)/\(namespace)/\(model)/\(tag)" }

    /// The full name, `host/namespace/name:tag`.
    package var fullName: String { "\(host)/\(namespace)/\(model):\(tag)" }

    /// The short form Ollama shows: defaults left out (`smollm2:135m`, `me/tiny:latest`, `hf.co/u/r:Q4_K_M`).
    package var description: String {
        if host == ModelName.defaultHost {
            return namespace == ModelName.defaultNamespace ? "\(model):\(tag)" : "\(namespace)/\(model):\(tag)"
        }
        return fullName
    }

    /// `namespace/name`, the repository in registry URLs.
    package var repository: String { "\(namespace)/\(model)" }
}
