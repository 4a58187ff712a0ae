// QuantTarget: what a whole file is converted to (a llama.cpp file type) and its llama_ftype.

/// A `lai quantize --type` value: llama-quantize's file types (`llama_ftype`), by llama-quantize's names.
/// Plain types (F16, Q8_0, Q4_0, …) give every quantizable tensor one ggml type (apart from the output
/// tensor rule); the K and IQ types are mixes whose per-tensor types follow `llama_tensor_get_type`
/// (`QuantPolicy`). `--pure` turns any of them into one type for every tensor.
package enum QuantTarget: String, CaseIterable, Sendable {
    case f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1
    case q2_K, q2_K_S, q3_K_S, q3_K_M, q3_K_L, q4_K_S, q4_K_M, q5_K_S, q5_K_M, q6_K
    case iq4_nl, iq4_xs, tq1_0, tq2_0

    /// llama-quantize's aliases: `Q3_K`, `Q4_K` and `Q5_K` are its `_M` mixes.
    package static let aliases: [String: QuantTarget] = ["q3_k": .q3_K_M, "q4_k": .q4_K_M, "q5_k": .q5_K_M]

    /// Parses `q4_k_m`, `Q4_K_M`, `q8_0`, `Q4_K` (= Q4_K_M), … case-insensitively.
    package init?(name: String) {
        let lower = name.lowercased()
        if let a = Self.aliases[lower] { self = a; return }
        guard let t = QuantTarget.allCases.first(where: { $0.rawValue.lowercased() == lower }) else { return nil }
        self = t
    }

    /// The accepted `--type` values, for help and error messages.
    package static var namesDescription: String {
        allCases.map(\.rawValue).joined(separator: ", ") + " (q3_K, q4_K, q5_K = q3_K_M, q4_K_M, q5_K_M, as in llama-quantize)"
    }

    /// Upper-case name used in file names and tables (`Q4_K_M`, `F16`, `IQ4_XS`).
    package var name: String { rawValue.uppercased() }

    /// llama.cpp's `llama_ftype_get_default_type`: the type most tensors get.
    package var defaultType: GGMLType {
        switch self {
        case .f32: .f32; case .f16: .f16; case .bf16: .bf16
        case .q8_0: .q8_0; case .q4_0: .q4_0; case .q4_1: .q4_1; case .q5_0: .q5_0; case .q5_1: .q5_1
        case .q2_K, .q2_K_S: .q2_K
        case .q3_K_S, .q3_K_M, .q3_K_L: .q3_K
        case .q4_K_S, .q4_K_M: .q4_K
        case .q5_K_S, .q5_K_M: .q5_K
        case .q6_K: .q6_K
        case .iq4_nl: .iq4_nl; case .iq4_xs: .iq4_xs
        case .tq1_0: .tq1_0; case .tq2_0: .tq2_0
        }
    }

    /// The `general.file_type` written (llama.cpp's `llama_ftype`).
    package var fileType: Int {
        switch self {
        case .f32: 0; case .f16: 1; case .q4_0: 2; case .q4_1: 3; case .q8_0: 7; case .q5_0: 8; case .q5_1: 9
        case .q2_K: 10; case .q3_K_S: 11; case .q3_K_M: 12; case .q3_K_L: 13; case .q4_K_S: 14; case .q4_K_M: 15
        case .q5_K_S: 16; case .q5_K_M: 17; case .q6_K: 18; case .q2_K_S: 21; case .iq4_nl: 25; case .iq4_xs: 30
        case .bf16: 32; case .tq1_0: 36; case .tq2_0: 37
        }
    }
}
