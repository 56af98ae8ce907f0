import Foundation
import JWTKit
import Security
import Testing

@Suite("Access tokens")
struct AccessTokenTests {
    static let issuer = "https://auth.emporium.test"
    static let audience = "emporium"
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func verifier(_ ring: SigningKeyRing, audience: String = audience) async -> AccessTokenVerifier {
        await AccessTokenVerifier(issuer: issuer, audience: audience, publicKeys: ring.verificationKeys)
    }

    static func token(_ ring: SigningKeyRing, roles: Set<Role> = [.customer], at time: Date = now) async throws -> String {
        try await ring.issue(subject: "user-1", roles: roles, issuer: issuer, audience: audience, now: time, id: "token-1")
    }

    @Test("a valid token gives its subject, roles, id and expiry (15 minutes)")
    func validToken() async throws {
        let ring = SigningKeyRing(now: Self.now)
        let principal = try await Self.verifier(ring).verify(try await Self.token(ring, roles: [.catalogManager]), now: Self.now)
        #expect(principal == Principal(subject: "user-1", roles: [.catalogManager], tokenID: "token-1", expiresAt: Self.now.addingTimeInterval(900)))
        #expect(principal.may(.catalogWrite))
        #expect(!principal.may(.usersManageRoles))
    }

    @Test("the header names the key and ES256")
    func header() async throws {
        let ring = SigningKeyRing(now: Self.now)
        let header = try Self.json(part: 0, of: try await Self.token(ring))
        #expect(header["alg"] as? String == "ES256")
        #expect(header["kid"] as? String == ring.activeKey.id)
    }

    @Test("expired, not yet valid, wrong audience, wrong issuer")
    func timeAndAddressing() async throws {
        let ring = SigningKeyRing(now: Self.now)
        let verifier = await Self.verifier(ring)
        let token = try await Self.token(ring)
        await #expect(throws: AccessTokenError.expired) { try await verifier.verify(token, now: Self.now.addingTimeInterval(901 + 5)) }
        await #expect(throws: AccessTokenError.notYetValid) { try await verifier.verify(token, now: Self.now.addingTimeInterval(-60)) }
        let other = await Self.verifier(ring, audience: "someone-else")
        await #expect(throws: AccessTokenError.wrongAudience) { try await other.verify(token, now: Self.now) }
        let foreign = try await ring.issue(subject: "user-1", roles: [], issuer: "https://evil.test", audience: Self.audience, now: Self.now)
        await #expect(throws: AccessTokenError.wrongIssuer) { try await verifier.verify(foreign, now: Self.now) }
    }

    @Test("a tampered payload (roles raised to admin) fails the signature check")
    func tampered() async throws {
        let ring = SigningKeyRing(now: Self.now)
        let parts = try await Self.token(ring).split(separator: ".").map(String.init)
        var claims = try Self.json(part: 1, of: parts.joined(separator: "."))
        claims["roles"] = ["admin"]
        let forged = [parts[0], try Self.base64URL(JSONSerialization.data(withJSONObject: claims)), parts[2]].joined(separator: ".")
        await #expect(throws: AccessTokenError.badSignature) { try await Self.verifier(ring).verify(forged, now: Self.now) }
    }

    @Test("alg none is refused")
    func algNone() async throws {
        let ring = SigningKeyRing(now: Self.now)
        let parts = try await Self.token(ring).split(separator: ".").map(String.init)
        let header = try Self.base64URL(JSONSerialization.data(withJSONObject: ["alg": "none", "typ": "JWT", "kid": ring.activeKey.id]))
        for token in ["\(header).\(parts[1]).", "\(header).\(parts[1]).\(parts[2])"] {
            await #expect(throws: AccessTokenError.unsupportedAlgorithm("none")) { try await Self.verifier(ring).verify(token, now: Self.now) }
        }
    }

    @Test("HS256 signed with the public key (algorithm confusion) is refused")
    func hmacWithThePublicKey() async throws {
        let ring = SigningKeyRing(now: Self.now)
        let publicPEM = ring.activeKey.privateKey.publicKey.pemRepresentation
        let attacker = JWTKeyCollection()
        await attacker.add(hmac: HMACKey(from: publicPEM), digestAlgorithm: .sha256, kid: JWKIdentifier(string: ring.activeKey.id))
        let claims = AccessTokenClaims(
            issuer: Self.issuer, audience: Self.audience, subject: "attacker", roles: [.admin], issuedAt: Self.now,
            lifetime: .seconds(900), id: "forged"
        )
        let forged = try await attacker.sign(claims, kid: JWKIdentifier(string: ring.activeKey.id))
        #expect(try Self.json(part: 0, of: forged)["alg"] as? String == "HS256")
        await #expect(throws: AccessTokenError.unsupportedAlgorithm("HS256")) { try await Self.verifier(ring).verify(forged, now: Self.now) }
    }

    @Test("garbage and unknown keys")
    func malformed() async throws {
        let ring = SigningKeyRing(now: Self.now)
        let verifier = await Self.verifier(ring)
        for garbage in ["", "a.b", "not-a-token", "x.y.z"] {
            await #expect(throws: AccessTokenError.self) { try await verifier.verify(garbage, now: Self.now) }
        }
        let stranger = SigningKeyRing(now: Self.now)
        let token = try await Self.token(stranger)
        await #expect(throws: AccessTokenError.unknownKey(stranger.activeKey.id)) { try await verifier.verify(token, now: Self.now) }
    }

