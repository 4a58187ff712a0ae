// BlobDownloader: resumable, verified, parallel HTTP Range downloads into `blobs/…-partial`.
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// How downloads behave; the environment can override each knob (tests use it to stay fast).
package struct DownloadOptions: Sendable {
    /// Range requests in flight at once for one blob.
    package var parallel = 4
    /// Bytes per range; nil: `max(16 MiB, size / parallel)`.
    package var partSize: Int? = nil
    /// Attempts per range before giving up (progress resets the count).
    package var attempts = 6
    /// First retry delay in seconds; doubles each retry, at most 8 s.
    package var retryDelay = 0.5

    package init() {}

    /// Defaults, overridden by LAI_PULL_PARALLEL, LAI_PULL_PART_SIZE, LAI_PULL_ATTEMPTS, LAI_PULL_RETRY_MS.
    package static func fromEnvironment() -> DownloadOptions {
        var o = DownloadOptions()
        let env = ProcessInfo.processInfo.environment
        if let v = env["LAI_PULL_PARALLEL"].flatMap(Int.init), v >= 1 { o.parallel = min(v, 16) }
        if let v = env["LAI_PULL_PART_SIZE"].flatMap(Int.init), v >= 1 { o.partSize = v }
        if let v = env["LAI_PULL_ATTEMPTS"].flatMap(Int.init), v >= 1 { o.attempts = v }
        if let v = env["LAI_PULL_RETRY_MS"].flatMap(Double.init), v >= 0 { o.retryDelay = v / 1000 }
        return o
    }
}

/// The resume record kept beside a partial file: which byte ranges are already written.
struct PartialState: Codable {
    struct Part: Codable { var start: Int; var end: Int; var done: Int }
    var size: Int
    var parts: [Part]
}

