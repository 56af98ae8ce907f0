public import Foundation
public import JWTKit

/// The claims of an Emporium access token (a JWT signed with ES256).
public struct AccessTokenClaims: JWTPayload, Equatable {
    public var iss: IssuerClaim
    public var aud: AudienceClaim
    public var sub: SubjectClaim
    public var exp: ExpirationClaim
    public var nbf: NotBeforeClaim
    public var iat: IssuedAtClaim
    public var jti: IDClaim
    /// Role names; unknown names are ignored when verified (a newer issuer may know more roles).
    public var roles: [String]

    public init(issuer: String, audience: String, subject: String, roles: Set<Role>, issuedAt: Date, lifetime: Duration, id: String) {
        iss = IssuerClaim(value: issuer)
        aud = AudienceClaim(value: [audience])
        sub = SubjectClaim(value: subject)
        iat = IssuedAtClaim(value: issuedAt)
        nbf = NotBeforeClaim(value: issuedAt)
        exp = ExpirationClaim(value: issuedAt.addingTimeInterval(TimeInterval(lifetime.components.seconds)))
        jti = IDClaim(value: id)
        self.roles = roles.map(\.rawValue).sorted()
    }

    /// Time claims, issuer and audience are checked by ``AccessTokenVerifier`` against its own
    /// clock and settings, so nothing is checked here.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
