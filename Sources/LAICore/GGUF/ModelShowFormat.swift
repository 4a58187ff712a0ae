// ModelShowFormat: text and JSON renderings of a model summary, its metadata and its tensors.
import Foundation

package enum ModelShowFormat {
    package static func summaryText(_ s: ModelSummary) -> String {
        var rows: [(String, String)] = []
        func add(_ k: String, _ v: String?) { if let v { rows.append((k, v)) } }
        add("name", s.name)
        add("architecture", s.architecture ?? "(none)")
        add("parameters", Formatting.count(s.parameters))
        add("quantization", s.quantization)
        add("context length", s.contextLength.map(String.init))
        add("embedding length", s.embeddingLength.map(String.init))
        add("layers", s.blockCount.map(String.init))
        if let h = s.headCount { add("heads", s.headCountKV.map { "\(h) (kv \($0))" } ?? String(h)) }
        add("feed forward length", s.feedForwardLength.map(String.init))
        add("rope freq base", s.ropeFreqBase.map { String(format: "%g", $0) })
        add("vocabulary", s.vocabularySize.map { n in "\(n) tokens" + (s.tokenizerModel.map { " (\($0)" + (s.tokenizerPre.map { ", pre \($0)" } ?? "") + ")" } ?? "") })
        add("chat template", s.hasChatTemplate ? "yes" : "no")
        add("classifier", s.classifierOutputs.map { n in
            "\(n) output\(n == 1 ? "" : "s")" + (s.classifierLabels.isEmpty ? "" : " (\(s.classifierLabels.joined(separator: ", ")))")
                + (s.isReranker ? ": a reranker (lai rerank)" : "")
        })
        add("license", s.license)
        add("file size", "\(Formatting.bytes(s.fileSize)) (\(s.fileSize) bytes)")
        add("format", "GGUF v\(s.ggufVersion), \(s.tensorCount) tensors, \(s.metadataCount) metadata keys")
        var out = "  Model\n"
        let w = rows.map(\.0.count).max() ?? 0
        for (k, v) in rows { out += "    " + k.padding(toLength: w + 4, withPad: " ", startingAt: 0) + v + "\n" }
        if !s.types.isEmpty {
            out += "\n  Tensor types\n"
            for t in s.types {
                out += "    " + t.type.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + String(t.tensors).leftPadded(6) + " tensors  " + Formatting.bytes(t.bytes).leftPadded(10) + "\n"
            }
        }
        return out
    }

    package static func summaryJSON(_ s: ModelSummary) -> [(String, JSON)] {
        [
            ("path", .string(s.path)),
            ("name", JSON(s.name)),
            ("architecture", JSON(s.architecture)),
            ("parameters", .int(s.parameters)),
            ("file_type", JSON(s.fileType)),
            ("quantization", JSON(s.quantization)),
            ("tensor_types", .array(s.types.map { .object([("type", .string($0.type)), ("tensors", .int($0.tensors)), ("bytes", .int($0.bytes))]) })),
            ("context_length", JSON(s.contextLength)),
            ("embedding_length", JSON(s.embeddingLength)),
            ("block_count", JSON(s.blockCount)),
            ("head_count", JSON(s.headCount)),
            ("head_count_kv", JSON(s.headCountKV)),
            ("feed_forward_length", JSON(s.feedForwardLength)),
            ("rope_freq_base", JSON(s.ropeFreqBase)),
            ("vocab_size", JSON(s.vocabularySize)),
            ("tokenizer_model", JSON(s.tokenizerModel)),
            ("tokenizer_pre", JSON(s.tokenizerPre)),
            ("chat_template", .bool(s.hasChatTemplate)),
            ("classifier_outputs", JSON(s.classifierOutputs)),
            ("classifier_labels", .array(s.classifierLabels.map { .string($0) })),
            ("license", JSON(s.license)),
            ("file_size", .int(s.fileSize)),
            ("gguf_version", .int(s.ggufVersion)),
            ("tensor_count", .int(s.tensorCount)),
        ]
    }

    /// Arrays longer than this are shown as their first elements and a count.
    static let arrayPreview = 6

    package static func valueText(_ v: GGUFValue) -> String {
        switch v {
        case let .string(s): return quoted(s)
        case let .bool(b): return b ? "true" : "false"
        case let .float32(f): return "\(f)"
        case let .float64(d): return "\(d)"
        case let .array(a):
            let shown = a.values(prefix: arrayPreview)
            let items = shown.map(valueText).joined(separator: ", ")
            let more = a.count > shown.count ? ", … (\(a.count) \(a.elementType.name))" : ""
            return "[\(items)\(more)]"
        default: return v.int.map(String.init) ?? "?"
        }
    }

    static func quoted(_ s: String, limit: Int = 4000) -> String {
        var out = ""
        JSON.escape(s.count > limit ? String(s.prefix(limit)) + "…" : s, into: &out)
        return out
    }

    package static func metadataText(_ m: GGUFMetadata) -> String {
        var out = "  Metadata\n"
        let w = m.keys.map(\.count).max() ?? 0
        for (k, v) in m.entries {
            let type = v.array.map { "arr[\($0.elementType.name)]" } ?? v.type.name
            out += "    " + k.padding(toLength: w + 2, withPad: " ", startingAt: 0)
                + type.padding(toLength: 10, withPad: " ", startingAt: 0) + valueText(v) + "\n"
        }
        return out
    }

    package static func valueJSON(_ v: GGUFValue, summarize: Bool) -> JSON {
        switch v {
        case let .string(s): return .string(s)
        case let .bool(b): return .bool(b)
        case let .float32(f): return .double(Double(f))
        case let .float64(d): return .double(d)
        case let .array(a):
            if summarize, a.count > arrayPreview {
                return .object([("type", .string(a.elementType.name)), ("count", .int(a.count)),
                                ("first", .array(a.values(prefix: arrayPreview).map { valueJSON($0, summarize: true) }))])
            }
            return .array(a.values.map { valueJSON($0, summarize: summarize) })
        default: return JSON(v.int)
        }
    }

    package static func metadataJSON(_ m: GGUFMetadata) -> JSON {
        .object(m.entries.map { ($0.key, valueJSON($0.value, summarize: true)) })
    }

    package static func tensorsText(_ f: GGUFFile) -> String {
        var out = "  Tensors\n"
        let w = f.tensors.map(\.name.count).max() ?? 0
        for t in f.tensors {
            out += "    " + t.name.padding(toLength: w + 2, withPad: " ", startingAt: 0)
                + t.type.name.padding(toLength: 8, withPad: " ", startingAt: 0)
                + ("[" + t.shape.map(String.init).joined(separator: ", ") + "]").padding(toLength: 16, withPad: " ", startingAt: 0)
                + " offset \(f.dataOffset + t.offset)  \(t.byteCount) bytes\n"
        }
        return out
    }

    package static func tensorsJSON(_ f: GGUFFile) -> JSON {
        .array(f.tensors.map {
            .object([("name", .string($0.name)), ("type", .string($0.type.name)),
                     ("shape", .array($0.shape.map(JSON.int))), ("offset", .int(f.dataOffset + $0.offset)),
                     ("bytes", .int($0.byteCount))])
        })
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
