// Vector store: round trips, exact search against brute force, int8 recall, tombstones, compaction,
// the writer lock and checksum-detected corruption.
import Foundation
import LAICore
import Testing

enum VectorFixtures {
    static func randomVectors(_ n: Int, _ d: Int, seed: UInt64) -> [[Float]] {
        var rng = SeededRandom(seed: seed)
        return (0..<n).map { _ in (0..<d).map { _ in Float(rng.unit() * 2 - 1) } }
    }

    static func records(_ n: Int, offset: Int = 0) -> [VectorRecord] {
        (0..<n).map { i in
            VectorRecord(text: "chunk \(i + offset) about topic\(i % 7)", path: "/docs/file\((i + offset) / 10).md", contentHash: "h\((i + offset) / 10)",
                         byteRange: (i * 100)..<(i * 100 + 50), lineRange: (i + 1)...(i + 3), title: i % 2 == 0 ? "Section \(i)" : "")
        }
    }

    static func normalized(_ v: [Float]) -> [Float] { var x = v; VectorStore.normalize(&x); return x }

    /// Reference: every live row scored with a plain loop, sorted.
    static func bruteForce(_ store: VectorStore, _ q: [Float], k: Int) throws -> [VectorHit] {
        let qn = store.metric == .cosine ? normalized(q) : q
        var all: [VectorHit] = []
        for r in store.liveRows {
            let v = try store.vector(r)
            var s: Float = 0
            for j in 0..<v.count { s += v[j] * qn[j] }
            all.append(VectorHit(row: r, score: s))
        }
        return Array(all.sorted { $0.score > $1.score || ($0.score == $1.score && $0.row < $1.row) }.prefix(k))
    }

    static func makeStore(_ dir: URL, element: VectorElement, n: Int, d: Int, metric: VectorMetric = .cosine, seed: UInt64 = 1) throws -> (VectorStoreWriter, [[Float]]) {
        let w = try VectorStoreWriter(path: dir.path, create: StoreOptions(model: "test", dimension: d, element: element, metric: metric), pool: ThreadPool(threads: 2))
        w.graphParameters = nil  // these tests are about the exact scan (HNSWTests cover graphs)
        let v = randomVectors(n, d, seed: seed)
        try w.add(v, records(n))
        try w.commit()
        return (w, v)
    }
}

@Suite struct VectorStoreTests {
    @Test(arguments: [VectorElement.f32, .f16, .int8])
    func roundTrip(element: VectorElement) throws {
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let (w, v) = try VectorFixtures.makeStore(dir, element: element, n: 37, d: 100)
        try w.add(VectorFixtures.randomVectors(5, 100, seed: 9), VectorFixtures.records(5, offset: 37))
        try w.commit()
        w.close()
        let s = try VectorStore(path: dir.path, verify: .full)
        #expect(s.count == 42 && s.dimension == 100 && s.element == element && s.model == "test")
        #expect(s.manifest.segments.count == 2)
        let recs = VectorFixtures.records(37)
        var maxErr: Float = 0
        for i in 0..<37 {
            #expect(try s.record(i) == recs[i])
            let want = VectorFixtures.normalized(v[i]), got = try s.vector(i)
            for j in 0..<100 { maxErr = max(maxErr, abs(want[j] - got[j])) }
        }
        let tol: Float = element == .f32 ? 0 : element == .f16 ? 1e-3 : 0.01
        #expect(maxErr <= tol, "max error \(maxErr) for \(element)")
        print("OK, \(element) round trip maxdiff = \(maxErr)")
    }

