public import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import NIOFoundationCompat
public import Security
import Synchronization

/// Verifies access tokens in a process without the auth service, with the public keys of its
/// JSON Web Key Set (`auth.jwksURL`, e.g. `http://auth:8080/.well-known/jwks.json`).
///
/// The set is fetched on first use and again every ``refreshInterval``; a token naming a key not
/// in the set (just rotated) triggers a fetch, at most once per ``minimumFetchInterval``, so forged
/// `kid`s cannot make the process hammer the auth service. Until a fetch succeeds, tokens are
/// refused as signed with an unknown key and the readiness check fails.
public final class RemoteAccessTokenKeys: AccessTokenAuthenticating {
    /// How long a fetched key set is used before it is fetched again.
    public static let refreshInterval: Duration = .seconds(300)
    /// The least time between two fetches.
    public static let minimumFetchInterval: Duration = .seconds(5)

    private struct Fetched {
        var verifier: AccessTokenVerifier
        var at: ContinuousClock.Instant
    }
    private let url: String
    private let issuer: String
    private let audience: String
    private let client: HTTPClient
    private let logger: Logger
    private let state = Mutex<(fetched: Fetched?, lastAttempt: ContinuousClock.Instant?)>((nil, nil))
    /// Tokens that verified, shared by the verifiers of successive key sets.
    private let verifiedTokens = VerifiedTokenCache()

    /// - Parameters:
    ///   - url: The JWKS URL of the auth service.
    ///   - issuer, audience: What tokens must say (`auth.issuer`, `auth.audience`).
    public init(url: String, issuer: String, audience: String, client: HTTPClient = .shared, logger: Logger) {
        self.url = url
        self.issuer = issuer
        self.audience = audience
        self.client = client
        self.logger = logger
    }

    public func principal(for token: String) async throws(AccessTokenError) -> Principal {
        let now = ContinuousClock.now
        var fetched = state.withLock { $0.fetched }
        if let current = fetched, now - current.at <= Self.refreshInterval {
            // Fresh enough.
        } else {
            fetched = (try? await refresh()) ?? fetched
        }
        guard let verifier = fetched?.verifier else { throw .keysUnavailable }
        do {
            return try await verifier.verify(token)
        } catch .unknownKey(let kid) {
            guard let fresh = try? await refresh() else { throw .unknownKey(kid) }
            return try await fresh.verifier.verify(token)
        }
    }

    /// Fetches the key set now (if the last attempt is older than ``minimumFetchInterval``).
    /// - Throws: when the auth service does not answer with a key set.
    @discardableResult
    private func refresh() async throws -> Fetched {
        let now = ContinuousClock.now
        let (allowed, current) = state.withLock { state -> (Bool, Fetched?) in
            if let last = state.lastAttempt, now - last < Self.minimumFetchInterval { return (false, state.fetched) }
            state.lastAttempt = now
            return (true, state.fetched)
        }
        guard allowed else {
            if let current { return current }
            throw JWKSFetchError(url: url, reason: "the last attempt failed moments ago")
        }
        do {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Accept", value: "application/jwk-set+json, application/json")
            let response = try await client.execute(request, timeout: .seconds(5))
            guard response.status == .ok else { throw JWKSFetchError(url: url, reason: "answered \(response.status.code)") }
            let body = try await response.body.collect(upTo: 1 << 20)
            let keys = try AccessTokenVerifier.publicKeys(fromJWKS: Data(buffer: body))
            guard !keys.isEmpty else { throw JWKSFetchError(url: url, reason: "the key set has no ES256 key") }
            let fetched = Fetched(
                verifier: await AccessTokenVerifier(issuer: issuer, audience: audience, publicKeys: keys, cache: verifiedTokens), at: now)
            state.withLock { $0.fetched = fetched }
            return fetched
        } catch let error as JWKSFetchError {
            logger.error("cannot fetch the access-token keys", metadata: ["jwks_url": "\(url)", "error": "\(error)"])
            throw error
        } catch {
            logger.error("cannot fetch the access-token keys", metadata: ["jwks_url": "\(url)", "error": "\(error)"])
            throw JWKSFetchError(url: url, reason: "\(error)")
        }
    }

    /// For `/health/ready`: throws until the key set has been fetched.
    public func checkReady() async throws {
        if state.withLock({ $0.fetched }) != nil { return }
        try await refresh()
    }
}

/// The auth service's key set could not be fetched.
public struct JWKSFetchError: Error, CustomStringConvertible {
    public var url: String
    public var reason: String
    public var description: String { "access-token keys at \(url): \(reason)" }
}
