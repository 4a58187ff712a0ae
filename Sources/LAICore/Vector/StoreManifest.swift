// StoreManifest: the list of live segments, tombstones and store settings, replaced atomically per commit.
import Foundation

/// One segment as the manifest lists it: its rows and the size and SHA-256 of each of its three files.
package struct SegmentEntry: Sendable, Equatable {
    package var id: Int
    /// Global row id of the segment's first row; rows are `firstRow ..< firstRow + rows`.
    package var firstRow: Int
    package var rows: Int
    package var vectorsBytes: Int
    package var vectorsSHA256: String
    package var textBytes: Int
    package var textSHA256: String
    package var keywordsBytes: Int
    package var keywordsSHA256: String
    /// The segment's HNSW graph (`seg-NNNNNN.hnsw`), when it has one: 0 bytes means none.
    package var graphBytes = 0
    package var graphSHA256 = ""

    package var vectorsFile: String { String(format: "seg-%06d.vec", id) }
    package var textFile: String { String(format: "seg-%06d.txt.zst", id) }
    package var keywordsFile: String { String(format: "seg-%06d.kw.zst", id) }
    package var graphFile: String { String(format: "seg-%06d.hnsw", id) }
    package var hasGraph: Bool { graphBytes > 0 }
    package var files: [String] { [vectorsFile, textFile, keywordsFile] + (hasGraph ? [graphFile] : []) }
}

/// What one commit changed, as `lai index --history` lists it.
package struct CommitNote: Sendable, Equatable {
    /// "create", "index", "compact" or "rollback".
    package var action = "index"
    package var filesAdded = 0
    package var filesChanged = 0
    package var filesRemoved = 0
    package var chunksAdded = 0
    package var chunksDeleted = 0
    /// The generation a rollback restored.
    package var restoredGeneration: Int?
    package init(action: String = "index") { self.action = action }
}

