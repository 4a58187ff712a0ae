// GGMLType: every tensor type id the GGUF format defines, with ggml's block geometry.

/// A ggml tensor type. Raw values are ggml's type ids as stored in GGUF tensor infos.
///
/// Spelling follows ggml (`q4_0`, `q4_K`) so that a grep works in both codebases.
package enum GGMLType: UInt32, CaseIterable, Sendable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3
    case q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22, iq4_xs = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30
    case tq1_0 = 34, tq2_0 = 35, mxfp4 = 39, nvfp4 = 40, q1_0 = 41

    /// ggml's name for the type (`Q4_K`, `F16`, `IQ2_XXS`).
    package var name: String {
        switch self {
        case .f32: "F32"; case .f16: "F16"; case .bf16: "BF16"; case .f64: "F64"
        case .i8: "I8"; case .i16: "I16"; case .i32: "I32"; case .i64: "I64"
        case .q4_0: "Q4_0"; case .q4_1: "Q4_1"; case .q5_0: "Q5_0"; case .q5_1: "Q5_1"
        case .q8_0: "Q8_0"; case .q8_1: "Q8_1"
        case .q2_K: "Q2_K"; case .q3_K: "Q3_K"; case .q4_K: "Q4_K"; case .q5_K: "Q5_K"; case .q6_K: "Q6_K"; case .q8_K: "Q8_K"
        case .iq2_xxs: "IQ2_XXS"; case .iq2_xs: "IQ2_XS"; case .iq3_xxs: "IQ3_XXS"; case .iq1_s: "IQ1_S"
        case .iq4_nl: "IQ4_NL"; case .iq3_s: "IQ3_S"; case .iq2_s: "IQ2_S"; case .iq4_xs: "IQ4_XS"; case .iq1_m: "IQ1_M"
        case .tq1_0: "TQ1_0"; case .tq2_0: "TQ2_0"; case .mxfp4: "MXFP4"; case .nvfp4: "NVFP4"; case .q1_0: "Q1_0"
        }
    }

    /// Elements per block (1 for plain types, 32 for the legacy quants, 256 for K-quants).
    package var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64: 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .iq4_nl, .mxfp4: 32
        case .nvfp4: 64
        case .q1_0: 128
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q8_K, .iq2_xxs, .iq2_xs, .iq3_xxs, .iq1_s, .iq3_s, .iq2_s,
             .iq4_xs, .iq1_m, .tq1_0, .tq2_0: 256
        }
    }

    /// Bytes per block, as `sizeof(block_xxx)` in ggml.
    package var bytesPerBlock: Int {
        switch self {
        case .f32: 4; case .f16, .bf16: 2; case .f64: 8
        case .i8: 1; case .i16: 2; case .i32: 4; case .i64: 8
        case .q4_0: 18; case .q4_1: 20; case .q5_0: 22; case .q5_1: 24; case .q8_0: 34; case .q8_1: 36
        case .q2_K: 84; case .q3_K: 110; case .q4_K: 144; case .q5_K: 176; case .q6_K: 210; case .q8_K: 292
        case .iq2_xxs: 66; case .iq2_xs: 74; case .iq3_xxs: 98; case .iq1_s: 50; case .iq4_nl: 18
        case .iq3_s: 110; case .iq2_s: 82; case .iq4_xs: 136; case .iq1_m: 56
        case .tq1_0: 54; case .tq2_0: 66; case .mxfp4: 17; case .nvfp4: 36; case .q1_0: 18
        }
    }

    /// Whether the type stores quantized blocks rather than plain numbers.
    package var isQuantized: Bool { blockSize > 1 }

    /// Bytes for one row of `n` elements, or nil when `n` is not a whole number of blocks.
    package func rowBytes(_ n: Int) -> Int? {
        n % blockSize == 0 ? (n / blockSize) * bytesPerBlock : nil
    }

    /// Names of ids that ggml once defined and has since removed, so errors can say what they were.
    package static func removedName(_ id: UInt32) -> String? {
        switch id {
        case 4: "Q4_2"; case 5: "Q4_3"
        case 31: "Q4_0_4_4"; case 32: "Q4_0_4_8"; case 33: "Q4_0_8_8"
        case 36: "IQ4_NL_4_4"; case 37: "IQ4_NL_4_8"; case 38: "IQ4_NL_8_8"
        default: nil
        }
    }

    /// Parses a user-facing type name (`q4_0`, `Q4_K`, `f16`), case-insensitively.
    package init?(name: String) {
        let lower = name.lowercased()
        guard let t = GGMLType.allCases.first(where: { $0.name.lowercased() == lower }) else { return nil }
        self = t
    }
}

/// `general.file_type` values (llama.cpp's `llama_ftype`): what a whole file was quantized to.
package enum LlamaFileType {
    /// The display name of a `general.file_type` value (`Q4_1`, `Q4_K - Medium`), nil if unknown.
    package static func name(_ v: Int) -> String? {
        switch v {
        case 0: "all F32"; case 1: "F16"; case 2: "Q4_0"; case 3: "Q4_1"
        case 7: "Q8_0"; case 8: "Q5_0"; case 9: "Q5_1"
        case 10: "Q2_K - Medium"; case 11: "Q3_K - Small"; case 12: "Q3_K - Medium"; case 13: "Q3_K - Large"
        case 14: "Q4_K - Small"; case 15: "Q4_K - Medium"; case 16: "Q5_K - Small"; case 17: "Q5_K - Medium"
        case 18: "Q6_K"; case 19: "IQ2_XXS"; case 20: "IQ2_XS"; case 21: "Q2_K - Small"; case 22: "IQ3_XS"
        case 23: "IQ3_XXS"; case 24: "IQ1_S"; case 25: "IQ4_NL"; case 26: "IQ3_S"; case 27: "IQ3_M"
        case 28: "IQ2_S"; case 29: "IQ2_M"; case 30: "IQ4_XS"; case 31: "IQ1_M"; case 32: "BF16"
        case 36: "TQ1_0"; case 37: "TQ2_0"; case 38: "MXFP4"
        default: nil
        }
    }

    /// Ollama's name of a `general.file_type` value (`Q4_K_M`, `F32`): `details.quantization_level`,
    /// `ollama show`'s "quantization", the config blob's `file_type`; llama-quantize's type names.
    package static func ollamaName(_ v: Int) -> String? {
        switch v {
        case 0: "F32"; case 10: "Q2_K"; case 11: "Q3_K_S"; case 12: "Q3_K_M"; case 13: "Q3_K_L"
        case 14: "Q4_K_S"; case 15: "Q4_K_M"; case 16: "Q5_K_S"; case 17: "Q5_K_M"; case 21: "Q2_K_S"
        default: name(v)
        }
    }
}
