// TEMPORARY until the schema converter lands.
package enum JSONSchemaGrammar {
    package static func grammar(for schema: JSON) throws -> String { throw GrammarError("schemas not yet supported") }
    package static let anyJSON = #"""
root ::= value
value ::= object | array | string | number | ("true" | "false" | "null")
object ::= "{" ws ( string ws ":" ws value ( ws "," ws string ws ":" ws value )* )? ws "}"
array ::= "[" ws ( value ( ws "," ws value )* )? ws "]"
string ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4}) )* "\""
number ::= "-"? ([0-9] | [1-9] [0-9]{0,15}) ("." [0-9]+)? ([eE] [-+]? [0-9]{1,15})?
ws ::= | " " | "\n" [ \t]{0,20}
"""#
}
extension JSON {
    package static func parseOrdered(_ text: String) throws -> JSON { try JSON.parse(Array(text.utf8)) }
}
