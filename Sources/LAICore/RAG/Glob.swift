// Glob: gitignore-style pattern matching (`*`, `**`, `?`, `[...]`) on slash-separated paths.

package enum Glob {
    /// Whether `path` (relative, "/"-separated) matches `pattern`: `*` and `?` stop at "/", `**` crosses
    /// directories, `[a-z]`/`[!x]` are classes. A pattern without "/" matches the last component only.
    package static func matches(_ pattern: String, _ path: String) -> Bool {
        var p = pattern
        if p.hasPrefix("/") { p.removeFirst() } else if !p.contains("/") {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            return match(Array(p.unicodeScalars), 0, Array(name.unicodeScalars), 0)
        }
        return match(Array(p.unicodeScalars), 0, Array(path.unicodeScalars), 0)
    }

    private static func match(_ p: [Unicode.Scalar], _ pi: Int, _ s: [Unicode.Scalar], _ si: Int) -> Bool {
        var pi = pi, si = si
        while pi < p.count {
            let c = p[pi]
            if c == "*" {
                if pi + 1 < p.count, p[pi + 1] == "*" {
                    // "**/" matches zero or more directories; a trailing "**" matches everything.
                    var rest = pi + 2
                    if rest < p.count, p[rest] == "/" { rest += 1 }
                    if rest >= p.count { return true }
                    var k = si
                    while k <= s.count {
                        if match(p, rest, s, k) { return true }
                        guard let next = s[k...].firstIndex(of: "/") else { break }
                        k = next + 1
                    }
                    return false
                }
                var k = si
                while true {
                    if match(p, pi + 1, s, k) { return true }
                    if k >= s.count || s[k] == "/" { return false }
                    k += 1
                }
            }
            guard si < s.count else { return false }
            if c == "?" {
                if s[si] == "/" { return false }
            } else if c == "[", let close = p[(pi + 1)...].firstIndex(of: "]"), close > pi + 1 {
                var set = Array(p[(pi + 1)..<close])
                let negate = set.first == "!" || set.first == "^"
                if negate { set.removeFirst() }
                var hit = false
                var i = 0
                while i < set.count {
                    if i + 2 < set.count, set[i + 1] == "-" {
                        if set[i] <= s[si] && s[si] <= set[i + 2] { hit = true }
                        i += 3
                    } else {
                        if set[i] == s[si] { hit = true }
                        i += 1
                    }
                }
                if hit == negate { return false }
                pi = close + 1; si += 1
                continue
            } else if c == "\\", pi + 1 < p.count {
                if p[pi + 1] != s[si] { return false }
                pi += 2; si += 1
                continue
            } else if c != s[si] {
                return false
            }
            pi += 1; si += 1
        }
        return si == s.count
    }
}

/// The rules of one `.gitignore` file, relative to its directory.
package struct IgnoreRules {
    struct Rule { var pattern: String; var negated: Bool; var directoryOnly: Bool }
    var rules: [Rule] = []

    package init(text: String) {
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            var line = String(raw)
            while line.hasSuffix(" ") && !line.hasSuffix("\\ ") { line.removeLast() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            var negated = false
            if line.hasPrefix("!") { negated = true; line.removeFirst() }
            var dirOnly = false
            if line.hasSuffix("/") { dirOnly = true; line.removeLast() }
            if line.isEmpty { continue }
            rules.append(Rule(pattern: line, negated: negated, directoryOnly: dirOnly))
        }
    }

    /// nil when no rule matches, else whether the last matching rule ignores `relative`.
    package func ignores(_ relative: String, isDirectory: Bool) -> Bool? {
        var result: Bool?
        for r in rules where (!r.directoryOnly || isDirectory) && Glob.matches(r.pattern, relative) { result = !r.negated }
        return result
    }
}
