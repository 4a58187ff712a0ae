// PullProgress: bytes, rate and ETA of a transfer on stderr — redrawn on a terminal, plain lines otherwise.
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Reports transfer progress; thread-safe (parallel range downloads add bytes from several threads).
package final class PullProgress: @unchecked Sendable {
    package enum Mode: Sendable { case terminal, lines, quiet }

    private let lock = NSLock()
    private let mode: Mode
    private let write: @Sendable (String) -> Void
    private var label = ""
    private var total = 0
    private var done = 0
    private var resumedFrom = 0
    private var started = Date()
    private var lastPrint = Date(timeIntervalSince1970: 0)
    private var lastWidth = 0

    /// `terminal` when stderr is a TTY, else `lines`; `quiet` prints nothing.
    package static func mode(quiet: Bool) -> Mode { quiet ? .quiet : (isatty(2) != 0 ? .terminal : .lines) }

    /// Receives every status line and byte count (the server streams them as /api/pull progress).
    private let observer: (@Sendable (Event) -> Void)?

    package enum Event: Sendable {
        case status(String)
        case progress(label: String, done: Int, total: Int)
    }

    package init(mode: Mode, write: @escaping @Sendable (String) -> Void = { s in FileHandle.standardError.write(Data(s.utf8)) },
                 observer: (@Sendable (Event) -> Void)? = nil) {
        self.mode = mode; self.write = write; self.observer = observer
    }

    /// A status line such as "pulling manifest" (not shown when quiet).
    package func status(_ s: String) {
        lock.lock(); defer { lock.unlock() }
        observer?(.status(s))
        if mode == .quiet { return }
        finishLineLocked()
        write(s + "\n")
    }

    /// Starts a transfer of `total` bytes of which `already` are present (resumed).
    package func begin(_ label: String, total: Int, already: Int) {
        lock.lock(); defer { lock.unlock() }
        self.label = label; self.total = total; done = already; resumedFrom = already
        observer?(.progress(label: label, done: already, total: total))
        started = Date(); lastPrint = mode == .lines ? started : Date(timeIntervalSince1970: 0)
        if mode == .lines && already > 0 { write("\(label): resuming at \(Formatting.bytes(already)) of \(Formatting.bytes(total))\n") }
    }

    package func add(_ n: Int) {
        lock.lock(); defer { lock.unlock() }
        done += n
        let now = Date()
        let interval = mode == .terminal || observer != nil ? 0.1 : 2.0
        if now.timeIntervalSince(lastPrint) >= interval {
            lastPrint = now
            observer?(.progress(label: label, done: done, total: total))
            printLocked(final: false)
        }
    }

    /// Drops `n` bytes counted by a request that failed and will be retried from an earlier offset.
    package func subtract(_ n: Int) { lock.lock(); done -= n; lock.unlock() }

    package func end() {
        lock.lock(); defer { lock.unlock() }
        observer?(.progress(label: label, done: done, total: total))
        printLocked(final: true)
    }

    /// "93.8 MiB / 93.8 MiB (100%), 120.5 MiB/s, ETA 0s".
    package static func line(label: String, done: Int, total: Int, bytesPerSecond: Double) -> String {
        var s = "\(label): \(Formatting.bytes(done))"
        if total > 0 { s += " / \(Formatting.bytes(total)) (\(Int(Double(done) * 100 / Double(total)))%)" }
        s += ", \(Formatting.bytes(Int(bytesPerSecond)))/s"
        if total > 0, bytesPerSecond > 0, done < total {
            let eta = Int((Double(total - done) / bytesPerSecond).rounded(.up))
            s += ", ETA " + (eta >= 3600 ? "\(eta / 3600)h\(eta % 3600 / 60)m" : eta >= 60 ? "\(eta / 60)m\(eta % 60)s" : "\(eta)s")
        }
        return s
    }

    private func printLocked(final: Bool) {
        if mode == .quiet { return }
        let secs = max(Date().timeIntervalSince(started), 0.001)
        let l = PullProgress.line(label: label, done: done, total: total, bytesPerSecond: Double(done - resumedFrom) / secs)
        switch mode {
        case .terminal:
            let pad = String(repeating: " ", count: max(0, lastWidth - l.count))
            write("\r" + l + pad + (final ? "\n" : ""))
            lastWidth = final ? 0 : l.count
        case .lines: write(l + "\n")
        case .quiet: break
        }
    }

    private func finishLineLocked() {
        if mode == .terminal && lastWidth > 0 { write("\n"); lastWidth = 0 }
    }
}
