// BlobReceiver: writes a blob into the store as its bytes arrive (a file copied in, an upload to /api/blobs),
// hashing on the way; the blob appears under its digest only when complete, synced and (if given) verified.
#if canImport(Glibc)
import Glibc
#endif
import Foundation

package final class BlobReceiver {
    private let store: ModelStore
    private let expectedHex: String?
    private let tmp: String
    private var fd: Int32
    private var hasher = BlobHasher()
    package private(set) var size = 0

    /// Starts a blob in `store`'s blobs folder; `expectedHex` (64 lower-case hex digits) is checked at `finish`.
    package init(store: ModelStore, expectedHex: String? = nil) throws {
        self.store = store
        self.expectedHex = expectedHex
        try store.createDirectories()
        tmp = "\(store.blobsDir)/.import-\(getpid())-\(UUID().uuidString)"
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw FileError.cannotWrite(path: tmp, reason: String(cString: strerror(errno))) }
        TempFiles.shared.register(tmp)
    }

    deinit { abort() }

    package func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard fd >= 0, let base = bytes.baseAddress, bytes.count > 0 else { return }
        hasher.update(bytes)
        try StoreIO.writeAll(fd, base, bytes.count, offset: size, path: tmp)
        size += bytes.count
    }

    /// Syncs, checks the digest and moves the file to `blobs/sha256-<hex>` (an identical blob already there is kept).
    package func finish(mediaType: String) throws -> Layer {
        precondition(fd >= 0, "BlobReceiver finished twice")
        let hex = hasher.finalize()
        if fsync(fd) != 0 { throw FileError.cannotWrite(path: tmp, reason: String(cString: strerror(errno))) }
        close(fd); fd = -1
        if let want = expectedHex, want != hex {
            throw StoreError.digestMismatch(what: "blob sha256:\(want)", expected: want, actual: hex)
        }
        let layer = Layer(mediaType: mediaType, digest: "sha256:" + hex, size: size)
        if store.hasBlob(layer) { cleanUp(); return layer }
        let final = store.blobPath(hex: hex)
        if rename(tmp, final) != 0 { throw FileError.cannotWrite(path: final, reason: String(cString: strerror(errno))) }
        TempFiles.shared.unregister(tmp)
        syncDirectory(of: final)
        return layer
    }

    /// Drops the partial file (an interrupted upload leaves nothing behind).
    package func abort() {
        if fd >= 0 { close(fd); fd = -1 }
        cleanUp()
    }

    private func cleanUp() {
        unlink(tmp)
        TempFiles.shared.unregister(tmp)
    }
}
