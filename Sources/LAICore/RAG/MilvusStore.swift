// MilvusStore: a knowledge base kept in a Milvus collection through Milvus' REST API (/v1/vector/…), for
// knowledge bases shared by several machines or larger than one. lai still chunks, embeds and ranks
// keywords (BM25); Milvus holds vectors, text and metadata and searches the vectors.
import Foundation

/// `milvus://HOST:PORT/COLLECTION` (HTTP) or `milvus+https://HOST:PORT/COLLECTION`.
package struct MilvusAddress: Sendable, Equatable {
    /// `http://HOST:PORT` (or https).
    package let base: URL
    package let collection: String
    /// As the user wrote it, for messages.
    package let text: String

    package static func isMilvus(_ s: String) -> Bool { s.hasPrefix("milvus://") || s.hasPrefix("milvus+https://") }

    package init(_ s: String) throws {
        text = s
        let https = s.hasPrefix("milvus+https://")
        guard Self.isMilvus(s) else { throw VectorError.invalid("\(s): a Milvus store is milvus://HOST:PORT/COLLECTION") }
        let rest = s.dropFirst(https ? "milvus+https://".count : "milvus://".count)
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else { throw VectorError.invalid("\(s): a Milvus store is milvus://HOST:PORT/COLLECTION") }
        let name = String(parts[1])
        // Milvus' rule for collection names.
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic), name.count <= 255,
              name.unicodeScalars.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }) else {
            throw VectorError.invalid("\(s): the collection name must be letters, digits and underscores, starting with a letter or underscore")
        }
        let host = parts[0].contains(":") ? String(parts[0]) : parts[0] + ":19530"
        guard let u = URL(string: (https ? "https://" : "http://") + host), u.host != nil else { throw VectorError.invalid("\(s): bad host \(parts[0])") }
        base = u
        collection = name
    }
}

/// The REST calls lai makes (Milvus 2.3's v1 API, which later versions keep): JSON in, `{"code":200,"data":…}` out.
final class MilvusClient: @unchecked Sendable {
    let address: MilvusAddress
    private let http = HTTPClient(timeout: 120)
    /// `LAI_MILVUS_TOKEN`: "user:password" or an API key, sent as a bearer token.
    private let token = ProcessInfo.processInfo.environment["LAI_MILVUS_TOKEN"]

    init(_ address: MilvusAddress) { self.address = address }

    /// One call; a non-200 `code` throws `MilvusError.server` with Milvus' message.
    func call(_ method: String, _ path: String, query: [URLQueryItem] = [], _ body: JSON? = nil) throws -> JSON {
        var headers = ["Accept": "application/json"]
        if body != nil { headers["Content-Type"] = "application/json" }
        if let t = token, !t.isEmpty { headers["Authorization"] = "Bearer " + t }
        var components = URLComponents(url: address.base.appendingPathComponent(path), resolvingAgainstBaseURL: false)!
        if !query.isEmpty { components.queryItems = query }
        let url = components.url!
        let r: HTTPClient.Response
        do { r = try http.send(method, url, headers: headers, body: body.map { Array($0.serialized().utf8) }) } catch let StoreError.network(_, reason) {
            throw MilvusError.unreachable(address: address.text, reason: reason)
        }
        let reply = try? JSON.parse(r.body)
        let code = reply?["code"]?.intValue
        guard r.status == 200, let reply, code == 200 || code == 0 else {
            let message = reply?["message"]?.stringValue ?? String(decoding: r.body.prefix(200), as: UTF8.self)
            throw MilvusError.server(address: address.text, status: code ?? r.status, message: message)
        }
        return reply["data"] ?? .null
    }

    func post(_ path: String, _ fields: [(String, JSON)]) throws -> JSON {
        try call("POST", path, .object([("collectionName", .string(address.collection))] + fields))
    }

    /// Rows matching a Milvus boolean expression (at most 16,384: Milvus' result window).
    func query(_ filter: String, fields: [String], limit: Int = MilvusStore.window) throws -> [JSON] {
        try post("/v1/vector/query", [("filter", .string(filter)), ("outputFields", .array(fields.map { .string($0) })),
                                       ("limit", .int(limit))]).arrayValue ?? []
    }
}

