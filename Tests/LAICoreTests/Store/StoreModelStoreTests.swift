// Model store tests: create, resolve, list, copy, remove with garbage collection, the writer lock, invariants.
import Foundation
import LAICore
import Testing

@Suite struct StoreModelStoreTests {
    /// A temporary store holding SmolLM2 created from a small Modelfile.
    func makeStore() throws -> (ModelStore, URL) {
        let dir = try Fixtures.tempDir()
        let store = ModelStore(root: dir.appendingPathComponent("models").path)
        let mf = try Modelfile(parsing: """
            FROM \(Fixtures.smolLM2)
            PARAMETER stop <|im_end|>
            PARAMETER temperature 0.2
            SYSTEM You are terse.
            MESSAGE user Hi
            MESSAGE assistant Hello.
            """)
        try ModelCreator(store: store).create(try ModelName(parsing: "smol:test"), modelfile: mf, directory: dir.path)
        return (store, dir)
    }

    @Test func createResolveListCopyRemove() throws {
        let (store, dir) = try makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        let name = try ModelName(parsing: "smol:test")
        let r = try store.resolve(name)
        #expect(r.ggufPath == store.blobPath(hex: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"))
        #expect(r.parameters == ["stop": ["<|im_end|>"], "temperature": ["0.2"]])
        #expect(r.system == "You are terse.")
        #expect(r.messages.map(\.role) == ["user", "assistant"])
        #expect(r.template == nil && r.license == nil)
        #expect(FileManager.default.fileExists(atPath: store.root + "/manifests/registry.ollama.ai/library/smol/test"))

        let m = try store.manifest(name)
        #expect(m.layers.first?.mediaType == MediaType.model && m.config.mediaType == MediaType.config)
        let listed = try store.list()
        #expect(listed.map(\.name.description) == ["smol:test"])
        #expect(listed[0].id == String(BlobHasher.hex(try store.manifestBytes(name)).prefix(12)))
        #expect(listed[0].size == m.totalSize)

        // A derived model inherits the base's layers and overrides what its Modelfile says.
        let child = try ModelName(parsing: "me/smol-child")
        try ModelCreator(store: store).create(child, modelfile: try Modelfile(parsing: "FROM smol:test\nPARAMETER temperature 0.7\nSYSTEM Be kind."), directory: dir.path)
        let c = try store.resolve(child)
        #expect(c.ggufPath == r.ggufPath && c.system == "Be kind." && c.parameters["temperature"] == ["0.7"] && c.parameters["stop"] == ["<|im_end|>"])
        #expect(c.messages == r.messages)

        try store.copy(name, to: try ModelName(parsing: "copy:1"))
        #expect(try store.manifestBytes(try ModelName(parsing: "copy:1")) == (try store.manifestBytes(name)))

        // Removing models keeps blobs another model uses; the last one takes them all.
        let blobs = { (try? FileManager.default.contentsOfDirectory(atPath: store.blobsDir))?.filter { $0.hasPrefix("sha256-") }.count ?? 0 }
        let before = blobs()
        try store.remove(name)
        #expect(blobs() == before)
        try store.remove(child)
        #expect(blobs() < before && FileManager.default.fileExists(atPath: r.ggufPath))
        try store.remove(try ModelName(parsing: "copy:1"))
        #expect(blobs() == 0)
        #expect(try store.list().isEmpty)
        #expect(throws: StoreError.notFound("copy:1")) { try store.remove(try ModelName(parsing: "copy:1")) }
    }

    @Test func locatorAcceptsPathsAndNames() throws {
        let (store, dir) = try makeStore()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try ModelLocator.resolve(Fixtures.smolLM2, store: store).ggufPath == Fixtures.smolLM2)
        #expect(try ModelLocator.resolve("smol:test", store: store).name == "smol:test")
        do { _ = try ModelLocator.resolve("nope", store: store); Issue.record("resolved") } catch {
            #expect("\(error)" == "model 'nope' not found; try `lai pull nope` or `lai list`")
        }
    }

    @Test func manifestNeedsEveryBlob() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = ModelStore(root: dir.path)
        try store.createDirectories()
        let missing = Layer(mediaType: MediaType.model, digest: "sha256:" + String(repeating: "ab", count: 32), size: 5)
        let config = try store.writeBlob(Array("{}".utf8), mediaType: MediaType.config)
        let bytes = Manifest(config: config, layers: [missing]).serialized()
        #expect(throws: StoreError.blobMissing(model: "x:latest", digest: missing.digest)) { try store.writeManifest(try ModelName(parsing: "x"), bytes: bytes) }
        #expect(try store.list().isEmpty)
        #expect(throws: StoreError.self) { try Manifest.parse(Array(#"{"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:../../x","size":1},"layers":[]}"#.utf8), what: "m") }
    }

    @Test func writerLockNamesTheHolder() throws {
        let dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = ModelStore(root: dir.path)
        try store.withLock {
            do { try store.withLock {}; Issue.record("second lock taken") } catch {
                #expect("\(error)" == "\(dir.path): locked by another lai process (pid \(getpid())); try again when it finishes")
            }
        }
        try store.withLock {}  // released
    }

    @Test func rangePlan() throws {
        var o = DownloadOptions()
        o.parallel = 4
        o.partSize = 10
        let s = BlobDownloaderPlan.parts(size: 35, options: o)
        #expect(s == [0..<10, 10..<20, 20..<30, 30..<35])
        o.partSize = nil
        #expect(BlobDownloaderPlan.parts(size: 100 << 20, options: o).count == 4)
        #expect(BlobDownloaderPlan.parts(size: 1000, options: o) == [0..<1000])
    }
}
