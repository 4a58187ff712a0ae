// HFBPEVocab: byte-level BPE `tokenizer.json` vocabularies as convert_hf_to_gguf.py's `_set_vocab_gpt2` writes
// them: `get_vocab_base` (tokens by id, `[PADi]` where config vocab_size has no token, added tokens CONTROL when
// special or special-looking, else USER_DEFINED), the pre-tokenizer named as `get_vocab_base_pre` names it (the
// sha256 of the check text's token ids, looked up in the converter's table), then gguf-py's
// SpecialVocab(load_merges: true): merges, special ids, add flags, chat template.
//
// The converter tokenizes the check text with Hugging Face's tokenizers; lai tokenizes it with its own
// llama.cpp-identical tokenizer over the vocabulary being written, once per pre-tokenizer it implements, and
// takes the name whose table hash comes out. For the tokenizers in the table the two agree (that agreement is
// what llama.cpp's pre-tokenizer names promise), so the same name results — and an unknown tokenizer is refused
// exactly where the converter refuses it.
import Foundation

package enum HFBPEVocab {
    /// get_vocab_base_pre's check text.
    package static let checkText = "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u{200d}🌫️ (multiple emojis concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български ''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL"

    /// `_set_vocab_gpt2`; `extraIDs` as HFVocab.specialVocab's.
    static func write(_ c: HFContext, _ w: inout HFMetadataWriter, extraIDs: [(String, Int)] = []) throws {
        let url = c.folder.appendingPathComponent("tokenizer.json")
        guard let tj = try HFCheckpoint.json(c.folder, "tokenizer.json") else {
            throw HFModelError.invalid(path: url.path, message: "missing")
        }
        guard let model = tj["model"] as? [String: Any], model["type"] as? String == "BPE",
              let vocab = model["vocab"] as? [String: Any] else {
            throw HFModelError.invalid(path: url.path, message: "model is not a BPE model with a vocab")
        }
        let vocabulary = try tokens(c, tj, vocab, url)
        let merges = try self.merges(model, url)

        // Everything but the pre-tokenizer name, as it will be written: the tokenizer that names it reads these.
        var rest = HFMetadataWriter(arch: w.arch)
        rest.set("tokenizer.ggml.tokens", .array(GGUFArray(strings: vocabulary.tokens)))
        rest.set("tokenizer.ggml.token_type", .array(GGUFArray(int32s: vocabulary.types)))
        if !merges.isEmpty { rest.set("tokenizer.ggml.merges", .array(GGUFArray(strings: merges))) }
        try HFVocab.specialVocab(c, &rest, vocabularySize: nil, extraIDs: extraIDs)

        let pre = try preTokenizerName(rest.md, tokenizerJSON: tj, path: url.path)
        w.string("tokenizer.ggml.model", "gpt2")
        w.string("tokenizer.ggml.pre", pre)
        for (key, value) in rest.md.entries { w.set(key, value) }
    }

    /// get_vocab_base: one entry per id below config vocab_size.
    private static func tokens(_ c: HFContext, _ tj: [String: Any], _ vocab: [String: Any], _ url: URL) throws -> (tokens: [String], types: [Int32]) {
        var byID: [Int: String] = [:]
        byID.reserveCapacity(vocab.count)
        for (token, id) in vocab {
            guard let id = (id as? NSNumber)?.intValue, id >= 0 else { throw HFModelError.invalid(path: url.path, message: "model.vocab['\(token)'] is not a token id") }
            byID[id] = token
        }
        // Added tokens (tokenizer.json, then tokenizer_config's added_tokens_decoder for any it lacks).
        var added: [Int: (content: String, special: Bool)] = [:]
        for e in (tj["added_tokens"] as? [[String: Any]]) ?? [] {
            guard let id = (e["id"] as? NSNumber)?.intValue, id >= 0, let content = e["content"] as? String else {
                throw HFModelError.invalid(path: url.path, message: "an added_tokens entry has no id or content")
            }
            added[id] = (content, e["special"] as? Bool ?? false)
            byID[id] = content
        }
        if let tc = try HFCheckpoint.json(c.folder, "tokenizer_config.json"), let dec = tc["added_tokens_decoder"] as? [String: Any] {
            for (key, value) in dec {
                guard let id = Int(key), added[id] == nil, let d = value as? [String: Any], let content = d["content"] as? String else { continue }
                added[id] = (content, d["special"] as? Bool ?? false)
                byID[id] = content
            }
        }
        let size = c.int("vocab_size") ?? byID.count
        if let top = byID.keys.max(), top >= size {
            throw HFModelError.invalid(path: url.path, message: "token id \(top) is not below config.json's vocab_size \(size)")
        }
        var tokens = [String](), types = [Int32]()
        tokens.reserveCapacity(size); types.reserveCapacity(size)
        // gguf TokenType: 1 normal, 3 control, 4 user-defined, 5 unused.
        for i in 0..<size {
            guard var t = byID[i] else { tokens.append("[PAD\(i)]"); types.append(5); continue }
            if let a = added[i] {
                if a.special || HFVocab.looksSpecial(t) { types.append(3) } else {
                    t = t.replacingOccurrences(of: "\u{2581}", with: " ")
                    types.append(4)
                }
            } else {
                types.append(1)
            }
            tokens.append(t)
        }
        return (tokens, types)
    }

    /// SpecialVocab's merges: "a b" strings as they are, or [a, b] pairs (transformers ≥ 4.45) joined by a
    /// space with spaces inside a part written as U+0120.
    private static func merges(_ model: [String: Any], _ url: URL) throws -> [String] {
        guard let list = model["merges"] as? [Any], !list.isEmpty else { return [] }
        if let strings = list as? [String] { return strings }
        guard let pairs = list as? [[String]], pairs.allSatisfy({ $0.count == 2 }) else {
            throw HFModelError.invalid(path: url.path, message: "model.merges is neither strings nor pairs of strings")
        }
        return pairs.map { $0.map { $0.replacingOccurrences(of: " ", with: "\u{0120}") }.joined(separator: " ") }
    }

    /// get_vocab_base_pre: the name whose table hash the check text's ids give, trying the pre-tokenizers lai
    /// implements (those whose regex tokenizer.json's pre-tokenizer names first).
    static func preTokenizerName(_ md: GGUFMetadata, tokenizerJSON tj: [String: Any], path: String) throws -> String {
        let hinted = splitPatterns(tj["pre_tokenizer"])
        // One candidate per distinct splitter lai has for the names in the table.
        var seen = Set<String>()
        var candidates: [(name: String, hinted: Bool)] = []
        for name in Set(preTokenizerHashes.values).sorted() {
            guard let p = PreTokenizer(pre: name) else { continue }
            let key = p.identity
            if seen.insert(key).inserted { candidates.append((name, p.patterns.contains { hinted.contains($0) })) }
        }
        candidates.sort { $0.hinted && !$1.hinted }
        for (name, _) in candidates {
            var m = md
            m["tokenizer.ggml.model"] = .string("gpt2")
            m["tokenizer.ggml.pre"] = .string(name)
            guard let tokenizer = try? Tokenizer(metadata: m, path: path) else { continue }
            let hash = checkHash(tokenizer.encode(checkText, addSpecial: true, parseSpecial: true))
            if let found = preTokenizerHashes[hash], let p = PreTokenizer(pre: found), p.identity == PreTokenizer(pre: name)?.identity {
                return found
            }
        }
        throw HFModelError.invalid(path: path, message: "BPE pre-tokenizer not recognized (none of lai's pre-tokenizers gives a check-text hash in convert_hf_to_gguf.py's table; llama.cpp's converter refuses it too)")
    }

    /// sha256 of Python's `str(list_of_ids)`.
    package static func checkHash(_ ids: [Int32]) -> String {
        let text = "[" + ids.map(String.init).joined(separator: ", ") + "]"
        return SHA256.hash(Array(text.utf8)).hex
    }

    /// The regex patterns of tokenizer.json's Split pre-tokenizers (a hint for the order of the search).
    private static func splitPatterns(_ node: Any?) -> Set<String> {
        guard let d = node as? [String: Any] else { return [] }
        var out = Set<String>()
        if d["type"] as? String == "Split", let p = d["pattern"] as? [String: Any], let r = p["Regex"] as? String { out.insert(r) }
        for sub in (d["pretokenizers"] as? [Any]) ?? [] { out.formUnion(splitPatterns(sub)) }
        return out
    }
}

extension PreTokenizer {
    /// What decides how it tokenizes: two names with equal identities split and flag text alike.
    var identity: String { "\(patterns)|\(cleanSpaces)|\(ignoreMerges)|\(addBOS)|\(noBOS)|\(isSentencePieceStyle)" }
}
