// HNSW graphs: recall against exact search on a clustered set, persistence, incremental commits with
// tombstones and compaction, and a damaged graph file (exact fallback with a warning; verify fails).
import Foundation
import LAICore
import Testing

enum GraphFixtures {
    /// `n` points around n/50 random centres (noise 0.5 per coordinate): clustered like text embeddings,
    /// so near neighbours are close calls.
    static func clustered(_ n: Int, _ d: Int, seed: UInt64, centres: Int? = nil) -> [[Float]] {
        var rng = SeededRandom(seed: seed)
        func gauss() -> Float {
            let u1 = max(rng.unit(), 1e-300), u2 = rng.unit()
            return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
        }
        let c = (0..<(centres ?? max(1, n / 50))).map { _ in (0..<d).map { _ in gauss() } }
        return (0..<n).map { _ in
            let k = Int(rng.unit() * Double(c.count)) % c.count
            return c[k].map { $0 + 0.5 * gauss() }
        }
    }

    static let small = GraphParameters(m: 12, efConstruction: 100, minRows: 100)

    static func recall(_ s: VectorStore, _ queries: [[Float]], k: Int, ef: Int) throws -> Double {
        var hit = 0, total = 0
        for q in queries {
            let want = try s.search(q, k: k)
            let got = Set(try s.approximateSearch(q, k: k, efSearch: ef).map(\.row))
            hit += want.filter { got.contains($0.row) }.count
            total += want.count
        }
        return Double(hit) / Double(max(total, 1))
    }
}