/// The committed state of a store (the MANIFEST file). See docs/FORMATS.md ("Vector store").
package struct StoreManifest: Sendable, Equatable {
    /// Increases by one with every commit.
    package var generation = 0
    /// The embedding model the vectors came from (queries must use the same one).
    package var model: String
    package var dimension: Int
    package var element: VectorElement
    package var metric: VectorMetric
    package var nextRow = 0
    package var nextSegment = 1
    package var segments: [SegmentEntry] = []
    /// Deleted global row ids, ascending.
    package var tombstones: [Int] = []
    /// The embedding model's task prefixes, used for every document indexed and every query asked.
    package var queryPrefix = ""
    package var documentPrefix = ""
    /// When this generation was committed (seconds since 1970; 0 in stores written before it was recorded).
    package var time: Double = 0
    /// What this generation changed (nil in stores written before it was recorded).
    package var note: CommitNote?
    /// Retention: compaction keeps the newest `keep` generations (nil: all).
    package var keep: Int?
    /// Encrypted stores: the salt of the key derivation (in the manifest file's clear part, not in `encode()`).
    package var encryptionSalt: [UInt8]?
    package var isEncrypted: Bool { encryptionSalt != nil }

    package init(model: String, dimension: Int, element: VectorElement, metric: VectorMetric) {
        self.model = model; self.dimension = dimension; self.element = element; self.metric = metric
    }

    static let fileName = "MANIFEST"

    /// Every generation's manifest is also kept as `MANIFEST-NNNNNN` until retention drops it.
    static func generationFileName(_ g: Int) -> String { String(format: "MANIFEST-%06d", g) }

    static func generation(ofFileName name: String) -> Int? {
        guard name.hasPrefix("MANIFEST-"), !name.contains(".") else { return nil }
        return Int(name.dropFirst(9))
    }
    static let magic = "LAIVS"

    /// The file: one line `LAIVS 1 <sha256 of the rest>` then the JSON object and a newline.
    func encode() -> [UInt8] {
        let segs: [JSON] = segments.map { s in
            .object([("id", .int(s.id)), ("first_row", .int(s.firstRow)), ("rows", .int(s.rows)),
                     ("vectors_bytes", .int(s.vectorsBytes)), ("vectors_sha256", .string(s.vectorsSHA256)),
                     ("text_bytes", .int(s.textBytes)), ("text_sha256", .string(s.textSHA256)),
                     ("keywords_bytes", .int(s.keywordsBytes)), ("keywords_sha256", .string(s.keywordsSHA256))]
                    + (s.hasGraph ? [("graph_bytes", .int(s.graphBytes)), ("graph_sha256", .string(s.graphSHA256))] : []))
        }
        let body = JSON.object([
            ("format", .string("lai-vector-store")), ("version", .int(1)), ("generation", .int(generation)),
            ("model", .string(model)), ("dimension", .int(dimension)), ("element", .string(element.description)),
            ("metric", .string(metric.rawValue)), ("next_row", .int(nextRow)), ("next_segment", .int(nextSegment)),
            ("segments", .array(segs)), ("tombstones", .array(tombstones.map { .int($0) })),
        ] + optionalFields).serialized() + "\n"
        let bytes = Array(body.utf8)
        return Array("\(Self.magic) 1 \(SHA256.hash(bytes).hex)\n".utf8) + bytes
    }

    /// Fields added after version 1 (readers that do not know them ignore them).
    private var optionalFields: [(String, JSON)] {
        var f: [(String, JSON)] = []
        if !queryPrefix.isEmpty { f.append(("query_prefix", .string(queryPrefix))) }
        if !documentPrefix.isEmpty { f.append(("document_prefix", .string(documentPrefix))) }
        if time > 0 { f.append(("time", .double(time))) }
        if let n = note {
            var o: [(String, JSON)] = [("action", .string(n.action)), ("files_added", .int(n.filesAdded)), ("files_changed", .int(n.filesChanged)),
                                       ("files_removed", .int(n.filesRemoved)), ("chunks_added", .int(n.chunksAdded)), ("chunks_deleted", .int(n.chunksDeleted))]
            if let g = n.restoredGeneration { o.append(("restored_generation", .int(g))) }
            f.append(("changes", .object(o)))
        }
        if let k = keep { f.append(("keep", .int(k))) }
        return f
    }

    /// The file as written: `encode()` itself, or for an encrypted store `LAIVS 2 <sha256 of the rest>` and a
    /// JSON object with the cipher, the key-derivation salt and the sealed `encode()` bytes (base64).
    func encodeFile(key: StoreKey?) throws -> [UInt8] {
        guard let salt = encryptionSalt else { return encode() }
        guard let key else { throw VectorError.invalid("internal: an encrypted manifest written without its key") }
        let sealed = try StoreCipher(key: key, salt: salt).seal(encode(), name: Self.fileName)
        let body = JSON.object([
            ("format", .string("lai-vector-store")), ("version", .int(2)), ("cipher", .string("aes-256-gcm")),
            ("kdf", .string("hkdf-sha256")), ("salt", .string(salt.map { String(format: "%02x", $0) }.joined())),
            ("sealed", .string(Data(sealed).base64EncodedString())),
        ]).serialized() + "\n"
        let bytes = Array(body.utf8)
        return Array("\(Self.magic) 2 \(SHA256.hash(bytes).hex)\n".utf8) + bytes
    }

    /// Reads a manifest file of either form; an encrypted one needs `key`.
    static func decodeFile(_ data: [UInt8], path: String, key: StoreKey?) throws -> StoreManifest {
        guard let nl = data.firstIndex(of: 10) else { throw VectorError.corrupt(path: path, reason: "no header line") }
        let header = String(decoding: data[..<nl], as: UTF8.self).split(separator: " ")
        guard header.count == 3, header[0] == Self.magic, header[1] == "2" else { return try decode(data, path: path) }
        let body = Array(data[(nl + 1)...])
        guard SHA256.hash(body).hex == header[2] else { throw VectorError.checksumMismatch(path: path) }
        guard let obj = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
              obj["cipher"] as? String == "aes-256-gcm", obj["kdf"] as? String == "hkdf-sha256",
              let saltHex = obj["salt"] as? String, saltHex.count == 32,
              let sealed = (obj["sealed"] as? String).flatMap({ Data(base64Encoded: $0) }) else {
            throw VectorError.corrupt(path: path, reason: "encrypted manifest: cipher, kdf, salt or sealed data missing or unknown")
        }
        let dir = (path as NSString).deletingLastPathComponent
        guard let key else { throw VectorError.keyRequired(path: dir) }
        var salt: [UInt8] = []
        var i = saltHex.startIndex
        while i < saltHex.endIndex {
            let j = saltHex.index(i, offsetBy: 2)
            guard let b = UInt8(saltHex[i..<j], radix: 16) else { throw VectorError.corrupt(path: path, reason: "salt is not hex") }
            salt.append(b); i = j
        }
        let inner: [UInt8]
        do {
            inner = try sealed.withUnsafeBytes { try StoreCipher(key: key, salt: salt).open($0, name: Self.fileName, path: path) }
        } catch VectorError.checksumMismatch { throw VectorError.wrongKey(path: dir) }  // the file's own checksum held
        var m = try decode(inner, path: path)
        m.encryptionSalt = salt
        return m
    }

    static func decode(_ data: [UInt8], path: String) throws -> StoreManifest {
        guard let nl = data.firstIndex(of: 10) else { throw VectorError.corrupt(path: path, reason: "no header line") }
        let header = String(decoding: data[..<nl], as: UTF8.self).split(separator: " ")
        guard header.count == 3, header[0] == Self.magic else { throw VectorError.corrupt(path: path, reason: "not a lai vector store manifest") }
        guard header[1] == "1" else { throw VectorError.corrupt(path: path, reason: "manifest version \(header[1]) is not supported") }
        let body = Array(data[(nl + 1)...])
        guard SHA256.hash(body).hex == header[2] else { throw VectorError.checksumMismatch(path: path) }
        guard let obj = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw VectorError.corrupt(path: path, reason: "manifest is not a JSON object")
        }
        func int(_ o: [String: Any], _ k: String) throws -> Int {
            guard let v = o[k] as? Int, v >= 0 else { throw VectorError.corrupt(path: path, reason: "'\(k)' missing or negative") }
            return v
        }
        func str(_ o: [String: Any], _ k: String) throws -> String {
            guard let v = o[k] as? String else { throw VectorError.corrupt(path: path, reason: "'\(k)' missing") }
            return v
        }
        guard let element = VectorElement(name: try str(obj, "element")) else { throw VectorError.corrupt(path: path, reason: "unknown element type") }
        guard let metric = VectorMetric(rawValue: try str(obj, "metric")) else { throw VectorError.corrupt(path: path, reason: "unknown metric") }
        let dim = try int(obj, "dimension")
        guard dim > 0, dim <= 1 << 16 else { throw VectorError.corrupt(path: path, reason: "dimension \(dim) out of range") }
        var m = StoreManifest(model: try str(obj, "model"), dimension: dim, element: element, metric: metric)
        m.generation = try int(obj, "generation")
        m.nextRow = try int(obj, "next_row")
        m.nextSegment = try int(obj, "next_segment")
        guard let segs = obj["segments"] as? [[String: Any]], let tombs = obj["tombstones"] as? [Int] else {
            throw VectorError.corrupt(path: path, reason: "'segments' or 'tombstones' missing")
        }
        var expectFirst = -1
        for s in segs {
            var e = SegmentEntry(id: try int(s, "id"), firstRow: try int(s, "first_row"), rows: try int(s, "rows"),
                                 vectorsBytes: try int(s, "vectors_bytes"), vectorsSHA256: try str(s, "vectors_sha256"),
                                 textBytes: try int(s, "text_bytes"), textSHA256: try str(s, "text_sha256"),
                                 keywordsBytes: try int(s, "keywords_bytes"), keywordsSHA256: try str(s, "keywords_sha256"))
            // Optional (stores written before graphs have none).
            if s["graph_bytes"] != nil { e.graphBytes = try int(s, "graph_bytes"); e.graphSHA256 = try str(s, "graph_sha256") }
            guard e.firstRow >= expectFirst, e.firstRow + e.rows <= m.nextRow, e.id < m.nextSegment else {
                throw VectorError.corrupt(path: path, reason: "segment \(e.id) rows overlap or exceed next_row")
            }
            expectFirst = e.firstRow + e.rows
            m.segments.append(e)
        }
        m.tombstones = tombs.sorted()
        m.queryPrefix = obj["query_prefix"] as? String ?? ""
        m.documentPrefix = obj["document_prefix"] as? String ?? ""
        m.time = (obj["time"] as? NSNumber)?.doubleValue ?? 0
        if let c = obj["changes"] as? [String: Any] {
            var n = CommitNote(action: c["action"] as? String ?? "index")
            n.filesAdded = c["files_added"] as? Int ?? 0; n.filesChanged = c["files_changed"] as? Int ?? 0
            n.filesRemoved = c["files_removed"] as? Int ?? 0; n.chunksAdded = c["chunks_added"] as? Int ?? 0
            n.chunksDeleted = c["chunks_deleted"] as? Int ?? 0; n.restoredGeneration = c["restored_generation"] as? Int
            m.note = n
        }
        if let k = obj["keep"] as? Int, k > 0 { m.keep = k }
        return m
    }
}
