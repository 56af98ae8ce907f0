public import Foundation
public import JWTKit

/// Why an access token was refused. The description is safe to show to the client: a fixed
/// text that repeats nothing from the token (the associated values are for logs and tests, never
/// for a response: a hostile `kid` of 10 KB must not become a 10 KB header).
public enum AccessTokenError: Error, Equatable, CustomStringConvertible {
    /// Not three canonical base64url segments (see ``Base64URL``), or a header that is not JSON.
    case malformed
    case unsupportedAlgorithm(String)
    case missingKeyID
    case unknownKey(String)
    /// This process has no keys to verify with yet (not loaded, or the key set could not be fetched).
    case keysUnavailable
    case badSignature
    case expired
    case notYetValid
    case wrongIssuer
    case wrongAudience

    public var description: String {
        switch self {
        case .malformed: "the token is not a well-formed JWT"
        case .unsupportedAlgorithm: "the token's algorithm is not accepted (ES256 only)"
        case .missingKeyID: "the token names no signing key (kid)"
        case .unknownKey: "the token's signing key is unknown or retired"
        case .keysUnavailable: "the keys that verify tokens are not available yet"
        case .badSignature: "the token's signature does not verify"
        case .expired: "the token has expired"
        case .notYetValid: "the token is not valid yet"
        case .wrongIssuer: "the token was issued by someone else"
        case .wrongAudience: "the token is meant for another audience"
        }
    }
}

/// Verifies Emporium access tokens: ES256 only, a known `kid`, the signature, then `exp`, `nbf`,
/// `iss` and `aud` against this verifier's clock and settings.
///
/// The algorithm is checked before any key is touched, so `alg: none` and an HS256 token "signed"
/// with the public key (the classic algorithm-confusion attack) are refused outright. Before that,
/// each of the three segments must be canonical base64url (``Base64URL/decodeCanonical(_:)``), so
/// a token has one spelling only.
public struct AccessTokenVerifier: Sendable {
    /// The expected `iss`.
    public let issuer: String
    /// The expected `aud`.
    public let audience: String
    /// Tolerated clock difference between issuer and verifier.
    public let leeway: TimeInterval
    private let keys: JWTKeyCollection
    private let keyIDs: Set<String>
    private let cache: VerifiedTokenCache?

    /// - Parameters:
    ///   - publicKeys: The verification keys by `kid` (current and retired-but-not-expired).
    ///   - cache: Where tokens that verified are remembered until they expire, so the same token
    ///     is not verified again; share one cache across the verifiers of successive key rings.
    public init(
        issuer: String, audience: String, publicKeys: [String: ES256PublicKey], leeway: TimeInterval = 5,
        cache: VerifiedTokenCache? = nil
    ) async {
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.cache = cache
        let keys = JWTKeyCollection()
        for (kid, key) in publicKeys {
            await keys.add(ecdsa: key, kid: JWKIdentifier(string: kid))
        }
        self.keys = keys
        self.keyIDs = Set(publicKeys.keys)
    }

    /// The principal of a valid token: from the cache when this very token verified before, is
    /// not expired and its key is still in this verifier's ring; else verified now.
    /// - Throws: ``AccessTokenError`` saying why the token is refused.
    public func verify(_ token: String, now: Date = .now) async throws(AccessTokenError) -> Principal {
        guard let cache else { return try await verifySignature(token, now: now).principal }
        let key = VerifiedTokenCache.Key(token)
        if let principal = cache.principal(for: key, now: now, keyIDs: keyIDs) { return principal }
        let (principal, keyID) = try await verifySignature(token, now: now)
        cache.store(principal, for: key, keyID: keyID, validUntil: principal.expiresAt.addingTimeInterval(leeway), now: now)
        return principal
    }

    /// Verifies `token` fully: its form, key, signature and claims.
    private func verifySignature(_ token: String, now: Date) async throws(AccessTokenError) -> (principal: Principal, keyID: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ Base64URL.decodeCanonical($0) != nil }),
            let headerData = Base64URL.decodeCanonical(parts[0]),
            let header = try? JSONDecoder().decode(Header.self, from: headerData)
        else { throw .malformed }
        guard header.alg == "ES256" else { throw .unsupportedAlgorithm(header.alg) }
        guard let kid = header.kid else { throw .missingKeyID }
        guard keyIDs.contains(kid) else { throw .unknownKey(kid) }
        let claims: AccessTokenClaims
        do {
            claims = try await keys.verify(token, as: AccessTokenClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw .badSignature
        } catch {
            throw .malformed
        }
        guard claims.exp.value.timeIntervalSince(now) > -leeway else { throw .expired }
        guard claims.nbf.value.timeIntervalSince(now) <= leeway else { throw .notYetValid }
        guard claims.iss.value == issuer else { throw .wrongIssuer }
        guard claims.aud.value.contains(audience) else { throw .wrongAudience }
        let principal = Principal(
            subject: claims.sub.value,
            roles: Set(claims.roles.compactMap(Role.init(rawValue:))),
            tokenID: claims.jti.value,
            expiresAt: claims.exp.value
        )
        return (principal, kid)
    }

    private struct Header: Decodable {
        var alg: String
        var kid: String?
    }
}

extension AccessTokenVerifier {
    /// The ES256 verification keys of a JSON Web Key Set (`/.well-known/jwks.json`), by `kid`.
    /// Keys of other types or curves are skipped (a newer issuer may publish more kinds).
    /// - Throws: `DecodingError` when `data` is not a key set, or a JWTKit error for a key whose
    ///   coordinates are not a P-256 point.
    public static func publicKeys(fromJWKS data: Data) throws -> [String: ES256PublicKey] {
        struct KeySet: Decodable {
            struct Key: Decodable {
                var kty: String
                var crv: String?
                var kid: String?
                var x: String?
                var y: String?
            }
            var keys: [Key]
        }
        var result: [String: ES256PublicKey] = [:]
        for key in try JSONDecoder().decode(KeySet.self, from: data).keys {
            guard key.kty == "EC", key.crv == "P-256", let kid = key.kid, let x = key.x, let y = key.y else { continue }
            result[kid] = try ES256PublicKey(parameters: (x: x, y: y))
        }
        return result
    }
}
