import Synchronization

/// A token-bucket rate limiter whose buckets live in this process: for embedded mode, where one
/// process serves everything. With several instances each would count separately; use
/// ``RedisRateLimiter`` there.
///
/// Memory stays bounded: when more than ``maximumKeys`` buckets exist, buckets that have
/// refilled completely (indistinguishable from new ones) are dropped.
public final class InMemoryRateLimiter: RateLimiter {
    /// The policy every key is limited by.
    public let policy: RateLimitPolicy
    /// The bucket count above which full buckets are swept away.
    public let maximumKeys: Int

    private struct State: Sendable {
        var buckets: [String: TokenBucket] = [:]
        /// The bucket count at which the next sweep happens: twice what a sweep left (at least
        /// ``maximumKeys``), so sweeping stays O(1) per acquire on average.
        var sweepAt: Int
    }

    private let state: Mutex<State>
    private let time: TimeSource
    private let origin: ContinuousClock.Instant

    /// Creates a limiter.
    ///
    /// - Parameters:
    ///   - policy: The bucket size and refill interval.
    ///   - maximumKeys: The bucket count that triggers sweeping full buckets.
    ///   - time: The clock refills are measured with; tests pass one they move.
    public init(policy: RateLimitPolicy, maximumKeys: Int = 100_000, time: TimeSource = .continuous) {
        self.policy = policy
        self.maximumKeys = maximumKeys
        self.time = time
        self.origin = time.now()
        self.state = Mutex(State(sweepAt: maximumKeys))
    }

    /// Takes `cost` tokens from the bucket of `key` if it holds that many.
    public func acquire(_ key: String, cost: Int) -> RateLimitDecision {
        precondition((1...policy.capacity).contains(cost), "cost must be from 1 to the bucket's capacity")
        let now = Int64((origin.duration(to: time.now()) / .microseconds(1)).rounded(.down))
        return state.withLock { state in
            if state.buckets.count >= state.sweepAt {
                state.buckets = state.buckets.filter { !$0.value.isFull(policy, now: now) }
                state.sweepAt = max(maximumKeys, state.buckets.count * 2)
            }
            var bucket = state.buckets[key] ?? .full(policy, now: now)
            let decision = bucket.take(cost, policy: policy, now: now)
            state.buckets[key] = bucket
            return decision
        }
    }

    /// Takes one token from the bucket of `key` if it has one.
    public func acquire(_ key: String) -> RateLimitDecision {
        acquire(key, cost: 1)
    }

    /// How many buckets are held (for tests).
    public var bucketCount: Int { state.withLock { $0.buckets.count } }
}
