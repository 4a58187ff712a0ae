// ModelPuller: `lai pull` — from a registry (Ollama, hf.co, any OCI registry), from a URL, or from a local file.
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// What a pull did, for the `--json` summary.
package struct PullSummary: Sendable {
    package var name: ModelName
    /// `sha256:<hex>` of the manifest; its first 12 hex digits are the ID `lai list` shows.
    package var manifestDigest: String
    package var size: Int
    package var downloadedBytes: Int
    package var blobs: Int
    package var blobsReused: Int

    package var json: JSON {
        .object([("name", .string(name.description)), ("model", .string(name.fullName)), ("digest", .string(manifestDigest)),
                 ("id", .string(String(manifestDigest.dropFirst(7).prefix(12)))), ("size", .int(size)),
                 ("downloaded", .int(downloadedBytes)), ("blobs", .int(blobs)), ("reused", .int(blobsReused))])
    }
}

/// Pulls models into a store. Every blob is verified against its sha256 before it enters `blobs/`;
/// the manifest is written last, so an interrupted or failed pull never leaves a half model visible.
package final class ModelPuller {
    package let store: ModelStore
    let progress: PullProgress
    let options: DownloadOptions
    let http: HTTPClient

    package init(store: ModelStore, progress: PullProgress, options: DownloadOptions = .fromEnvironment()) {
        self.store = store; self.progress = progress; self.options = options
        http = HTTPClient()
    }

    /// Pulls `name` from its registry (`https://<host>`, or `http://` when `insecure`).
    package func pull(_ name: ModelName, insecure: Bool) throws -> PullSummary {
        let registry = try RegistryClient(name: name, insecure: insecure, http: http, options: options)
        return try store.withLock {
            progress.status("pulling manifest")
            let bytes = try registry.fetchManifest()
            let m = try Manifest.parse(bytes, what: registry.manifestURL.absoluteString)
            var downloaded = 0, reused = 0
            var seen = Set<String>()
            for l in m.allLayers where seen.insert(l.digest).inserted {
                if store.hasBlob(l) { reused += 1; continue }
                downloaded += try fetchBlob(l, from: registry)
            }
            progress.status("verifying sha256 digests: ok")
            try store.writeManifest(name, bytes: bytes)
            progress.status("writing manifest: success")
            return PullSummary(name: name, manifestDigest: "sha256:" + BlobHasher.hex(bytes), size: m.totalSize,
                               downloadedBytes: downloaded, blobs: seen.count, blobsReused: reused)
        }
    }

    /// Downloads, verifies and stores one blob; returns the bytes transferred in this run.
    private func fetchBlob(_ l: Layer, from registry: RegistryClient) throws -> Int {
        guard let hex = l.hex else { throw StoreError.badManifest(registry.name.description, reason: "bad digest \(l.digest)") }
        let partial = store.blobPath(hex: hex) + "-partial"
        let already = ModelPuller.partialProgress(partial, size: l.size)
        let d = BlobDownloader(http: http, options: options, progress: progress)
        d.headers = registry.authHeaders
        _ = try d.download(registry.blobURL(l.digest), to: partial, size: l.size, label: "pulling \(hex.prefix(12))")
        try verify(partial, hex: hex, size: l.size, what: "\(registry.name): blob \(l.digest)")
        try store.adoptVerifiedBlob(at: partial, hex: hex)
        return l.size - already
    }

    /// Bytes a previous run already wrote to `partial` (per its resume record), 0 if none.
    static func partialProgress(_ partial: String, size: Int) -> Int {
        guard let d = FileManager.default.contents(atPath: partial + ".json"),
              let s = try? JSONDecoder().decode(PartialState.self, from: d), s.size == size else { return 0 }
        return s.parts.reduce(0) { $0 + $1.done }
    }

    /// Hashes a finished partial file; on a mismatch removes it and throws.
    private func verify(_ partial: String, hex: String, size: Int, what: String) throws {
        let (got, n) = try BlobHasher.hashFile(partial)
        if n != size || got != hex {
            unlink(partial)
            if n != size { throw StoreError.sizeMismatch(what: what, expected: size, actual: n) }
            throw StoreError.digestMismatch(what: what, expected: "sha256:" + hex, actual: "sha256:" + got)
        }
    }

    /// Downloads a GGUF file from a URL (resumable) and stores it as `name`.
    package func pull(url: URL, as name: ModelName) throws -> PullSummary {
        try store.withLock {
            try store.createDirectories()
            var size: Int?
            if let h = try? http.send("HEAD", url), h.status == 200, let n = h.headers["content-length"].flatMap(Int.init), n > 0 {
                size = n
            }
            let partial = "\(store.blobsDir)/url-\(BlobHasher.hex(Array(url.absoluteString.utf8)).prefix(32))-partial"
            let already = size.map { ModelPuller.partialProgress(partial, size: $0) } ?? 0
            let d = BlobDownloader(http: http, options: options, progress: progress)
            let n = try d.download(url, to: partial, size: size, label: "downloading \(url.lastPathComponent)")
            progress.status("verifying GGUF and computing sha256")
            do { _ = try GGUFFile(path: partial) } catch {
                unlink(partial)
                throw StoreError.unsupported("\(url.absoluteString): not a usable GGUF file (\(error)); nothing was stored")
            }
            let (hex, _) = try BlobHasher.hashFile(partial)
            let model = Layer(mediaType: MediaType.model, digest: "sha256:" + hex, size: n)
            if store.hasBlob(model) { unlink(partial) } else { try store.adoptVerifiedBlob(at: partial, hex: hex) }
            let s = try finishSingleFileModel(model, as: name)
            return PullSummary(name: name, manifestDigest: s.digest, size: s.size, downloadedBytes: n - already, blobs: 2, blobsReused: 0)
        }
    }

    /// Imports a local GGUF file as `name` (copied into the store; the original is left alone).
    package func importFile(_ path: String, as name: ModelName) throws -> PullSummary {
        try store.withLock {
            try store.createDirectories()
            _ = try GGUFFile(path: path)
            progress.status("copying \(path) into the store")
            let model = try store.importBlob(fromFile: path, mediaType: MediaType.model)
            let s = try finishSingleFileModel(model, as: name)
            return PullSummary(name: name, manifestDigest: s.digest, size: s.size, downloadedBytes: 0, blobs: 2, blobsReused: 0)
        }
    }

    /// Writes config and manifest for a model that is just one GGUF blob.
    private func finishSingleFileModel(_ model: Layer, as name: ModelName) throws -> (digest: String, size: Int) {
        let summary = ModelSummary(try GGUFFile(path: store.blobPath(hex: model.hex ?? "")))
        let config = try store.writeBlob(ModelCreator.configJSON(summary, layers: [model]), mediaType: MediaType.config)
        let m = Manifest(config: config, layers: [model])
        let bytes = m.serialized()
        try store.writeManifest(name, bytes: bytes)
        progress.status("writing manifest: success")
        return ("sha256:" + BlobHasher.hex(bytes), m.totalSize)
    }
}

