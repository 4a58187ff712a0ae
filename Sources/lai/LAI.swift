// lai: the command-line entry point. Configuration only; each subcommand lives in its own file.
import ArgumentParser
import Foundation
import LAICore

@main
struct LAI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lai",
        abstract: "Run language models and your own knowledge base locally.",
        version: LAIVersion.string,
        subcommands: [
            Run.self,
            Pull.self,
            Show.self,
            List.self,
            Create.self,
            Copy.self,
            Remove.self,
            Push.self,
            Tokenize.self,
            Quantize.self,
            PerplexityCommand.self,
            ImatrixCommand.self,
            Bench.self,
            Embed.self,
            Index.self,
            Ask.self,
            VectorBench.self,
            Serve.self,
            Key.self,
            GrammarCommand.self,
        ]
    )

    /// Parses, then runs. Errors from running print as one line `lai: <message>` on stderr, exit code 1;
    /// usage errors are ArgumentParser's (with help), exit code 64.
    static func main() {
        Interrupts.installCleanupHandler()
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
        } catch let e as CleanExit {
            exit(withError: e)
        } catch let e as ExitCode {
            exit(withError: e)
        } catch let e as ValidationError {
            exit(withError: e)
        } catch where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            exit(withError: error)  // help and usage requests surface here
        } catch {
            Stderr.line("lai: \(error)")
            Foundation.exit(1)
        }
    }
}
