// lai list: the models in the store — name, ID, size, when modified.
import ArgumentParser
import Foundation
import LAICore

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the models in the store.", aliases: ["ls"])

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let models = try ModelStore.default().list()
        if json {
            let iso = ISO8601DateFormatter()
            print(JSON.array(models.map {
                .object([("name", .string($0.name.description)), ("model", .string($0.name.fullName)), ("id", .string($0.id)),
                         ("size", .int($0.size)), ("modified", .string(iso.string(from: $0.modified)))])
            }).serialized())
            return
        }
        let rows = [["NAME", "ID", "SIZE", "MODIFIED"]] + models.map {
            [$0.name.description, $0.id, Formatting.bytes($0.size), List.ago($0.modified)]
        }
        let widths = (0..<4).map { c in rows.map { $0[c].count }.max() ?? 0 }
        for r in rows {
            print((0..<4).map { c in c == 3 ? r[c] : r[c].padding(toLength: widths[c] + 4, withPad: " ", startingAt: 0) }.joined())
        }
    }

    /// "just now", "5 minutes ago", "3 days ago".
    static func ago(_ d: Date) -> String {
        let s = Int(Date().timeIntervalSince(d))
        func unit(_ n: Int, _ u: String) -> String { "\(n) \(u)\(n == 1 ? "" : "s") ago" }
        if s < 60 { return "just now" }
        if s < 3600 { return unit(s / 60, "minute") }
        if s < 86400 { return unit(s / 3600, "hour") }
        if s < 86400 * 30 { return unit(s / 86400, "day") }
        if s < 86400 * 365 { return unit(s / (86400 * 30), "month") }
        return unit(s / (86400 * 365), "year")
    }
}
