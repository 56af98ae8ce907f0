public import Security

/// What services need to issue, verify and protect: the access-token issuer and audience, token
/// lifetimes, the bcrypt cost, and the personal-data cipher and blind index built from the
/// configured keys (see docs/configuration.md, `security.*` and `auth.*`).
public struct SecuritySettings: Sendable {
    /// The `iss` of access tokens (`auth.issuer`).
    public var issuer: String
    /// The `aud` of access tokens (`auth.audience`).
    public var audience: String
    /// How long an access token lives (15 minutes).
    public var accessTokenLifetime: Duration
    /// How long a refresh token lives unless rotated first.
    public var refreshTokenLifetime: Duration
    /// The bcrypt cost of new password hashes (`auth.bcryptCost`).
    public var bcryptCost: UInt8
    /// Encrypts personal data at rest.
    public var cipher: FieldCipher
    /// Finds rows by a personal value (email) without storing it in the clear.
    public var blindIndex: BlindIndex

    public init(
        issuer: String = "emporium", audience: String = "emporium", accessTokenLifetime: Duration = .seconds(15 * 60),
        refreshTokenLifetime: Duration = .seconds(30 * 24 * 3600), bcryptCost: UInt8 = 12, keys: KeyMaterial
    ) throws(FieldCipherError) {
        self.issuer = issuer
        self.audience = audience
        self.accessTokenLifetime = accessTokenLifetime
        self.refreshTokenLifetime = refreshTokenLifetime
        self.bcryptCost = bcryptCost
        self.cipher = FieldCipher(ring: try keys.dataKeyRing())
        self.blindIndex = try keys.blindIndex()
    }

    /// Settings with fresh random keys, for one-off processes and tests that keep no data.
    public static func ephemeral(bcryptCost: UInt8 = 12) -> SecuritySettings {
        // Freshly generated material is always a valid ring.
        try! SecuritySettings(bcryptCost: bcryptCost, keys: .generate())
    }
}
