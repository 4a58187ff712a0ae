// ModelStore: Ollama's on-disk layout — `blobs/sha256-<hex>` and `manifests/<host>/<namespace>/<name>/<tag>`.
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A stored model made ready to load: the GGUF blob's path plus the Modelfile layers.
package struct ResolvedModel: Sendable, Equatable {
    /// The store name (`smollm2:135m`), or nil for a model given as a GGUF path.
    package var name: String?
    package var ggufPath: String
    package var template: String?
    package var system: String?
    /// PARAMETER values by name; repeatable ones such as `stop` hold several.
    package var parameters: [String: [String]]
    package var license: String?
    package var messages: [ModelMessage]

    package init(name: String?, ggufPath: String, template: String? = nil, system: String? = nil,
                 parameters: [String: [String]] = [:], license: String? = nil, messages: [ModelMessage] = []) {
        self.name = name; self.ggufPath = ggufPath; self.template = template; self.system = system
        self.parameters = parameters; self.license = license; self.messages = messages
    }
}

/// One MESSAGE of a Modelfile: `{"role":"user","content":"…"}` in the messages layer.
package struct ModelMessage: Codable, Equatable, Sendable {
    package var role: String
    package var content: String
    package init(role: String, content: String) { self.role = role; self.content = content }
}

/// One row of `lai list`.
package struct ListedModel: Sendable {
    package var name: ModelName
    /// First 12 hex digits of the manifest's sha256 (Ollama's ID).
    package var id: String
    package var size: Int
    package var modified: Date
}

