import EmporiumKit
import Foundation
import Logging
import ServiceLifecycle
import JWTKit
import Security
import Synchronization

/// The signing keys this process uses, loaded from the auth database and reloaded so that a key
/// rotated by another instance (or by `emporium admin rotate-signing-key`) is picked up: every
/// ``AuthHousekeeping/keyReloadInterval``, and at once (at most every few seconds) when a token names a
/// key this process does not know yet.
final class SigningKeys: Sendable {
    private struct Loaded {
        var ring: SigningKeyRing
        var verifier: AccessTokenVerifier
        var loadedAt: ContinuousClock.Instant
    }
    private let store: SigningKeyStore
    private let security: SecuritySettings
    private let loaded = Mutex<Loaded?>(nil)
    /// Tokens that verified, shared by the verifiers of successive rings.
    private let verifiedTokens = VerifiedTokenCache()

    init(store: SigningKeyStore, security: SecuritySettings) {
        self.store = store
        self.security = security
    }

    /// Reads the ring from the database (creating the first key if needed).
    func reload() async throws {
        let ring = try await store.ring()
        let verifier = await AccessTokenVerifier(
            issuer: security.issuer, audience: security.audience, publicKeys: ring.verificationKeys, cache: verifiedTokens)
        loaded.withLock { $0 = Loaded(ring: ring, verifier: verifier, loadedAt: .now) }
    }

    private func current() async throws -> Loaded {
        if let loaded = loaded.withLock({ $0 }) { return loaded }
        try await reload()
        guard let loaded = loaded.withLock({ $0 }) else { throw SigningKeyRingError.empty }
        return loaded
    }

    /// Signs an access token for `account`.
    func issueAccessToken(for account: Account, now: Date = .now) async throws -> String {
        try await current().ring.issue(subject: account.id, roles: account.roles, issuer: security.issuer, audience: security.audience, now: now)
    }

    /// The public keys that verify tokens, as `/.well-known/jwks.json` shows them.
    func jwks() async throws -> JWKSDocument {
        JWKSDocument(try await current().ring)
    }

    /// The principal of `token`.
    func verify(_ token: String) async throws(AccessTokenError) -> Principal {
        guard let state = try? await current() else { throw .keysUnavailable }
        do {
            return try await state.verifier.verify(token)
        } catch .unknownKey(let kid) {
            // Perhaps rotated elsewhere moments ago: reload, at most every five seconds.
            guard ContinuousClock.now - state.loadedAt > .seconds(5), (try? await reload()) != nil,
                let fresh = loaded.withLock({ $0 })
            else { throw .unknownKey(kid) }
            return try await fresh.verifier.verify(token)
        }
    }
}

extension SigningKeys: AccessTokenAuthenticating {
    func principal(for token: String) async throws(AccessTokenError) -> Principal {
        try await verify(token)
    }
}

/// The auth service's periodic work until shutdown: reloads ``SigningKeys`` every
/// ``keyReloadInterval`` and prunes stale failure counts and expired refresh tokens every
/// ``pruneInterval``.
struct AuthHousekeeping: Service {
    static let keyReloadInterval: Duration = .seconds(30)
    static let pruneInterval: Duration = .seconds(3600)
    let keys: SigningKeys
    let store: AuthStore
    let logger: Logger

    func run() async throws {
        var sincePrune = Self.pruneInterval  // prune soon after start
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.keyReloadInterval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            do {
                try await keys.reload()
            } catch {
                logger.error("cannot reload the signing keys", metadata: ["error": "\(error)"])
            }
            sincePrune += Self.keyReloadInterval
            if sincePrune >= Self.pruneInterval {
                sincePrune = .zero
                do {
                    let deleted = try await store.prune()
                    if deleted > 0 { logger.info("pruned stale login failures and expired refresh tokens", metadata: ["rows": "\(deleted)"]) }
                } catch {
                    logger.warning("cannot prune the auth tables", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}

/// `/.well-known/jwks.json`: the public verification keys (RFC 7517).
struct JWKSDocument: Codable, Sendable {
    struct Key: Codable, Sendable {
        var kty = "EC"
        var crv = "P-256"
        var alg = "ES256"
        var use = "sig"
        var kid: String
        var x: String
        var y: String
    }
    var keys: [Key]

    init(_ ring: SigningKeyRing) {
        keys = ring.keys.compactMap { key in
            guard let parameters = key.privateKey.publicKey.parameters else { return nil }
            return Key(kid: key.id, x: parameters.x, y: parameters.y)
        }
    }
}
