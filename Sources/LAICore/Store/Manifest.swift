// Manifest: the Docker/OCI image manifest v2 that Ollama stores per model, and its media types.
import Foundation

/// Ollama's layer media types (server/images.go) and the manifest/config types it uses.
package enum MediaType {
    package static let manifest = "application/vnd.docker.distribution.manifest.v2+json"
    package static let config = "application/vnd.docker.container.image.v1+json"
    package static let model = "application/vnd.ollama.image.model"
    package static let adapter = "application/vnd.ollama.image.adapter"
    package static let projector = "application/vnd.ollama.image.projector"
    package static let template = "application/vnd.ollama.image.template"
    package static let system = "application/vnd.ollama.image.system"
    package static let params = "application/vnd.ollama.image.params"
    package static let license = "application/vnd.ollama.image.license"
    package static let messages = "application/vnd.ollama.image.messages"
}

/// One content-addressed blob reference: media type, `sha256:<hex>` digest, size in bytes.
package struct Layer: Codable, Equatable, Sendable {
    package var mediaType: String
    package var digest: String
    package var size: Int
    package init(mediaType: String, digest: String, size: Int) {
        self.mediaType = mediaType; self.digest = digest; self.size = size
    }

    /// The 64 hex digits of a valid `sha256:<hex>` digest, or nil.
    package var hex: String? { Layer.hex(of: digest) }

    package static func hex(of digest: String) -> String? {
        guard digest.hasPrefix("sha256:") else { return nil }
        let h = digest.dropFirst(7)
        guard h.utf8.count == 64, h.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else { return nil }
        return String(h)
    }
}

/// `{"schemaVersion":2,"mediaType":…,"config":{…},"layers":[…]}`.
package struct Manifest: Codable, Equatable, Sendable {
    package var schemaVersion: Int
    package var mediaType: String?
    package var config: Layer
    package var layers: [Layer]

    package init(config: Layer, layers: [Layer]) {
        schemaVersion = 2; mediaType = MediaType.manifest; self.config = config; self.layers = layers
    }

    /// Parses and checks a manifest: schema version 2, every digest `sha256:<64 hex>`, sizes ≥ 0.
    package static func parse(_ data: [UInt8], what: String) throws -> Manifest {
        let m: Manifest
        do { m = try JSONDecoder().decode(Manifest.self, from: Data(data)) } catch {
            throw StoreError.badManifest(what, reason: "not a Docker v2 manifest (\(Manifest.shortReason(error)))")
        }
        if m.schemaVersion != 2 { throw StoreError.badManifest(what, reason: "schemaVersion \(m.schemaVersion), expected 2") }
        for l in [m.config] + m.layers {
            if l.hex == nil { throw StoreError.badManifest(what, reason: "digest '\(l.digest)' is not sha256:<64 hex>") }
            if l.size < 0 { throw StoreError.badManifest(what, reason: "negative size for \(l.digest)") }
        }
        return m
    }

    private static func shortReason(_ e: Error) -> String {
        if case let DecodingError.keyNotFound(k, _) = e { return "missing '\(k.stringValue)'" }
        if case let DecodingError.typeMismatch(_, c) = e { return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))" }
        return "invalid JSON"
    }

    /// Canonical bytes for manifests we write ourselves (created models); pulled manifests are kept verbatim.
    package func serialized() -> [UInt8] {
        func layer(_ l: Layer) -> JSON { .object([("mediaType", .string(l.mediaType)), ("digest", .string(l.digest)), ("size", .int(l.size))]) }
        let obj = JSON.object([("schemaVersion", .int(2)), ("mediaType", .string(mediaType ?? MediaType.manifest)),
                               ("config", layer(config)), ("layers", .array(layers.map(layer)))])
        return Array(obj.serialized().utf8)
    }

    /// Every blob the manifest references, config first.
    package var allLayers: [Layer] { [config] + layers }

    /// Total size of config and layers, the size `lai list` shows.
    package var totalSize: Int { allLayers.reduce(0) { $0 + $1.size } }
}
