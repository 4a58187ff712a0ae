// Chunker: splits a document into chunks that follow its structure (headings, paragraphs, code blocks)
// and fit a token budget, with some overlap between neighbours.

/// One chunk of a document.
package struct Chunk: Sendable, Equatable {
    /// The excerpt of the document (what is stored and shown).
    package var text: String
    /// The heading path above it ("Install > Debian"), "" when none.
    package var title: String
    package var byteRange: Range<Int>
    package var lineRange: ClosedRange<Int>
    /// What is embedded: the title (when any) then the text, so a chunk knows its section.
    package var embeddingText: String { title.isEmpty ? text : title + "\n\n" + text }
}

/// Structure-aware chunking to a token budget.
///
/// Blocks are headings, fenced code blocks and paragraphs (runs of non-blank lines); for source code, runs
/// separated by blank lines. A heading always starts a new chunk; blocks are packed until the next would
/// pass `maxTokens`; a chunk closed for size starts the next one with its last blocks up to `overlapTokens`.
/// A block larger than the budget is split at lines, and a line larger than it at words.
package struct Chunker {
    package var maxTokens: Int
    package var overlapTokens: Int
    package let countTokens: (String) -> Int

    package init(maxTokens: Int = 200, overlapTokens: Int = 32, countTokens: @escaping (String) -> Int) {
        self.maxTokens = max(8, maxTokens); self.overlapTokens = max(0, min(overlapTokens, maxTokens / 2)); self.countTokens = countTokens
    }

    struct Block {
        var text: String
        var bytes: Range<Int>
        var lines: ClosedRange<Int>
        var tokens: Int
        var heading: Int  // level, 0 for not a heading
    }

    struct Line { var text: Substring; var bytes: Range<Int>; var number: Int }

    static func lines(_ text: String) -> [Line] {
        var out: [Line] = []
        var offset = 0, n = 1
        for l in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let len = l.utf8.count
            out.append(Line(text: l, bytes: offset..<(offset + len), number: n))
            offset += len + 1; n += 1
        }
        if let last = out.last, last.text.isEmpty { out.removeLast() }
        return out
    }

    static func headingLevel(_ l: Substring) -> Int {
        var level = 0
        for c in l { if c == "#" { level += 1 } else { break } }
        guard (1...6).contains(level), l.count > level, l[l.index(l.startIndex, offsetBy: level)] == " " else { return 0 }
        return level
    }

    func blocks(_ doc: String, kind: DocumentKind) -> [Block] {
        let lines = Self.lines(doc)
        var out: [Block] = []
        var i = 0
        func make(_ a: Int, _ b: Int, heading: Int = 0) -> Block {
            let text = lines[a...b].map { String($0.text) }.joined(separator: "\n")
            return Block(text: text, bytes: lines[a].bytes.lowerBound..<lines[b].bytes.upperBound,
                         lines: lines[a].number...lines[b].number, tokens: countTokens(text), heading: heading)
        }
        let structured = kind != .code
        while i < lines.count {
            let t = lines[i].text.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { i += 1; continue }
            if structured, t.hasPrefix("```") || t.hasPrefix("~~~") {
                let fence = String(t.prefix(3))
                var j = i + 1
                while j < lines.count && !lines[j].text.trimmingCharacters(in: .whitespaces).hasPrefix(fence) { j += 1 }
                out.append(make(i, min(j, lines.count - 1)))
                i = j + 1; continue
            }
            if structured, case let level = Self.headingLevel(Substring(t)), level > 0 {
                out.append(make(i, i, heading: level)); i += 1; continue
            }
            var j = i
            while j + 1 < lines.count {
                let next = lines[j + 1].text.trimmingCharacters(in: .whitespaces)
                if next.isEmpty || (structured && (Self.headingLevel(Substring(next)) > 0 || next.hasPrefix("```") || next.hasPrefix("~~~"))) { break }
                j += 1
            }
            out.append(make(i, j)); i = j + 1
        }
        return out.flatMap { $0.tokens > maxTokens ? split($0) : [$0] }
    }

    /// Splits an oversized block at line boundaries (and oversized lines at words).
    func split(_ b: Block) -> [Block] {
        var out: [Block] = []
        var lineNo = b.lines.lowerBound, offset = b.bytes.lowerBound
        var cur: [String] = [], curStart = offset, curLine = lineNo, curTokens = 0
        func flush(_ endOffset: Int, _ endLine: Int) {
            guard !cur.isEmpty else { return }
            let text = cur.joined(separator: "\n")
            out.append(Block(text: text, bytes: curStart..<endOffset, lines: curLine...max(curLine, endLine), tokens: countTokens(text), heading: 0))
            cur = []; curTokens = 0
        }
        for l in b.text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(l), lt = countTokens(line), len = line.utf8.count
            if lt > maxTokens {
                flush(offset, lineNo - 1)
                // Word pieces of one line.
                var piece: [Substring] = [], pieceStart = offset, pos = offset, pt = 0
                for w in l.split(separator: " ", omittingEmptySubsequences: false) {
                    let wt = countTokens(String(w))
                    if pt + wt > maxTokens && !piece.isEmpty {
                        let text = piece.joined(separator: " ")
                        out.append(Block(text: text, bytes: pieceStart..<(pos - 1), lines: lineNo...lineNo, tokens: countTokens(text), heading: 0))
                        piece = []; pt = 0; pieceStart = pos
                    }
                    piece.append(w); pt += wt; pos += w.utf8.count + 1
                }
                if !piece.isEmpty {
                    let text = piece.joined(separator: " ")
                    out.append(Block(text: text, bytes: pieceStart..<(offset + len), lines: lineNo...lineNo, tokens: countTokens(text), heading: 0))
                }
                offset += len + 1; lineNo += 1
                curStart = offset; curLine = lineNo
                continue
            }
            if curTokens + lt > maxTokens && !cur.isEmpty { flush(offset - 1, lineNo - 1); curStart = offset; curLine = lineNo }
            if cur.isEmpty { curStart = offset; curLine = lineNo }
            cur.append(line); curTokens += lt + 1
            offset += len + 1; lineNo += 1
        }
        flush(b.bytes.upperBound, b.lines.upperBound)
        return out
    }

    /// The chunks of `doc`, in order.
    package func chunks(_ doc: String, kind: DocumentKind) -> [Chunk] {
        let blocks = blocks(doc, kind: kind)
        var out: [Chunk] = []
        var headings: [(level: Int, text: String)] = []
        var cur: [Block] = []
        var curTitle = ""
        var curTokens = 0
        func title() -> String { headings.map(\.text).joined(separator: " > ") }
        func close() {
            guard !cur.isEmpty else { return }
            let text = cur.map(\.text).joined(separator: "\n\n")
            out.append(Chunk(text: text, title: curTitle,
                             byteRange: cur[0].bytes.lowerBound..<cur[cur.count - 1].bytes.upperBound,
                             lineRange: cur[0].lines.lowerBound...cur[cur.count - 1].lines.upperBound))
        }
        for b in blocks {
            if b.heading > 0 {
                // A heading starts a new chunk (unless the current one holds only headings).
                if cur.contains(where: { $0.heading == 0 }) { close(); cur = []; curTokens = 0 }
                while let last = headings.last, last.level >= b.heading { headings.removeLast() }
                headings.append((b.heading, b.text.drop(while: { $0 == "#" }).trimmingCharacters(in: .whitespaces)))
                if cur.isEmpty { curTitle = title() }
                cur.append(b); curTokens += b.tokens
                continue
            }
            if curTokens + b.tokens > maxTokens && !cur.isEmpty {
                close()
                // Overlap: carry the last blocks (not headings) that fit in overlapTokens.
                var carry: [Block] = [], t = 0
                for prev in cur.reversed() where prev.heading == 0 {
                    if t + prev.tokens > overlapTokens || t + prev.tokens + b.tokens > maxTokens { break }
                    carry.insert(prev, at: 0); t += prev.tokens
                }
                cur = carry; curTokens = t
                curTitle = title()
            }
            if cur.isEmpty { curTitle = title() }
            cur.append(b); curTokens += b.tokens
        }
        if !cur.isEmpty { close() }
        return out
    }
}
