// ModelCreator: `lai create NAME -f Modelfile` — a manifest built from a GGUF file or a stored model plus layers.
import Foundation

/// Builds a stored model from a Modelfile, as Ollama's create does for GGUF bases.
package struct ModelCreator {
    package let store: ModelStore
    package init(store: ModelStore) { self.store = store }

    /// Where FROM points: a GGUF file on disk or a model already in the store.
    package enum Base: Equatable { case file(String), model(ModelName) }

    /// Decides what FROM means: an existing path (`~` expanded, relative to the Modelfile's folder),
    /// else a model name; a path-looking value that does not exist is an error.
    package static func base(_ from: String, relativeTo dir: String) throws -> Base {
        var p = from
        if p == "~" || p.hasPrefix("~/") { p = FileManager.default.homeDirectoryForCurrentUser.path + p.dropFirst(1) }
        if !p.hasPrefix("/") { p = dir + "/" + p }
        if FileManager.default.fileExists(atPath: p) { return .file(URL(fileURLWithPath: p).standardized.path) }
        let looksLikePath = from.hasPrefix("/") || from.hasPrefix(".") || from.hasPrefix("~") || from.lowercased().hasSuffix(".gguf")
        if looksLikePath { throw FileError.cannotOpen(path: p, reason: "No such file or directory") }
        return .model(try ModelName(parsing: from))
    }

    /// Creates (or replaces) `name`. Returns the manifest written.
    @discardableResult
    package func create(_ name: ModelName, modelfile mf: Modelfile, directory: String,
                        status: (String) -> Void = { _ in }) throws -> Manifest {
        if !mf.adapters.isEmpty {
            throw StoreError.unsupported("Modelfile: ADAPTER is not supported: lai cannot apply LoRA adapters yet; merge the adapter into the GGUF first")
        }
        guard let from = mf.from else { throw StoreError.modelfile(line: 1, reason: "no FROM instruction") }
        let base = try ModelCreator.base(from, relativeTo: directory)
        return try store.withLock {
            var layers: [Layer] = []
            var ggufPath: String
            var inherited = ResolvedModel(name: nil, ggufPath: "")
            var licenseLayers: [Layer] = []
            switch base {
            case let .file(path):
                status("parsing GGUF \(path)")
                _ = try GGUFFile(path: path)  // validated before anything is written
                status("copying model into the store")
                let l = try store.importBlob(fromFile: path, mediaType: MediaType.model)
                layers.append(l)
                ggufPath = store.blobPath(hex: l.hex ?? "")
            case let .model(baseName):
                let m = try store.manifest(baseName)
                inherited = try store.resolve(baseName)
                ggufPath = inherited.ggufPath
                layers = m.layers.filter { $0.mediaType == MediaType.model }
                licenseLayers = m.layers.filter { $0.mediaType == MediaType.license }
            }
            let summary = ModelSummary(try GGUFFile(path: ggufPath))
            if let t = mf.template ?? inherited.template { layers.append(try store.writeBlob(Array(t.utf8), mediaType: MediaType.template)) }
            if let s = mf.system ?? inherited.system { layers.append(try store.writeBlob(Array(s.utf8), mediaType: MediaType.system)) }
            var params = inherited.parameters
            var seen = Set<String>()
            for (k, v) in mf.parameters {
                if seen.insert(k).inserted { params[k] = [] }
                params[k, default: []].append(v)
            }
            if !params.isEmpty { layers.append(try store.writeBlob(ModelParameters.encode(params), mediaType: MediaType.params)) }
            let messages = mf.messages.isEmpty ? inherited.messages : mf.messages
            if !messages.isEmpty {
                let json = JSON.array(messages.map { .object([("role", .string($0.role)), ("content", .string($0.content))]) })
                layers.append(try store.writeBlob(Array(json.serialized().utf8), mediaType: MediaType.messages))
            }
            layers += licenseLayers
            for l in mf.licenses { layers.append(try store.writeBlob(Array(l.utf8), mediaType: MediaType.license)) }
            let config = try store.writeBlob(ModelCreator.configJSON(summary, layers: layers), mediaType: MediaType.config)
            let manifest = Manifest(config: config, layers: layers)
            status("writing manifest")
            try store.writeManifest(name, bytes: manifest.serialized())
            return manifest
        }
    }

    /// The config blob Ollama writes (ConfigV2): format, family, size class, file type, and the layer digests.
    package static func configJSON(_ s: ModelSummary, layers: [Layer]) -> [UInt8] {
        let family = s.architecture ?? "unknown"
        let obj = JSON.object([
            ("model_format", .string("gguf")), ("model_family", .string(family)),
            ("model_families", .array([.string(family)])), ("model_type", .string(Formatting.count(s.parameters))),
            ("file_type", .string(s.fileType ?? "unknown")), ("architecture", .string("amd64")), ("os", .string("linux")),
            ("rootfs", .object([("type", .string("layers")), ("diff_ids", .array(layers.map { .string($0.digest) }))])),
        ])
        return Array(obj.serialized().utf8)
    }
}
