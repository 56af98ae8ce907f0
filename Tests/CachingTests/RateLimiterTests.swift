import Caching
import Foundation
import RESP
import Testing

/// What every rate limiter guarantees; the suites at the end run it in memory and on Redis.
enum RateLimiterContract {
    typealias MakeLimiter = @Sendable (RateLimitPolicy) -> any RateLimiter

    /// 8 clients hammering one key at once get exactly the bucket's worth of admissions.
    static func admitsExactlyTheBucketUnderConcurrency(_ make: MakeLimiter) async throws {
        // Refill is negligible during the test: one token an hour.
        let limiter = make(RateLimitPolicy(capacity: 20, refillInterval: .seconds(3600)))
        let decisions = try await withThrowingTaskGroup(of: [RateLimitDecision].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var mine: [RateLimitDecision] = []
                    for _ in 0..<10 { mine.append(try await limiter.acquire("client-1")) }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(decisions.count == 80)
        #expect(decisions.filter(\.isAllowed).count == 20)
        #expect(Set(decisions.filter(\.isAllowed).map(\.remaining)) == Set(0..<20), "each admission saw one token fewer")
        for denied in decisions where !denied.isAllowed {
            #expect(denied.remaining == 0)
            #expect(denied.limit == 20)
            #expect(denied.retryAfter > .zero)
            #expect(denied.retryAfterSeconds >= 1)
        }
        // Another key has its own bucket.
        #expect(try await limiter.acquire("client-2").isAllowed)
    }

    /// Once empty, the bucket refills: waiting the advertised Retry-After is enough.
    static func refillsOverTime(_ make: MakeLimiter) async throws {
        let policy = RateLimitPolicy(capacity: 3, refillInterval: .milliseconds(500))
        let limiter = make(policy)
        // Take tokens until refused (on a slow machine a token may come back meanwhile, so the
        // fourth request is not necessarily the refused one).
        var taken = 0
        var refused: RateLimitDecision?
        while refused == nil && taken < 100 {
            let decision = try await limiter.acquire("k")
            if decision.isAllowed { taken += 1 } else { refused = decision }
        }
        let denied = try #require(refused)
        #expect(taken >= 3, "the full bucket admitted its capacity first")
        #expect(denied.remaining == 0)
        #expect(denied.retryAfter > .zero)
        #expect(denied.retryAfter <= policy.refillInterval, "less than one token is missing")
        #expect(denied.resetAfter >= denied.retryAfter, "the bucket is full only after the next token is back")

        try await Task.sleep(for: denied.retryAfter)
        let afterWaiting = try await limiter.acquire("k")
        #expect(afterWaiting.isAllowed, "a token came back after the advertised wait")
    }

    /// A request costing more than one token takes them all at once, or none.
    static func costsTakeSeveralTokens(_ make: MakeLimiter) async throws {
        let limiter = make(RateLimitPolicy(capacity: 5, refillInterval: .seconds(3600)))
        #expect(try await limiter.acquire("k", cost: 3).remaining == 2)
        let denied = try await limiter.acquire("k", cost: 3)
        #expect(!denied.isAllowed)
        #expect(denied.remaining == 2, "a denied request takes nothing")
        #expect(try await limiter.acquire("k", cost: 2).isAllowed)
    }
}

@Suite("Rate limiter in memory")
struct InMemoryRateLimiterTests {
    static let make: RateLimiterContract.MakeLimiter = { InMemoryRateLimiter(policy: $0) }

    @Test("8 concurrent clients get exactly the bucket's worth")
    func concurrency() async throws { try await RateLimiterContract.admitsExactlyTheBucketUnderConcurrency(Self.make) }

    @Test("refills over time")
    func refill() async throws { try await RateLimiterContract.refillsOverTime(Self.make) }

    @Test("costs take several tokens")
    func costs() async throws { try await RateLimiterContract.costsTakeSeveralTokens(Self.make) }

