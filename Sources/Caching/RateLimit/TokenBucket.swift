/// One token bucket's state and arithmetic. ``InMemoryRateLimiter`` runs it in Swift;
/// ``RedisRateLimiter/script`` is the same computation in Lua (keep the two in step: the shared
/// rate limiter tests run against both).
///
/// Tokens are kept as *credit*: microseconds of refill time, `tokens × refill interval`, so that
/// every step is integer arithmetic (exact in Lua's doubles too, below 2^53 µs of credit, i.e.
/// `capacity × refill interval` under 285 years).
struct TokenBucket: Sendable, Equatable {
    /// Refill time held at ``updatedAt``, in microseconds; one token is one refill interval.
    var credit: Int64
    /// When ``credit`` was last brought up to date, in microseconds.
    var updatedAt: Int64

    /// A full bucket at `now`.
    static func full(_ policy: RateLimitPolicy, now: Int64) -> TokenBucket {
        TokenBucket(credit: Int64(policy.capacity) * policy.refillMicroseconds, updatedAt: now)
    }

    /// Refills for the time since ``updatedAt``, then takes `cost` tokens if there are enough.
    mutating func take(_ cost: Int, policy: RateLimitPolicy, now: Int64) -> RateLimitDecision {
        let interval = policy.refillMicroseconds
        let maximum = Int64(policy.capacity) * interval
        if now > updatedAt {
            credit = min(maximum, credit + (now - updatedAt))
            updatedAt = now
        }
        let needed = Int64(cost) * interval
        let allowed = credit >= needed
        if allowed { credit -= needed }
        return RateLimitDecision(
            isAllowed: allowed,
            limit: policy.capacity,
            remaining: Int(credit / interval),
            retryAfter: .microseconds(allowed ? 0 : needed - credit),
            resetAfter: .microseconds(maximum - credit)
        )
    }

    /// Whether the bucket is full by `now`, so forgetting it changes nothing.
    func isFull(_ policy: RateLimitPolicy, now: Int64) -> Bool {
        credit + max(0, now - updatedAt) >= Int64(policy.capacity) * policy.refillMicroseconds
    }
}