    @Test(arguments: [VectorElement.f32, .f16])
    func exactSearchEqualsBruteForce(element: VectorElement) throws {
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        // 9,001 rows: several scan tasks, a ragged last one; 100 dimensions exercise the kernel tails.
        let (w, _) = try VectorFixtures.makeStore(dir, element: element, n: 9001, d: 100)
        let s = w.store
        let queries = VectorFixtures.randomVectors(20, 100, seed: 77)
        let batch = try s.search(batch: queries.flatMap { $0 }, k: 10)
        for (qi, q) in queries.enumerated() {
            let want = try VectorFixtures.bruteForce(s, q, k: 10)
            let got = try s.search(q, k: 10)
            #expect(got.map(\.row) == want.map(\.row), "query \(qi): \(got.map(\.row)) vs \(want.map(\.row))")
            #expect(batch[qi].map(\.row) == want.map(\.row), "batch query \(qi)")
            for (a, b) in zip(got, want) { #expect(abs(a.score - b.score) < 1e-4) }
        }
    }

    @Test func dotMetricKeepsMagnitudes() throws {
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let w = try VectorStoreWriter(path: dir.path, create: StoreOptions(model: "m", dimension: 4, element: .f32, metric: .dot), pool: ThreadPool(threads: 2))
        try w.add([[1, 0, 0, 0], [3, 0, 0, 0], [0, 1, 0, 0]], VectorFixtures.records(3))
        try w.commit()
        let hits = try w.store.search([1, 0, 0, 0], k: 2)
        #expect(hits == [VectorHit(row: 1, score: 3), VectorHit(row: 0, score: 1)])
        #expect(throws: VectorError.self) { try w.store.search([1, 0], k: 2) }
    }

    @Test func int8RecallAgainstF32() throws {
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let (wf, v) = try VectorFixtures.makeStore(dir.appendingPathComponent("f32"), element: .f32, n: 20000, d: 384, metric: .dot)
        let wq = try VectorStoreWriter(path: dir.appendingPathComponent("i8").path, create: StoreOptions(model: "test", dimension: 384, element: .int8, metric: .dot), pool: ThreadPool(threads: 2))
        wq.graphParameters = nil
        try wq.add(v, VectorFixtures.records(v.count)); try wq.commit()
        let queries = VectorFixtures.randomVectors(50, 384, seed: 5)
        var hit = 0, batchHit = 0
        let batch = try wq.store.search(batch: queries.flatMap { $0 }, k: 10)
        for (i, q) in queries.enumerated() {
            let exact = Set(try wf.store.search(q, k: 10).map(\.row))
            hit += try wq.store.search(q, k: 10).filter { exact.contains($0.row) }.count
            batchHit += batch[i].filter { exact.contains($0.row) }.count
        }
        let recall = Double(hit) / 500, batchRecall = Double(batchHit) / 500
        print("OK, int8 recall@10 = \(recall) (single), \(batchRecall) (batch)")
        #expect(recall >= 0.97 && batchRecall >= 0.97)
    }

    @Test func tombstonesAndCompact() throws {
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let (w, v) = try VectorFixtures.makeStore(dir, element: .f32, n: 200, d: 32)
        let q = v[17]
        #expect(try w.store.search(q, k: 1).first?.row == 17)
        w.delete(rows: Array(0..<100))
        #expect(w.store.count == 200)  // not visible before commit
        try w.commit()
        #expect(w.store.count == 100 && w.store.tombstones.count == 100)
        let hits = try w.store.search(q, k: 50)
        #expect(hits.allSatisfy { $0.row >= 100 } && hits.count == 50)
        #expect(try w.store.keywordSearch("chunk", k: 500).allSatisfy { $0.row >= 100 })
        let before = w.store.diskBytes
        let keptRecord = try w.store.record(150)
        try w.compact(keep: 1)
        let s = w.store
        #expect(s.count == 100 && s.tombstones.isEmpty && s.manifest.segments.count == 1 && s.diskBytes < before)
        #expect(try s.liveRecords().map(\.record).contains(keptRecord))
        // Only the new segment's files remain.
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("seg-") }
        #expect(Set(names) == Set(s.manifest.segments[0].files))
        let top = try s.search(v[150], k: 1)
        #expect(try s.record(top[0].row) == keptRecord)
    }

