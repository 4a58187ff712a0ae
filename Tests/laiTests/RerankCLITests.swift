// CLI tests for `lai rerank`: a Hugging Face reranker folder (converted into a temporary cache) and its GGUF, the
// ranked lines and JSON against llama-server's /v1/rerank (Tests/Fixtures/rerank), stdin documents, and errors.
import Foundation
import Testing

@Suite(.serialized) struct RerankCommandTests {
    static let folder = CLI.repoRoot.appendingPathComponent("Tests/Fixtures/hfconvert/xlm-roberta-reranker").path

    static func reference() throws -> (query: String, documents: [String], order: [Int], scores: [Int: Double], tokens: Int) {
        let url = CLI.repoRoot.appendingPathComponent("Tests/Fixtures/rerank/xlm-roberta-reranker.scores.json")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let server = try #require(doc["llama_server_v1_rerank"] as? [String: Any])
        let results = try #require(server["results"] as? [[String: Any]])
        var scores: [Int: Double] = [:]
        for r in results { scores[r["index"] as! Int] = r["relevance_score"] as? Double }
        let usage = try #require(server["usage"] as? [String: Any])
        return (try #require(doc["query"] as? String), try #require(doc["documents"] as? [String]),
                results.map { $0["index"] as! Int }, scores, try #require(usage["prompt_tokens"] as? Int))
    }

    /// Lines "score<TAB>index<TAB>document" best first, in llama-server's order with its scores (±2e-3); --top; --json
    /// in llama-server's response shape with the documents.
    @Test func ranksAsLlamaServer() throws {
        let ref = try Self.reference()
        let cache = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: cache) }
        let r = try CLI.run(["rerank", Self.folder, ref.query] + ref.documents, env: ["LAI_CACHE": cache.path])
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
        let rows = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        #expect(rows.map { Int($0[1]) } == ref.order)
        for row in rows {
            let i = try #require(Int(row[1]))
            #expect(abs(try #require(Double(row[0])) - ref.scores[i]!) <= 2e-3)
            #expect(row.count == 3 && String(row[2]) == ref.documents[i])
        }
        let top = try CLI.run(["rerank", Self.folder, ref.query, "--top", "2"] + ref.documents, env: ["LAI_CACHE": cache.path])
        #expect(top.stdout.split(separator: "\n").count == 2)
        let j = try CLI.run(["rerank", "--json", Self.folder, ref.query] + ref.documents, env: ["LAI_CACHE": cache.path])
        #expect(j.status == 0, "\(j.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        let results = try #require(obj["results"] as? [[String: Any]])
        #expect(results.map { $0["index"] as? Int } == ref.order)
        #expect((obj["usage"] as? [String: Any])?["prompt_tokens"] as? Int == ref.tokens)
        #expect((results[0]["document"] as? [String: Any])?["text"] as? String == ref.documents[ref.order[0]])
        #expect(obj["object"] as? String == "list")
    }

    /// Documents from stdin, one per line: blank lines skipped, index = line number.
    @Test func stdinDocuments() throws {
        let cache = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: cache) }
        let r = try CLI.run(["rerank", Self.folder, "trouble"], stdin: "Botchan was a boy.\n\n  \ntrouble\n", env: ["LAI_CACHE": cache.path])
        #expect(r.status == 0, "\(r.stderr)")
        let indexes = r.stdout.split(separator: "\n").map { $0.split(separator: "\t")[1] }
        #expect(Set(indexes) == ["0", "3"])
    }

    /// Errors are one line with a non-zero exit: an embedder is not a reranker, no documents, --top 0, a pair longer
    /// than the context with --no-truncate; `lai show` names the head.
    @Test func errorsAndShow() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let embedder = dir.appendingPathComponent("xlm-roberta-F32.gguf").path
        let q = try CLI.run(["quantize", CLI.repoRoot.appendingPathComponent("Tests/Fixtures/hfconvert/xlm-roberta").path, "--type", "f32", "-o", dir.path])
        try #require(q.status == 0, "\(q.stderr)")
        let notReranker = try CLI.run(["rerank", embedder, "q", "d"])
        #expect(notReranker.status == 1 && notReranker.stderr.contains("no classification head") && notReranker.stderr.split(separator: "\n").count == 1, "\(notReranker.stderr)")
        let gguf = dir.appendingPathComponent("xlm-roberta-reranker-Q8_0.gguf").path
        try #require(try CLI.run(["quantize", Self.folder, "--type", "q8_0", "-o", dir.path]).status == 0)
        let none = try CLI.run(["rerank", gguf, "q"], stdin: "\n\n")
        #expect(none.status != 0 && none.stderr.contains("no documents"), "\(none.stderr)")
        #expect(try CLI.run(["rerank", gguf, "q", "d", "--top", "0"]).status == 64)
        let long = String(repeating: "Botchan was a boy who was always getting into trouble. ", count: 20)
        let strict = try CLI.run(["rerank", gguf, "q", "short", long, "--no-truncate"])
        #expect(strict.status != 0 && strict.stderr.contains("document 1") && strict.stderr.split(separator: "\n").count <= 2, "\(strict.stderr)")
        let cut = try CLI.run(["rerank", gguf, "q", "short", long])
        #expect(cut.status == 0 && cut.stderr.contains("warning: document 1"), "\(cut.stderr)")
        let show = try CLI.run(["show", gguf])
        #expect(show.stdout.contains("classifier             1 output (LABEL_0): a reranker (lai rerank)"), "\(show.stdout)")
    }
}