/// The model store rooted at `root` (default `$LAI_MODELS` or `~/.lai/models`).
///
/// Readers need no lock: blobs and manifests only ever appear by `rename`, and a manifest is written
/// only after every blob it names is present and verified. Writers (pull, create, cp, rm) hold
/// `flock` on `<root>/.lock`.
package struct ModelStore: Sendable {
    package let root: String

    package init(root: String) { self.root = root }

    /// `$LAI_MODELS`, else `~/.lai/models`.
    package static func defaultRoot() -> String {
        if let r = ProcessInfo.processInfo.environment["LAI_MODELS"], !r.isEmpty { return r }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".lai/models").path
    }

    package static func `default`() -> ModelStore { ModelStore(root: defaultRoot()) }

    package var blobsDir: String { root + "/blobs" }
    package var manifestsDir: String { root + "/manifests" }

    package func blobPath(hex: String) -> String { "\(blobsDir)/sha256-\(hex)" }
    package func blobPath(_ layer: Layer) -> String? { layer.hex.map { blobPath(hex: $0) } }
    package func manifestPath(_ name: ModelName) -> String { "\(manifestsDir)/\(name.manifestRelativePath)" }

    /// Whether the blob is in the store with the expected size (blobs are verified before they get there).
    package func hasBlob(_ layer: Layer) -> Bool {
        guard let p = blobPath(layer) else { return false }
        var st = stat()
        return stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && Int(st.st_size) == layer.size
    }

    /// Creates `blobs/` and `manifests/` when missing.
    package func createDirectories() throws {
        for d in [root, blobsDir, manifestsDir] {
            do { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) } catch {
                throw FileError.cannotWrite(path: d, reason: StoreIO.reason(error))
            }
        }
    }

    // MARK: manifests

    /// The manifest bytes stored for `name`.
    package func manifestBytes(_ name: ModelName) throws -> [UInt8] {
        let p = manifestPath(name)
        guard let d = FileManager.default.contents(atPath: p) else { throw StoreError.notFound(name.description) }
        return [UInt8](d)
    }

    package func manifest(_ name: ModelName) throws -> Manifest {
        try Manifest.parse(manifestBytes(name), what: manifestPath(name))
    }

    /// Installs a manifest after checking that every blob it references is present; atomic.
    package func writeManifest(_ name: ModelName, bytes: [UInt8]) throws {
        let m = try Manifest.parse(bytes, what: name.description)
        for l in m.allLayers where !hasBlob(l) { throw StoreError.blobMissing(model: name.description, digest: l.digest) }
        let path = manifestPath(name)
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw FileError.cannotWrite(path: dir, reason: StoreIO.reason(error))
        }
        let w = try AtomicFileWriter(path: path)
        try w.write(bytes)
        try w.commit()
    }

    /// Every stored model, sorted by name.
    package func list() throws -> [ListedModel] {
        var out: [ListedModel] = []
        let fm = FileManager.default
        func dirs(_ p: String) -> [String] {
            ((try? fm.contentsOfDirectory(atPath: p)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        }
        for host in dirs(manifestsDir) {
            for ns in dirs("\(manifestsDir)/\(host)") {
                for model in dirs("\(manifestsDir)/\(host)/\(ns)") {
                    for tag in dirs("\(manifestsDir)/\(host)/\(ns)/\(model)") {
                        let p = "\(manifestsDir)/\(host)/\(ns)/\(model)/\(tag)"
                        guard let name = try? ModelName(host: host, namespace: ns, model: model, tag: tag),
                              let data = fm.contents(atPath: p) else { continue }
                        let bytes = [UInt8](data)
                        guard let m = try? Manifest.parse(bytes, what: p) else { continue }
                        let mtime = ((try? fm.attributesOfItem(atPath: p))?[.modificationDate] as? Date) ?? Date(timeIntervalSince1970: 0)
                        out.append(ListedModel(name: name, id: String(BlobHasher.hex(bytes).prefix(12)), size: m.totalSize, modified: mtime))
                    }
                }
            }
        }
        return out.sorted { $0.name.description < $1.name.description }
    }

    // MARK: blobs

    /// Stores small content (template, params, config) as a blob; returns its layer.
    package func writeBlob(_ bytes: [UInt8], mediaType: String) throws -> Layer {
        let hex = BlobHasher.hex(bytes)
        let layer = Layer(mediaType: mediaType, digest: "sha256:" + hex, size: bytes.count)
        if hasBlob(layer) { return layer }
        let w = try AtomicFileWriter(path: blobPath(hex: hex))
        try w.write(bytes)
        try w.commit()
        return layer
    }

    /// Copies a file into the store, hashing while copying; a blob already present is not copied again.
    package func importBlob(fromFile path: String, mediaType: String) throws -> Layer {
        let src = open(path, O_RDONLY | O_CLOEXEC)
        if src < 0 { throw FileError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(src) }
        let receiver = try BlobReceiver(store: self)
        let cap = 4 << 20
        let buf = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 64)
        defer { buf.deallocate() }
        while true {
            let r = read(src, buf, cap)
            if r < 0 {
                if errno == EINTR { continue }
                throw FileError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
            }
            if r == 0 { break }
            try receiver.append(UnsafeRawBufferPointer(start: buf, count: r))
        }
        return try receiver.finish(mediaType: mediaType)
    }

    /// Moves a file written inside the store (a quantized model) to `blobs/sha256-<hex>`, hashing it first.
    package func adoptFile(_ path: String, mediaType: String) throws -> Layer {
        let (hex, size) = try BlobHasher.hashFile(path)
        let layer = Layer(mediaType: mediaType, digest: "sha256:" + hex, size: size)
        if hasBlob(layer) { unlink(path); return layer }
        try adoptVerifiedBlob(at: path, hex: hex)
        return layer
    }

    /// Moves a verified file into the store under its digest.
    package func adoptVerifiedBlob(at path: String, hex: String) throws {
        let final = blobPath(hex: hex)
        if rename(path, final) != 0 { throw FileError.cannotWrite(path: final, reason: String(cString: strerror(errno))) }
        syncDirectory(of: final)
    }

    // MARK: rm, cp, garbage collection

    /// Removes a model's manifest (and empty parent folders), then the blobs no manifest uses.
    /// Returns the number of blobs removed.
    @discardableResult
    package func remove(_ name: ModelName) throws -> Int {
        let p = manifestPath(name)
        guard FileManager.default.fileExists(atPath: p) else { throw StoreError.notFound(name.description) }
        if unlink(p) != 0 { throw FileError.cannotWrite(path: p, reason: String(cString: strerror(errno))) }
        syncDirectory(of: p)
        var dir = URL(fileURLWithPath: p).deletingLastPathComponent()
        for _ in 0..<3 {
            if rmdir(dir.path) != 0 { break }
            dir = dir.deletingLastPathComponent()
        }
        return try collectGarbage()
    }

    /// Copies `src`'s manifest to `dst` (blobs are shared).
    package func copy(_ src: ModelName, to dst: ModelName) throws {
        try writeManifest(dst, bytes: manifestBytes(src))
    }

    /// Deletes every `blobs/sha256-<hex>` that no manifest references. If any manifest cannot be read, deletes
    /// nothing (a blob it uses could otherwise be lost). Partial downloads are kept for resuming.
    @discardableResult
    package func collectGarbage() throws -> Int {
        var used = Set<String>()
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: manifestsDir) else { return 0 }
        while let rel = e.nextObject() as? String {
            let p = "\(manifestsDir)/\(rel)"
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue, !(rel.split(separator: "/").last ?? "").hasPrefix(".") else { continue }
            guard let d = fm.contents(atPath: p), let m = try? Manifest.parse([UInt8](d), what: p) else { return 0 }
            for l in m.allLayers { if let h = l.hex { used.insert(h) } }
        }
        var removed = 0
        for f in (try? fm.contentsOfDirectory(atPath: blobsDir)) ?? [] where f.hasPrefix("sha256-") {
            let hex = String(f.dropFirst(7))
            guard hex.utf8.count == 64, !used.contains(hex) else { continue }
            if unlink("\(blobsDir)/\(f)") == 0 { removed += 1 }
        }
        return removed
    }

    // MARK: resolve

    /// Finds a stored model and reads its Modelfile layers.
    package func resolve(_ name: ModelName) throws -> ResolvedModel {
        let m = try manifest(name)
        var r = ResolvedModel(name: name.description, ggufPath: "")
        func text(_ l: Layer) throws -> String {
            guard let p = blobPath(l), hasBlob(l), let d = FileManager.default.contents(atPath: p) else {
                throw StoreError.blobMissing(model: name.description, digest: l.digest)
            }
            return String(decoding: d, as: UTF8.self)
        }
        for l in m.layers {
            switch l.mediaType {
            case MediaType.model:
                guard let p = blobPath(l), hasBlob(l) else { throw StoreError.blobMissing(model: name.description, digest: l.digest) }
                if r.ggufPath.isEmpty { r.ggufPath = p }
            case MediaType.template: r.template = try text(l)
            case MediaType.system: r.system = try text(l)
            case MediaType.license: r.license = (r.license.map { $0 + "\n" } ?? "") + (try text(l))
            case MediaType.params: r.parameters = try ModelParameters.decode(Array(text(l).utf8), what: l.digest)
            case MediaType.messages:
                do { r.messages = try JSONDecoder().decode([ModelMessage].self, from: Data(text(l).utf8)) } catch {
                    throw StoreError.badManifest(name.description, reason: "messages layer \(l.digest) is not a JSON list of {role, content}")
                }
            case MediaType.adapter, MediaType.projector:
                throw StoreError.unsupported("model '\(name)': \(l.mediaType) layers (adapters, projectors) are not supported yet")
            default: continue
            }
        }
        if r.ggufPath.isEmpty { throw StoreError.noModelLayer(name.description) }
        return r
    }

    // MARK: lock

    /// Runs `body` holding the store's writer lock (`flock` on `<root>/.lock`, which holds the owner's pid).
    package func withLock<T>(_ body: () throws -> T) throws -> T {
        try createDirectories()
        let path = root + "/.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw FileError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buf = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buf, 32, 0)
            let pid = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            throw FileError.locked(path: root, holder: "pid \(pid.isEmpty ? "?" : pid)")
        }
        defer { ftruncate(fd, 0); flock(fd, LOCK_UN) }
        let me = Array("\(getpid())\n".utf8)
        ftruncate(fd, 0)
        _ = me.withUnsafeBytes { pwrite(fd, $0.baseAddress, me.count, 0) }
        return try body()
    }
}

/// Low-level I/O helpers shared by the store and the downloader.
package enum StoreIO {
    package static func reason(_ e: Error) -> String {
        if let n = e as NSError?, let u = n.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(u.code)))
        }
        return "\(e.localizedDescription)"
    }

    /// pwrite all of `n` bytes at `offset`; ENOSPC reads "no space left on device".
    package static func writeAll(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int, offset: Int, path: String) throws {
        var done = 0
        while done < n {
            let r = pwrite(fd, p + done, n - done, off_t(offset + done))
            if r < 0 {
                if errno == EINTR { continue }
                let reason = errno == ENOSPC ? "no space left on device" : String(cString: strerror(errno))
                throw FileError.cannotWrite(path: path, reason: reason)
            }
            done += r
        }
    }
}
