// MilvusAddress: the `--store milvus://HOST:PORT/COLLECTION` parser (the server round trip is MilvusCLITests').
import Foundation
import LAICore
import Testing

@Suite struct MilvusAddressTests {
    @Test func parses() throws {
        let a = try MilvusAddress("milvus://db.local:19531/team_notes")
        #expect(a.base.absoluteString == "http://db.local:19531" && a.collection == "team_notes")
        let b = try MilvusAddress("milvus://10.0.0.2/_kb2")
        #expect(b.base.absoluteString == "http://10.0.0.2:19530" && b.collection == "_kb2")
        let c = try MilvusAddress("milvus+https://cloud.example:443/Notes")
        #expect(c.base.absoluteString == "https://cloud.example:443" && c.collection == "Notes")
        #expect(MilvusAddress.isMilvus("milvus://x/y") && MilvusAddress.isMilvus("milvus+https://x/y") && !MilvusAddress.isMilvus("/tmp/kb"))
    }

    /// Every malformed address is one error naming it; none crashes.
    @Test(arguments: ["milvus://", "milvus:///kb", "milvus://host", "milvus://host/", "milvus://host/9kb", "milvus://host/a-b",
                      "milvus://host/a/b", "milvus://host/notes;drop", "milvus://host/caf\u{E9}", "milvus://ho st/kb",
                      "milvus://host/" + String(repeating: "a", count: 256)])
    func rejects(_ s: String) {
        do {
            _ = try MilvusAddress(s)
            Issue.record("accepted \(s)")
        } catch {
            let m = "\(error)"
            #expect(m.contains(String(s.prefix(20))) && !m.contains("\n"), "\(s): \(m)")
        }
    }
}
