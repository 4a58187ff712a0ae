// VectorStore: a read-only snapshot of a committed store (manifest + memory-mapped segments).
import Foundation

/// How much `VectorStore` checks when it opens.
package enum StoreVerification: Sendable {
    /// Manifest checksum, every file present, segment headers and sizes (milliseconds for any size).
    case structure
    /// Also the SHA-256 of every segment's vector file (reads every byte once).
    case full
}

/// A committed state of a store directory, opened read-only.
///
/// Opening reads the manifest once and maps the segments it lists, so a reader sees exactly one commit
/// however writers proceed; text and keyword files load (and are checksum-verified) on first use.
package final class VectorStore: @unchecked Sendable {
    package let path: String
    package let manifest: StoreManifest
    let segments: [VectorSegment]
    /// Each segment's text and keyword files, mapped at open so the snapshot survives a compaction
    /// unlinking them; checksums are verified when first decoded.
    private let textFiles: [MappedFile]
    private let keywordFiles: [MappedFile]
    /// Encrypted stores: opens the text and keyword files (segments are decrypted at open).
    private let cipher: StoreCipher?
    /// Each segment's HNSW graph; nil where it has none or it could not be used (see `graphProblems`).
    let graphs: [SegmentGraph?]
    /// Graph files that are listed but unusable (missing, damaged): those segments are scanned exactly.
    package let graphProblems: [String]
    private var warnedAboutGraphs = false
    package let tombstones: Set<Int>
    /// The threads searches run on (give each concurrent user its own: a pool runs one loop at a time).
    package let pool: ThreadPool
    private let lock = NSLock()
    private var recordCache: [Int: [VectorRecord]] = [:]
    private var keywordCache: [Int: KeywordSegment] = [:]

    package var dimension: Int { manifest.dimension }
    package var element: VectorElement { manifest.element }
    package var metric: VectorMetric { manifest.metric }
    package var model: String { manifest.model }
    /// Rows stored, tombstoned ones included.
    package var storedCount: Int { manifest.segments.reduce(0) { $0 + $1.rows } }
    /// Rows that search can return.
    package var count: Int { storedCount - tombstones.count }

    package static func exists(at path: String) -> Bool {
        FileManager.default.fileExists(atPath: path + "/" + StoreManifest.fileName)
    }

    /// Opens the last committed state of the store at `path`.
    ///
    /// A compaction may delete segment files between our reading the manifest and mapping them; then the
    /// manifest has changed and we read it again.
    /// With `generation`, opens that kept generation instead (`lai ask --at`). An encrypted store needs `key`
    /// (its vector files are decrypted into memory here; a plain store ignores the key).
    package init(path: String, verify: StoreVerification = .structure, pool: ThreadPool = .shared, generation: Int? = nil,
                 key: StoreKey? = nil) throws {
        self.path = path
        self.pool = pool
        (manifest, segments, textFiles, keywordFiles) = try Self.load(path, verify: verify, generation: generation, key: key)
        cipher = manifest.encryptionSalt.flatMap { salt in key.map { StoreCipher(key: $0, salt: salt) } }
        tombstones = Set(manifest.tombstones)
        (graphs, graphProblems) = Self.openGraphs(path, segments, manifest.tombstones, cipher: cipher)
        if verify == .full {
            for i in segments.indices { _ = try records(segment: i); _ = try keywords(segment: i) }
            try verifyGraphs()
        }
    }

    /// Opens every listed graph. A graph is derived data (the vectors are the truth), so an unusable one
    /// costs speed, not answers: its segment is scanned exactly and the problem is reported once, as a
    /// warning, when a search would have used it.
    private static func openGraphs(_ path: String, _ segments: [VectorSegment], _ tombstones: [Int], cipher: StoreCipher?) -> ([SegmentGraph?], [String]) {
        var bySegment = [[Int]](repeating: [], count: segments.count)
        var si = 0
        for r in tombstones {  // ascending, as are the segments
            while si < segments.count && segments[si].firstRow + segments[si].count <= r { si += 1 }
            if si < segments.count && segments[si].firstRow <= r { bySegment[si].append(r) }
        }
        var graphs: [SegmentGraph?] = [], problems: [String] = []
        for (i, s) in segments.enumerated() {
            guard s.entry.hasGraph else { graphs.append(nil); continue }
            do { graphs.append(try SegmentGraph(directory: path, segment: s, tombstones: bySegment[i], cipher: cipher)) } catch {
                graphs.append(nil); problems.append("\(error)")
            }
        }
        return (graphs, problems)
    }

    /// Prints the graph problems on stderr (once per opened store).
    func warnAboutGraphs() {
        lock.lock(); defer { lock.unlock() }
        if warnedAboutGraphs || graphProblems.isEmpty { return }
        warnedAboutGraphs = true
        for p in graphProblems {
            FileHandle.standardError.write(Data("lai: warning: \(p); searching that segment exactly (lai index --compact rebuilds the index)\n".utf8))
        }
    }

    private func verifyGraphs() throws {
        for s in segments where s.entry.hasGraph {
            let p = path + "/" + s.entry.graphFile
            guard FileManager.default.fileExists(atPath: p) else { throw VectorError.missingFile(path: p) }
            let f = try MappedFile(path: p)
            guard f.count == s.entry.graphBytes else { throw VectorError.corrupt(path: p, reason: "\(f.count) bytes, the manifest says \(s.entry.graphBytes)") }
            if SHA256.hash(f.bytes).hex != s.entry.graphSHA256 { throw VectorError.checksumMismatch(path: p) }
        }
        if let p = graphProblems.first { throw VectorError.invalid(p) }
    }

    private static func load(_ path: String, verify: StoreVerification, generation: Int?, key: StoreKey?) throws -> (StoreManifest, [VectorSegment], [MappedFile], [MappedFile]) {
        var attempt = 0
        while true {
            var manifest = try readManifest(path, key: key)
            if let g = generation, g != manifest.generation {
                let name = StoreManifest.generationFileName(g)
                guard g < manifest.generation, FileManager.default.fileExists(atPath: path + "/" + name) else {
                    throw VectorError.noGeneration(path: path, generation: g, current: manifest.generation)
                }
                manifest = try readManifest(path, fileName: name, key: key)
            }
            let cipher = manifest.encryptionSalt.flatMap { salt in key.map { StoreCipher(key: $0, salt: salt) } }
            do {
                var segs: [VectorSegment] = [], texts: [MappedFile] = [], kws: [MappedFile] = []
                func map(_ name: String) throws -> MappedFile {
                    let p = path + "/" + name
                    guard FileManager.default.fileExists(atPath: p) else { throw VectorError.missingFile(path: p) }
                    return try MappedFile(path: p)
                }
                for e in manifest.segments {
                    segs.append(try VectorSegment(directory: path, entry: e, manifest: manifest, verify: verify == .full, cipher: cipher))
                    texts.append(try map(e.textFile))
                    kws.append(try map(e.keywordsFile))
                }
                return (manifest, segs, texts, kws)
            } catch VectorError.missingFile(let p) {
                attempt += 1
                if generation != nil || attempt >= 5 || (try? readManifest(path, key: key))?.generation == manifest.generation {
                    throw VectorError.missingFile(path: p)
                }
            }
        }
    }

    static func readManifest(_ dir: String, fileName: String = StoreManifest.fileName, key: StoreKey?) throws -> StoreManifest {
        let p = dir + "/" + fileName
        guard FileManager.default.fileExists(atPath: p) else {
            throw fileName == StoreManifest.fileName ? VectorError.notAStore(path: dir) : VectorError.missingFile(path: p)
        }
        let f = try MappedFile(path: p)
        return try StoreManifest.decodeFile(Array(f.bytes), path: p, key: key)
    }

    /// Whether the store at `path` is encrypted (read from the manifest's clear header; no key needed).
    package static func isEncrypted(path: String) -> Bool {
        guard let f = try? MappedFile(path: path + "/" + StoreManifest.fileName), f.count > 8 else { return false }
        return Array(f.bytes.prefix(8)) == Array("LAIVS 2 ".utf8)
    }

    /// The kept generations of the store at `path`, oldest first (the current one last). Generation files
    /// that do not decode are left out.
    package static func history(path: String, key: StoreKey? = nil) throws -> [StoreManifest] {
        let current = try readManifest(path, key: key)
        var out: [Int: StoreManifest] = [current.generation: current]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            guard let g = StoreManifest.generation(ofFileName: name), g < current.generation,
                  let m = try? readManifest(path, fileName: name, key: key), m.generation == g else { continue }
            out[g] = m
        }
        return out.keys.sorted().map { out[$0]! }
    }

    // MARK: Rows

    /// The segment index holding global row `row`, or nil.
    func segmentIndex(ofRow row: Int) -> Int? {
        var lo = 0, hi = segments.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if segments[mid].firstRow + segments[mid].count <= row { lo = mid + 1 } else { hi = mid }
        }
        return lo < segments.count && segments[lo].firstRow <= row ? lo : nil
    }

    /// Every live row id, ascending.
    package var liveRows: [Int] {
        var out: [Int] = []
        out.reserveCapacity(count)
        for s in segments { for r in s.firstRow..<(s.firstRow + s.count) where !tombstones.contains(r) { out.append(r) } }
        return out
    }

    /// The stored vector of `row` (dequantized for f16/int8).
    package func vector(_ row: Int) throws -> [Float] {
        guard let s = segmentIndex(ofRow: row) else { throw VectorError.invalid("\(path): no row \(row)") }
        return segments[s].vector(row - segments[s].firstRow)
    }

    /// The text and metadata of `row`.
    package func record(_ row: Int) throws -> VectorRecord {
        guard let s = segmentIndex(ofRow: row) else { throw VectorError.invalid("\(path): no row \(row)") }
        return try records(segment: s)[row - segments[s].firstRow]
    }

    /// All records of segment `i` (loaded once, SHA-256 checked).
    func records(segment i: Int) throws -> [VectorRecord] {
        lock.lock(); defer { lock.unlock() }
        if let r = recordCache[i] { return r }
        let e = segments[i].entry
        let bytes = try loadChecked(textFiles[i], name: e.textFile, size: e.textBytes, sha: e.textSHA256)
        let r = try RecordCodec.decode(bytes, path: path + "/" + e.textFile, expectedCount: e.rows)
        recordCache[i] = r
        return r
    }

    func keywords(segment i: Int) throws -> KeywordSegment {
        lock.lock(); defer { lock.unlock() }
        if let k = keywordCache[i] { return k }
        let e = segments[i].entry
        let bytes = try loadChecked(keywordFiles[i], name: e.keywordsFile, size: e.keywordsBytes, sha: e.keywordsSHA256)
        let k = try KeywordSegment.decode(bytes, path: path + "/" + e.keywordsFile, expectedRows: e.rows)
        keywordCache[i] = k
        return k
    }

    private func loadChecked(_ f: MappedFile, name: String, size: Int, sha: String) throws -> [UInt8] {
        let p = f.path
        guard f.count == size else { throw VectorError.corrupt(path: p, reason: "\(f.count) bytes, the manifest says \(size)") }
        guard SHA256.hash(f.bytes).hex == sha else { throw VectorError.checksumMismatch(path: p) }
        guard let c = cipher else { return try Zstd.decompress(f.bytes, path: p) }
        let plain = try c.open(f.bytes, name: name, path: p)
        return try plain.withUnsafeBytes { try Zstd.decompress($0, path: p) }
    }

    /// Every live (row, record), in row order.
    package func liveRecords() throws -> [(row: Int, record: VectorRecord)] {
        var out: [(Int, VectorRecord)] = []
        for (i, s) in segments.enumerated() {
            let recs = try records(segment: i)
            for j in 0..<s.count where !tombstones.contains(s.firstRow + j) { out.append((s.firstRow + j, recs[j])) }
        }
        return out
    }

    /// Reads every byte and checks every checksum; throws the first problem found.
    package func verify() throws {
        for (i, s) in segments.enumerated() {
            if SHA256.hash(s.source.bytes).hex != s.entry.vectorsSHA256 { throw VectorError.checksumMismatch(path: s.source.path) }
            lock.lock(); recordCache[i] = nil; keywordCache[i] = nil; lock.unlock()
            _ = try records(segment: i); _ = try keywords(segment: i)
        }
        try verifyGraphs()
    }

    /// Bytes of all files the manifest lists (and the manifest).
    package var diskBytes: Int {
        manifest.segments.reduce(manifest.encode().count) { $0 + $1.vectorsBytes + $1.textBytes + $1.keywordsBytes + $1.graphBytes }
    }
}
