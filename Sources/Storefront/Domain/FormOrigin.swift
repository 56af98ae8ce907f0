import Foundation
import HTTPTypes

/// Whether a form was posted from a page of this shop, for a guest who has no session yet (and
/// so no form token: the public pages carry none, so that every guest sees the same page and a
/// shared cache may keep it).
///
/// Browsers say where a POST comes from, and a page of another site cannot change it:
/// `Sec-Fetch-Site` (every current browser) must be `same-origin`; without it, `Origin` must
/// name the host the request was sent to. A request with neither is refused: it is not from a
/// browser that can be trusted to say. Once a visitor has a session, its form token is checked
/// instead (``CSRFTokens``), and the session cookie is `SameSite=Lax` besides.
enum FormOrigin {
    /// - Parameters:
    ///   - fetchSite: The `Sec-Fetch-Site` header.
    ///   - origin: The `Origin` header (`https://shop.example`, or `null`).
    ///   - host: Where the browser sent the request: the `Host` header, or the
    ///     `X-Forwarded-Host` of a trusted proxy in front.
    static func isSameOrigin(fetchSite: String?, origin: String?, host: String?) -> Bool {
        if let fetchSite { return fetchSite.lowercased() == "same-origin" }
        guard let origin, let host, !host.isEmpty else { return false }
        guard let schemeEnd = origin.range(of: "://") else { return false }
        let authority = origin[schemeEnd.upperBound...]
        return !authority.contains("/") && authority.lowercased() == host.lowercased()
    }
}

extension HTTPField.Name {
    /// `Sec-Fetch-Site`: where a browser's request comes from (`same-origin`, `same-site`,
    /// `cross-site`, `none`).
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
}
