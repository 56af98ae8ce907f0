import EmporiumKit
import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import NIOCore
import NIOFoundationCompat
import Security

/// `/v1/auth/*` and `/.well-known/jwks.json`: thin handlers over ``AuthStore``,
/// ``IdentityRules``, ``PasswordHasher`` and ``SigningKeys``.
struct AuthController: Sendable {
    let store: AuthStore
    let keys: SigningKeys
    let hasher: PasswordHasher
    let security: SecuritySettings
    /// `auth_password_checks_total`: passwords checked by logins (a throttled attempt checks none).
    let passwordChecks: Counter

    func addRoutes(to router: ServiceRouter) {
        router.post("/v1/auth/register", use: register)
        router.post("/v1/auth/login", use: login)
        router.post("/v1/auth/refresh", use: refresh)
        router.post("/v1/auth/logout", use: logout)
        router.get("/.well-known/jwks.json", use: jwks)
    }

    /// The new account: `{"id", "email", "roles"}`.
    struct RegisteredAccount: ResponseEncodable {
        var id: String
        var email: String
        var roles: [String]
    }

    /// Creates a customer account.
    @Sendable func register(_ request: Request, context: EmporiumRequestContext) async throws -> EditedResponse<RegisteredAccount> {
        let (email, password) = try IdentityRules.validate(try await request.decodeJSON(as: RegistrationRequest.self, context: context))
        let account = try await store.createAccount(email: email, passwordHash: try await hasher.hash(password), roles: [.customer])
        return EditedResponse(
            status: .created, headers: [.location: "/v1/users/\(account.id)"],
            response: RegisteredAccount(id: account.id, email: email, roles: account.roles.map(\.rawValue).sorted())
        )
    }

    /// Exchanges an email and password for a token pair. Unknown emails and wrong passwords get
    /// the same answer after the same work. Each attempt is counted before its password is
    /// checked (``AuthStore/admitLogin(emailIndex:client:account:address:now:)``): five failures
    /// in a row for one account from one address, or twenty from one address across accounts,
    /// lock further attempts for a while (429 with `Retry-After`), however many arrive at once.
    /// A password over 72 bytes is simply wrong (no stored password can be that long).
    @Sendable func login(_ request: Request, context: EmporiumRequestContext) async throws -> TokenResponse {
        let input = try await request.decodeJSON(as: LoginRequest.self, context: context)
        let emailIndex = security.blindIndex.email(input.email)
        let client = context.clientAddress
        if case .locked(let until, let scope) = try await store.admitLogin(emailIndex: emailIndex, client: client) {
            let seconds = max(1, Int(until.timeIntervalSinceNow.rounded(.up)))
            throw HTTPError(
                .tooManyRequests, headers: [.retryAfter: "\(seconds)"],
                message: scope == .account
                    ? "Too many failed logins for this account from your address; try again in \(seconds) seconds."
                    : "Too many failed logins from your address; try again in \(seconds) seconds."
            )
        }
        let account = try await store.account(emailIndex: emailIndex)
        passwordChecks.increment()
        guard try await hasher.verify(input.password, against: account?.passwordHash), let account else {
            try await store.recordFailedLogin(emailIndex: emailIndex, accountID: account?.id, client: client)
            throw Self.invalidCredentials
        }
        let refreshToken = try await store.startSession(account: account, client: client, emailIndex: emailIndex)
        return try await tokens(for: account, refreshToken: refreshToken)
    }

    /// Exchanges a refresh token for a new pair; the old refresh token is used up. Presenting a
    /// used-up token again revokes every token of its family.
    @Sendable func refresh(_ request: Request, context: EmporiumRequestContext) async throws -> TokenResponse {
        let input = try await request.decodeJSON(as: RefreshTokenRequest.self, context: context)
        guard RefreshToken.isWellFormed(input.refreshToken) else { throw Self.invalidRefreshToken("is not a refresh token") }
        switch try await store.rotate(input.refreshToken, client: context.clientAddress) {
        case .rotated(let refreshToken, let account):
            return try await tokens(for: account, refreshToken: refreshToken)
        case .reused:
            throw Self.invalidRefreshToken("was used before; every token of its session is now revoked")
        case .unknown:
            throw Self.invalidRefreshToken("is unknown")
        case .expired:
            throw Self.invalidRefreshToken("has expired")
        case .revoked:
            throw Self.invalidRefreshToken("was revoked")
        }
    }

    /// Ends the session of a refresh token: every token of its family is revoked.
    @Sendable func logout(_ request: Request, context: EmporiumRequestContext) async throws -> HTTPResponse.Status {
        let input = try await request.decodeJSON(as: RefreshTokenRequest.self, context: context)
        guard RefreshToken.isWellFormed(input.refreshToken),
            try await store.logout(input.refreshToken, client: context.clientAddress)
        else { throw Self.invalidRefreshToken("is unknown") }
        return .noContent
    }

    /// The public keys that verify access tokens.
    @Sendable func jwks(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var response = Response(status: .ok, body: .init(byteBuffer: .init(data: try encoder.encode(try await keys.jwks()))))
        response.headers[.contentType] = "application/jwk-set+json"
        response.headers[.cacheControl] = "public, max-age=300"
        return response
    }

    private func tokens(for account: Account, refreshToken: String) async throws -> TokenResponse {
        TokenResponse(
            accessToken: try await keys.issueAccessToken(for: account), refreshToken: refreshToken,
            expiresIn: Int(security.accessTokenLifetime.components.seconds)
        )
    }

    static let invalidCredentials = ProblemDetails(
        type: ProblemDetails.typeBase + "invalid-credentials", title: "The email or password is wrong.", status: .unauthorized,
        detail: "The email or password is wrong."
    )

    static func invalidRefreshToken(_ reason: String) -> ProblemDetails {
        ProblemDetails(
            type: ProblemDetails.typeBase + "invalid-refresh-token", title: "The refresh token cannot be used.", status: .unauthorized,
            detail: "The refresh token \(reason). Log in again."
        )
    }
}

extension TokenResponse: ResponseEncodable {}
