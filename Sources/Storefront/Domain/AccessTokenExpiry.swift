import HTTPTypes
import EmporiumKit
import EmporiumCore
import Foundation
import Security

/// When an access token (a JWT) expires, read from its `exp` claim without verifying it: only to
/// decide whether to refresh it before a call. The API verifies every token it is given.
enum AccessTokenExpiry {
    /// Seconds before `exp` at which the token is refreshed (a call must not carry a token that
    /// expires on its way).
    static let margin: TimeInterval = 30

    /// Whether `token` is expired (or close to it) at `now`; true when it cannot be read.
    static func needsRefresh(_ token: String, now: Date = .now) -> Bool {
        let parts = token.split(separator: ".")
        guard parts.count == 3, let payload = Base64URL.decodeCanonical(parts[1]) ?? Base64URL.decodeLenient(parts[1]),
            let claims = try? JSONSerialization.jsonObject(with: payload) as? [String: Any],
            let exp = claims["exp"] as? Double
        else { return true }
        return exp - margin <= now.timeIntervalSince1970
    }
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
