// DocumentReader: a file's text for chunking — plain text, Markdown and source as is, HTML with its text
// extracted (headings kept as Markdown "#" lines), PDF through poppler's pdftotext.
import Foundation

/// How a document's text is structured, which decides how it is chunked.
package enum DocumentKind: String, Sendable {
    case markdown, code, text, html, pdf

    static let codeExtensions: Set<String> = [
        "swift", "c", "h", "cc", "cpp", "hpp", "cxx", "m", "mm", "py", "js", "mjs", "ts", "tsx", "jsx", "go", "rs",
        "java", "kt", "scala", "rb", "php", "cs", "sh", "bash", "zsh", "pl", "lua", "r", "sql", "zig", "hs", "ml",
        "json", "yaml", "yml", "toml", "xml", "css", "scss", "cmake", "mk", "makefile", "dockerfile", "proto",
    ]
    static let binaryExtensions: Set<String> = [
        "png", "jpg", "jpeg", "gif", "webp", "ico", "bmp", "tiff", "gz", "bz2", "xz", "zst", "zip", "tar", "7z",
        "gguf", "bin", "safetensors", "so", "o", "a", "dylib", "exe", "class", "jar", "pyc", "wasm", "mp3", "mp4",
        "wav", "ogg", "flac", "mov", "avi", "ttf", "otf", "woff", "woff2", "sqlite", "db", "npy", "pt", "onnx",
    ]

    package init(path: String) {
        let name = (path as NSString).lastPathComponent.lowercased()
        let ext = (name as NSString).pathExtension
        switch ext {
        case "md", "markdown", "mdx", "rst", "adoc": self = .markdown
        case "html", "htm", "xhtml": self = .html
        case "pdf": self = .pdf
        default:
            self = Self.codeExtensions.contains(ext) || name == "makefile" || name == "dockerfile" ? .code : .text
        }
    }
}

/// A document's text and structure.
package struct Document: Sendable {
    package var path: String
    package var kind: DocumentKind
    /// The text that chunks and their byte/line ranges refer to (extracted text for HTML and PDF).
    package var text: String
    /// SHA-256 of the file's bytes.
    package var contentHash: String
}

