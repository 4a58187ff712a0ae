// MappedFile: a read-only view of a whole file's bytes, memory-mapped when possible.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The bytes of a file, mapped read-only (or, for tests, owned in memory).
///
/// Everything that views into a model file (tensor data, vocabulary arrays) keeps a reference to
/// this object, so the mapping lives exactly as long as something can still read it.
package final class MappedFile: @unchecked Sendable {
    /// The path the bytes came from, used in error messages.
    package let path: String
    /// Start of the bytes; valid for `count` bytes while `self` is alive.
    package let base: UnsafeRawPointer
    /// Number of readable bytes.
    package let count: Int
    private let mapped: Bool
    private let allocation: UnsafeMutableRawPointer?

    /// Maps `path` read-only. Throws `FileError` naming the path when it cannot be opened or mapped.
    package init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw FileError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw FileError.cannotOpen(path: path, reason: "is a directory") }
        let size = Int(st.st_size)
        if size == 0 {
            // mmap of zero bytes fails; an empty file is still a valid (if useless) byte view.
            let p = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 64)
            self.base = UnsafeRawPointer(p); self.count = 0; self.mapped = false; self.allocation = p
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw FileError.cannotOpen(path: path, reason: "mmap failed: " + String(cString: strerror(errno)))
        }
        self.base = UnsafeRawPointer(p); self.count = size; self.mapped = true; self.allocation = nil
    }

    /// Copies `bytes` into an owned, 64-byte aligned buffer (tests and in-memory models).
    package init<C: Collection>(bytes: C, name: String) where C.Element == UInt8 {
        self.path = name
        let n = bytes.count
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(n, 1), alignment: 64)
        let typed = p.bindMemory(to: UInt8.self, capacity: max(n, 1))
        var i = 0
        for b in bytes { typed[i] = b; i += 1 }
        self.base = UnsafeRawPointer(p); self.count = n; self.mapped = false; self.allocation = p
    }

    /// A writable owned buffer of `count` bytes (zeroed); the caller fills it through `mutableBase`.
    package init(owning count: Int, name: String) {
        self.path = name
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
        self.base = UnsafeRawPointer(p); self.count = count; self.mapped = false; self.allocation = p
    }

    /// Mutable access for buffers created with `init(owning:name:)` or `init(bytes:name:)`; nil for mappings.
    package var mutableBase: UnsafeMutableRawPointer? { allocation }

    package var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Hints the kernel that the mapping will be read soon (e.g. before a forward pass).
    package func adviseWillNeed() {
        #if os(Linux)
        if mapped { _ = madvise(UnsafeMutableRawPointer(mutating: base), count, MADV_WILLNEED) }
        #endif
    }

    /// Tells the kernel the mapped pages wholly inside `bytes` bytes at `start` will not be read soon (a matrix
    /// lai keeps a packed copy of): they leave the process's resident set and come back from the file if read.
    /// Does nothing for owned buffers, where dropping pages would lose the data.
    package func adviseDontNeed(_ start: UnsafeRawPointer, bytes: Int) {
        #if os(Linux)
        guard mapped, start >= base, start + bytes <= base + count else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let lo = (Int(bitPattern: start) + page - 1) / page * page, hi = (Int(bitPattern: start) + bytes) / page * page
        if hi > lo { _ = madvise(UnsafeMutableRawPointer(bitPattern: lo), hi - lo, MADV_DONTNEED) }
        #endif
    }

    deinit {
        if mapped { munmap(UnsafeMutableRawPointer(mutating: base), count) }
        allocation?.deallocate()
    }
}