/// Pushes a stored model to its registry: blobs the registry lacks, then the manifest.
package struct ModelPusher {
    package let store: ModelStore
    let progress: PullProgress
    let options: DownloadOptions

    package init(store: ModelStore, progress: PullProgress, options: DownloadOptions = .fromEnvironment()) {
        self.store = store; self.progress = progress; self.options = options
    }

    /// Returns (blobs uploaded, blobs the registry already had).
    @discardableResult
    package func push(_ name: ModelName, insecure: Bool) throws -> (uploaded: Int, skipped: Int) {
        let bytes = try store.manifestBytes(name)
        let m = try Manifest.parse(bytes, what: store.manifestPath(name))
        let registry = try RegistryClient(name: name, insecure: insecure, http: HTTPClient(), options: options)
        var uploaded = 0, skipped = 0
        var seen = Set<String>()
        for l in m.allLayers where seen.insert(l.digest).inserted {
            guard let path = store.blobPath(l), store.hasBlob(l) else { throw StoreError.blobMissing(model: name.description, digest: l.digest) }
            if try registry.blobExists(l) {
                skipped += 1
                progress.status("pushing \(l.digest.dropFirst(7).prefix(12)): already in the registry")
                continue
            }
            progress.status("pushing \(l.digest.dropFirst(7).prefix(12)): \(Formatting.bytes(l.size))")
            try registry.upload(l, file: path)
            uploaded += 1
        }
        progress.status("pushing manifest")
        try registry.putManifest(bytes)
        progress.status("success")
        return (uploaded, skipped)
    }
}
