// OIDC: bearer JWTs from an identity provider, verified (signature against its JWKS, issuer, audience, expiry)
// with jwt-kit; the token's `scope` claim gives lai's scopes.
import Foundation
import JWTKit

package struct OIDCSettings: Sendable {
    package var issuer: String
    package var audience: String
    /// The JWKS: a file, or an https:// (http:// on loopback) URL, read at start and on SIGHUP.
    package var jwks: String
    package init(issuer: String, audience: String, jwks: String) { self.issuer = issuer; self.audience = audience; self.jwks = jwks }
}

/// The claims lai reads.
struct OIDCClaims: JWTPayload {
    var iss: IssuerClaim
    var aud: AudienceClaim
    var exp: ExpirationClaim
    var sub: SubjectClaim?
    var email: String?
    var scope: String?
    var scp: [String]?

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

package final class OIDCVerifier: Sendable {
    let settings: OIDCSettings
    private let keys: JWTKeyCollection

    package init(_ settings: OIDCSettings) async throws {
        self.settings = settings
        let text: String
        if settings.jwks.hasPrefix("http://") || settings.jwks.hasPrefix("https://") {
            guard let url = URL(string: settings.jwks) else { throw APIError(500, "--oidc-jwks: '\(settings.jwks)' is not a URL") }
            let r: HTTPClient.Response
            do { r = try HTTPClient(timeout: 20).send("GET", url) } catch { throw APIError(500, "\(settings.jwks): \(error)") }
            guard r.status == 200 else { throw APIError(500, "\(settings.jwks): HTTP \(r.status)") }
            text = String(decoding: r.body, as: UTF8.self)
        } else {
            guard let d = FileManager.default.contents(atPath: settings.jwks) else { throw APIError(500, "\(settings.jwks): cannot read the JWKS") }
            text = String(decoding: d, as: UTF8.self)
        }
        keys = JWTKeyCollection()
        do { try await keys.add(jwksJSON: text) } catch { throw APIError(500, "\(settings.jwks): not a usable JWKS: \(error)") }
    }

    /// The identity a token proves, or 401 saying why not.
    package func identify(_ token: String, limits: RateLimits) async throws -> Identity {
        let claims: OIDCClaims
        do { claims = try await keys.verify(token, as: OIDCClaims.self) } catch {
            let why = "\(error)".lowercased().contains("exp") ? "the token has expired" : "the token's signature or claims are not valid"
            throw APIError(401, "invalid bearer token: \(why)", code: "invalid_token")
        }
        guard claims.iss.value == settings.issuer else { throw APIError(401, "invalid bearer token: issuer '\(claims.iss.value)' is not \(settings.issuer)", code: "invalid_token") }
        guard claims.aud.value.contains(settings.audience) else { throw APIError(401, "invalid bearer token: it is not for audience '\(settings.audience)'", code: "invalid_token") }
        let granted = (claims.scope.map { $0.split(separator: " ").map(String.init) } ?? []) + (claims.scp ?? [])
        var scopes = Set(granted.compactMap { Scope(rawValue: $0.hasPrefix("lai:") ? String($0.dropFirst(4)) : $0) })
        if scopes.isEmpty { scopes = [.read, .infer] }
        return Identity(name: claims.email ?? claims.sub?.value ?? "oidc", scopes: scopes, limits: limits)
    }
}
