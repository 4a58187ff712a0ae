// ServerMetrics: what /metrics reports, in Prometheus' text format (swift-prometheus' registry).
import Foundation
import Prometheus

package final class ServerMetrics: Sendable {
    package let registry = PrometheusCollectorRegistry()
    private let ttft: ValueHistogram
    private let interToken: ValueHistogram
    private let batchRows: ValueHistogram
    private let batchSequences: ValueHistogram
    private let running: Gauge
    private let queued: Gauge
    private let loadedModels: Gauge
    private let residentBytes: Gauge
    private let modelBytes: Gauge

    package init() {
        ttft = registry.makeValueHistogram(
            descriptor: Self.metric("lai_time_to_first_token_seconds", "Time from a completion's arrival to its first generated token"),
            buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60])
        interToken = registry.makeValueHistogram(
            descriptor: Self.metric("lai_inter_token_latency_seconds", "Time between consecutive generated tokens of one completion"),
            buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2])
        batchRows = registry.makeValueHistogram(
            descriptor: Self.metric("lai_batch_rows", "Rows (tokens) in one engine step"),
            buckets: [1, 2, 4, 8, 16, 64, 256, 512])
        batchSequences = registry.makeValueHistogram(
            descriptor: Self.metric("lai_batch_sequences", "Sequences in one engine step"),
            buckets: [1, 2, 3, 4, 6, 8, 16])
        running = registry.makeGauge(descriptor: Self.metric("lai_requests_running", "Completions holding a slot"))
        queued = registry.makeGauge(descriptor: Self.metric("lai_requests_queued", "Completions waiting for a slot"))
        loadedModels = registry.makeGauge(descriptor: Self.metric("lai_models_loaded", "Models in memory"))
        residentBytes = registry.makeGauge(
            descriptor: Self.metric("lai_resident_memory_bytes", "Resident memory of the server process"))
        modelBytes = registry.makeGauge(
            descriptor: Self.metric("lai_model_memory_bytes", "Bytes of loaded weights and KV caches"))
    }

    package func request(route: String, code: Int) {
        registry.makeCounter(
            descriptor: Self.metric("lai_http_requests_total", "HTTP requests by route and status"),
            labels: [("route", route), ("code", String(code))]).increment()
    }

    package func rejected(_ reason: String) {
        registry.makeCounter(
            descriptor: Self.metric("lai_rejections_total", "Requests refused, by reason"),
            labels: [("reason", reason)]).increment()
    }

    package func tokens(model: String, prompt: Int, generated: Int) {
        registry.makeCounter(
            descriptor: Self.metric("lai_prompt_tokens_total", "Prompt tokens processed"),
            labels: [("model", model)])
            .increment(by: Int64(prompt))
        registry.makeCounter(
            descriptor: Self.metric("lai_generated_tokens_total", "Tokens generated"),
            labels: [("model", model)])
            .increment(by: Int64(generated))
    }

    /// The engine's hooks.
    package var engineObserver: EngineObserver {
        var o = EngineObserver()
        o.step = { [batchRows, batchSequences] rows, seqs in batchRows.record(Double(rows)); batchSequences.record(Double(seqs)) }
        o.firstToken = { [ttft] s in ttft.record(s) }
        o.interToken = { [interToken] s in interToken.record(s) }
        return o
    }

    /// A metric's full name as given (no unit suffix added) and its help text.
    private static func metric(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// The text for a scrape, after refreshing the gauges from the current state.
    package func scrape(models: [LoadedModel]) -> String {
        var r = 0, q = 0, bytes = 0
        for m in models {
            bytes += m.sizeBytes
            if case let .chat(_, e, _) = m.kind { let l = e.load; r += l.running; q += l.queued }
        }
        running.set(Double(r)); queued.set(Double(q))
        loadedModels.set(Double(models.count)); modelBytes.set(Double(bytes))
        residentBytes.set(Double(ServerMetrics.residentMemory()))
        return registry.emitToString()
    }

    /// Resident set size from /proc/self/statm (0 where there is none).
    package static func residentMemory() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let f = s.split(separator: " ")
        guard f.count > 1, let pages = Int(f[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
