// lai bench: llama-bench's test names (depth included), batched generation rows and their JSON, bad --batch lists.
import Foundation
import Testing

@Suite(.enabled(if: FileManager.default.fileExists(atPath: CLI.tinyGemma3), "needs the tiny family models (make tiny-models)"))
struct BenchCommandTests {
    @Test func depthAndBatchedTestsInJSON() throws {
        let r = try CLI.run(["bench", CLI.tinyGemma3, "-p", "8", "-n", "4", "-d", "16", "-r", "2", "-t", "2",
                             "--batch", "1,2,3", "--batch-prompt", "5", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["test"] as? String } == ["pp8 @ d16", "tg4 @ d5 ×1", "tg4 @ d5 ×2", "tg4 @ d5 ×3"])
        #expect(rows.map { $0["n_seq"] as? Int } == [1, 1, 2, 3])
        #expect(rows[0]["n_depth"] as? Int == 16 && rows[0]["n_prompt"] as? Int == 8)
        #expect(rows.allSatisfy { ($0["samples_ts"] as? [Double])?.count == 2 && ($0["avg_ts"] as? Double ?? 0) > 0 })
        #expect(rows[0]["speedup"] == nil)
        #expect(rows[1]["speedup"] as? Double == 1)
        #expect((rows[3]["model_size"] as? Int ?? 0) > 0)
    }

    @Test func markdownTableWithoutBatchHasNoSpeedupColumn() throws {
        let r = try CLI.run(["bench", CLI.tinyGemma3, "-p", "4", "-n", "2", "-r", "1", "-b", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first == "| model | size | params | threads | test | t/s |")
        #expect(lines.count == 4 && lines[2].contains("| pp4 |") && lines[3].contains("| tg2 |"))
    }

    @Test func badBatchListIsAnError() throws {
        let r = try CLI.run(["bench", CLI.tinyGemma3, "--batch", "1,0"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--batch takes sequence counts"))
        let old = try CLI.run(["bench", CLI.tinyGemma3, "--batch", "4", "-n", "0"])
        #expect(old.status != 0)
    }
}
