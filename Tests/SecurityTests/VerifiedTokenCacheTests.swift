import Foundation
import JWTKit
import Security
import Testing

@Suite("Verified-token cache")
struct VerifiedTokenCacheTests {
    static let now = AccessTokenTests.now

    static func verifier(_ ring: SigningKeyRing, cache: VerifiedTokenCache) async -> AccessTokenVerifier {
        await AccessTokenVerifier(issuer: AccessTokenTests.issuer, audience: AccessTokenTests.audience, publicKeys: ring.verificationKeys, cache: cache)
    }

    @Test("a token that verified is answered from the cache: the second time its signature is not checked")
    func hitSkipsTheSignature() async throws {
        let ring = SigningKeyRing(now: Self.now)
        let cache = VerifiedTokenCache()
        let token = try await AccessTokenTests.token(ring, roles: [.support])
        let first = try await Self.verifier(ring, cache: cache).verify(token, now: Self.now)
        #expect(cache.count == 1)
        // The same kid with another key: without the cache this token's signature would fail.
        let impostor = try SigningKeyRing(keys: [
            SigningKeyRing.Key(id: ring.activeKey.id, privateKey: ES256PrivateKey(), createdAt: Self.now, retiredAt: nil)
        ])
        await #expect(throws: AccessTokenError.badSignature) {
            try await AccessTokenTests.verifier(impostor).verify(token, now: Self.now)
        }
        #expect(try await Self.verifier(impostor, cache: cache).verify(token, now: Self.now.addingTimeInterval(60)) == first)
    }

    @Test("refused tokens are never cached: tampered, expired, not yet valid, foreign")
    func refusalsAreNotCached() async throws {
        let ring = SigningKeyRing(now: Self.now)
        let cache = VerifiedTokenCache()
        let verifier = await Self.verifier(ring, cache: cache)
        let token = try await AccessTokenTests.token(ring)
        var tampered = token
        tampered.removeLast(3)
        tampered += token.hasSuffix("AAA") ? "BBB" : "AAA"
        for _ in 0..<2 {
            await #expect(throws: AccessTokenError.self) { try await verifier.verify(tampered, now: Self.now) }
            await #expect(throws: AccessTokenError.expired) { try await verifier.verify(token, now: Self.now.addingTimeInterval(2000)) }
            await #expect(throws: AccessTokenError.notYetValid) { try await verifier.verify(token, now: Self.now.addingTimeInterval(-60)) }
            let stranger = try await AccessTokenTests.token(SigningKeyRing(now: Self.now))
            await #expect(throws: AccessTokenError.self) { try await verifier.verify(stranger, now: Self.now) }
        }
        #expect(cache.count == 0)
    }

    @Test("a cached token is refused once it expires")
    func expiryEndsTheEntry() async throws {
        let ring = SigningKeyRing(now: Self.now)
        let cache = VerifiedTokenCache()
        let verifier = await Self.verifier(ring, cache: cache)
        let token = try await AccessTokenTests.token(ring)
        _ = try await verifier.verify(token, now: Self.now)
        _ = try await verifier.verify(token, now: Self.now.addingTimeInterval(900))
        #expect(cache.count == 1)
        await #expect(throws: AccessTokenError.expired) { try await verifier.verify(token, now: Self.now.addingTimeInterval(901 + 5)) }
        #expect(cache.count == 0)
    }

    @Test("a cached token is refused once its signing key has left the key ring")
    func retiredKeyEndsTheEntry() async throws {
        var ring = SigningKeyRing(now: Self.now)
        let cache = VerifiedTokenCache()
        let token = try await AccessTokenTests.token(ring)
        let oldKey = ring.activeKey.id
        _ = try await Self.verifier(ring, cache: cache).verify(token, now: Self.now)
        #expect(cache.count == 1)
        ring.rotate(now: Self.now.addingTimeInterval(60))
        // Still in the ring (retired, not yet pruned): the cached entry answers.
        _ = try await Self.verifier(ring, cache: cache).verify(token, now: Self.now.addingTimeInterval(120))
        ring.prune(now: Self.now.addingTimeInterval(60 + 901))
        #expect(!ring.keys.map(\.id).contains(oldKey))
        await #expect(throws: AccessTokenError.unknownKey(oldKey)) {
            try await Self.verifier(ring, cache: cache).verify(token, now: Self.now.addingTimeInterval(130))
        }
    }

    @Test("the cache stays within its capacity, and tokens beyond it still verify")
    func bounded() async throws {
        let ring = SigningKeyRing(now: Self.now)
        let cache = VerifiedTokenCache(capacity: 10)
        let verifier = await Self.verifier(ring, cache: cache)
        for index in 0..<35 {
            let token = try await ring.issue(
                subject: "user-\(index)", roles: [.customer], issuer: AccessTokenTests.issuer, audience: AccessTokenTests.audience,
                now: Self.now, id: "token-\(index)")
            #expect(try await verifier.verify(token, now: Self.now).subject == "user-\(index)")
            #expect(cache.count <= 10)
        }
    }
}
