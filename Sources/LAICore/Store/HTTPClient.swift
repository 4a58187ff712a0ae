// HTTPClient: blocking HTTP requests and streamed downloads over URLSession (libcurl on Linux).
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A small synchronous HTTP client for the store: whole responses for manifests and uploads,
/// streamed bodies for blobs. Proxies come from the environment (see `ProxyEnvironment`).
package final class HTTPClient: @unchecked Sendable {
    package struct Response {
        package var status: Int
        /// Header names lowercased.
        package var headers: [String: String]
        package var body: [UInt8]
        package var url: URL?
    }

    private let session: URLSession
    private let delegate = StreamRouter()

    package init(timeout: TimeInterval = 60) {
        ProxyEnvironment.apply()
        let c = URLSessionConfiguration.default
        c.timeoutIntervalForRequest = timeout
        c.requestCachePolicy = .reloadIgnoringLocalCacheData
        c.urlCache = nil
        c.httpMaximumConnectionsPerHost = 8
        let q = OperationQueue()
        q.maxConcurrentOperationCount = 1
        session = URLSession(configuration: c, delegate: delegate, delegateQueue: q)
    }

    deinit { session.invalidateAndCancel() }

    /// Sends a request and returns the whole response. Transport failures throw `StoreError.network`.
    package func send(_ method: String, _ url: URL, headers: [String: String] = [:], body: [UInt8]? = nil,
                      bodyFile: String? = nil) throws -> Response {
        var req = URLRequest(url: url)
        req.httpMethod = method
        for (k, v) in headers { req.setValue(v, forHTTPHeaderField: k) }
        let sink = StreamRouter.Sink()
        var data = [UInt8]()
        sink.onData = { d in data.append(contentsOf: d); return true }
        if let b = body { req.httpBody = Data(b) }
        let task: URLSessionTask
        if let f = bodyFile {
            task = session.uploadTask(with: req, fromFile: URL(fileURLWithPath: f))
        } else {
            task = session.dataTask(with: req)
        }
        delegate.add(task, sink)
        task.resume()
        sink.done.wait()
        delegate.remove(task)
        if let e = sink.error { throw StoreError.network(url: url.absoluteString, reason: HTTPClient.describe(e)) }
        guard let r = sink.response else { throw StoreError.network(url: url.absoluteString, reason: "no response") }
        return Response(status: r.statusCode, headers: HTTPClient.headers(r), body: data, url: r.url)
    }

    /// Streams a GET body to `onData` after `onResponse` accepted the status and headers.
    /// Either callback may throw to stop the transfer; that error is rethrown.
    package func stream(_ url: URL, headers: [String: String] = [:],
                        onResponse: @escaping (Int, [String: String]) throws -> Void,
                        onData: @escaping (Data) throws -> Void) throws {
        var req = URLRequest(url: url)
        for (k, v) in headers { req.setValue(v, forHTTPHeaderField: k) }
        let sink = StreamRouter.Sink()
        var stop: Error?
        // The first error wins; URLSession on Linux may deliver data even after a `.cancel` disposition.
        sink.onResponse = { r in
            do { try onResponse(r.statusCode, HTTPClient.headers(r)); return true } catch { stop = error; return false }
        }
        sink.onData = { d in
            if stop != nil { return false }
            do { try onData(d); return true } catch { stop = error; return false }
        }
        let task = session.dataTask(with: req)
        delegate.add(task, sink)
        task.resume()
        sink.done.wait()
        delegate.remove(task)
        if let s = stop { throw s }
        if let e = sink.error { throw StoreError.network(url: url.absoluteString, reason: HTTPClient.describe(e)) }
    }

    static func headers(_ r: HTTPURLResponse) -> [String: String] {
        var h: [String: String] = [:]
        for (k, v) in r.allHeaderFields { h[String(describing: k).lowercased()] = String(describing: v) }
        return h
    }

    /// One line for a transport error: "connection refused", "could not resolve host", "timed out".
    static func describe(_ e: Error) -> String {
        let n = e as NSError
        switch n.code {
        case NSURLErrorCannotConnectToHost: return "cannot connect (connection refused or host down)"
        case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed: return "cannot resolve host"
        case NSURLErrorTimedOut: return "timed out"
        case NSURLErrorNetworkConnectionLost: return "connection lost"
        case NSURLErrorNotConnectedToInternet: return "no network"
        case NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateUntrusted, NSURLErrorServerCertificateHasBadDate,
             NSURLErrorServerCertificateHasUnknownRoot, NSURLErrorServerCertificateNotYetValid:
            return "TLS failed (\(n.localizedDescription))"
        default: return n.localizedDescription
        }
    }
}

/// Routes URLSession delegate callbacks to the per-task sink that waits for them.
private final class StreamRouter: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    final class Sink: @unchecked Sendable {
        var onResponse: (HTTPURLResponse) -> Bool = { _ in true }
        var onData: (Data) -> Bool = { _ in true }
        var response: HTTPURLResponse?
        var error: Error?
        let done = DispatchSemaphore(value: 0)
    }

    private let lock = NSLock()
    private var sinks: [Int: Sink] = [:]

    func add(_ t: URLSessionTask, _ s: Sink) { lock.lock(); sinks[t.taskIdentifier] = s; lock.unlock() }
    func remove(_ t: URLSessionTask) { lock.lock(); sinks[t.taskIdentifier] = nil; lock.unlock() }
    private func sink(_ t: URLSessionTask) -> Sink? { lock.lock(); defer { lock.unlock() }; return sinks[t.taskIdentifier] }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let s = sink(dataTask), let r = response as? HTTPURLResponse else { completionHandler(.cancel); return }
        s.response = r
        completionHandler(s.onResponse(r) ? .allow : .cancel)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let s = sink(dataTask) else { return }
        if !s.onData(data) { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        guard let s = sink(task) else { return }
        if s.response == nil, let r = task.response as? HTTPURLResponse { s.response = r }
        s.error = error
        s.done.signal()
    }
}

/// Makes the conventional proxy variables work with libcurl, which URLSession uses on Linux.
///
/// libcurl reads `http_proxy` only in lower case (upper-case `HTTP_PROXY` is ignored there for CGI safety),
/// `https_proxy`/`HTTPS_PROXY`, `all_proxy` and `no_proxy`/`NO_PROXY`. We copy each upper-case variable to
/// its lower-case twin when that is unset, so HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY all work.
package enum ProxyEnvironment {
    nonisolated(unsafe) private static var applied = false

    package static func apply() {
        if applied { return }
        applied = true
        for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"] {
            let lower = name.lowercased()
            if getenv(lower) == nil, let v = getenv(name) { setenv(lower, v, 0) }
        }
    }
}
