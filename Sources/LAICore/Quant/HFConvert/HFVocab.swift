// HFVocab: tokenizer metadata as convert_hf_to_gguf.py's set_vocab writes it.
import Foundation

enum HFVocab {
    static func llama(_ c: HFContext, _ w: inout HFMetadataWriter) throws {}
    static func sentencePieceOrGPT2(_ c: HFContext, _ w: inout HFMetadataWriter) throws {}
    static func gemma(_ c: HFContext, _ w: inout HFMetadataWriter) throws {}

    /// Gemma3Model.modify_tensors' n_vocab_real: the SentencePiece vocabulary padded to config vocab_size,
    /// else tokenizer.json's vocab plus its added tokens.
    static func gemmaVocabularySize(_ c: HFContext) throws -> Int {
        if FileManager.default.fileExists(atPath: c.folder.appendingPathComponent("tokenizer.model").path) {
            return c.int("vocab_size") ?? 0
        }
        guard let tj = try HFCheckpoint.json(c.folder, "tokenizer.json"), let model = tj["model"] as? [String: Any],
              let vocab = model["vocab"] as? [String: Any] else {
            throw HFModelError.invalid(path: c.folder.appendingPathComponent("tokenizer.json").path, message: "missing, or no model.vocab")
        }
        return vocab.count + ((tj["added_tokens"] as? [Any])?.count ?? 0)
    }
}
