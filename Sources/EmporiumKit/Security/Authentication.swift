public import Hummingbird
public import Security

/// Turns a bearer token into a ``Principal``: the verifier of the auth service's keys, or a stub
/// in tests.
public protocol AccessTokenAuthenticating: Sendable {
    func principal(for token: String) async throws(AccessTokenError) -> Principal
}

extension AccessTokenVerifier: AccessTokenAuthenticating {
    public func principal(for token: String) async throws(AccessTokenError) -> Principal {
        try await verify(token)
    }
}

/// Authenticates requests that carry `Authorization: Bearer <token>`: a valid token puts its
/// ``Principal`` in the request context.
///
/// A header that is not a valid token (expired, forged, another scheme) does not stop the request:
/// it goes on anonymous, with the reason in ``EmporiumRequestContext/authenticationFailure``.
/// Routes that need no user (register, login, refresh, logout, the key set, health, catalog reads)
/// therefore work for a client that always sends its last, perhaps expired, access token; routes
/// that need one ask with ``EmporiumRequestContext/requirePermission(_:)`` and get the 401 with
/// that reason and a `WWW-Authenticate` challenge. The reasons are fixed texts: nothing from the
/// token is repeated.
public struct AuthenticationMiddleware: RouterMiddleware {
    public typealias Context = EmporiumRequestContext
    private let authenticator: (any AccessTokenAuthenticating)?

    /// - Parameter authenticator: nil when no auth service is configured: every token is refused.
    public init(authenticator: (any AccessTokenAuthenticating)?) {
        self.authenticator = authenticator
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            return try await next(request, context)
        }
        var context = context
        switch await authenticate(header) {
        case .success(let principal): context.principal = principal
        case .failure(let failure): context.authenticationFailure = failure
        }
        return try await next(request, context)
    }

    private func authenticate(_ header: String) async -> Result<Principal, AuthenticationFailure> {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return .failure(AuthenticationFailure(reason: "the Authorization header must be 'Bearer <access token>'", challenge: #"Bearer error="invalid_request""#))
        }
        guard let authenticator else {
            return .failure(AuthenticationFailure(reason: "this process has no key to verify access tokens with", challenge: #"Bearer error="invalid_token""#))
        }
        do throws(AccessTokenError) {
            return .success(try await authenticator.principal(for: String(parts[1])))
        } catch {
            return .failure(AuthenticationFailure(
                reason: error.description,
                challenge: #"Bearer error="invalid_token", error_description="\#(error.description)""#
            ))
        }
    }
}

/// A 401: no valid access token. ``ProblemMiddleware`` writes it with its `WWW-Authenticate` header.
public struct AuthenticationFailure: Error, Sendable {
    public var reason: String
    /// The `WWW-Authenticate` value (RFC 6750).
    public var challenge: String

    public init(reason: String, challenge: String = "Bearer") {
        self.reason = reason
        self.challenge = challenge
    }

    public var problem: ProblemDetails {
        ProblemDetails(
            type: ProblemDetails.typeBase + "unauthorized", title: "Authentication is required.", status: .unauthorized,
            detail: "No valid access token: \(reason)."
        )
    }
}

extension EmporiumRequestContext {
    /// The authenticated principal, or a 401 when the request carries no valid token (saying why
    /// a token it carried was refused).
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw authenticationFailure ?? AuthenticationFailure(reason: "this route needs an access token") }
        return principal
    }

    /// The authenticated principal if its roles grant `permission`: 401 without a token, 403
    /// naming the permission when the roles do not grant it.
    @discardableResult
    public func requirePermission(_ permission: Permission) throws -> Principal {
        let principal = try requirePrincipal()
        guard principal.may(permission) else {
            throw ProblemDetails(
                type: ProblemDetails.typeBase + "forbidden", title: "The request is not allowed.", status: .forbidden,
                detail: "This needs the permission \(permission.rawValue), which your roles (\(principal.roles.map(\.rawValue).sorted().joined(separator: ", "))) do not grant."
            )
        }
        return principal
    }
}
