// GGUFError: everything that can be wrong with a GGUF file, as one line naming the file.

/// A malformed, truncated or unsupported GGUF file.
package enum GGUFError: Error, CustomStringConvertible, Equatable {
    /// The file ended while reading `what` at byte `offset`.
    case truncated(path: String, what: String, offset: Int, fileSize: Int)
    case notGGUF(path: String)
    case unsupportedVersion(path: String, version: UInt32)
    case tensorPastEnd(path: String, tensor: String, offset: Int, byteCount: Int, fileSize: Int)
    case unknownType(path: String, tensor: String, id: UInt32)
    /// Any other violation, with a message that says what is wrong.
    case invalid(path: String, message: String)

    package var description: String {
        switch self {
        case let .truncated(path, what, offset, size):
            return "\(path): truncated: file ends inside \(what) (offset \(offset), file size \(size))"
        case let .notGGUF(path):
            return "\(path): not a GGUF file (no 'GGUF' magic at the start)"
        case let .unsupportedVersion(path, v):
            return "\(path): GGUF version \(v) is not supported (lai reads versions 2 and 3)"
        case let .tensorPastEnd(path, t, off, n, size):
            return "\(path): tensor '\(t)' extends past end of file (offset \(off), \(n) bytes, file size \(size))"
        case let .unknownType(path, t, id):
            if let old = GGMLType.removedName(id) {
                return "\(path): tensor '\(t)' has type \(old) (id \(id)), which ggml no longer supports"
            }
            return "\(path): tensor '\(t)' has unknown ggml type id \(id)"
        case let .invalid(path, m):
            return "\(path): \(m)"
        }
    }
}
