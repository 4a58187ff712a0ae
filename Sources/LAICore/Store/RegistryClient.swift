// RegistryClient: the OCI distribution API Ollama speaks (GET/HEAD/PUT manifests and blobs, monolithic uploads).
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Foundation

/// Talks to one repository of a registry: `<scheme>://<host>/v2/<namespace>/<name>/…`.
///
/// Anonymous access first; a 401 with `WWW-Authenticate: Bearer realm=…,service=…,scope=…` is answered
/// by fetching a token from the realm (Docker token auth) and retrying once.
package final class RegistryClient: @unchecked Sendable {
    package let name: ModelName
    package let base: URL
    let http: HTTPClient
    let options: DownloadOptions
    private var token: String?

    package init(name: ModelName, insecure: Bool, http: HTTPClient, options: DownloadOptions) throws {
        self.name = name
        guard let u = URL(string: "\(insecure ? "http" : "https")://\(name.host)") else {
            throw StoreError.invalidName(name.description, reason: "host is not a valid URL host")
        }
        base = u; self.http = http; self.options = options
    }

    package var manifestURL: URL { base.appendingPathComponent("v2/\(name.repository)/manifests/\(name.tag)") }
    package func blobURL(_ digest: String) -> URL { base.appendingPathComponent("v2/\(name.repository)/blobs/\(digest)") }

    /// Authorization header for requests made outside `send` (blob streams).
    package var authHeaders: [String: String] { token.map { ["Authorization": "Bearer \($0)"] } ?? [:] }

    /// Sends a request with retries for transient failures and one Bearer-token retry on 401.
    package func send(_ method: String, _ url: URL, headers: [String: String] = [:], body: [UInt8]? = nil,
                      bodyFile: String? = nil) throws -> HTTPClient.Response {
        var attempt = 0
        var triedAuth = false
        while true {
            var h = headers
            for (k, v) in authHeaders { h[k] = v }
            do {
                let r = try http.send(method, url, headers: h, body: body, bodyFile: bodyFile)
                if r.status == 401, !triedAuth, let challenge = r.headers["www-authenticate"], challenge.lowercased().hasPrefix("bearer") {
                    triedAuth = true
                    token = try fetchToken(challenge)
                    continue
                }
                if r.status >= 500 || r.status == 429 || r.status == 408 {
                    throw StoreError.http(url: url.absoluteString, status: r.status, message: RegistryClient.errorMessage(r))
                }
                return r
            } catch {
                attempt += 1
                guard BlobDownloader.retryable(error), attempt < options.attempts else { throw error }
                Thread.sleep(forTimeInterval: min(8, options.retryDelay * pow(2, Double(attempt - 1))))
            }
        }
    }

    private func fetchToken(_ challenge: String) throws -> String {
        var params: [String: String] = [:]
        let rest = challenge.dropFirst("bearer".count)
        // key="value" pairs separated by commas (values may contain commas inside quotes).
        var key = "", value = "", inKey = true, inQuotes = false
        for c in rest {
            if inKey {
                if c == "=" { inKey = false } else if c != "," && c != " " { key.append(c) }
            } else if c == "\"" { inQuotes.toggle() } else if c == "," && !inQuotes {
                params[key.lowercased()] = value; key = ""; value = ""; inKey = true
            } else { value.append(c) }
        }
        if !key.isEmpty { params[key.lowercased()] = value }
        guard let realm = params["realm"], var comps = URLComponents(string: realm) else {
            throw StoreError.http(url: base.absoluteString, status: 401, message: "unauthorized (no token realm in the challenge)")
        }
        comps.queryItems = ["service", "scope"].compactMap { k in params[k].map { URLQueryItem(name: k, value: $0) } }
        guard let u = comps.url else { throw StoreError.http(url: realm, status: 401, message: "bad token realm") }
        let r = try http.send("GET", u)
        guard r.status == 200, let obj = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
              let t = (obj["token"] as? String) ?? (obj["access_token"] as? String) else {
            throw StoreError.http(url: u.absoluteString, status: r.status, message: "could not get an access token")
        }
        return t
    }

    /// The registry's error text: `{"errors":[{"code":…,"message":…}]}` or the plain reason phrase.
    static func errorMessage(_ r: HTTPClient.Response) -> String {
        if let obj = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
           let errs = obj["errors"] as? [[String: Any]], let first = errs.first {
            return [first["code"] as? String, first["message"] as? String].compactMap { $0 }.joined(separator: ": ")
        }
        return HTTPStatus.phrase(r.status)
    }

    // MARK: pull

    /// GET the manifest; returns its exact bytes (kept verbatim so its digest matches the registry's).
    package func fetchManifest() throws -> [UInt8] {
        let r = try send("GET", manifestURL, headers: ["Accept": MediaType.manifest])
        if r.status == 404 { throw StoreError.http(url: manifestURL.absoluteString, status: 404, message: "model '\(name)' not found in the registry") }
        guard r.status == 200 else { throw StoreError.http(url: manifestURL.absoluteString, status: r.status, message: RegistryClient.errorMessage(r)) }
        return r.body
    }

    // MARK: push

    package func blobExists(_ l: Layer) throws -> Bool {
        let r = try send("HEAD", blobURL(l.digest))
        return r.status == 200
    }

    /// POST an upload session, then PUT the whole blob with `?digest=` (monolithic upload).
    package func upload(_ l: Layer, file: String) throws {
        let start = base.appendingPathComponent("v2/\(name.repository)/blobs/uploads/")
        let r = try send("POST", start, headers: ["Content-Length": "0"])
        guard r.status == 202, let loc = r.headers["location"], let locURL = URL(string: loc, relativeTo: start)?.absoluteURL,
              var comps = URLComponents(url: locURL, resolvingAgainstBaseURL: true) else {
            throw StoreError.http(url: start.absoluteString, status: r.status, message: RegistryClient.errorMessage(r))
        }
        comps.queryItems = (comps.queryItems ?? []) + [URLQueryItem(name: "digest", value: l.digest)]
        guard let put = comps.url else { throw StoreError.network(url: loc, reason: "bad upload location") }
        let p = try send("PUT", put, headers: ["Content-Type": "application/octet-stream", "Content-Length": String(l.size)], bodyFile: file)
        guard p.status == 201 || p.status == 204 else {
            throw StoreError.http(url: put.absoluteString, status: p.status, message: RegistryClient.errorMessage(p))
        }
    }

    package func putManifest(_ bytes: [UInt8]) throws {
        let r = try send("PUT", manifestURL, headers: ["Content-Type": MediaType.manifest], body: bytes)
        guard r.status == 201 || r.status == 200 else {
            throw StoreError.http(url: manifestURL.absoluteString, status: r.status, message: RegistryClient.errorMessage(r))
        }
    }
}
