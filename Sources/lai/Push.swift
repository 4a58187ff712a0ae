// lai push: upload a stored model to an OCI registry (blob HEAD check, monolithic upload, manifest PUT).
import ArgumentParser
import LAICore

struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload a stored model to its registry (the host in its name, e.g. localhost:5000/me/tiny:latest).")

    @Argument(help: "The model name; its host part says which registry.")
    var model: String

    @Flag(help: "Allow a registry that speaks plain http.")
    var insecure = false

    @Flag(name: .shortAndLong, help: "Print no progress.")
    var quiet = false

    func run() throws {
        let name = try ModelName(parsing: model)
        try ModelPusher(store: .default(), progress: PullProgress(mode: PullProgress.mode(quiet: quiet))).push(name, insecure: insecure)
    }
}