    @Test("after a rotation, tokens of the retired key verify until they expire; then the key is dropped")
    func rotation() async throws {
        var ring = SigningKeyRing(now: Self.now)
        let old = try await Self.token(ring)
        let oldKey = ring.activeKey.id
        ring.rotate(now: Self.now.addingTimeInterval(60))
        #expect(ring.activeKey.id != oldKey)
        let new = try await Self.token(ring, at: Self.now.addingTimeInterval(60))
        #expect(try Self.json(part: 0, of: new)["kid"] as? String == ring.activeKey.id)
        let verifier = await Self.verifier(ring)
        #expect(try await verifier.verify(old, now: Self.now.addingTimeInterval(120)).subject == "user-1")
        #expect(try await verifier.verify(new, now: Self.now.addingTimeInterval(120)).subject == "user-1")
        #expect(Set(ring.jwks.keys.compactMap { $0.keyIdentifier?.string }) == [oldKey, ring.activeKey.id])

        // Once every token of the old key has expired, the next rotation (or prune) drops it.
        ring.prune(now: Self.now.addingTimeInterval(60 + 901))
        #expect(ring.keys.map(\.id) == [ring.activeKey.id])
        let later = await Self.verifier(ring)
        await #expect(throws: AccessTokenError.unknownKey(oldKey)) { try await later.verify(old, now: Self.now.addingTimeInterval(100)) }
    }

    @Test("the JWKS holds public keys only")
    func jwksIsPublic() throws {
        let ring = SigningKeyRing(now: Self.now)
        let json = String(decoding: try JSONEncoder().encode(ring.jwks), as: UTF8.self)
        #expect(json.contains("\"kty\":\"EC\""))
        #expect(json.contains(ring.activeKey.id))
        #expect(!json.contains("\"d\""), "no private exponent")
    }

    @Test("every role maps to permissions; only admin may manage roles")
    func rolePermissionTable() {
        for role in Role.allCases { #expect(RolePermissions.table[role]?.isEmpty == false) }
        #expect(RolePermissions.table == [
            .customer: [.ownAccount],
            .support: [.ownAccount, .usersRead, .paymentsRead, .paymentsRefund, .ordersRead, .ordersFulfil, .notificationsRead],
            .catalogManager: [.ownAccount, .catalogWrite, .catalogReadUnpublished, .inventoryWrite],
            .admin: Set(Permission.allCases),
        ])
        #expect(Role.allCases.filter { RolePermissions.permissions(of: [$0]).contains(.usersManageRoles) } == [.admin])
        #expect(Role.allCases.filter { RolePermissions.permissions(of: [$0]).contains(.catalogWrite) } == [.catalogManager, .admin])
        #expect(Role.allCases.filter { RolePermissions.permissions(of: [$0]).contains(.inventoryWrite) } == [.catalogManager, .admin])
        #expect(Role.allCases.filter { RolePermissions.permissions(of: [$0]).contains(.webhooksShop) } == [.admin])
    }

    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    /// Foundation's lenient decoding (padding added, trailing bits ignored), as the verifier did.
    static func lenientDecode(_ segment: String) -> Data? {
        var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }

    @Test("base64url: canonical unpadded text only")
    func canonicalBase64URL() {
        for length in 0..<40 {
            let data = Data((0..<length).map { _ in UInt8.random(in: 0...255) })
            let text = Base64URL.encode(data)
            #expect(Base64URL.decodeCanonical(text) == data)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
        }
        #expect(Base64URL.decodeCanonical("QQ") == Data("A".utf8))
        for refused in ["QR", "QX", "Q_", "QQ=", "QQ==", "Q", "QUJD=", "Q Q", "QQ\n", "Q+Q", "Q/Q", "Q\u{0}", "Qé"] {
            #expect(Base64URL.decodeCanonical(refused) == nil, "\(refused)")
        }
        #expect(Base64URL.decodeCanonical("QUI") == Data("AB".utf8))
        #expect(Base64URL.decodeCanonical("QUJ") == nil, "trailing bits set")
    }

    @Test("every segment must be canonical base64url: no other spelling of the last character, no padding, no foreign byte")
    func oneSpellingPerToken() async throws {
        let ring = SigningKeyRing(now: Self.now)
        let verifier = await Self.verifier(ring)
        let token = try await Self.token(ring)
        #expect(try await verifier.verify(token, now: Self.now).subject == "user-1")
        let segments = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var respellings = 0
        for index in 0..<3 {
            func variant(_ segment: String) -> String {
                var parts = segments
                parts[index] = segment
                return parts.joined(separator: ".")
            }
            let segment = segments[index]
            // The last character swapped for every other one that decodes to the same bytes.
            let stem = String(segment.dropLast())
            for character in Self.alphabet where character != segment.last {
                let other = stem + String(character)
                guard Self.lenientDecode(other) == Self.lenientDecode(segment) else { continue }
                respellings += 1
                await #expect(throws: AccessTokenError.malformed, "segment \(index) ending in \(character)") {
                    try await verifier.verify(variant(other), now: Self.now)
                }
            }
            for padded in [segment + "=", segment + "==", segment + "==="] {
                await #expect(throws: AccessTokenError.malformed, "segment \(index) padded") { try await verifier.verify(variant(padded), now: Self.now) }
            }
            for foreign in ["+", "/", " ", "\n", "\u{0}", "é", "%", "="] {
                for position in [0, segment.count / 2] {
                    var characters = Array(segment)
                    characters.insert(contentsOf: foreign, at: position)
                    await #expect(throws: AccessTokenError.malformed, "segment \(index) with \(foreign.debugDescription) at \(position)") {
                        try await verifier.verify(variant(String(characters)), now: Self.now)
                    }
                }
            }
        }
        #expect(respellings >= 15, "the signature (64 bytes: 4 spare bits) alone has 15 other spellings")
    }

    static func json(part: Int, of token: String) throws -> [String: Any] {
        let segment = String(token.split(separator: ".", omittingEmptySubsequences: false)[part])
        var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        let data = try #require(Data(base64Encoded: base64))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
