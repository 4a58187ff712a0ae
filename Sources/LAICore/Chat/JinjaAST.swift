// JinjaAST: the parsed form of a chat template: statements (nodes) and expressions.

/// Call arguments: `f(a, b, key=c)`.
struct JinjaArgs: Sendable {
    var positional: [JinjaExpr] = []
    var keyword: [(String, JinjaExpr)] = []
}

/// An expression. Offsets are unicode-scalar offsets into the source, for error messages.
indirect enum JinjaExpr: Sendable {
    case literal(JinjaValue)
    case name(String)
    case list([JinjaExpr])
    case dict([(JinjaExpr, JinjaExpr)])
    case attribute(JinjaExpr, String)
    case item(JinjaExpr, JinjaExpr)
    case slice(JinjaExpr, JinjaExpr?, JinjaExpr?, JinjaExpr?)
    case call(JinjaExpr, JinjaArgs)
    /// `obj.name(args)`: a Python method (str.strip, dict.items, ...) or a callable attribute.
    case method(JinjaExpr, String, JinjaArgs)
    case filter(JinjaExpr, String, JinjaArgs)
    case test(JinjaExpr, String, JinjaArgs, negated: Bool)
    case not(JinjaExpr)
    case negate(JinjaExpr)
    /// `+ - * / // % ** ~`
    case binary(String, JinjaExpr, JinjaExpr)
    case and(JinjaExpr, JinjaExpr)
    case or(JinjaExpr, JinjaExpr)
    /// `a == b < c ...` with operators `== != < <= > >= in notin`, chained as in Python.
    case compare(JinjaExpr, [(String, JinjaExpr)])
    /// `then if condition else otherwise`
    case conditional(then: JinjaExpr, condition: JinjaExpr, otherwise: JinjaExpr?)
}

/// The left side of `{% set %}`.
enum JinjaTarget: Sendable {
    case name(String)
    case attribute(String, String)   // ns.field
    case names([String])             // a, b = ...
}

/// A macro parameter with its optional default.
struct JinjaParam: Sendable {
    var name: String
    var defaultValue: JinjaExpr?
}

/// A `{% macro %}` (or the body of a `{% call %}` block, named "caller").
package struct JinjaMacro: Sendable {
    var name: String
    var params: [JinjaParam]
    var body: [JinjaNode]
    /// For `caller`: the scopes at the `{% call %}` site, so the body sees that site's variables.
    var captured: [[String: JinjaValue]]?
}

struct JinjaFor: Sendable {
    var targets: [String]
    var iterable: JinjaExpr
    var condition: JinjaExpr?
    var body: [JinjaNode]
    var elseBody: [JinjaNode]
    var offset: Int
}

/// A statement.
indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpr, offset: Int)
    case ifChain([(JinjaExpr, [JinjaNode])], elseBody: [JinjaNode], offset: Int)
    case forLoop(JinjaFor)
    case set(JinjaTarget, JinjaExpr, offset: Int)
    case setBlock(JinjaTarget, [JinjaNode], filters: [(String, JinjaArgs)], offset: Int)
    case macro(JinjaMacro, offset: Int)
    case callBlock(call: JinjaExpr, callerParams: [JinjaParam], body: [JinjaNode], offset: Int)
    case filterBlock([(String, JinjaArgs)], body: [JinjaNode], offset: Int)
    case breakLoop(offset: Int)
    case continueLoop(offset: Int)
}
