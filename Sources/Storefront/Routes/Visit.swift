import HTTPTypes
import EmporiumCore
import Foundation
import EmporiumKit
import Hummingbird
import Security

/// One request of a shopper's browser: the cookies it brought (tokens, guest cart, session), and
/// the cookies its answer sets.
struct Visit: Sendable {
    /// The cookies the answer sets (`Set-Cookie` values).
    private(set) var setCookies: [String] = []
    /// Whether cookies get `Secure` (``SessionCookies/isSecure(scheme:forwardedProto:fromTrustedProxy:)``).
    let secure: Bool
    /// The session id that form tokens are bound to: the one the browser brought, or one started
    /// for this answer (``startSession()``); nil while a guest only browses public pages, which
    /// carry no token so that every guest sees the same page (and a shared cache may keep it).
    private(set) var sessionID: String?
    /// The session id the browser brought, if any (a POST's token is checked against it).
    let presentedSessionID: String?
    /// Whether the browser brought none of the shop's cookies (no session, tokens or cart): a
    /// guest's first pages, the same for every such guest.
    let isAnonymous: Bool
    private(set) var accessToken: String?
    private(set) var refreshToken: String?
    private(set) var cartID: String?
    /// The shopper's address, passed on as `X-Forwarded-For` (the API believes it only when this
    /// process is among its `http.trustedProxies`).
    let clientAddress: String

    /// The refresh token lives this long in the browser (the auth service decides how long it is valid).
    static let refreshCookieAge = 30 * 24 * 3600
    static let cartCookieAge = 7 * 24 * 3600
    static let sessionCookieAge = 30 * 24 * 3600

    init(request: Request, context: EmporiumRequestContext) {
        let cookies = SessionCookies.parse(request.headers[values: .cookie])
        secure = SessionCookies.isSecure(
            scheme: request.head.scheme, forwardedProto: request.headers[.xForwardedProto],
            fromTrustedProxy: context.peerIsTrustedProxy)
        accessToken = cookies[SessionCookies.access].flatMap { $0.isEmpty ? nil : $0 }
        refreshToken = cookies[SessionCookies.refresh].flatMap { $0.isEmpty ? nil : $0 }
        cartID = cookies[SessionCookies.cart].flatMap { $0.isEmpty ? nil : $0 }
        presentedSessionID = cookies[SessionCookies.session].flatMap { SessionID.isWellFormed($0) ? $0 : nil }
        clientAddress = context.clientAddress
        sessionID = presentedSessionID
        isAnonymous = presentedSessionID == nil && accessToken == nil && refreshToken == nil && cartID == nil
    }

    /// The session the visitor's forms are bound to, started (its cookie set) when there is none.
    mutating func startSession() -> String {
        if let sessionID { return sessionID }
        let id = SessionID.generate()
        sessionID = id
        setCookies.append(SessionCookies.setCookie(SessionCookies.session, id, maxAge: Self.sessionCookieAge, secure: secure))
        return id
    }

    /// Whether the shopper is signed in (holds a token; an expired one is refreshed on use).
    var isSignedIn: Bool { accessToken != nil || refreshToken != nil }

    /// What the roles of the access token permit, read without verifying it: to choose what to
    /// show (the back office's link), never to allow anything (``AccessTokenClaims``).
    var shownPermissions: Set<Permission> { accessToken.map { AccessTokenClaims(token: $0).permissions } ?? [] }

    /// Keeps new tokens (sign-in, refresh: the refresh token rotates).
    mutating func keep(_ tokens: APITypes.Tokens) {
        accessToken = tokens.accessToken
        refreshToken = tokens.refreshToken
        setCookies.append(SessionCookies.setCookie(SessionCookies.access, tokens.accessToken, maxAge: tokens.expiresIn, secure: secure))
        setCookies.append(SessionCookies.setCookie(SessionCookies.refresh, tokens.refreshToken, maxAge: Self.refreshCookieAge, secure: secure))
    }

    /// Forgets the tokens (sign-out, a refresh token the API refused).
    mutating func forgetTokens() {
        accessToken = nil
        refreshToken = nil
        setCookies.append(SessionCookies.setCookie(SessionCookies.access, "", maxAge: 0, secure: secure))
        setCookies.append(SessionCookies.setCookie(SessionCookies.refresh, "", maxAge: 0, secure: secure))
    }

    /// Keeps the guest cart's id the API issued (`X-Cart-Id`).
    mutating func keepCart(_ id: String?) {
        guard let id, id != cartID else { return }
        cartID = id
        setCookies.append(SessionCookies.setCookie(SessionCookies.cart, id, maxAge: Self.cartCookieAge, secure: secure))
    }

    mutating func forgetCart() {
        guard cartID != nil else { return }
        cartID = nil
        setCookies.append(SessionCookies.setCookie(SessionCookies.cart, "", maxAge: 0, secure: secure))
    }

    /// A new session id (at sign-in and sign-out), so that a session id known before is worth
    /// nothing after.
    mutating func renewSession() {
        let id = SessionID.generate()
        sessionID = id
        setCookies.append(SessionCookies.setCookie(SessionCookies.session, id, maxAge: Self.sessionCookieAge, secure: secure))
    }
}
