// lai key: make an API key for `lai serve --keys FILE` (the key is printed once; the file keeps its sha256).
import ArgumentParser
import Foundation
import LAICore

struct Key: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create an API key for lai serve.",
        discussion: "Prints a new key on stdout and adds its sha256 (never the key) to FILE. SIGHUP makes a running lai serve read the file again.")

    @Argument(help: "Who the key is for (shown in the audit log; an existing entry of that name is replaced).") var name: String
    @Option(help: "Key file (created with mode 0600).") var file: String
    @Option(help: "Scopes, comma-separated: read, infer, admin.") var scopes = "read,infer"
    @Option(name: .customLong("requests-per-minute")) var requestsPerMinute: Int?
    @Option(name: .customLong("tokens-per-minute")) var tokensPerMinute: Int?
    @Option var concurrency: Int?

    func run() throws {
        var set = Set<Scope>()
        for s in scopes.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let sc = Scope(rawValue: s) else { throw ValidationError("unknown scope '\(s)' (read, infer, admin)") }
            set.insert(sc)
        }
        let key = APIKeyFile.generateKey()
        try APIKeyFile.add(name: name, key: key, scopes: set,
                           limits: RateLimits(requestsPerMinute: requestsPerMinute, tokensPerMinute: tokensPerMinute, concurrency: concurrency),
                           to: file)
        print(key)
    }
}
