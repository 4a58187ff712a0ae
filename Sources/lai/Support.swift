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
    /// With `cancelOnInterrupt`: a second SIGINT while `cancelled` is still set exits (lai index).
    nonisolated(unsafe) static var secondInterruptExits = false
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
                // A second Ctrl-C while the first is being honoured exits at once.
                if sig == SIGINT && cancelOnInterrupt && (!cancelled.exchange(true, ordering: .relaxed) || !secondInterruptExits) { return }
                TempFiles.shared.removeAll()
                exitNow(128 + sig)
            }
            s.resume()
            sources.append(s)
        }
    }
}

/// Exits without running atexit handlers and static destructors: other threads may still be inside
/// OpenBLAS or a parallel loop, and OpenBLAS's destructor freeing its buffers under them printed
/// "BLAS : Bad memory unallocation!" (and could crash). Output written so far is flushed first.
func exitNow(_ status: Int32) -> Never {
    fflush(nil)
    _exit(status)
}

/// A failure while running a command (a file that cannot be used, say): printed as one line `lai: <message>`, exit 1
/// (ValidationError is for usage mistakes, which print the usage too).
struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
