// GGUFMetadata: the ordered key/value pairs of a GGUF file, with typed lookups.

/// Metadata in file order (order matters for byte-identical rewrites), indexed by key.
package struct GGUFMetadata: Sendable {
    package private(set) var entries: [(key: String, value: GGUFValue)] = []
    private var index: [String: Int] = [:]

    package init() {}

    package subscript(key: String) -> GGUFValue? {
        get { index[key].map { entries[$0].value } }
        set {
            if let i = index[key] {
                if let v = newValue { entries[i].value = v } else { remove(key) }
            } else if let v = newValue {
                index[key] = entries.count
                entries.append((key, v))
            }
        }
    }

    package var count: Int { entries.count }
    package var keys: [String] { entries.map(\.key) }

    package mutating func remove(_ key: String) {
        guard let i = index[key] else { return }
        entries.remove(at: i)
        index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.key, $0) })
    }

    /// Appends without checking for duplicates (the reader checks before calling).
    mutating func append(_ key: String, _ value: GGUFValue) {
        index[key] = entries.count
        entries.append((key, value))
    }

    package func contains(_ key: String) -> Bool { index[key] != nil }

    package func int(_ key: String) -> Int? { self[key]?.int }
    package func double(_ key: String) -> Double? { self[key]?.double }
    package func string(_ key: String) -> String? { self[key]?.string }
    package func bool(_ key: String) -> Bool? { self[key]?.bool }
    package func array(_ key: String) -> GGUFArray? { self[key]?.array }

    /// `general.architecture`, the prefix of the architecture's own keys (`llama`, `qwen2`, `bert`).
    package var architecture: String? { string("general.architecture") }

    /// Looks up `<architecture>.<suffix>`, e.g. `arch("context_length")`.
    package func arch(_ suffix: String) -> GGUFValue? {
        guard let a = architecture else { return nil }
        return self["\(a).\(suffix)"]
    }
}
