import HTTPTypes
import EmporiumKit
import EmporiumCore
import Crypto
import Foundation
import Security

/// The token every form of the storefront carries (`_csrf`), bound to the visitor's session
/// cookie: `base64url(HMAC-SHA256(key, "csrf-v1\n" + session id))`, the key derived from the
/// deployment's service secret (`storefront.csrf`).
///
/// The session cookie is HttpOnly and SameSite=Lax, so another site can neither read it nor
/// compute the token from it; a POST whose `_csrf` is not the token of the session cookie it
/// came with is refused (403) before anything is written. The token needs no storage: any
/// instance with the secret checks it.
struct CSRFTokens: Sendable {
    private let key: SymmetricKey

    init(key: SymmetricKey) {
        self.key = key
    }

    /// The form token of session `session`.
    func token(for session: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data("csrf-v1\n\(session)".utf8), using: key)
        return Base64URL.encode(Data(code))
    }

    /// Whether `token` is the form token of `session`; false when either is missing.
    func isValid(_ token: String?, session: String?) -> Bool {
        guard let token, let session, SessionID.isWellFormed(session),
            let given = Base64URL.decodeCanonical(token)
        else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Data("csrf-v1\n\(session)".utf8), using: key)
    }
}

/// The visitor's session id (the `sf_session` cookie): 32 random bytes, base64url.
enum SessionID {
    static func generate() -> String {
        Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }

    static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 43 && Base64URL.decodeCanonical(text)?.count == 32
    }
}
