// AtomicFileWriter: buffered output to a temporary file that replaces the destination only when complete.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes a file so that readers see either the old file or the complete new one, never a prefix.
///
/// Bytes go to `.<name>.lai-tmp-<pid>-<n>` in the destination's directory (n counts this process's writers,
/// so two writers of one path in one process — two threads converting the same folder — never share a
/// temporary file); `commit()` flushes, fsyncs, renames over the destination and fsyncs the directory. A
/// writer that is dropped (error, full disk) or interrupted (see `TempFiles`) removes its temporary file.
package final class AtomicFileWriter {
    package let path: String
    package let tempPath: String
    private var fd: Int32
    private var buffer: UnsafeMutableRawPointer
    private let capacity = 1 << 20
    private var used = 0
    private var committed = false
    /// Bytes written so far (buffered or not).
    package private(set) var offset: Int = 0

    package init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        self.tempPath = dir + "/." + url.lastPathComponent + ".lai-tmp-\(getpid())-\(TempFiles.shared.nextWriter())"
        fd = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw FileError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 64)
        TempFiles.shared.register(tempPath)
    }

    deinit {
        if !committed {
            if fd >= 0 { close(fd) }
            unlink(tempPath)
            TempFiles.shared.unregister(tempPath)
        }
        buffer.deallocate()
    }

    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let src = bytes.baseAddress, bytes.count > 0 else { return }
        if bytes.count >= capacity {
            try flush()
            try writeAll(src, bytes.count)
        } else {
            if used + bytes.count > capacity { try flush() }
            (buffer + used).copyMemory(from: src, byteCount: bytes.count)
            used += bytes.count
        }
        offset += bytes.count
    }

    package func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    package func write<T: FixedWidthInteger>(_ v: T) throws {
        var le = v.littleEndian
        try withUnsafeBytes(of: &le) { try write($0) }
    }

    package func write(_ v: Float) throws { try write(v.bitPattern) }
    package func write(_ v: Double) throws { try write(v.bitPattern) }

    /// Writes `n` zero bytes (alignment padding).
    package func writeZeros(_ n: Int) throws {
        if n <= 0 { return }
        let zeros = [UInt8](repeating: 0, count: min(n, 4096))
        var left = n
        while left > 0 {
            let k = min(left, zeros.count)
            try zeros.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<k])) }
            left -= k
        }
    }

    package func flush() throws {
        if used > 0 { try writeAll(buffer, used); used = 0 }
    }

    private func writeAll(_ p: UnsafeRawPointer, _ n: Int) throws {
        var done = 0
        while done < n {
            let r = Glibc.write(fd, p + done, n - done)
            if r < 0 {
                if errno == EINTR { continue }
                let reason = errno == ENOSPC ? "no space left on device" : String(cString: strerror(errno))
                throw FileError.cannotWrite(path: path, reason: reason)
            }
            done += r
        }
    }

    /// Makes the new content durable and visible at `path`.
    package func commit() throws {
        try flush()
        if fsync(fd) != 0 { throw FileError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        close(fd); fd = -1
        if rename(tempPath, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(tempPath)
            throw FileError.cannotWrite(path: path, reason: reason)
        }
        committed = true
        TempFiles.shared.unregister(tempPath)
        syncDirectory(of: path)
    }
}

/// fsyncs the directory holding `path`, so a rename survives a power cut.
package func syncDirectory(of path: String) {
    let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
    let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dfd >= 0 { fsync(dfd); close(dfd) }
}

/// The temporary files that are being written now, removed if the process is interrupted.
package final class TempFiles: @unchecked Sendable {
    package static let shared = TempFiles()
    private let lock = NSLock()
    private var paths = Set<String>()
    private var writers = 0

    /// Numbers this process's writers (each names its own temporary file).
    package func nextWriter() -> Int { lock.lock(); defer { lock.unlock() }; writers += 1; return writers }

    package func register(_ p: String) { lock.lock(); paths.insert(p); lock.unlock() }
    package func unregister(_ p: String) { lock.lock(); paths.remove(p); lock.unlock() }

    /// Removes every registered temporary file (called from the SIGINT/SIGTERM handler).
    package func removeAll() {
        lock.lock(); let all = paths; paths.removeAll(); lock.unlock()
        for p in all { unlink(p) }
    }
}
