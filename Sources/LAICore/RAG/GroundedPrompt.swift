// GroundedPrompt: the instructions and numbered sources that make a model answer from the knowledge base.

/// A source given to the model: where it came from and its text.
package struct PromptSource: Sendable {
    package var label: String
    package var text: String
    package init(label: String, text: String) { self.label = label; self.text = text }
}

package enum GroundedPrompt {
    package static let system = """
    You answer questions using only the numbered sources you are given. \
    Cite the sources that support each statement as [1], [2] and so on. \
    If the sources do not contain the answer, say that the sources do not contain it; do not guess.
    """

    /// The user message: numbered sources (their text only: small models copy file names and line
    /// ranges into the answer instead of reading the text), then the question and the rules again.
    package static func userMessage(question: String, sources: [PromptSource]) -> String {
        var s = "Sources:\n\n"
        if sources.isEmpty { s += "(none)\n\n" }
        for (i, src) in sources.enumerated() {
            s += "[\(i + 1)] \(src.text.trimmingCharacters(in: .whitespacesAndNewlines))\n\n"
        }
        s += "Question: \(question)\n\n"
        s += "Answer in one or two sentences using the sources above, and cite them like [1]. If they do not contain the answer, say so."
        return s
    }

    /// `path:first-last` as shown in source lists.
    package static func label(_ r: VectorRecord) -> String {
        r.lineRange.lowerBound == r.lineRange.upperBound ? "\(r.path):\(r.lineRange.lowerBound)" : "\(r.path):\(r.lineRange.lowerBound)-\(r.lineRange.upperBound)"
    }
}
