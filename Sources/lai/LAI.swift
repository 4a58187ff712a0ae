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
            Rerank.self,
            Index.self,
            Ask.self,
            VectorBench.self,
            Serve.self,
            Key.self,
            GrammarCommand.self,
        ]
    )

    /// Parses, then runs. Errors from running print as one line `lai: <message>` on stderr, exit code 1;
    /// usage errors found while parsing are ArgumentParser's (with the subcommand's usage), exit code 64;
    /// usage errors found while running print `lai: <message>` and where the help is, exit code 64.
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
            // A usage mistake noticed while running: the message and where the subcommand's help is,
            // not the root command's usage line (which says nothing about this subcommand).
            Stderr.line("lai: \(e.message)")
            Stderr.line("See 'lai \(type(of: command)._commandName) --help'.")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        } catch where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            exit(withError: error)  // help and usage requests surface here
        } catch {
            Stderr.line("lai: \(error)")
            Foundation.exit(1)
        }
    }
}
