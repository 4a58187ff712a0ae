// SamplingOptions: the sampling and context flags shared by `lai run` and `lai ask`.
import ArgumentParser
import LAICore

struct SamplingOptions: ParsableArguments {
    @Option(help: "Sampling temperature (0 = greedy). Default 0.8.") var temperature: Float?
    @Option(name: .customLong("top-k"), help: "Keep the k most likely tokens (0 = all). Default 40.") var topK: Int?
    @Option(name: .customLong("top-p"), help: "Nucleus sampling threshold. Default 0.9.") var topP: Float?
    @Option(name: .customLong("min-p"), help: "Drop tokens below min-p × the best probability. Default 0.") var minP: Float?
    @Option(name: .customLong("repeat-penalty"), help: "Penalty for repeated tokens. Default 1.1.") var repeatPenalty: Float?
    @Option(name: .customLong("repeat-last-n"), help: "How many recent tokens the penalties look at. Default 64.") var repeatLastN: Int?
    @Option(name: .customLong("presence-penalty"), help: "Default 0.") var presencePenalty: Float?
    @Option(name: .customLong("frequency-penalty"), help: "Default 0.") var frequencyPenalty: Float?
    @Option(help: "Random seed (same seed, same output).") var seed: UInt64?
    @Option(name: [.customShort("n"), .customLong("num-predict")], help: "Maximum tokens to generate (-1 = no limit).") var numPredict: Int?
    @Option(help: "Stop when this text is generated (repeatable).") var stop: [String] = []
    @Option(name: .customLong("ctx"), help: "Context window in tokens (default min(model's, 4096)).") var context: Int?
    @Option(name: [.customShort("t"), .long], help: "Threads (default: all cores; LAI_THREADS).") var threads: Int?

    /// Applies flags over `base` (model defaults, Modelfile parameters).
    func apply(to base: SamplingParameters) -> SamplingParameters {
        var p = base
        if let v = temperature { p.temperature = v }
        if let v = topK { p.topK = v }
        if let v = topP { p.topP = v }
        if let v = minP { p.minP = v }
        if let v = repeatPenalty { p.repeatPenalty = v }
        if let v = repeatLastN { p.repeatLastN = v }
        if let v = presencePenalty { p.presencePenalty = v }
        if let v = frequencyPenalty { p.frequencyPenalty = v }
        if let v = seed { p.seed = v }
        if let v = numPredict { p.numPredict = v }
        p.stop += stop
        return p
    }

    func validate() throws {
        if let c = context, c < 16 { throw ValidationError("--ctx must be at least 16") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if let t = temperature, t < 0 || !t.isFinite { throw ValidationError("--temperature must be ≥ 0") }
    }

    var pool: ThreadPool { threads.map { ThreadPool(threads: $0) } ?? .shared }
}