    @Test func secondWriterGetsLockMessage() throws {
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let (w, _) = try VectorFixtures.makeStore(dir, element: .f32, n: 3, d: 8)
        do {
            _ = try VectorStoreWriter(path: dir.path)
            Issue.record("a second writer opened the store")
        } catch let e as VectorError {
            #expect("\(e)".contains("another lai process (pid \(getpid()))"), "\(e)")
        }
        // Readers are never blocked.
        #expect(try VectorStore(path: dir.path).count == 3)
        w.close()
        _ = try VectorStoreWriter(path: dir.path)
    }

    @Test func corruptedSegmentIsDetected() throws {
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let (w, _) = try VectorFixtures.makeStore(dir, element: .f32, n: 50, d: 16)
        let seg = w.store.manifest.segments[0]
        w.close()
        func flip(_ name: String, at offset: Int) throws {
            let p = dir.appendingPathComponent(name)
            var d = try Data(contentsOf: p)
            d[offset] ^= 0x40
            try d.write(to: p)
        }
        try flip(seg.vectorsFile, at: 64 + 5 * 64 + 3)
        #expect(throws: VectorError.checksumMismatch(path: dir.path + "/" + seg.vectorsFile)) { try VectorStore(path: dir.path, verify: .full) }
        let quick = try VectorStore(path: dir.path)  // structure only: opens, verify() finds it
        #expect(throws: VectorError.checksumMismatch(path: dir.path + "/" + seg.vectorsFile)) { try quick.verify() }
        try flip(seg.vectorsFile, at: 64 + 5 * 64 + 3)
        try flip(seg.textFile, at: seg.textBytes / 2)
        let s = try VectorStore(path: dir.path)
        #expect(throws: VectorError.checksumMismatch(path: dir.path + "/" + seg.textFile)) { try s.record(0) }
        // A truncated vector file is a clear structural error.
        try flip(seg.textFile, at: seg.textBytes / 2)
        let vp = dir.appendingPathComponent(seg.vectorsFile)
        try Data(try Data(contentsOf: vp).prefix(100)).write(to: vp)
        do { _ = try VectorStore(path: dir.path); Issue.record("opened a truncated segment") } catch let e as VectorError {
            #expect("\(e)".contains("seg-000001.vec: corrupt: 100 bytes"), "\(e)")
        }
        // A damaged manifest.
        try flip("MANIFEST", at: 80)
        #expect(throws: VectorError.checksumMismatch(path: dir.path + "/MANIFEST")) { try VectorStore(path: dir.path) }
    }

    @Test func readersKeepTheirSnapshot() throws {
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let (w, v) = try VectorFixtures.makeStore(dir, element: .int8, n: 100, d: 64)
        let reader = try VectorStore(path: dir.path, pool: ThreadPool(threads: 2))
        w.delete(rows: [0, 1, 2]); try w.commit()
        try w.add(VectorFixtures.randomVectors(10, 64, seed: 3), VectorFixtures.records(10, offset: 100)); try w.compact()
        // The old snapshot still searches its (now unlinked) files.
        #expect(reader.count == 100)
        #expect(try reader.search(v[1], k: 1).first?.row == 1)
        #expect(try reader.record(1) == VectorFixtures.records(100)[1])
        #expect(try reader.keywordSearch("chunk 1", k: 1).count == 1)
        #expect(try VectorStore(path: dir.path).count == 107)
    }

    @Test func leftoversOfACrashedWriterAreRemoved() throws {
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let (w, _) = try VectorFixtures.makeStore(dir, element: .f32, n: 10, d: 8)
        w.close()
        // MANIFEST-000007: a generation written just before a crash, never made current.
        for junk in ["seg-000009.vec", ".seg-000002.vec.lai-tmp-123", ".MANIFEST.lai-tmp-9", "MANIFEST-000007"] {
            try Data([1, 2, 3]).write(to: dir.appendingPathComponent(junk))
        }
        #expect(try VectorStore(path: dir.path, verify: .full).count == 10)
        let w2 = try VectorStoreWriter(path: dir.path)
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        #expect(names == Set(w2.store.manifest.segments[0].files + ["MANIFEST", "MANIFEST-000000", "MANIFEST-000001", "LOCK"]))
    }