package enum MilvusError: Error, CustomStringConvertible {
    case server(address: String, status: Int, message: String)
    case notLai(address: String, reason: String)
    case noCollection(address: String)
    case timeout(address: String, what: String)
    case unreachable(address: String, reason: String)

    package var description: String {
        switch self {
        case let .server(a, s, m): return "\(a): Milvus error \(s): \(m)"
        case let .notLai(a, r): return "\(a): not a lai knowledge base (\(r))"
        case let .noCollection(a): return "\(a): no such collection (create it with: lai index PATH --store \(a))"
        case let .timeout(a, w): return "\(a): Milvus did not \(w) in time"
        case let .unreachable(a, r): return "\(a): cannot reach Milvus: \(r)"
        }
    }
}

/// A knowledge base in a Milvus collection. Each chunk is one entity: the vector, and as dynamic fields
/// its text and metadata, the file's content hash and chunk count (for incremental indexing) and its
/// keyword terms (for BM25). The collection's description records the embedding model and task prefixes.
/// Layout in docs/KNOWLEDGE_BASE.md ("Milvus").
package final class MilvusStore: ChunkReader, ChunkWriter, @unchecked Sendable {
    /// Milvus' query result window (offset + limit ≤ 16,384).
    static let window = 16_384
    static let insertBatch = 256

    let client: MilvusClient
    package var location: String { client.address.text }
    package let model: String
    package let dimension: Int
    package let metric: VectorMetric
    package let queryPrefix: String
    package let documentPrefix: String
    package private(set) var count: Int
    private var averageLength: Double?

    private var pendingVectors: [[Float]] = []
    private var pendingRecords: [VectorRecord] = []
    private var pendingDeletes = Set<Int>()
    package var pendingNote = CommitNote()
    /// The last commit's ids, to wait until Milvus shows them (its reads are eventually consistent).
    private var lastInserted: [Int] = []
    private var lastDeleted: [Int] = []
    private var lockFD: Int32 = -1

    /// Opens the collection of `address`; with `create`, creates it when absent (and checks that an existing
    /// one was made for the same model).
    package init(_ address: MilvusAddress, create: StoreOptions? = nil) throws {
        client = MilvusClient(address)
        var info = try Self.describe(client)
        if info == nil, let o = create {
            let meta = JSON.object([("format", .string("lai-knowledge-base")), ("version", .int(1)), ("model", .string(o.model)),
                                    ("dimension", .int(o.dimension)), ("metric", .string(o.metric.rawValue)),
                                    ("query_prefix", .string(o.queryPrefix)), ("document_prefix", .string(o.documentPrefix))])
            _ = try client.post("/v1/vector/collections/create", [
                ("dimension", .int(o.dimension)), ("metricType", .string(o.metric == .cosine ? "COSINE" : "IP")),
                ("primaryField", .string("id")), ("vectorField", .string("vector")), ("description", .string(meta.serialized()))])
            info = try Self.describe(client)
        }
        guard let info else { throw MilvusError.noCollection(address: address.text) }
        guard let d = try? JSON.parse(Array((info["description"]?.stringValue ?? "").utf8)), d["format"]?.stringValue == "lai-knowledge-base" else {
            throw MilvusError.notLai(address: address.text, reason: "its description is not lai's; lai indexes into collections it created")
        }
        guard let m = d["model"]?.stringValue, let dim = d["dimension"]?.intValue, dim > 0,
              let metric = d["metric"]?.stringValue.flatMap(VectorMetric.init(rawValue:)) else {
            throw MilvusError.notLai(address: address.text, reason: "its description lacks model, dimension or metric")
        }
        model = m; dimension = dim; self.metric = metric
        queryPrefix = d["query_prefix"]?.stringValue ?? ""
        documentPrefix = d["document_prefix"]?.stringValue ?? ""
        if let o = create {
            if o.model != model { throw VectorError.modelMismatch(path: address.text, store: model, requested: o.model) }
            if o.dimension != dimension { throw VectorError.dimensionMismatch(path: address.text, expected: dimension, got: o.dimension) }
        }
        try Self.waitUntilLoaded(client)
        count = try Self.count(client)
    }

    /// The collection's description, or nil when it does not exist.
    private static func describe(_ c: MilvusClient) throws -> JSON? {
        let list = try c.call("GET", "/v1/vector/collections").arrayValue ?? []
        guard list.contains(where: { $0.stringValue == c.address.collection }) else { return nil }
        return try c.call("GET", "/v1/vector/collections/describe", query: [URLQueryItem(name: "collectionName", value: c.address.collection)])
    }

    /// A new collection is loading for a moment; queries fail until it is loaded.
    private static func waitUntilLoaded(_ c: MilvusClient) throws {
        let deadline = Date().addingTimeInterval(120)
        while true {
            let state = try c.call("GET", "/v1/vector/collections/describe", query: [URLQueryItem(name: "collectionName", value: c.address.collection)])["load"]?.stringValue ?? ""
            if state == "LoadStateLoaded" || state.isEmpty { return }
            if Date() > deadline { throw MilvusError.timeout(address: c.address.text, what: "load the collection") }
            usleep(200_000)
        }
    }

    private static func count(_ c: MilvusClient) throws -> Int {
        let r = try c.query("id >= 0", fields: ["count(*)"], limit: 0)
        guard let v = r.first?["count(*)"] else { return 0 }
        return v.intValue ?? v.stringValue.flatMap { Int($0) } ?? 0
    }

    /// Drops the collection (`lai index --rm` with `--store`).
    package static func drop(_ address: MilvusAddress) throws {
        let c = MilvusClient(address)
        guard try describe(c) != nil else { throw MilvusError.noCollection(address: address.text) }
        _ = try c.post("/v1/vector/collections/drop", [])
    }

    private static func id(_ row: JSON) -> Int? { row["id"]?.stringValue.flatMap { Int($0) } ?? row["id"]?.intValue }

    /// Every entity's `fields`: windows of ids, each split at its median until it fits Milvus' result window.
    private func scanAll(fields: [String]) throws -> [JSON] {
        var out: [JSON] = []
        var windows: [(lo: Int, hi: Int)] = [(0, Int.max)]
        while let (lo, hi) = windows.popLast() {
            let rows = try client.query("id >= \(lo) and id < \(hi)", fields: ["id"] + fields)
            if rows.count < Self.window { out += rows; continue }
            let ids = rows.compactMap(Self.id).sorted()
            let mid = max(ids[ids.count / 2], lo + 1)
            windows.append((lo, mid)); windows.append((mid, hi))
        }
        return out
    }

    /// `id in [...]` in pieces Milvus accepts.
    private func rows(_ ids: [Int], fields: [String]) throws -> [JSON] {
        var out: [JSON] = []
        var i = 0
        while i < ids.count {
            let part = ids[i..<min(i + 1000, ids.count)]
            out += try client.query("id in [\(part.map(String.init).joined(separator: ","))]", fields: ["id"] + fields, limit: part.count)
            i += part.count
        }
        return out
    }

    // MARK: Reading

    package func search(_ query: [Float], k: Int, options: SearchOptions) throws -> [VectorHit] {
        guard k > 0, count > 0 else { return [] }
        let r = try client.post("/v1/vector/search", [("vector", Self.vectorJSON(query)), ("limit", .int(min(k, Self.window))),
                                                       ("outputFields", .array([.string("id"), .string("path")]))])
        return (r.arrayValue ?? []).compactMap { h in
            // An index run's marker (empty path) may be visible for a moment.
            guard let id = Self.id(h), let d = h["distance"]?.doubleValue, h["path"]?.stringValue?.isEmpty == false else { return nil }
            return VectorHit(row: id, score: Float(d))
        }
    }

    /// BM25 as lai's own store scores it, over the chunks holding any of the question's terms (found with
    /// `json_contains_any`). Document frequencies are counted in that set, so they are exact while it fits
    /// Milvus' result window (16,384 chunks); the average chunk length is measured once per open on up to
    /// 16,384 chunks.
    package func keywordSearch(_ text: String, k: Int) throws -> [VectorHit] {
        let terms = Array(Set(KeywordTokenizer.terms(text))).sorted()
        guard !terms.isEmpty, k > 0, count > 0 else { return [] }
        // Terms are words (KeywordTokenizer); a JSON string literal is a Milvus one for them.
        let rows = try client.query("json_contains_any(terms, [\(terms.map { JSON.string($0).serialized() }.joined(separator: ","))])",
                                    fields: ["id", "terms", "tf", "dl"])
        if averageLength == nil {
            let sample = try client.query("id >= 0", fields: ["dl"])
            let ls = sample.compactMap { $0["dl"]?.doubleValue }
            averageLength = ls.isEmpty ? 1 : max(ls.reduce(0, +) / Double(ls.count), 1)
        }
        let avgdl = averageLength ?? 1
        let wanted = Set(terms)
        var df: [String: Int] = [:]
        var parsed: [(id: Int, tf: [String: Double], dl: Double)] = []
        for r in rows {
            guard let id = Self.id(r), let ts = r["terms"]?.arrayValue, let tfs = r["tf"]?.arrayValue, ts.count == tfs.count else { continue }
            var tf: [String: Double] = [:]
            for (t, f) in zip(ts, tfs) { if let t = t.stringValue, wanted.contains(t), let f = f.doubleValue { tf[t] = f; df[t, default: 0] += 1 } }
            parsed.append((id, tf, r["dl"]?.doubleValue ?? avgdl))
        }
        let n = Double(max(count, parsed.count))
        var heap = TopK(k: k)
        for p in parsed {
            var s = 0.0
            for (t, f) in p.tf { s += BM25.term(idf: BM25.idf(n: n, df: Double(df[t] ?? 1)), tf: f, dl: p.dl, avgdl: avgdl) }
            if s > 0 { heap.insert(Float(s), p.id) }
        }
        return heap.sorted()
    }

    package func records(_ ids: [Int]) throws -> [Int: VectorRecord] {
        var out: [Int: VectorRecord] = [:]
        for r in try rows(ids, fields: ["text", "path", "content_hash", "title", "byte_start", "byte_end", "line_start", "line_end"]) {
            guard let id = Self.id(r) else { continue }
            func int(_ k: String) -> Int { r[k]?.intValue ?? 0 }
            let bs = int("byte_start"), be = max(bs, int("byte_end")), ls = int("line_start"), le = max(ls, int("line_end"))
            out[id] = VectorRecord(text: r["text"]?.stringValue ?? "", path: r["path"]?.stringValue ?? "",
                                   contentHash: r["content_hash"]?.stringValue ?? "", byteRange: bs..<be, lineRange: ls...le,
                                   title: r["title"]?.stringValue ?? "")
        }
        return out
    }

    /// Every live chunk's (id, path, text SHA-256) — `lai index --dump` for tests.
    package func dump() throws -> [(row: Int, record: VectorRecord)] {
        let ids = try scanAll(fields: []).compactMap(Self.id)
        return try records(ids).filter { !$0.value.path.isEmpty }.map { ($0.key, $0.value) }
    }

    // MARK: Writing

    package var hasPendingChanges: Bool { !pendingRecords.isEmpty || !pendingDeletes.isEmpty }
    package var pendingAdds: Int { pendingRecords.count }
    package var liveCount: Int { count }

    package func files() throws -> [String: (hash: String, rows: [Int])] {
        let rows = try scanAll(fields: ["path", "content_hash", "file_chunks"])
        var expected: [String: Int] = [:]
        var triples: [(row: Int, path: String, hash: String)] = []
        for r in rows {
            guard let id = Self.id(r), let p = r["path"]?.stringValue, !p.isEmpty else { continue }
            triples.append((id, p, r["content_hash"]?.stringValue ?? ""))
            expected[p] = r["file_chunks"]?.intValue ?? 0
        }
        var out = Self.groupFiles(triples)
        // A file whose insert was cut short has fewer chunks than it should: index it again.
        for (p, e) in out where e.rows.count != expected[p] { out[p]?.hash = "" }
        return out
    }

    package func add(_ vectors: [[Float]], _ records: [VectorRecord]) throws {
        guard vectors.count == records.count else { throw VectorError.invalid("\(location): \(vectors.count) vectors for \(records.count) records") }
        for v in vectors {
            guard v.count == dimension else { throw VectorError.dimensionMismatch(path: location, expected: dimension, got: v.count) }
            guard v.allSatisfy(\.isFinite) else { throw VectorError.invalid("\(location): a vector has a NaN or infinite value") }
            var x = v
            if metric == .cosine { VectorStore.normalize(&x) }
            pendingVectors.append(x)
        }
        pendingRecords += records
    }

    package func delete(rows: [Int]) { pendingDeletes.formUnion(rows) }

    /// Inserts the new chunks, then deletes the replaced ones: a crash in between leaves a file with chunks
    /// of two versions, which `files()` reports as changed, so the next run indexes it again.
    package func commit() throws {
        if !hasPendingChanges { return }
        var perFile: [String: Int] = [:]
        for r in pendingRecords { perFile[r.path, default: 0] += 1 }
        var inserted: [Int] = []
        var i = 0
        while i < pendingRecords.count {
            let end = min(i + Self.insertBatch, pendingRecords.count)
            let data = (i..<end).map { j in entity(pendingVectors[j], pendingRecords[j], fileChunks: perFile[pendingRecords[j].path] ?? 0) }
            let r = try client.post("/v1/vector/insert", [("data", .array(data))])
            let ids = (r["insertIds"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap { Int($0) } ?? $0.intValue }
            guard ids.count == end - i else { throw MilvusError.server(address: location, status: 200, message: "inserted \(ids.count) of \(end - i) chunks") }
            inserted += ids
            i = end
        }
        let deletes = pendingDeletes.sorted()
        i = 0
        while i < deletes.count {
            let part = deletes[i..<min(i + 1000, deletes.count)]
            _ = try client.post("/v1/vector/delete", [("id", .array(part.map { .string(String($0)) }))])
            i += part.count
        }
        count += inserted.count - deletes.count
        if !inserted.isEmpty { lastInserted = Array(inserted.suffix(64)) }
        if !deletes.isEmpty { lastDeleted = Array(deletes.suffix(64)) }
        pendingVectors = []; pendingRecords = []; pendingDeletes = []; pendingNote = CommitNote()
    }

    /// One writer per collection on this machine: a lock file under `LAI_HOME/locks` (Milvus has no
    /// compare-and-set to lock the collection itself). Writers on other machines are not excluded; a file
    /// that two of them indexed at once has more chunks than it should, which the next run repairs.
    package func lockWriter() throws {
        let key = SHA256.hash(Array((client.address.base.absoluteString + "/" + client.address.collection).utf8)).hex.prefix(16)
        let dir = KnowledgeBase.home + "/locks/milvus-" + key
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw FileError.cannotWrite(path: dir, reason: error.localizedDescription)
        }
        do { lockFD = try VectorStoreWriter.lock(dir) } catch let VectorError.locked(_, holder) {
            throw VectorError.locked(path: location, holder: holder)
        }
    }

    deinit { if lockFD >= 0 { Glibc.close(lockFD) } }

    /// Milvus' reads lag its writes, and a run that was killed did not wait for its own: a run starts by
    /// inserting a marker entity and waiting until it is visible, which makes every earlier write visible
    /// (one shard, read in timestamp order), then deletes it. Without this, `files()` could miss a killed
    /// run's last chunks, index their files again and leave duplicates once the missed chunks appear.
    package func beginRun() throws {
        var v = [Float](repeating: 0, count: dimension)
        v[0] = 1
        let r = try client.post("/v1/vector/insert", [("data", .array([.object([("vector", Self.vectorJSON(v)), ("path", .string("")),
                                                                                ("lai_marker", .bool(true))])]))])
        guard let id = (r["insertIds"]?.arrayValue ?? []).first.flatMap({ $0.stringValue.flatMap { Int($0) } ?? $0.intValue }) else {
            throw MilvusError.server(address: location, status: 200, message: "the marker insert returned no id")
        }
        let deadline = Date().addingTimeInterval(60)
        while try rows([id], fields: []).isEmpty {
            if Date() > deadline { throw MilvusError.timeout(address: location, what: "show earlier writes") }
            usleep(100_000)
        }
        _ = try client.post("/v1/vector/delete", [("id", .array([.string(String(id))]))])
        lastDeleted = [id]
    }

    /// Waits until Milvus' reads show the last inserts and deletes (bounded staleness: a few seconds), so
    /// the next `lai index` or `lai ask` sees this run.
    package func finishRun(_ summary: IndexSummary, complete: Bool) throws -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while true {
            let seen = lastInserted.isEmpty ? 0 : try rows(lastInserted, fields: []).count
            let gone = lastDeleted.isEmpty ? 0 : try rows(lastDeleted, fields: []).count
            if seen == lastInserted.count && gone == 0 { break }
            if Date() > deadline { throw MilvusError.timeout(address: location, what: "show this run's changes") }
            usleep(200_000)
        }
        count = try Self.count(client)
        return false
    }

    private func entity(_ v: [Float], _ r: VectorRecord, fileChunks: Int) -> JSON {
        var tf: [String: Int] = [:]
        let terms = KeywordTokenizer.terms(r.title.isEmpty ? r.text : r.title + "\n" + r.text)
        for t in terms { tf[t, default: 0] += 1 }
        let sorted = tf.sorted { $0.key < $1.key }
        return .object([
            ("vector", Self.vectorJSON(v)), ("path", .string(r.path)), ("content_hash", .string(r.contentHash)),
            ("file_chunks", .int(fileChunks)), ("text", .string(r.text)), ("title", .string(r.title)),
            ("byte_start", .int(r.byteRange.lowerBound)), ("byte_end", .int(r.byteRange.upperBound)),
            ("line_start", .int(r.lineRange.lowerBound)), ("line_end", .int(r.lineRange.upperBound)),
            ("terms", .array(sorted.map { .string($0.key) })), ("tf", .array(sorted.map { .int($0.value) })), ("dl", .int(terms.count)),
        ])
    }

    /// Floats as their shortest decimal form (what Milvus parses back to the same float32).
    static func vectorJSON(_ v: [Float]) -> JSON { .array(v.map { .double(Double("\($0)") ?? 0) }) }
}
