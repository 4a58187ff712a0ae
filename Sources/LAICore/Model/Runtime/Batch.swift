// Batch: the rows of one decode step — each a token at a position of a sequence, and whether it needs logits.

package struct Batch: Sendable {
    package private(set) var tokens: [Int32] = []
    package private(set) var positions: [Int] = []
    package private(set) var sequences: [Int] = []
    package private(set) var wantsLogits: [Bool] = []

    package init() {}

    /// The tokens of one sequence from `position` on, logits for the last one only (or all).
    package init(tokens: [Int32], from position: Int, sequence: Int = 0, logits: LogitsMode = .last) {
        for (i, t) in tokens.enumerated() {
            add(t, position: position + i, sequence: sequence, logits: logits == .all || (logits == .last && i == tokens.count - 1))
        }
    }

    package var count: Int { tokens.count }
    package var logitRows: Int { wantsLogits.lazy.filter { $0 }.count }

    package mutating func add(_ token: Int32, position: Int, sequence: Int, logits: Bool) {
        tokens.append(token); positions.append(position); sequences.append(sequence); wantsLogits.append(logits)
    }
}

/// Which positions of a forward pass need logits.
package enum LogitsMode: Sendable { case none, last, all }
