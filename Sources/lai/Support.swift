// Support: small helpers the subcommands share (stderr, interrupts, version).
import Foundation
import LAICore
import Synchronization

enum LAIVersion { static let string = "0.1.0" }

enum Stderr {
    static func line(_ s: String) { FileHandle.standardError.write((s + "\n").data(using: .utf8)!) }
}

enum Interrupts {
    nonisolated(unsafe) static var sources: [DispatchSourceSignal] = []
    /// When true (interactive chat), SIGINT sets `cancelled` instead of exiting.
    nonisolated(unsafe) static var cancelOnInterrupt = false
    static let cancelled = Atomic<Bool>(false)

    /// On SIGINT/SIGTERM, removes temporary files being written and exits 130/143, so an interrupted
    /// command never leaves a partial file behind.
    /// Hands SIGINT/SIGTERM back (lai serve drains on them instead of exiting at once).
    static func removeCleanupHandler() {
        for s in sources { s.cancel() }
        sources.removeAll()
    }

    static func installCleanupHandler() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler {
                if sig == SIGINT && cancelOnInterrupt { cancelled.store(true, ordering: .relaxed); return }
                TempFiles.shared.removeAll()
                exit(128 + sig)
            }
            s.resume()
            sources.append(s)
        }
    }
}

/// A failure while running a command (a file that cannot be used, say): printed as one line `lai: <message>`, exit 1
/// (ValidationError is for usage mistakes, which print the usage too).
struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
