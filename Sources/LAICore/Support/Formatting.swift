// Formatting: human-readable sizes and counts for terminal output.

package enum Formatting {
    /// `98362432` → `93.8 MiB`.
    package static func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n), u = 0
        while v >= 1024, u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(n) B" : String(format: "%.1f", v) + " " + units[u]
    }

    /// `134515008` → `134.52M`.
    package static func count(_ n: Int) -> String {
        let d = Double(n)
        if d >= 1e9 { return String(format: "%.2fB", d / 1e9) }
        if d >= 1e6 { return String(format: "%.2fM", d / 1e6) }
        if d >= 1e3 { return String(format: "%.2fK", d / 1e3) }
        return String(n)
    }
}

import Foundation
