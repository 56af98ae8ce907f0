public import RESP

/// A token-bucket rate limiter whose buckets live in Redis, so every gateway instance draws from
/// the same bucket of a key.
///
/// Each decision is one `EVALSHA` of ``script``: read the bucket, refill it for the time elapsed
/// (by the Redis server's clock, so instances' clocks do not matter), take the tokens, write it
/// back with an expiry of its time to refill. Redis runs a script atomically, so concurrent
/// requests from any number of instances never admit more than the bucket holds. Needs Redis 5
/// or later (scripts that read `TIME` and then write).
public struct RedisRateLimiter: RateLimiter {
    /// The policy every key is limited by.
    public let policy: RateLimitPolicy
    /// The prefix of every bucket's key, without the trailing `:`.
    public let namespace: String
    private let redis: any RedisCommandSender

    /// Creates a limiter.
    ///
    /// - Parameters:
    ///   - redis: A client.
    ///   - namespace: The key prefix, such as `emporium:gateway:ratelimit:default`.
    ///   - policy: The bucket size and refill interval.
    public init(redis: any RedisCommandSender, namespace: String, policy: RateLimitPolicy) {
        self.redis = redis
        self.namespace = namespace
        self.policy = policy
    }

    /// Takes `cost` tokens from the bucket of `key` if it holds that many.
    public func acquire(_ key: String, cost: Int) async throws -> RateLimitDecision {
        precondition((1...policy.capacity).contains(cost), "cost must be from 1 to the bucket's capacity")
        let reply = try await redis.evalsha(
            Self.script,
            keys: [.string("\(namespace):\(key)")],
            arguments: [.integer(policy.capacity), .integer(Int(policy.refillMicroseconds)), .integer(cost)]
        )
        guard let values = reply.array, values.count == 4,
            let allowed = values[0].int, let remaining = values[1].int,
            let retryAfter = values[2].int, let resetAfter = values[3].int
        else {
            throw RedisClientError.unexpectedReply(command: "EVALSHA", reply: reply)
        }
        return RateLimitDecision(
            isAllowed: allowed == 1,
            limit: policy.capacity,
            remaining: remaining,
            retryAfter: .microseconds(retryAfter),
            resetAfter: .microseconds(resetAfter)
        )
    }

    /// The token bucket of ``TokenBucket`` in Lua.
    ///
    /// `KEYS[1]`: the bucket, a hash of `credit` (µs of refill time) and `updated` (µs of the
    /// server's clock). `ARGV`: capacity, refill interval in µs, cost. Returns
    /// `{allowed (0/1), whole tokens left, retry-after µs, reset-after µs}`. The key expires when
    /// the bucket would be full again, since a missing bucket counts as full.
    public static let script = RedisScript(
        """
        local capacity = tonumber(ARGV[1])
        local interval = tonumber(ARGV[2])
        local cost = tonumber(ARGV[3])
        local maximum = capacity * interval
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
        local state = redis.call('HMGET', KEYS[1], 'credit', 'updated')
        local credit = tonumber(state[1])
        local updated = tonumber(state[2])
        if credit == nil or updated == nil then
          credit = maximum
          updated = now
        end
        if now > updated then
          credit = math.min(maximum, credit + (now - updated))
          updated = now
        end
        local needed = cost * interval
        local allowed = 0
        local retry = needed - credit
        if credit >= needed then
          allowed = 1
          credit = credit - needed
          retry = 0
        end
        local reset = maximum - credit
        redis.call('HSET', KEYS[1], 'credit', string.format('%.0f', credit), 'updated', string.format('%.0f', updated))
        redis.call('PEXPIRE', KEYS[1], math.floor(reset / 1000) + 1)
        return {allowed, math.floor(credit / interval), retry, reset}
        """
    )
}