    @Test("the decision's numbers follow the bucket exactly (moved clock)")
    func exactArithmetic() {
        let time = ManualTime()
        let limiter = InMemoryRateLimiter(policy: RateLimitPolicy(requests: 10, per: .seconds(10)), time: time.source)
        for _ in 0..<10 { #expect(limiter.acquire("k").isAllowed) }
        let denied = limiter.acquire("k")
        #expect(denied == RateLimitDecision(isAllowed: false, limit: 10, remaining: 0, retryAfter: .seconds(1), resetAfter: .seconds(10)))
        #expect(denied.retryAfterSeconds == 1)
        #expect(denied.resetSeconds == 10)

        time.advance(by: .milliseconds(400))
        let stillDenied = limiter.acquire("k")
        #expect(!stillDenied.isAllowed)
        #expect(stillDenied.retryAfter == .milliseconds(600))
        #expect(stillDenied.retryAfterSeconds == 1, "Retry-After rounds up")

        time.advance(by: .milliseconds(600))
        let allowed = limiter.acquire("k")
        #expect(allowed.isAllowed)
        #expect(allowed.remaining == 0)
        #expect(allowed.retryAfter == .zero)

        time.advance(by: .seconds(60))
        #expect(limiter.acquire("k").remaining == 9, "never more than the capacity")
    }

    @Test("full buckets are forgotten once there are too many keys")
    func boundedKeys() {
        let time = ManualTime()
        let limiter = InMemoryRateLimiter(policy: RateLimitPolicy(capacity: 2, refillInterval: .seconds(1)), maximumKeys: 100, time: time.source)
        for index in 0..<100 { _ = limiter.acquire("ip-\(index)") }
        #expect(limiter.bucketCount == 100)
        time.advance(by: .seconds(1))  // every bucket is full again
        _ = limiter.acquire("one-more")
        #expect(limiter.bucketCount == 1)
    }
}

@Suite("Rate limiter on Redis", .enabled(if: TestRedisServers.isAvailable, TestRedisServers.reason))
struct RedisRateLimiterTests {
    /// Runs `body` with limiters over one client, each under a fresh namespace.
    static func withLimiters(_ body: (RateLimiterContract.MakeLimiter) async throws -> Void) async throws {
        try await TestRedisServers.withClient(TestRedisServers.url) { redis throws in
            try await body { RedisRateLimiter(redis: redis, namespace: TestRedisServers.uniqueNamespace("ratelimit"), policy: $0) }
        }
    }

    @Test("8 concurrent clients get exactly the bucket's worth")
    func concurrency() async throws { try await Self.withLimiters(RateLimiterContract.admitsExactlyTheBucketUnderConcurrency) }

    @Test("refills over time")
    func refill() async throws { try await Self.withLimiters(RateLimiterContract.refillsOverTime) }

    @Test("costs take several tokens")
    func costs() async throws { try await Self.withLimiters(RateLimiterContract.costsTakeSeveralTokens) }

    @Test("gateway instances with their own connections share one bucket")
    func instancesShareTheBucket() async throws {
        let namespace = TestRedisServers.uniqueNamespace()
        let policy = RateLimitPolicy(capacity: 12, refillInterval: .seconds(3600))
        try await TestRedisServers.withClient(TestRedisServers.url) { first throws in
            try await TestRedisServers.withClient(TestRedisServers.url) { second throws in
                let instances = [first, second].map { RedisRateLimiter(redis: $0, namespace: namespace, policy: policy) }
                let allowed = try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<8 {
                        group.addTask {
                            var count = 0
                            for _ in 0..<5 {
                                if try await instances[index % 2].acquire("user-7").isAllowed { count += 1 }
                            }
                            return count
                        }
                    }
                    return try await group.reduce(0, +)
                }
                #expect(allowed == 12)
            }
        }
    }

    @Test("the bucket's key expires once it would be full again")
    func bucketKeyExpires() async throws {
        let namespace = TestRedisServers.uniqueNamespace()
        try await TestRedisServers.withClient(TestRedisServers.url) { redis throws in
            let limiter = RedisRateLimiter(redis: redis, namespace: namespace, policy: RateLimitPolicy(capacity: 5, refillInterval: .seconds(10)))
            _ = try await limiter.acquire("k", cost: 2)
            let ttl = try await redis.send(command: "PTTL", args: [.string("\(namespace):k")]).int
            // 2 tokens at 10 s each: full again in 20 s, so the key expires within 20 s (+1 ms),
            // rather than living forever (-1) or being gone already (-2).
            #expect(ttl.map { (1...20_001).contains($0) } == true, "\(String(describing: ttl))")
        }
    }
}
