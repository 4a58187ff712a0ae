// WeightLoader: finds a model's tensors by TensorName and checks their presence, shapes and types at load time.

/// Views tensors of a GGUF file as weight matrices and f32 vectors, with one-line errors naming the tensor.
package struct WeightLoader: @unchecked Sendable {
    package let file: GGUFFile

    package init(_ file: GGUFFile) { self.file = file }

    package func has(_ t: TensorName, _ layer: Int? = nil, bias: Bool = false) -> Bool {
        file.tensor(named: t.name(layer, bias: bias)) != nil
    }

    /// A `rows` × `cols` matrix (ggml shape [cols, rows]).
    package func matrix(_ t: TensorName, _ layer: Int? = nil, rows: Int, cols: Int) throws -> WeightMatrix {
        try WeightMatrix(file: file, name: t.name(layer), rows: rows, cols: cols)
    }

    package func optionalMatrix(_ t: TensorName, _ layer: Int? = nil, rows: Int, cols: Int) throws -> WeightMatrix? {
        has(t, layer) ? try matrix(t, layer, rows: rows, cols: cols) : nil
    }

    /// An f32 vector of `n` values (norm weights, biases, rope factors).
    package func vector(_ t: TensorName, _ layer: Int? = nil, bias: Bool = false, _ n: Int) throws -> UnsafePointer<Float> {
        let name = t.name(layer, bias: bias)
        guard let info = file.tensor(named: name) else { throw TensorError.missing(path: file.path, tensor: name) }
        guard info.shape == [n] || (info.shape.count == 2 && info.shape[0] == n && info.shape[1] == 1) else {
            throw TensorError.badShape(path: file.path, tensor: name, shape: info.shape, expected: [n])
        }
        guard info.type == .f32 else { throw TensorError.unsupportedType(path: file.path, tensor: name, type: info.type.name + " (vectors must be F32)") }
        return file.data(info).baseAddress!.assumingMemoryBound(to: Float.self)
    }

    package func optionalVector(_ t: TensorName, _ layer: Int? = nil, bias: Bool = false, _ n: Int) throws -> UnsafePointer<Float>? {
        has(t, layer, bias: bias) ? try vector(t, layer, bias: bias, n) : nil
    }

    /// A norm: its weight, and its bias if the file has one.
    package func norm(_ t: TensorName, _ layer: Int? = nil, _ n: Int, kind: NormKind, eps: Float) throws -> Norm {
        Norm(weight: try vector(t, layer, n), bias: try optionalVector(t, layer, bias: true, n), kind: kind, eps: eps, count: n)
    }

    package func optionalNorm(_ t: TensorName, _ layer: Int? = nil, _ n: Int, kind: NormKind, eps: Float) throws -> Norm? {
        has(t, layer) ? try norm(t, layer, n, kind: kind, eps: eps) : nil
    }

    /// `count` matrices of `rows` × `cols` stacked in one 3-D tensor (ggml shape [cols, rows, count]): the experts.
    package func experts(_ t: TensorName, _ layer: Int, count: Int, rows: Int, cols: Int) throws -> [WeightMatrix] {
        let name = t.name(layer)
        guard let info = file.tensor(named: name) else { throw TensorError.missing(path: file.path, tensor: name) }
        guard info.shape == [cols, rows, count] else {
            throw TensorError.badShape(path: file.path, tensor: name, shape: info.shape, expected: [cols, rows, count])
        }
        guard WeightMatrix.computeTypes.contains(info.type), let rowBytes = info.type.rowBytes(cols) else {
            throw TensorError.unsupportedType(path: file.path, tensor: name, type: info.type.name)
        }
        let base = file.data(info).baseAddress!
        return (0..<count).map {
            WeightMatrix(name: "\(name)[\($0)]", type: info.type, rows: rows, cols: cols, data: base + $0 * rows * rowBytes, rowBytes: rowBytes)
        }
    }
}
