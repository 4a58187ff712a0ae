// HFModelCard: the general.* metadata gguf-py's Metadata.load derives for a folder — sampling defaults from
// generation_config.json, name parts from the folder name (get_model_id_components), and the scalar and
// list keys of README.md's YAML front matter. Base-model and dataset entries are not reproduced.
import Foundation

enum HFModelCard {
    /// Writes, in set_gguf_meta_model's order, the keys between general.type and the family's parameters.
    static func write(folder: URL, config: [String: Any], parameterCount: Int, sizeLabel fallbackLabel: String? = nil, to w: inout HFMetadataWriter) throws {
        let card = frontMatter(folder.appendingPathComponent("README.md"))
        if let g = try HFCheckpoint.json(folder, "generation_config.json") {
            func num(_ k: String) -> NSNumber? { g[k] as? NSNumber }
            if let v = g["sequence"] as? String { w.string("general.sampling.sequence", v) }
            if let v = num("top_k") { w.set("general.sampling.top_k", .int32(v.int32Value)) }
            if let v = num("top_p") { w.f32("general.sampling.top_p", v.doubleValue) }
            if let v = num("min_p") { w.f32("general.sampling.min_p", v.doubleValue) }
            if let v = num("xtc_probability") { w.f32("general.sampling.xtc_probability", v.doubleValue) }
            if let v = num("xtc_threshold") { w.f32("general.sampling.xtc_threshold", v.doubleValue) }
            if let v = num("temperature") { w.f32("general.sampling.temp", v.doubleValue) }
            if let v = num("penalty_last_n") { w.set("general.sampling.penalty_last_n", .int32(v.int32Value)) }
            if let v = num("penalty_repeat") ?? num("repetition_penalty") { w.f32("general.sampling.penalty_repeat", v.doubleValue) }
            if let v = num("mirostat") { w.set("general.sampling.mirostat", .int32(v.int32Value)) }
            if let v = num("mirostat_tau") { w.f32("general.sampling.mirostat_tau", v.doubleValue) }
            if let v = num("mirostat_eta") { w.f32("general.sampling.mirostat_eta", v.doubleValue) }
        }
        func cardString(_ keys: String...) -> String? {
            for k in keys { if case .scalar(let s)? = card[k] { return s } }
            return nil
        }
        var name = cardString("name", "model_name")
        let author = cardString("author", "model_author", "model_creator")
        var version = cardString("version", "model_version")
        var organization = cardString("organization", "model_organization")
        let description = cardString("description", "model_description")
        var finetune = cardString("finetune", "model_finetune")
        var basename = cardString("basename", "model_basename", "model_type")
        var sizeLabel = cardString("size_label", "model_size_label")
        // config.json's `_name_or_path` (when it looks like a model id), then the folder name, where the card left them unset.
        let id = folder.standardizedFileURL.lastPathComponent
        var ids: [String] = []
        if let n = config["_name_or_path"] as? String, n.filter({ $0 == "/" }).count <= 1 { ids.append(n) }
        ids.append(id)
        for source in ids {
            let parts = modelIDComponents(source, totalParams: parameterCount)
            if name == nil { name = parts.name.map(SafetensorsModel.idToTitle) }
            if organization == nil { organization = parts.organization.map(SafetensorsModel.idToTitle) }
            if basename == nil { basename = parts.basename }
            if finetune == nil { finetune = parts.finetune }
            if version == nil { version = parts.version }
            if sizeLabel == nil { sizeLabel = parts.sizeLabel }
        }
        if sizeLabel == nil, let fallbackLabel { sizeLabel = fallbackLabel }
        if sizeLabel == nil && parameterCount > 0 { sizeLabel = SafetensorsModel.sizeLabel(parameterCount) }

        w.string("general.name", name ?? id)
        if let author { w.string("general.author", author) }
        if let version { w.string("general.version", version) }
        if let organization { w.string("general.organization", organization) }
        if let finetune { w.string("general.finetune", finetune) }
        if let basename { w.string("general.basename", basename) }
        if let description { w.string("general.description", description) }
        if let sizeLabel { w.string("general.size_label", sizeLabel) }
        switch card["license"] {
        case .scalar(let s)?: w.string("general.license", s)
        case .list(let l)?: w.string("general.license", l.joined(separator: ","))
        default: break
        }
        if let v = cardString("license_name") { w.string("general.license.name", v) }
        if let v = cardString("license_link") { w.string("general.license.link", v) }
        func list(_ keys: String...) -> [String]? {
            var out: [String]? = nil
            for k in keys {
                switch card[k] {
                case .scalar(let s)?: out = (out ?? []) + [s]
                case .list(let l)?: out = (out ?? []) + l
                default: break
                }
            }
            return out
        }
        if let tags = list("tags", "pipeline_tag") { w.set("general.tags", .array(GGUFArray(strings: tags))) }
        if let langs = list("languages", "language") { w.set("general.languages", .array(GGUFArray(strings: langs))) }
    }

    enum CardValue { case scalar(String), list([String]) }

