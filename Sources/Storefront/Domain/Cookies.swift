import HTTPTypes
import EmporiumKit
import EmporiumCore
import Foundation
/// The storefront's cookies: what a request brings and what a response sets.
///
/// Every cookie is `HttpOnly` (no script reads it), `SameSite=Lax` (not sent with another site's
/// POST), `Path=/`, and `Secure` when the request came over HTTPS as the platform sees it
/// (``SessionCookies/isSecure(scheme:forwardedProto:fromTrustedProxy:)``).
enum SessionCookies {
    /// The access token (a JWT, 15 minutes).
    static let access = "sf_access"
    /// The refresh token (rotated on every use; revoked at sign-out).
    static let refresh = "sf_refresh"
    /// The guest cart's id (`X-Cart-Id`).
    static let cart = "sf_cart"
    /// The session id that form tokens are bound to (``CSRFTokens``).
    static let session = "sf_session"

    /// The cookies of a `Cookie` header (several headers joined with `; `), first value wins.
    static func parse(_ headers: [String]) -> [String: String] {
        var cookies: [String: String] = [:]
        for header in headers {
            for pair in header.split(separator: ";") {
                guard let equals = pair.firstIndex(of: "=") else { continue }
                let name = pair[..<equals].trimmingCharacters(in: .whitespaces)
                let value = pair[pair.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                if !name.isEmpty, cookies[name] == nil { cookies[name] = value }
            }
        }
        return cookies
    }

    /// A `Set-Cookie` value; `maxAge` 0 deletes the cookie.
    static func setCookie(_ name: String, _ value: String, maxAge: Int, secure: Bool) -> String {
        var attributes = "\(name)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax"
        if secure { attributes += "; Secure" }
        return attributes
    }

    /// Whether cookies get `Secure`: the request's scheme as the platform sees it, that is
    /// `X-Forwarded-Proto` when a trusted proxy (`http.trustedProxies`) sent the request, else
    /// the scheme of the connection itself (plain HTTP: this server does not end TLS).
    /// Browsers drop `Secure` cookies set over plain HTTP (Chromium and Firefox make an exception
    /// for `localhost` only), so a shop on `http://127.0.0.1:8080` must not send it.
    static func isSecure(scheme: String?, forwardedProto: String?, fromTrustedProxy: Bool) -> Bool {
        if fromTrustedProxy, let forwardedProto {
            return forwardedProto.split(separator: ",").first?.trimmingCharacters(in: .whitespaces).lowercased() == "https"
        }
        return scheme?.lowercased() == "https"
    }
}
