// LineEditor: a small terminal line editor for `lai run` (arrows, history, Ctrl-A/E/U/K/W, Ctrl-C, Ctrl-D).
import Foundation

/// Reads lines from a terminal in raw mode with editing and history; falls back to plain `readLine`
/// when stdin is not a terminal.
final class LineEditor {
    enum Result { case line(String), interrupted, eof }

    private var history: [String] = []
    private var original = termios()

    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

    func read(prompt: String) -> Result {
        guard Self.stdinIsTerminal else {
            print(prompt, terminator: ""); fflush(stdout)
            return readLine(strippingNewline: true).map(Result.line) ?? .eof
        }
        tcgetattr(STDIN_FILENO, &original)
        var raw = original
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw)
        defer { tcsetattr(STDIN_FILENO, TCSAFLUSH, &original) }

        var buf: [Character] = []
        var cursor = 0
        var histIndex = history.count
        var saved: [Character] = []
        func redraw() {
            var s = "\r" + prompt + String(buf) + "\u{1B}[K"
            let back = buf.count - cursor
            if back > 0 { s += "\u{1B}[\(back)D" }
            out(s)
        }
        out(prompt)
        var pendingUTF8: [UInt8] = []
        while true {
            guard let b = readByte() else { return .eof }
            switch b {
            case 13, 10:
                out("\r\n")
                let line = String(buf)
                if !line.trimmingCharacters(in: .whitespaces).isEmpty, history.last != line { history.append(line) }
                return .line(line)
            case 3:  // Ctrl-C
                out("^C\r\n"); return .interrupted
            case 4:  // Ctrl-D
                if buf.isEmpty { out("\r\n"); return .eof }
                if cursor < buf.count { buf.remove(at: cursor); redraw() }
            case 127, 8:
                if cursor > 0 { buf.remove(at: cursor - 1); cursor -= 1; redraw() }
            case 1: cursor = 0; redraw()
            case 5: cursor = buf.count; redraw()
            case 21: buf.removeSubrange(0..<cursor); cursor = 0; redraw()
            case 11: buf.removeSubrange(cursor...); redraw()
            case 12: out("\u{1B}[H\u{1B}[2J"); redraw()
            case 23:
                var i = cursor
                while i > 0 && buf[i - 1] == " " { i -= 1 }
                while i > 0 && buf[i - 1] != " " { i -= 1 }
                buf.removeSubrange(i..<cursor); cursor = i; redraw()
            case 27:
                guard let b1 = readByte(), b1 == 91 || b1 == 79, let b2 = readByte() else { continue }
                switch b2 {
                case 65:  // up
                    if histIndex > 0 {
                        if histIndex == history.count { saved = buf }
                        histIndex -= 1; buf = Array(history[histIndex]); cursor = buf.count; redraw()
                    }
                case 66:  // down
                    if histIndex < history.count {
                        histIndex += 1
                        buf = histIndex == history.count ? saved : Array(history[histIndex]); cursor = buf.count; redraw()
                    }
                case 67: if cursor < buf.count { cursor += 1; redraw() }
                case 68: if cursor > 0 { cursor -= 1; redraw() }
                case 72: cursor = 0; redraw()
                case 70: cursor = buf.count; redraw()
                case 51: _ = readByte(); if cursor < buf.count { buf.remove(at: cursor); redraw() }  // Delete: ESC [ 3 ~
                default: break
                }
            default:
                if b < 32 { continue }
                pendingUTF8.append(b)
                if let s = String(validating: pendingUTF8, as: UTF8.self) {
                    pendingUTF8.removeAll()
                    for ch in s { buf.insert(ch, at: cursor); cursor += 1 }
                    redraw()
                } else if pendingUTF8.count >= 4 {
                    pendingUTF8.removeAll()
                }
            }
        }
    }

    private func readByte() -> UInt8? {
        var b: UInt8 = 0
        while true {
            let n = Foundation.read(STDIN_FILENO, &b, 1)
            if n == 1 { return b }
            if n < 0 && errno == EINTR { continue }
            return nil
        }
    }

    private func out(_ s: String) { FileHandle.standardOutput.write(s.data(using: .utf8)!) }
}