package enum DocumentReader {
    /// Reads and hashes a file; throws `RAGError` for binary, unreadable or PDF-without-pdftotext files.
    package static func read(_ path: String, bytes given: [UInt8]? = nil) throws -> Document {
        let kind = DocumentKind(path: path)
        let ext = (path as NSString).pathExtension.lowercased()
        if DocumentKind.binaryExtensions.contains(ext) { throw RAGError.unreadable(path: path, reason: "binary file") }
        let bytes: [UInt8]
        if let g = given { bytes = g } else {
            guard let d = FileManager.default.contents(atPath: path) else { throw RAGError.unreadable(path: path, reason: "permission denied or not a file") }
            bytes = [UInt8](d)
        }
        let hash = SHA256.hash(bytes).hex
        switch kind {
        case .pdf:
            return Document(path: path, kind: .pdf, text: try pdfText(path), contentHash: hash)
        case .html:
            guard !isBinary(bytes) else { throw RAGError.unreadable(path: path, reason: "binary file") }
            return Document(path: path, kind: .html, text: HTMLText.extract(String(decoding: bytes, as: UTF8.self)), contentHash: hash)
        default:
            guard !isBinary(bytes) else { throw RAGError.unreadable(path: path, reason: "binary file") }
            return Document(path: path, kind: kind, text: String(decoding: bytes, as: UTF8.self), contentHash: hash)
        }
    }

    /// NUL bytes or many control characters in the first 8 KiB.
    package static func isBinary(_ bytes: [UInt8]) -> Bool {
        let head = bytes.prefix(8192)
        if head.contains(0) { return true }
        let control = head.filter { $0 < 32 && $0 != 9 && $0 != 10 && $0 != 13 && $0 != 12 && $0 != 27 }.count
        return control * 10 > head.count
    }

    /// The `pdftotext` executable on PATH, if any.
    package static var pdftotext: String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return dirs.map { "\($0)/pdftotext" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func pdfText(_ path: String) throws -> String {
        guard let tool = pdftotext else { throw RAGError.pdfToolMissing(path: path) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = ["-q", "-enc", "UTF-8", path, "-"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { throw RAGError.unreadable(path: path, reason: "pdftotext: \(error.localizedDescription)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw RAGError.unreadable(path: path, reason: "pdftotext failed (exit \(p.terminationStatus))") }
        // Pages end with a form feed: make them paragraph breaks.
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\u{0C}", with: "\n\n")
    }
}

/// Visible text of an HTML page: scripts, styles and comments dropped, block elements become line breaks,
/// h1–h6 become Markdown headings, pre becomes a fenced code block, entities decoded.
package enum HTMLText {
    static let blockTags: Set<String> = ["p", "div", "br", "li", "ul", "ol", "tr", "table", "section", "article", "header",
                                         "footer", "nav", "main", "aside", "blockquote", "dd", "dt", "dl", "hr", "form", "title", "figure", "td", "th"]

    package static func extract(_ html: String) -> String {
        let s = Array(html.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        var inPre = false
        var pendingSpace = false
        func emit(_ str: String) { out.append(contentsOf: str.unicodeScalars); pendingSpace = false }
        func lower(_ a: ArraySlice<Unicode.Scalar>) -> String { String(String.UnicodeScalarView(a)).lowercased() }
        while i < s.count {
            let c = s[i]
            if c == "<" {
                if lower(s[i..<min(i + 4, s.count)]) == "<!--" {
                    var j = i + 4
                    while j + 2 < s.count && !(s[j] == "-" && s[j + 1] == "-" && s[j + 2] == ">") { j += 1 }
                    i = min(j + 3, s.count); continue
                }
                var j = i + 1
                while j < s.count && s[j] != ">" { j += 1 }
                let inner = lower(s[(i + 1)..<min(j, s.count)])
                let closing = inner.hasPrefix("/")
                let name = String(inner.drop(while: { $0 == "/" }).prefix(while: { $0.isLetter || $0.isNumber }))
                i = min(j + 1, s.count)
                if !closing && (name == "script" || name == "style") {
                    // Skip to the matching close tag.
                    let close = Array("</\(name)".unicodeScalars)
                    var k = i
                    while k + close.count <= s.count && lower(s[k..<(k + close.count)]) != "</\(name)" { k += 1 }
                    while k < s.count && s[k] != ">" { k += 1 }
                    i = min(k + 1, s.count); continue
                }
                if name.count == 2, name.first == "h", let level = Int(name.dropFirst()), (1...6).contains(level) {
                    emit(closing ? "\n\n" : "\n\n" + String(repeating: "#", count: level) + " ")
                } else if name == "pre" {
                    inPre = !closing
                    emit(closing ? "\n```\n\n" : "\n\n```\n")
                } else if name == "li" && !closing {
                    emit("\n- ")
                } else if blockTags.contains(name) {
                    emit(name == "br" || name == "td" || name == "th" ? "\n" : "\n\n")
                }
                continue
            }
            if c == "&", let semi = s[i..<min(i + 10, s.count)].firstIndex(of: ";") {
                let ent = String(String.UnicodeScalarView(s[(i + 1)..<semi]))
                if let decoded = entity(ent) {
                    if pendingSpace { out.append(" "); pendingSpace = false }
                    out.append(contentsOf: decoded.unicodeScalars); i = semi + 1; continue
                }
            }
            if !inPre && c.properties.isWhitespace {
                if let last = out.last, !last.properties.isWhitespace { pendingSpace = true }
                i += 1; continue
            }
            if pendingSpace { out.append(" "); pendingSpace = false }
            out.append(c)
            i += 1
        }
        // Collapse runs of blank lines and trim lines, except inside code fences (from <pre>).
        var lines: [Substring] = []
        var blank = 0
        var fenced = false
        for line in String(out).split(separator: "\n", omittingEmptySubsequences: false) {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t == "```" { fenced.toggle() } else if fenced { lines.append(line); blank = 0; continue }
            if t.isEmpty { blank += 1; if blank > 1 { continue } } else { blank = 0 }
            lines.append(Substring(t))
        }
        return lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
    }

    static func entity(_ e: String) -> String? {
        switch e {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos", "#39": return "'"
        case "nbsp": return " "
        case "mdash": return "—"
        case "ndash": return "–"
        case "hellip": return "…"
        case "copy": return "©"
        default:
            if e.hasPrefix("#x") || e.hasPrefix("#X"), let v = UInt32(e.dropFirst(2), radix: 16), let u = Unicode.Scalar(v) { return String(u) }
            if e.hasPrefix("#"), let v = UInt32(e.dropFirst()), let u = Unicode.Scalar(v) { return String(u) }
            return nil
        }
    }
}
