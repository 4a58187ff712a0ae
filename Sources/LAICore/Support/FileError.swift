// FileError: failures of the file system, reported as "path: what is wrong".

/// Errors from opening, reading and atomically writing files.
package enum FileError: Error, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case locked(path: String, holder: String)

    package var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "\(path): cannot open: \(reason)"
        case let .cannotWrite(path, reason): return "\(path): cannot write: \(reason)"
        case let .locked(path, holder): return "\(path): locked by another lai process (\(holder)); try again when it finishes"
        }
    }
}
