import Foundation
import Security

/// The claims of an access token (a JWT) that the storefront reads without verifying it: when it
/// expires (`exp`, to refresh it before a call) and its `roles` (to choose what the back office
/// shows). Neither grants anything: the API verifies every token it is given and checks every
/// permission on every call.
struct AccessTokenClaims: Sendable, Equatable {
    /// Seconds before `exp` at which the token is refreshed (a call must not carry a token that
    /// expires on its way).
    static let margin: TimeInterval = 30

    /// `exp`, in seconds since 1970; nil when the token cannot be read.
    var expiry: TimeInterval?
    /// The roles the token names (unknown ones left out).
    var roles: [Role]

    init(token: String) {
        let parts = token.split(separator: ".")
        guard parts.count == 3, let payload = Base64URL.decodeCanonical(parts[1]) ?? Base64URL.decodeLenient(parts[1]),
            let claims = try? JSONSerialization.jsonObject(with: payload) as? [String: Any]
        else {
            expiry = nil
            roles = []
            return
        }
        expiry = claims["exp"] as? Double
        roles = ((claims["roles"] as? [String]) ?? []).compactMap(Role.init(rawValue:))
    }

    /// Whether `token` is expired (or close to it) at `now`; true when it cannot be read.
    static func needsRefresh(_ token: String, now: Date = .now) -> Bool {
        guard let expiry = AccessTokenClaims(token: token).expiry else { return true }
        return expiry - margin <= now.timeIntervalSince1970
    }

    /// What the token's roles permit.
    var permissions: Set<Permission> { RolePermissions.permissions(of: roles) }
}

extension Base64URL {
    /// Base64url without the canonical checks (a JWT's segments are canonical, but a reader of
    /// `exp` does not need to insist).
    static func decodeLenient(_ text: some StringProtocol) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
