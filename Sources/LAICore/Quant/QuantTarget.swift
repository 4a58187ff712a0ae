// QuantTarget: what a whole file is converted to (a ggml type or a llama.cpp mix) and its llama_ftype.

/// A `lai quantize --type` value: one ggml type for every quantizable tensor, or a llama.cpp mix.
package enum QuantTarget: String, CaseIterable, Sendable {
    case f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1
    case q2_K, q3_K, q4_K, q5_K, q6_K
    case q4_K_M, q5_K_M

    /// Parses `q4_k_m`, `Q4_K_M`, `q8_0`, … case-insensitively.
    package init?(name: String) {
        let lower = name.lowercased()
        guard let t = QuantTarget.allCases.first(where: { $0.rawValue.lowercased() == lower }) else { return nil }
        self = t
    }

    /// Upper-case name used in file names and tables (`Q4_K_M`, `F16`).
    package var name: String { rawValue.uppercased() }

    /// llama.cpp's `llama_ftype_get_default_type`: the type most tensors get.
    package var defaultType: GGMLType {
        switch self {
        case .f32: .f32; case .f16: .f16; case .bf16: .bf16
        case .q8_0: .q8_0; case .q4_0: .q4_0; case .q4_1: .q4_1; case .q5_0: .q5_0; case .q5_1: .q5_1
        case .q2_K: .q2_K; case .q3_K: .q3_K; case .q4_K, .q4_K_M: .q4_K; case .q5_K, .q5_K_M: .q5_K; case .q6_K: .q6_K
        }
    }

    /// The `general.file_type` written (llama.cpp's `llama_ftype`). A single K type is recorded as the
    /// nearest llama.cpp file type (Q3_K → "Q3_K - Small", Q4_K → "Q4_K - Small", Q5_K → "Q5_K - Small").
    package var fileType: Int {
        switch self {
        case .f32: 0; case .f16: 1; case .q4_0: 2; case .q4_1: 3; case .q8_0: 7; case .q5_0: 8; case .q5_1: 9
        case .q2_K: 10; case .q3_K: 11; case .q4_K: 14; case .q4_K_M: 15; case .q5_K: 16; case .q5_K_M: 17
        case .q6_K: 18; case .bf16: 32
        }
    }

    /// Whether this is a llama.cpp mix whose per-tensor types follow `llama_tensor_get_type`.
    package var isMix: Bool { self == .q4_K_M || self == .q5_K_M }
}