    /// Every commit is a generation: kept generations open as they were, rollback makes one current again
    /// (as a new generation), and compaction's retention drops old generations and the files only they used.
    @Test func generationsRollbackAndRetention() throws {
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let (w, v) = try VectorFixtures.makeStore(dir, element: .f16, n: 30, d: 16)   // generation 1
        w.pendingNote.filesAdded = 3
        try w.add(VectorFixtures.randomVectors(10, 16, seed: 5), VectorFixtures.records(10, offset: 30)); try w.commit()   // 2
        w.delete(rows: Array(0..<10)); try w.commit()   // 3
        var h = try VectorStore.history(path: dir.path)
        #expect(h.map(\.generation) == [0, 1, 2, 3])
        #expect(h[2].note?.filesAdded == 3 && h[2].note?.chunksAdded == 10 && h[3].note?.chunksDeleted == 10 && h[3].time > 0)
        let g1 = try VectorStore(path: dir.path, generation: 1)
        #expect(g1.count == 30 && g1.manifest.generation == 1)
        #expect(try g1.search(v[3], k: 1).first?.row == 3)
        #expect(throws: VectorError.noGeneration(path: dir.path, generation: 7, current: 3)) { try VectorStore(path: dir.path, generation: 7) }

        try w.rollback(to: 1)   // 4
        #expect(w.store.manifest.generation == 4 && w.store.count == 30 && w.store.manifest.note?.restoredGeneration == 1)
        #expect(try w.store.search(v[3], k: 1).first?.row == 3)
        // New rows after a rollback never reuse row ids or segment names of later generations.
        try w.add(VectorFixtures.randomVectors(2, 16, seed: 6), VectorFixtures.records(2, offset: 50)); try w.commit()   // 5
        #expect(w.store.liveRows.last == 41 && w.store.manifest.segments.last?.id == 3)
        #expect(try VectorStore(path: dir.path, verify: .full, generation: 3).count == 30)

        // Without a rule, compaction keeps every generation (and the files they list).
        try w.compact()   // 6
        h = try VectorStore.history(path: dir.path)
        #expect(h.count == 7)
        #expect(try VectorStore(path: dir.path, verify: .full, generation: 2).count == 40)
        try w.compact(keep: 2)   // 7; keeps 6 and 7
        h = try VectorStore.history(path: dir.path)
        #expect(h.map(\.generation) == [6, 7] && h[1].keep == 2)
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
        let listed = Set(h.flatMap { $0.segments.flatMap(\.files) } + ["MANIFEST", "MANIFEST-000006", "MANIFEST-000007", "LOCK"])
        #expect(files == listed)
        #expect(try VectorStore(path: dir.path, verify: .full).count == 32)
        w.close()
        // The rule is recorded: a later writer's compaction applies it too.
        let w2 = try VectorStoreWriter(path: dir.path)
        try w2.add(VectorFixtures.randomVectors(1, 16, seed: 8), VectorFixtures.records(1, offset: 60)); try w2.commit()
        try w2.compact()
        #expect(try VectorStore.history(path: dir.path).map(\.generation) == [8, 9])
    }

