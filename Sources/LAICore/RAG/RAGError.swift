// RAGError: failures of indexing and asking, reported as "path: what is wrong".

package enum RAGError: Error, CustomStringConvertible {
    case notFound(path: String)
    case unreadable(path: String, reason: String)
    case pdfToolMissing(path: String)
    case noKnowledgeBase(name: String, path: String)
    case invalid(String)

    package var description: String {
        switch self {
        case let .notFound(path): return "\(path): no such file or directory"
        case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
        case let .pdfToolMissing(path):
            return "\(path): skipped: reading PDF needs pdftotext (Debian: apt-get install poppler-utils)"
        case let .noKnowledgeBase(name, path): return "\(path): no knowledge base '\(name)' (create it with: lai index PATH --kb \(name))"
        case let .invalid(s): return s
        }
    }
}