@Suite struct HNSWTests {
    @Test(arguments: [VectorElement.f32, .f16, .int8])
    func recallAgainstExactSearch(element: VectorElement) throws {
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let v = GraphFixtures.clustered(3000, 64, seed: 11)
        let w = try VectorStoreWriter(path: dir.path, create: StoreOptions(model: "test", dimension: 64, element: element), pool: ThreadPool(threads: 2))
        w.graphParameters = GraphFixtures.small
        try w.add(v, VectorFixtures.records(v.count)); try w.commit()
        let s = w.store
        #expect(s.graphSegments == 1 && s.manifest.segments[0].hasGraph)
        let queries = GraphFixtures.clustered(100, 64, seed: 12, centres: 60)
        let r = try GraphFixtures.recall(s, queries, k: 10, ef: 128)
        print("OK, HNSW recall@10 (\(element), 3000 × 64, ef 128): \(r)")
        #expect(r >= 0.95)
        // Scores are the stored vectors' dot products (the exact search's final scores).
        let q = queries[0], exact = try s.search(q, k: 3), approx = try s.approximateSearch(q, k: 3, efSearch: 64)
        for (a, b) in zip(exact, approx) where a.row == b.row { #expect(abs(a.score - b.score) < 1e-4) }
        // Automatic mode follows the threshold; .exact never uses the graph.
        #expect(s.usesGraphs(SearchOptions(mode: .automatic, threshold: 3000)))
        #expect(!s.usesGraphs(SearchOptions(mode: .automatic, threshold: 3001)))
        #expect(!s.usesGraphs(SearchOptions(mode: .exact, threshold: 0)))
        // Without a beam, the store's size picks it: 128 up to 200,000 rows, wider for larger stores.
        #expect(SearchOptions().efSearch == nil)
        #expect([1, 119_000, 200_000, 500_000, 1_000_000, 100_000_000].map(SearchOptions.defaultEfSearch(rows:)) == [128, 128, 128, 224, 352, 1024])
    }

    @Test func persistsAndReopens() throws {
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let v = GraphFixtures.clustered(1500, 32, seed: 21)
        let w = try VectorStoreWriter(path: dir.path, create: StoreOptions(model: "test", dimension: 32), pool: ThreadPool(threads: 1))
        w.graphParameters = GraphFixtures.small
        try w.add(v, VectorFixtures.records(v.count)); try w.commit()
        let queries = GraphFixtures.clustered(20, 32, seed: 22, centres: 30)
        let before = try queries.map { try w.store.approximateSearch($0, k: 5, efSearch: 40) }
        w.close()
        let s = try VectorStore(path: dir.path, verify: .full)
        let e = s.manifest.segments[0]
        #expect(e.hasGraph && FileManager.default.fileExists(atPath: dir.path + "/" + e.graphFile))
        #expect(try queries.map { try s.approximateSearch($0, k: 5, efSearch: 40) } == before)
        try s.verify()
        // A store without graphs (graphs off, or written before they existed) opens and searches exactly.
        let plain = dir.appendingPathComponent("plain")
        let w2 = try VectorStoreWriter(path: plain.path, create: StoreOptions(model: "test", dimension: 32))
        w2.graphParameters = nil
        try w2.add(v, VectorFixtures.records(v.count)); try w2.commit()
        #expect(!w2.store.manifest.segments[0].hasGraph && w2.store.graphSegments == 0)
        #expect(!w2.store.usesGraphs(SearchOptions(mode: .approximate)))
        #expect(try w2.store.search(queries[0], k: 5, options: SearchOptions(mode: .approximate)) == (try w2.store.search(queries[0], k: 5)))
        let manifest = try String(contentsOfFile: plain.path + "/MANIFEST", encoding: .utf8)
        #expect(!manifest.contains("graph_"))
    }

    @Test func incrementalCommitsTombstonesAndCompaction() throws {
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let v = GraphFixtures.clustered(2400, 48, seed: 31)
        let w = try VectorStoreWriter(path: dir.path, create: StoreOptions(model: "test", dimension: 48), pool: ThreadPool(threads: 2))
        w.graphParameters = GraphFixtures.small
        // Two commits with graphs and a small third one (below minRows: scanned).
        try w.add(Array(v[0..<1000]), VectorFixtures.records(1000)); try w.commit()
        try w.add(Array(v[1000..<2350]), VectorFixtures.records(1350, offset: 1000)); try w.commit()
        try w.add(Array(v[2350...]), VectorFixtures.records(50, offset: 2350)); try w.commit()
        #expect(w.store.manifest.segments.map(\.hasGraph) == [true, true, false])
        let queries = GraphFixtures.clustered(40, 48, seed: 32, centres: 48)
        #expect(try GraphFixtures.recall(w.store, queries, k: 10, ef: 64) >= 0.95)
        // Tombstone every query's exact top 3: none may come back, and recall over the rest holds.
        var dead = Set<Int>()
        for q in queries { for h in try w.store.search(q, k: 3) { dead.insert(h.row) } }
        w.delete(rows: Array(dead)); try w.commit()
        for q in queries {
            let got = try w.store.approximateSearch(q, k: 10, efSearch: 64)
            #expect(got.count == 10 && got.allSatisfy { !dead.contains($0.row) })
        }
        #expect(try GraphFixtures.recall(w.store, queries, k: 10, ef: 64) >= 0.95)
        try w.compact()
        let s = w.store
        #expect(s.manifest.segments.count == 1 && s.manifest.segments[0].hasGraph && s.count == 2400 - dead.count)
        #expect(try GraphFixtures.recall(s, queries, k: 10, ef: 64) >= 0.95)
        func graphFiles() throws -> Set<String> { Set(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".hnsw") }) }
        // Every generation is kept (no retention rule), so the old segments' graphs stay for them …
        #expect(try graphFiles() == Set(["seg-000001.hnsw", "seg-000002.hnsw", s.manifest.segments[0].graphFile]))
        // … until retention lets them go: they leave with the segments no kept generation lists.
        try w.compact(keep: 1)
        #expect(try graphFiles() == [w.store.manifest.segments[0].graphFile])
    }

    @Test func mergeOfTheLastSegmentsKeepsTheOthers() throws {
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let v = GraphFixtures.clustered(1500, 16, seed: 51)
        let w = try VectorStoreWriter(path: dir.path, create: StoreOptions(model: "test", dimension: 16), pool: ThreadPool(threads: 2))
        w.graphParameters = GraphFixtures.small
        for part in 0..<3 { try w.add(Array(v[(part * 500)..<(part * 500 + 500)]), VectorFixtures.records(500, offset: part * 500)); try w.commit() }
        w.delete(rows: [3, 700]); try w.commit()
        let first = w.store.manifest.segments[0]
        try w.merge(from: 1)
        let s = w.store
        // Segment 1 and its tombstone stay; the other two became one segment (rows renumbered) with one graph.
        #expect(s.manifest.segments.count == 2 && s.manifest.segments[0] == first && s.manifest.tombstones == [3])
        #expect(s.manifest.segments[1].rows == 999 && s.manifest.segments[1].firstRow == 1500 && s.manifest.segments[1].hasGraph)
        #expect(s.count == 1498)
        #expect(try s.record(1500) == VectorFixtures.records(1, offset: 500)[0])
        #expect(try GraphFixtures.recall(s, GraphFixtures.clustered(20, 16, seed: 52, centres: 30), k: 5, ef: 64) >= 0.95)
    }

    @Test func damagedGraphFallsBackToExactSearch() throws {
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let v = GraphFixtures.clustered(1200, 32, seed: 41)
        let w = try VectorStoreWriter(path: dir.path, create: StoreOptions(model: "test", dimension: 32))
        w.graphParameters = GraphFixtures.small
        try w.add(v, VectorFixtures.records(v.count)); try w.commit()
        w.close()
        let graph = dir.path + "/" + w.store.manifest.segments[0].graphFile
        let queries = GraphFixtures.clustered(10, 32, seed: 42, centres: 24)
        // Damaged header (a bad entry point), then a truncated file, then no file.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: graph)))
        bytes[32] = 0xff; bytes[33] = 0xff; bytes[34] = 0xff; bytes[35] = 0x7f
        try Data(bytes).write(to: URL(fileURLWithPath: graph))
        for (damage, message) in [("header", "entry point"), ("truncated", "bytes, the manifest says"), ("missing", "missing")] {
            if damage == "truncated" { try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: graph)) }
            if damage == "missing" { try FileManager.default.removeItem(atPath: graph) }
            let s = try VectorStore(path: dir.path)
            #expect(s.graphSegments == 0 && s.graphProblems.count == 1)
            #expect(s.graphProblems[0].contains(graph) && s.graphProblems[0].contains(message), "\(s.graphProblems)")
            // Still answers, exactly.
            #expect(s.usesGraphs(SearchOptions(mode: .approximate)))
            for q in queries { #expect(try s.search(q, k: 5, options: SearchOptions(mode: .approximate)) == (try s.search(q, k: 5))) }
            do { try s.verify(); Issue.record("verify passed with a \(damage) graph") } catch {
                #expect("\(error)".contains(graph) && !"\(error)".contains("\n"), "\(error)")
            }
        }
        // Compaction rebuilds it.
        let w2 = try VectorStoreWriter(path: dir.path)
        w2.graphParameters = GraphFixtures.small
        try w2.compact()
        #expect(w2.store.graphSegments == 1 && w2.store.graphProblems.isEmpty)
        try w2.store.verify()
    }
}