    /// A store written before generations were kept (one MANIFEST, no MANIFEST-NNNNNN) opens, and its writer
    /// starts the history from it.
    @Test func storesWithoutGenerationFilesStillOpen() throws {
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let (w, _) = try VectorFixtures.makeStore(dir, element: .f32, n: 5, d: 8)
        w.close()
        for n in try FileManager.default.contentsOfDirectory(atPath: dir.path) where n.hasPrefix("MANIFEST-") {
            try FileManager.default.removeItem(at: dir.appendingPathComponent(n))
        }
        #expect(try VectorStore(path: dir.path).count == 5)
        #expect(try VectorStore.history(path: dir.path).map(\.generation) == [1])
        let w2 = try VectorStoreWriter(path: dir.path)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("MANIFEST-000001").path))
        try w2.add(VectorFixtures.randomVectors(1, 8, seed: 2), VectorFixtures.records(1, offset: 5)); try w2.commit()
        #expect(try VectorStore.history(path: dir.path).map(\.generation) == [1, 2])
    }

    /// AES-256-GCM at rest: the same search results as a plain store, no row or text in any file, a missing
    /// or wrong key refused, a damaged file caught.
    @Test(arguments: [VectorElement.f32, .int8])
    func encryptedStore(element: VectorElement) throws {
        let plainDir = try Fixtures.tempDir(), dir = try Fixtures.tempDir()
        defer { try? FileManager.default.removeItem(at: plainDir); try? FileManager.default.removeItem(at: dir) }
        let key = try StoreKey.parse(String(repeating: "ab", count: 32), source: "test")
        let (pw, v) = try VectorFixtures.makeStore(plainDir, element: element, n: 120, d: 48)
        let w = try VectorStoreWriter(path: dir.path, create: StoreOptions(model: "test", dimension: 48, element: element, encryptWith: key), pool: ThreadPool(threads: 2))
        try w.add(v, VectorFixtures.records(120)); try w.commit()
        w.delete(rows: [4, 5]); pw.delete(rows: [4, 5]); try w.commit(); try pw.commit()
        try w.compact(); try pw.compact()
        w.close()
        let s = try VectorStore(path: dir.path, verify: .full, key: key), p = try VectorStore(path: plainDir.path)
        try s.verify()
        #expect(s.manifest.isEncrypted && s.count == 118)
        for q in [v[0], v[7], v[100]] {
            #expect(try s.search(q, k: 5).map(\.row) == p.search(q, k: 5).map(\.row))
            #expect(try s.keywordSearch("topic3 chunk", k: 5).map(\.row) == p.keywordSearch("topic3 chunk", k: 5).map(\.row))
        }
        #expect(try s.record(s.liveRows[10]) == p.record(p.liveRows[10]))
        // No plaintext: record texts and stored rows.
        var needles = (0..<120).map { Array("chunk \($0) about".utf8) }
        for seg in p.manifest.segments {
            let d = [UInt8](try Data(contentsOf: plainDir.appendingPathComponent(seg.vectorsFile)))
            let stride = element.rowStride(dimension: 48)
            for r in 0..<seg.rows { needles.append(Array(d[(64 + r * stride)..<(64 + r * stride + 16)])) }
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            let d = [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
            for n in needles where d.count >= n.count {
                #expect(!(0...(d.count - n.count)).contains { d[$0] == n[0] && Array(d[$0..<($0 + n.count)]) == n }, "\(name) holds plaintext")
            }
        }
        #expect(throws: VectorError.keyRequired(path: dir.path)) { try VectorStore(path: dir.path) }
        let wrong = try StoreKey.parse(Data(repeating: 7, count: 32).base64EncodedString(), source: "test")
        #expect(throws: VectorError.wrongKey(path: dir.path)) { try VectorStore(path: dir.path, key: wrong) }
        #expect(throws: VectorError.wrongKey(path: dir.path)) { try VectorStoreWriter(path: dir.path, key: wrong) }
        // A flipped ciphertext byte: the checksum (and the GCM tag) catch it.
        let seg = s.manifest.segments[0]
        let vp = dir.appendingPathComponent(seg.textFile)
        var d = try Data(contentsOf: vp); d[d.count / 2] ^= 1; try d.write(to: vp)
        #expect(throws: VectorError.checksumMismatch(path: vp.path)) { try VectorStore(path: dir.path, key: key).verify() }
        // Keys: 64 hex digits or base64 of 32 bytes, nothing else.
        #expect(throws: VectorError.self) { try StoreKey.parse("abcd", source: "LAI_KB_KEY") }
    }
}
