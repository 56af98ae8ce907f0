/// Decides whether a request may go ahead under a per-key request rate limit.
///
/// ``RedisRateLimiter`` shares its buckets between every gateway instance through one Lua
/// script; ``InMemoryRateLimiter`` keeps them in this process (embedded mode). Both implement
/// the same token bucket (see ``RateLimitPolicy``) and answer with a ``RateLimitDecision`` that
/// carries what the `RateLimit-*` and `Retry-After` response headers need.
public protocol RateLimiter: Sendable {
    /// The policy every key is limited by.
    var policy: RateLimitPolicy { get }

    /// Takes `cost` tokens from the bucket of `key` if it holds that many.
    ///
    /// - Parameters:
    ///   - key: Whose bucket: a client id, an IP address, a user id with a route.
    ///   - cost: Tokens this request takes, from 1 to the policy's capacity.
    /// - Throws: when the shared store fails (Redis); the caller decides whether to let the
    ///   request through.
    func acquire(_ key: String, cost: Int) async throws -> RateLimitDecision
}

extension RateLimiter {
    /// Takes one token from the bucket of `key`; see ``acquire(_:cost:)``.
    public func acquire(_ key: String) async throws -> RateLimitDecision {
        try await acquire(key, cost: 1)
    }
}

/// A token bucket: it holds at most ``capacity`` tokens, gains one every ``refillInterval``, and
/// every request takes one (or its cost). A full bucket allows a burst of ``capacity`` requests;
/// the sustained rate is one request per ``refillInterval``.
public struct RateLimitPolicy: Sendable, Hashable {
    /// The most tokens the bucket holds: the largest burst.
    public var capacity: Int
    /// How long the bucket takes to gain one token.
    public var refillInterval: Duration

    /// Creates a policy from the burst size and the time to gain one token.
    public init(capacity: Int, refillInterval: Duration) {
        precondition(capacity > 0, "a bucket holds at least one token")
        precondition(refillInterval >= .microseconds(1), "the refill interval is at least a microsecond")
        self.capacity = capacity
        self.refillInterval = refillInterval
    }

    /// A policy allowing `requests` per `window` on average, in bursts of up to `requests`
    /// (`RateLimitPolicy(requests: 100, per: .seconds(60))`).
    public init(requests: Int, per window: Duration) {
        precondition(requests > 0, "a bucket holds at least one token")
        self.init(capacity: requests, refillInterval: window / requests)
    }

    /// The refill interval in whole microseconds (the unit both implementations compute in).
    var refillMicroseconds: Int64 {
        max(1, Int64((refillInterval / .microseconds(1)).rounded()))
    }
}

/// The answer of a ``RateLimiter`` for one request.
public struct RateLimitDecision: Sendable, Hashable {
    /// Whether the request may go ahead (its tokens were taken).
    public var isAllowed: Bool
    /// The bucket's capacity (`RateLimit-Limit`).
    public var limit: Int
    /// Whole tokens left after this request (`RateLimit-Remaining`).
    public var remaining: Int
    /// How long until enough tokens for this request are back; zero when allowed.
    public var retryAfter: Duration
    /// How long until the bucket is full again.
    public var resetAfter: Duration

    /// Creates a decision.
    public init(isAllowed: Bool, limit: Int, remaining: Int, retryAfter: Duration, resetAfter: Duration) {
        self.isAllowed = isAllowed
        self.limit = limit
        self.remaining = remaining
        self.retryAfter = retryAfter
        self.resetAfter = resetAfter
    }

    /// ``retryAfter`` in whole seconds, rounded up, for the `Retry-After` header (0 when allowed).
    public var retryAfterSeconds: Int { Self.wholeSecondsRoundedUp(retryAfter) }

    /// ``resetAfter`` in whole seconds, rounded up, for the `RateLimit-Reset` header.
    public var resetSeconds: Int { Self.wholeSecondsRoundedUp(resetAfter) }

    private static func wholeSecondsRoundedUp(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) + (attoseconds > 0 ? 1 : 0)
    }
}