/// Downloads one URL into a partial file with HTTP Range requests.
///
/// The partial file `P` and its record `P.json` let a later run continue where an interrupted one stopped.
/// The record is saved about once a second, after the data it describes is written and flushed, so it never
/// claims bytes that are not in the file. Transient failures (connection errors, 5xx, 408, 429, short bodies)
/// are retried with exponential backoff; a range makes its own progress, so a retry never re-downloads it.
package final class BlobDownloader: @unchecked Sendable {
    let http: HTTPClient
    let options: DownloadOptions
    let progress: PullProgress
    /// Extra headers for every request (registry authorization).
    var headers: [String: String] = [:]

    package init(http: HTTPClient, options: DownloadOptions, progress: PullProgress) {
        self.http = http; self.options = options; self.progress = progress
    }

    private struct RangeNotHonoured: Error {}

    /// Downloads `url` into `partial` (resuming it when its record matches `size`) and returns the byte count.
    /// `size` nil means unknown: one plain request, no resume.
    package func download(_ url: URL, to partial: String, size: Int?, label: String) throws -> Int {
        let statePath = partial + ".json"
        var state: PartialState
        if let size, let d = FileManager.default.contents(atPath: statePath),
           let s = try? JSONDecoder().decode(PartialState.self, from: d), s.size == size,
           FileManager.default.fileExists(atPath: partial) {
            state = s
        } else {
            unlink(statePath)
            unlink(partial)
            state = BlobDownloader.plan(size: size, options: options)
        }
        let fd = open(partial, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw FileError.cannotWrite(path: partial, reason: String(cString: strerror(errno))) }
        defer { close(fd) }

        do {
            return try run(url, fd: fd, partial: partial, statePath: statePath, state: &state, label: label)
        } catch is RangeNotHonoured {
            // The server ignored Range: start again with one plain request.
            progress.status("\(label): the server does not honour Range requests; downloading in one piece")
            unlink(statePath)
            ftruncate(fd, 0)
            state = BlobDownloader.plan(size: size, options: DownloadOptions.single)
            return try run(url, fd: fd, partial: partial, statePath: statePath, state: &state, label: label)
        } catch let e as FileError {
            // Disk errors (full disk): the partial cannot complete here; leave the store as it was.
            unlink(statePath); unlink(partial)
            throw e
        } catch {
            // Keep what was downloaded for a resume; a partial with nothing in it is just clutter.
            if state.parts.allSatisfy({ $0.done == 0 }) { unlink(statePath); unlink(partial) }
            throw error
        }
    }

    /// Splits `size` bytes into ranges; unknown size is one open-ended range.
    static func plan(size: Int?, options: DownloadOptions) -> PartialState {
        guard let size else { return PartialState(size: -1, parts: [.init(start: 0, end: Int.max, done: 0)]) }
        let partSize = max(1, options.partSize ?? max(16 << 20, (size + options.parallel - 1) / max(1, options.parallel)))
        var parts: [PartialState.Part] = []
        var s = 0
        repeat { parts.append(.init(start: s, end: min(size, s + partSize), done: 0)); s += partSize } while s < size
        return PartialState(size: size, parts: parts)
    }

    private func run(_ url: URL, fd: Int32, partial: String, statePath: String, state: inout PartialState, label: String) throws -> Int {
        let known = state.size >= 0
        let lock = NSLock()
        var shared = state
        var failure: Error?
        var next = 0
        var lastSave = Date()
        let already = shared.parts.reduce(0) { $0 + $1.done }
        progress.begin(label, total: known ? state.size : 0, already: already)

        func save(force: Bool) {  // called with `lock` held
            if !force && Date().timeIntervalSince(lastSave) < 1 { return }
            lastSave = Date()
            guard known else { return }
            fdatasync(fd)
            let obj = JSON.object([("size", .int(shared.size)), ("parts", .array(shared.parts.map {
                .object([("start", .int($0.start)), ("end", .int($0.end)), ("done", .int($0.done))]) }))])
            if let w = try? AtomicFileWriter(path: statePath) { try? w.write(Array(obj.serialized().utf8)); try? w.commit() }
        }

        func worker() {
            while true {
                lock.lock()
                if failure != nil || next >= shared.parts.count { lock.unlock(); return }
                let i = next; next += 1
                lock.unlock()
                do { try fetchPart(i) } catch {
                    lock.lock(); if failure == nil { failure = error }; lock.unlock()
                    return
                }
            }
        }

        func fetchPart(_ i: Int) throws {
            var attempt = 0
            while true {
                lock.lock()
                let p = shared.parts[i]
                let stop = failure != nil
                lock.unlock()
                if stop { return }
                let from = p.start + p.done
                if known && from >= p.end { return }
                var got = 0
                do {
                    var h = headers
                    if known { h["Range"] = "bytes=\(from)-\(p.end - 1)" } else { ftruncate(fd, 0) }
                    try http.stream(url, headers: h, onResponse: { status, hdrs in
                        if status == 206 {
                            let cr = hdrs["content-range"] ?? ""
                            guard cr.hasPrefix("bytes \(from)-") else { throw RangeNotHonoured() }
                            if let total = cr.split(separator: "/").last.flatMap({ Int($0) }), known, total != shared.size {
                                throw StoreError.sizeMismatch(what: url.absoluteString, expected: shared.size, actual: total)
                            }
                        } else if status == 200 {
                            if known && (from != 0 || p.end != shared.size) { throw RangeNotHonoured() }
                        } else {
                            throw StoreError.http(url: url.absoluteString, status: status, message: HTTPStatus.phrase(status))
                        }
                    }, onData: { d in
                        lock.lock(); let stop = failure != nil; lock.unlock()
                        if stop { throw CancellationError() }
                        let room = known ? p.end - (from + got) : d.count
                        if d.count > room {
                            throw StoreError.sizeMismatch(what: url.absoluteString, expected: shared.size, actual: from + got + d.count)
                        }
                        try d.withUnsafeBytes { b in
                            guard let base = b.baseAddress else { return }
                            try StoreIO.writeAll(fd, base, b.count, offset: from + got, path: partial)
                        }
                        got += d.count
                        lock.lock()
                        shared.parts[i].done = from + got - p.start
                        save(force: false)
                        lock.unlock()
                        self.progress.add(d.count)
                    })
                    if known && from + got < p.end {
                        throw StoreError.network(url: url.absoluteString, reason: "connection closed after \(from + got) of \(p.end) bytes")
                    }
                    if !known { lock.lock(); shared.parts[i].end = got; shared.parts[i].done = got; lock.unlock() }
                    return
                } catch {
                    if !known { progress.subtract(got) }
                    guard BlobDownloader.retryable(error) else { throw error }
                    attempt = got > 0 ? 1 : attempt + 1
                    if attempt >= options.attempts { throw error }
                    let delay = min(8, options.retryDelay * pow(2, Double(attempt - 1)))
                    Thread.sleep(forTimeInterval: delay)
                }
            }
        }

        let n = min(options.parallel, shared.parts.count)
        let group = DispatchGroup()
        // worker() and the state it captures are shared between the threads only under `lock`
        let work = LockGuardedWork(run: worker)
        for _ in 0..<n {
            group.enter()
            let t = Thread { work.run(); group.leave() }
            t.stackSize = 1 << 20
            t.start()
        }
        group.wait()
        lock.lock()
        save(force: true)
        let err = failure
        lock.unlock()
        state = shared
        if let err { throw err }
        progress.end()
        fdatasync(fd)
        unlink(statePath)
        return known ? state.size : (state.parts.first?.end ?? 0)
    }

    static func retryable(_ e: Error) -> Bool {
        switch e {
        case StoreError.network: return true
        case let StoreError.http(_, status, _): return status >= 500 || status == 408 || status == 429
        default: return false
        }
    }
}

extension DownloadOptions {
    static var single: DownloadOptions { var o = DownloadOptions(); o.parallel = 1; o.partSize = Int.max / 2; return o }
}

/// Short reason phrases for the statuses a registry answers with.
package enum HTTPStatus {
    package static func phrase(_ s: Int) -> String {
        switch s {
        case 400: return "bad request"
        case 401: return "unauthorized"
        case 403: return "forbidden"
        case 404: return "not found"
        case 405: return "method not allowed"
        case 416: return "range not satisfiable"
        case 429: return "too many requests"
        case 500: return "internal server error"
        case 502: return "bad gateway"
        case 503: return "service unavailable"
        default: return ""
        }
    }
}

/// How a blob of a given size is split into Range requests (exposed for tests and docs).
package enum BlobDownloaderPlan {
    package static func parts(size: Int, options: DownloadOptions) -> [Range<Int>] {
        BlobDownloader.plan(size: size, options: options).parts.map { $0.start..<$0.end }
    }
}

/// A closure whose captured state is only touched under a lock it takes itself (what the compiler cannot check),
/// handed to the download threads.
private struct LockGuardedWork: @unchecked Sendable {
    let run: () -> Void
}
