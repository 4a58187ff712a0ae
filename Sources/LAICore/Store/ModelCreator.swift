// ModelCreator: `lai create NAME -f Modelfile` — a manifest built from a GGUF file or a stored model plus layers.
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Builds a stored model from a Modelfile, as Ollama's create does for GGUF bases.
package struct ModelCreator {
    package let store: ModelStore
    package init(store: ModelStore) { self.store = store }

    /// Where FROM points: a GGUF file on disk or a model already in the store.
    package enum Base: Equatable { case file(String), model(ModelName), uploaded([String: String]) }

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

    /// Checks Ollama's `files` map (file name → `sha256:<hex>` of an uploaded blob): plain names, well-formed
    /// digests, blobs present, and either one GGUF file or a Hugging Face folder (config.json + *.safetensors).
    package func checkFiles(_ files: [String: String]) throws {
        for (name, digest) in files.sorted(by: { $0.key < $1.key }) {
            guard !name.isEmpty, !name.contains("/"), !name.contains("\\"), name != ".", name != "..", !name.contains("\0") else {
                throw StoreError.unsupported("files: '\(name)' is not a plain file name")
            }
            guard let hex = Layer.hex(of: digest) else {
                throw StoreError.unsupported("files: '\(name)': '\(digest)' is not a sha256:<64 hex digits> digest")
            }
            guard FileManager.default.fileExists(atPath: store.blobPath(hex: hex)) else {
                throw StoreError.unsupported("files: '\(name)': blob \(digest) is not on the server; upload it first (POST /api/blobs/\(digest))")
            }
        }
        let ggufs = files.keys.filter { $0.lowercased().hasSuffix(".gguf") }
        if ggufs.count > 1 { throw StoreError.unsupported("files: \(ggufs.count) GGUF files given (\(ggufs.sorted().joined(separator: ", "))); give one") }
        if ggufs.isEmpty && !(files["config.json"] != nil && files.keys.contains(where: { $0.hasSuffix(".safetensors") })) {
            throw StoreError.unsupported("files: need one .gguf file, or a Hugging Face folder (config.json and .safetensors files)")
        }
    }

    /// Creates (or replaces) `name`. Returns the manifest written.
    /// - files: uploaded blobs standing in for FROM (a GGUF file, or a Hugging Face folder to convert).
    /// - quantize: converts the base (F32/F16/BF16 GGUF, or the converted folder) to this type on the way.
    @discardableResult
    package func create(_ name: ModelName, modelfile mf: Modelfile, directory: String, files: [String: String] = [:],
                        quantize: QuantTarget? = nil, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                        status: (String) -> Void = { _ in }) throws -> Manifest {
        if !mf.adapters.isEmpty {
            throw StoreError.unsupported("Modelfile: ADAPTER is not supported: lai cannot apply LoRA adapters yet; merge the adapter into the GGUF first")
        }
        let base: Base
        if !files.isEmpty {
            if mf.from != nil { throw StoreError.unsupported("give either FROM ('from') or uploaded 'files', not both") }
            try checkFiles(files)
            base = .uploaded(files)
        } else {
            guard let from = mf.from else { throw StoreError.modelfile(line: 1, reason: "no FROM instruction") }
            base = try ModelCreator.base(from, relativeTo: directory)
        }
        return try store.withLock {
            var layers: [Layer] = []
            var ggufPath: String
            var inherited = ResolvedModel(name: nil, ggufPath: "")
            var licenseLayers: [Layer] = []
            switch base {
            case let .file(path):
                status("parsing GGUF \(path)")
                _ = try GGUFFile(path: path)  // validated before anything is written
                if let quantize {
                    let l = try self.quantized(path, to: quantize, threads: threads, status: status)
                    layers.append(l)
                } else {
                    status("copying model into the store")
                    layers.append(try store.importBlob(fromFile: path, mediaType: MediaType.model))
                }
                ggufPath = store.blobPath(hex: layers[0].hex ?? "")
            case let .model(baseName):
                let m = try store.manifest(baseName)
                inherited = try store.resolve(baseName)
                ggufPath = inherited.ggufPath
                if let quantize {
                    layers = [try self.quantized(ggufPath, to: quantize, threads: threads, status: status)]
                    ggufPath = store.blobPath(hex: layers[0].hex ?? "")
                } else {
                    layers = m.layers.filter { $0.mediaType == MediaType.model }
                }
                licenseLayers = m.layers.filter { $0.mediaType == MediaType.license }
            case let .uploaded(files):
                if let gguf = files.first(where: { $0.key.lowercased().hasSuffix(".gguf") }) {
                    let path = store.blobPath(hex: String(gguf.value.dropFirst(7)))
                    status("parsing GGUF \(gguf.key)")
                    _ = try GGUFFile(path: path)
                    if let quantize {
                        layers.append(try self.quantized(path, to: quantize, threads: threads, status: status))
                    } else {
                        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                        layers.append(Layer(mediaType: MediaType.model, digest: gguf.value, size: size))
                    }
                } else {
                    layers.append(try self.converted(files, to: quantize ?? .f16, threads: threads, status: status))
                }
                ggufPath = store.blobPath(hex: layers[0].hex ?? "")
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

    /// Quantizes the GGUF at `path` into a new model blob. Like Ollama, only unquantized bases are accepted.
    private func quantized(_ path: String, to target: QuantTarget, threads: Int, status: (String) -> Void) throws -> Layer {
        let file = try GGUFFile(path: path)
        if let q = file.tensors.first(where: { $0.type.isQuantized }) {
            throw StoreError.unsupported("quantize: the base model is already quantized (tensor '\(q.name)' is \(q.type.name)); lai quantizes F32, F16 and BF16 models (lai quantize --allow-requantize converts others)")
        }
        let from = ModelSummary(file).quantization ?? "F16"
        status("quantizing \(from) model to \(target.name)")
        return try quantizeIntoStore(input: path, target: target, threads: threads)
    }

    /// Converts an uploaded Hugging Face folder (its files are blobs; a private folder of links names them) to a model blob.
    private func converted(_ files: [String: String], to target: QuantTarget, threads: Int, status: (String) -> Void) throws -> Layer {
        let dir = "\(store.root)/.create-\(getpid())-\(UUID().uuidString)"
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw FileError.cannotWrite(path: dir, reason: error.localizedDescription)
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, digest) in files {
            if symlink(store.blobPath(hex: String(digest.dropFirst(7))), dir + "/" + name) != 0 {
                throw FileError.cannotWrite(path: dir + "/" + name, reason: String(cString: strerror(errno)))
            }
        }
        status("converting model to \(target.name)")
        return try quantizeIntoStore(input: dir, target: target, threads: threads)
    }

    private func quantizeIntoStore(input: String, target: QuantTarget, threads: Int) throws -> Layer {
        try store.createDirectories()
        let tmp = "\(store.blobsDir)/.quantize-\(getpid())-\(UUID().uuidString)"
        TempFiles.shared.register(tmp)
        defer { unlink(tmp); TempFiles.shared.unregister(tmp) }
        _ = try ModelQuantizer.run(input: input, output: tmp, target: target, threads: threads)
        return try store.adoptFile(tmp, mediaType: MediaType.model)
    }

    /// The config blob Ollama writes (ConfigV2): format, family, size class, file type, and the layer digests.
    package static func configJSON(_ s: ModelSummary, layers: [Layer]) -> [UInt8] {
        let family = s.architecture ?? "unknown"
        let obj = JSON.object([
            ("model_format", .string("gguf")), ("model_family", .string(family)),
            ("model_families", .array([.string(family)])), ("model_type", .string(Formatting.count(s.parameters))),
            ("file_type", .string(s.quantization ?? "unknown")), ("architecture", .string("amd64")), ("os", .string("linux")),
            ("rootfs", .object([("type", .string("layers")), ("diff_ids", .array(layers.map { .string($0.digest) }))])),
        ])
        return Array(obj.serialized().utf8)
    }
}