    /// README.md's YAML front matter (between a first line `---` and the next `---`): `key: value` scalars and
    /// `key:` followed by `- item` lines. Nested mappings are skipped.
    static func frontMatter(_ url: URL) -> [String: CardValue] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [:] }
        let lines = text.components(separatedBy: "\n").map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        guard lines.first == "---" else { return [:] }
        var out: [String: CardValue] = [:]
        var listKey: String? = nil
        func unquote(_ s: String) -> String {
            let t = s.trimmingCharacters(in: .whitespaces)
            if t.count >= 2, let f = t.first, f == t.last, f == "\"" || f == "'" { return String(t.dropFirst().dropLast()) }
            return t
        }
        for line in lines.dropFirst() {
            if line == "---" { break }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("- "), let k = listKey {
                if case .list(let l)? = out[k] { out[k] = .list(l + [unquote(String(trimmed.dropFirst(2)))]) } else { out[k] = .list([unquote(String(trimmed.dropFirst(2)))]) }
                continue
            }
            guard !line.hasPrefix(" "), !line.hasPrefix("\t"), let colon = line.firstIndex(of: ":") else { listKey = nil; continue }
            let key = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
            let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            if value.isEmpty { listKey = key; continue }
            listKey = nil
            if value.hasPrefix("[") && value.hasSuffix("]") {
                out[key] = .list(value.dropFirst().dropLast().split(separator: ",").map { unquote(String($0)) })
            } else {
                out[key] = .scalar(unquote(value))
            }
        }
        return out
    }

    /// gguf-py's Metadata.get_model_id_components: name, organization, basename, finetune, version, size label.
    static func modelIDComponents(_ id: String, totalParams: Int)
        -> (name: String?, organization: String?, basename: String?, finetune: String?, version: String?, sizeLabel: String?) {
        if id.contains(" ") { return (id, nil, nil, nil, nil, nil) }
        var org: String? = nil, full = id
        if let slash = id.firstIndex(of: "/") { org = String(id[..<slash]); full = String(id[id.index(after: slash)...]) }
        if let o = org, o.hasPrefix(".") { org = nil }
        var parts = full.split(separator: "-").map(String.init)
        var kinds = [Set<String>](repeating: [], count: parts.count)
        func matches(_ pattern: String, _ s: String) -> Bool {
            s.range(of: "^(?:\(pattern))$", options: [.regularExpression, .caseInsensitive]) != nil
        }
        for i in parts.indices {
            var part = parts[i]
            if matches(#"(v|iter)?\d+([.]\d+)*"#, part) {
                kinds[i].insert("version")
            } else if matches(#"i?q\d(_\w)*|b?fp?(16|32)"#, part) {
                kinds[i].insert("type"); parts[i] = part.uppercased()
            } else if i > 0 && matches(#"(([A]|\d+[x])?\d+([._]\d+)?[KMBT][\d]?|small|mini|medium|large|x?xl)"#, part) {
                part = part.replacingOccurrences(of: "_", with: ".")
                var chars = Array(part)
                if chars.last!.isNumber, chars.count >= 2 {
                    chars = Array(chars.dropLast(2)) + ["."] + [chars[chars.count - 1], chars[chars.count - 2]]
                }
                if chars.count > 1, chars[chars.count - 2].isNumber, "kmbt".contains(chars.last!) {
                    chars[chars.count - 1] = Character(chars.last!.uppercased())
                }
                part = String(chars)
                if totalParams != 0, let scale = " KMBT".firstIndex(of: chars.last!), let value = Double(String(chars.dropLast())) {
                    let label = value * pow(1000, Double(" KMBT".distance(from: " KMBT".startIndex, to: scale)))
                    let total = Double(totalParams)
                    if (totalParams < 0 && label < Double(abs(totalParams) / 8)) || (totalParams > 0 && abs(label - total) > Double(7 * totalParams / 8)) {
                        kinds[i].insert("finetune")
                        part = String(part.dropLast()) + part.suffix(1).lowercased()
                    }
                }
                if kinds[i].isEmpty { kinds[i].insert("size_label") }
                parts[i] = part
            } else if i > 0 && matches("chat|instruct|vision|lora", part) {
                kinds[i].insert(totalParams < 0 && part.lowercased() == "lora" ? "type" : "finetune")
            }
        }
        if zip(parts, kinds).contains(where: { $1.contains("size_label") && $0.contains(where: \.isNumber) }) {
            for i in parts.indices where kinds[i].contains("size_label") && parts[i].allSatisfy(\.isLetter) { kinds[i].remove("size_label") }
        }
        var atStart = true
        for i in parts.indices {
            if atStart && ((kinds[i].isEmpty && parts[i].first?.isLetter == true) || kinds[i].contains("version")) {
                kinds[i].insert("basename")
            } else {
                atStart = false
                if kinds[i].isEmpty { kinds[i].insert("finetune") }
            }
        }
        for i in parts.indices.reversed() {
            if kinds[i].contains("basename") && kinds[i].count > 1 { kinds[i].remove("basename") } else { break }
        }
        func join(_ k: String, excluding: String? = nil) -> String? {
            var seen: [String] = []
            for (p, t) in zip(parts, kinds) where t.contains(k) && (excluding == nil || !t.contains(excluding!)) {
                if k == "size_label" && seen.contains(p) { continue }
                seen.append(p)
            }
            return seen.isEmpty ? nil : seen.joined(separator: "-")
        }
        var basename = join("basename")
        let size = join("size_label"), finetune = join("finetune"), version = join("version", excluding: "basename")
        if size == nil && finetune == nil && version == nil { basename = nil }
        return (full, org, basename, finetune, version, size)
    }
}
