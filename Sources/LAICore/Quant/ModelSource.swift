// ModelSource: what ModelQuantizer reads — a GGUF file, or a Hugging Face folder seen as one.

/// Tensors and metadata to convert. Tensor infos use GGUF names and ggml shapes (`shape[0]` = row length).
package protocol ModelSource: AnyObject {
    var path: String { get }
    var fileSize: Int { get }
    var metadata: GGUFMetadata { get }
    var tensors: [GGUFTensorInfo] { get }
    func data(_ t: GGUFTensorInfo) -> UnsafeRawBufferPointer
    /// The type a tensor gets when the policy does not quantize it: GGUF inputs keep theirs; converted
    /// Hugging Face tensors become F32, as convert_hf_to_gguf.py writes norms, biases and embeddings of positions.
    func unquantizedType(_ t: GGUFTensorInfo) -> GGMLType
    /// Called once a tensor has been written: its source bytes will not be read again.
    func release(_ t: GGUFTensorInfo)
    /// Called while a large tensor is converted, for the part of its source already read: mapped file pages wholly
    /// inside leave the resident set (memory that is not a file mapping is left alone).
    func releaseRange(_ start: UnsafeRawPointer, bytes: Int)
}

extension GGUFFile: ModelSource {
    package func unquantizedType(_ t: GGUFTensorInfo) -> GGMLType { t.type }
    /// The tensor's mapped pages leave the resident set (the page cache keeps them), so that quantizing a file
    /// holds about one tensor in memory rather than the whole input.
    package func release(_ t: GGUFTensorInfo) {
        let d = data(t)
        if let base = d.baseAddress { file.adviseDontNeed(base, bytes: d.count) }
    }
    package func releaseRange(_ start: UnsafeRawPointer, bytes: Int) { file.adviseDontNeed(start, bytes: bytes) }
}
