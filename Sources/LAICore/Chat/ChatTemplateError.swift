// ChatTemplateError: what can go wrong parsing or rendering a Jinja chat template, as one line.

/// A chat template that does not parse, fails while rendering, or rejects the conversation.
package enum ChatTemplateError: Error, CustomStringConvertible, Equatable {
    /// The template text is not valid Jinja, or uses a feature lai's interpreter does not have.
    case syntax(line: Int, column: Int, message: String)
    /// Rendering failed at the given place (an undefined value used, a type mismatch, ...).
    case render(line: Int, column: Int, message: String)
    /// The template called `raise_exception(message)`: it rejects this conversation.
    case raised(message: String)
    /// An input handed to the template is malformed (for example a tool that is not JSON).
    case invalidInput(message: String)

    package var description: String {
        switch self {
        case let .syntax(l, c, m): return "chat template: line \(l) col \(c): \(m)"
        case let .render(l, c, m): return "chat template: line \(l) col \(c): \(m)"
        case let .raised(m): return "chat template: raise_exception: \(m)"
        case let .invalidInput(m): return "chat template: \(m)"
        }
    }
}

/// An error inside the lexer, parser or interpreter, located by a unicode-scalar offset into the
/// source (-1 when the interpreter should fill in the statement it was running).
struct JinjaError: Error {
    var message: String
    var offset: Int
    var isSyntax: Bool

    static func syntax(_ message: String, at offset: Int) -> JinjaError {
        JinjaError(message: message, offset: offset, isSyntax: true)
    }
    static func runtime(_ message: String) -> JinjaError {
        JinjaError(message: message, offset: -1, isSyntax: false)
    }

    /// The public error, with the offset turned into a 1-based line and column of `source`.
    func chatTemplateError(source: String) -> ChatTemplateError {
        var line = 1, column = 1, i = 0
        for u in source.unicodeScalars {
            if i >= max(offset, 0) { break }
            if u == "\n" { line += 1; column = 1 } else { column += 1 }
            i += 1
        }
        return isSyntax ? .syntax(line: line, column: column, message: message)
                        : .render(line: line, column: column, message: message)
    }
}
