// EmbeddingConventions: what sentence-transformers adds around a model — the longest input it embeds
// (`max_seq_length`) and the task prefixes for queries and documents — read from a Hugging Face folder's
// configs, else from a table of known models (GGUF files carry neither).
import Foundation

/// How a sentence-transformers model is meant to be used, beyond its weights.
package struct EmbeddingConventions: Sendable, Equatable {
    /// sentence-transformers' `max_seq_length` (tokens, [CLS]/[SEP] included); nil: the model's context.
    package var maxSequenceLength: Int?
    /// Put before a search query ("search_query: " for nomic-embed-text).
    package var queryPrefix = ""
    /// Put before a document or passage being indexed ("search_document: " for nomic-embed-text).
    package var documentPrefix = ""

    package init(maxSequenceLength: Int? = nil, queryPrefix: String = "", documentPrefix: String = "") {
        self.maxSequenceLength = maxSequenceLength; self.queryPrefix = queryPrefix; self.documentPrefix = documentPrefix
    }

    /// Known models by (lower-cased) name fragment, for GGUF files; values from each model's
    /// sentence_bert_config.json and config_sentence_transformers.json "prompts" ("query", "document"/"passage").
    static let known: [(fragment: String, conventions: EmbeddingConventions)] = [
        ("nomic-embed-text", EmbeddingConventions(queryPrefix: "search_query: ", documentPrefix: "search_document: ")),
        ("embeddinggemma", EmbeddingConventions(queryPrefix: "task: search result | query: ", documentPrefix: "title: none | text: ")),
        ("all-minilm-l6-v2", EmbeddingConventions(maxSequenceLength: 256)),
        ("qwen3-embedding", EmbeddingConventions(queryPrefix: "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:")),
    ]

    /// The conventions of the model named `name` (GGUF `general.name`, or the file name) from the table.
    package static func known(name: String) -> EmbeddingConventions {
        let n = name.lowercased().replacingOccurrences(of: "_", with: "-").replacingOccurrences(of: " ", with: "-")
        return known.first { n.contains($0.fragment) }?.conventions ?? EmbeddingConventions()
    }

    /// Reads `sentence_bert_config.json` (max_seq_length) and `config_sentence_transformers.json` (prompts) of a
    /// Hugging Face folder; nil when the folder has neither (not a sentence-transformers model).
    package static func read(folder: String) throws -> EmbeddingConventions? {
        func object(_ name: String) throws -> [String: Any]? {
            let p = (folder as NSString).appendingPathComponent(name)
            guard let d = FileManager.default.contents(atPath: p) else { return nil }
            guard let o = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] else {
                throw ModelError.invalid(path: p, message: "not a JSON object")
            }
            return o
        }
        let bert = try object("sentence_bert_config.json")
        let st = try object("config_sentence_transformers.json")
        if bert == nil && st == nil { return nil }
        var c = EmbeddingConventions()
        if let v = bert?["max_seq_length"] {
            guard let n = v as? Int, n > 0 else {
                throw ModelError.invalid(path: folder + "/sentence_bert_config.json", message: "max_seq_length must be a positive integer")
            }
            c.maxSequenceLength = n
        }
        if let prompts = st?["prompts"] as? [String: Any] {
            c.queryPrefix = prompts["query"] as? String ?? ""
            c.documentPrefix = (prompts["document"] ?? prompts["passage"]) as? String ?? ""
        }
        return c
    }
}
