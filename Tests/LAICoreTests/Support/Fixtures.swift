// Fixtures: where tests find the shared reference data and the cached demo models.
import Foundation
import LAICore

enum Fixtures {
    /// The repository root (two levels above this file's folder).
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the checkout: reference data made with llama.cpp.
    static let shared = repoRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static let ref = shared.appendingPathComponent("ref")
    static let vocab = shared.appendingPathComponent("vocab")

    /// The model cache filled by `make models` (`LAI_CACHE` overrides `~/.cache/lai`).
    static let cache: URL = {
        if let c = ProcessInfo.processInfo.environment["LAI_CACHE"], !c.isEmpty { return URL(fileURLWithPath: c) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/lai")
    }()

    static var smolLM2: String { cache.appendingPathComponent("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path }
    /// Made by `make derived-models` with lai's quantizer (bit-identical to llama-quantize's files).
    static var smolLM2F16: String { cache.appendingPathComponent("smollm2/SmolLM2-135M-Instruct.Q4_1-F16.gguf").path }
    static func smolLM2Derived(_ type: String) -> String {
        cache.appendingPathComponent("smollm2/SmolLM2-135M-Instruct.Q4_1-F16-\(type).gguf").path
    }
    static var miniLM: URL { cache.appendingPathComponent("minilm") }

    /// Every `ggml-vocab-*.gguf` in ../shared/vocab.
    static var vocabFiles: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: vocab.path)) ?? []
        return names.filter { $0.hasSuffix(".gguf") }.sorted().map { vocab.appendingPathComponent($0).path }
    }

    /// A fresh temporary directory, removed by the caller with `cleanup`.
    static func tempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("lai-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }
}

/// SplitMix64: a tiny seeded generator so random tests replay exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
