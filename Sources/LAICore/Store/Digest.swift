// Digest: SHA-256 of blobs as the store names them (`sha256-<hex>`), on top of Support/SHA256.

/// A streaming SHA-256 hasher giving lower-case hex. `update` any number of times, then `finalize()` once.
package struct BlobHasher {
    private var sha = SHA256()

    package init() {}

    package mutating func update(_ bytes: [UInt8]) { sha.update(bytes) }
    package mutating func update(_ data: UnsafeRawBufferPointer) { sha.update(data) }
    package mutating func finalize() -> String { sha.finalize().hex }

    package static func hex(_ bytes: [UInt8]) -> String { SHA256.hash(bytes).hex }
}

#if canImport(Glibc)
import Glibc
#endif

extension BlobHasher {
    /// SHA-256 hex and size of the file at `path`, read in 4 MiB chunks.
    package static func hashFile(_ path: String) throws -> (hex: String, size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let cap = 4 << 20
        let buf = UnsafeMutableRawPointer.allocate(byteCount: cap, alignment: 64)
        defer { buf.deallocate() }
        var hasher = BlobHasher()
        var total = 0
        while true {
            let r = read(fd, buf, cap)
            if r < 0 {
                if errno == EINTR { continue }
                throw FileError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
            }
            if r == 0 { break }
            hasher.update(UnsafeRawBufferPointer(start: buf, count: r))
            total += r
        }
        return (hasher.finalize(), total)
    }
}
