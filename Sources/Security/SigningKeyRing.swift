public import Foundation
public import JWTKit

/// The auth service's ES256 signing keys: one active key signs new access tokens; after a
/// rotation the previous keys stay *retired*, still verifying, until every token they signed has
/// expired, and are then dropped.
///
/// The ring is a value: the auth service stores it (encrypted) and publishes
/// ``jwks`` at `/.well-known/jwks.json` for other services.
public struct SigningKeyRing: Sendable {
    /// One key of the ring.
    public struct Key: Sendable {
        /// The `kid` in token headers and the JWKS.
        public var id: String
        public var privateKey: ES256PrivateKey
        public var createdAt: Date
        /// When it stopped signing; nil for the active key.
        public var retiredAt: Date?

        public init(id: String, privateKey: ES256PrivateKey, createdAt: Date, retiredAt: Date?) {
            self.id = id
            self.privateKey = privateKey
            self.createdAt = createdAt
            self.retiredAt = retiredAt
        }
    }

    /// Newest first; the first is the active key.
    public private(set) var keys: [Key]
    /// How long an access token lives: retired keys verify for this long after retirement.
    public let tokenLifetime: Duration

    /// A ring with one fresh key.
    public init(tokenLifetime: Duration = .seconds(15 * 60), now: Date = .now) {
        self.tokenLifetime = tokenLifetime
        self.keys = [Self.makeKey(now: now)]
    }

    /// A ring of stored keys, newest first (as ``keys`` lists them).
    /// - Throws: ``SigningKeyRingError`` when `keys` is empty or the first key is retired.
    public init(keys: [Key], tokenLifetime: Duration = .seconds(15 * 60)) throws(SigningKeyRingError) {
        guard let first = keys.first else { throw .empty }
        guard first.retiredAt == nil else { throw .noActiveKey }
        self.keys = keys
        self.tokenLifetime = tokenLifetime
    }

    /// The key that signs new tokens.
    public var activeKey: Key { keys[0] }

    /// Makes a new active key; the previous one retires and verifies until its tokens expire.
    /// Keys whose tokens have all expired are dropped.
    public mutating func rotate(now: Date = .now) {
        keys[0].retiredAt = now
        keys.insert(Self.makeKey(now: now), at: 0)
        prune(now: now)
    }

    /// Drops retired keys whose last token has expired by `now`.
    public mutating func prune(now: Date = .now) {
        let lifetime = TimeInterval(tokenLifetime.components.seconds)
        keys.removeAll { key in
            guard let retiredAt = key.retiredAt else { return false }
            return now.timeIntervalSince(retiredAt) > lifetime
        }
    }

    /// The public keys that verify tokens now, by `kid`.
    public var verificationKeys: [String: ES256PublicKey] {
        Dictionary(uniqueKeysWithValues: keys.map { ($0.id, $0.privateKey.publicKey) })
    }

    /// Signs an access token for `subject` with the active key.
    public func issue(
        subject: String, roles: Set<Role>, issuer: String, audience: String, now: Date = .now, id: String = UUID().uuidString.lowercased()
    ) async throws -> String {
        let claims = AccessTokenClaims(
            issuer: issuer, audience: audience, subject: subject, roles: roles, issuedAt: now, lifetime: tokenLifetime, id: id
        )
        let collection = JWTKeyCollection()
        await collection.add(ecdsa: activeKey.privateKey, kid: JWKIdentifier(string: activeKey.id))
        return try await collection.sign(claims, kid: JWKIdentifier(string: activeKey.id))
    }

    /// The JSON Web Key Set of the verification keys (public parts only).
    public var jwks: JWKS {
        JWKS(keys: keys.compactMap { key in
            guard let parameters = key.privateKey.publicKey.parameters else { return nil }
            return JWK.ecdsa(.es256, identifier: JWKIdentifier(string: key.id), x: parameters.x, y: parameters.y, curve: .p256)
        })
    }

    private static func makeKey(now: Date) -> Key {
        Key(id: "es256-\(UUID().uuidString.lowercased().prefix(13))", privateKey: ES256PrivateKey(), createdAt: now, retiredAt: nil)
    }
}


/// Why stored signing keys do not make a ring.
public enum SigningKeyRingError: Error, Equatable, CustomStringConvertible {
    case empty
    case noActiveKey

    public var description: String {
        switch self {
        case .empty: "the signing key ring has no key"
        case .noActiveKey: "the newest signing key is retired: no key signs new tokens"
        }
    }
}
