@testable import Caching
import Foundation
import Logging
import NIOCore
import RESP
import Synchronization
import Testing

/// What the two-level cache guarantees, with L1 alone (embedded mode) and with Redis as L2; the
/// suites at the end run it on each.
enum TwoLevelCacheContract {
    enum Backend {
        case inMemory, redis
    }

    static let logger = Logger.quiet

    /// Runs `body` with a cache on `backend` (and, with Redis, the L2 the cache uses).
    static func withCache(
        _ backend: Backend,
        configuration: TwoLevelCache.Configuration = .init(),
        namespace: String = TestRedisServers.uniqueNamespace(),
        _ body: (TwoLevelCache, RedisCache?) async throws -> Void
    ) async throws {
        switch backend {
        case .inMemory:
            try await body(TwoLevelCache(name: "test", l2: nil, configuration: configuration, logger: logger), nil)
        case .redis:
            try #require(TestRedisServers.isAvailable, TestRedisServers.reason)
            try await TestRedisServers.withClient(TestRedisServers.url) { redis throws in
                let l2 = RedisCache(redis: redis, namespace: namespace)
                try await body(TwoLevelCache(name: "test", l2: l2, configuration: configuration, logger: logger), l2)
            }
        }
    }

    static func concurrentMissesLoadOnce(_ backend: Backend) async throws {
        try await withCache(backend) { cache, _ throws in
            let loads = CallCounter()
            let results = try await withTimeout(seconds: 60) {
                try await withThrowingTaskGroup(of: ByteBuffer?.self) { group throws in
                    for _ in 0..<100 {
                        group.addTask {
                            try await cache.value(forKey: "hot", ttl: .seconds(60)) {
                                loads.increment()
                                // Hold the load until the 99 other callers are waiting for it, so
                                // they really are concurrent misses and not later L1 hits.
                                _ = await poll(times: 2_000, pause: .milliseconds(5)) { cache.waitingCallers == 99 ? true : nil }
                                return ByteBuffer(string: "value")
                            }
                        }
                    }
                    return try await group.reduce(into: [ByteBuffer?]()) { $0.append($1) }
                }
            }
            #expect(loads.count == 1)
            #expect(results.count == 100)
            #expect(results.allSatisfy { $0 == ByteBuffer(string: "value") })
            #expect(cache.waitingCallers == 0)
        }
    }

    static func invalidationClearsBothLevels(_ backend: Backend) async throws {
        try await withCache(backend) { cache, l2 throws in
            let loads = CallCounter()
            let load: @Sendable () async throws -> ByteBuffer? = {
                ByteBuffer(string: "version \(loads.increment())")
            }
            #expect(try await cache.value(forKey: "p1", ttl: .seconds(60), load: load) == ByteBuffer(string: "version 1"))
            #expect(try await cache.value(forKey: "p1", ttl: .seconds(60), load: load) == ByteBuffer(string: "version 1"))
            #expect(loads.count == 1)
            #expect(cache.l1.value(forKey: "p1") == ByteBuffer(string: "version 1"))
            if let l2 { #expect(try await l2.value(forKey: "p1") == ByteBuffer(string: "version 1")) }

            await cache.invalidate(keys: ["p1", "never-cached"])
            #expect(cache.l1.value(forKey: "p1") == nil)
            if let l2 { #expect(try await l2.value(forKey: "p1") == nil) }
            #expect(try await cache.value(forKey: "p1", ttl: .seconds(60), load: load) == ByteBuffer(string: "version 2"))
            #expect(loads.count == 2)
        }
    }

    static func invalidationDuringALoad(_ backend: Backend) async throws {
        try await withCache(backend) { cache, l2 throws in
            let started = AsyncStream<Void>.makeStream()
            let release = AsyncStream<Void>.makeStream()
            try await withThrowingTaskGroup(of: ByteBuffer?.self) { group throws in
                group.addTask {
                    try await cache.value(forKey: "p", ttl: .seconds(60)) {
                        started.continuation.yield()
                        for await _ in release.stream { break }
                        return ByteBuffer(string: "read before the write")
                    }
                }
                for await _ in started.stream { break }
                await cache.invalidate(key: "p")
                release.continuation.yield()
                #expect(try await group.next()! == ByteBuffer(string: "read before the write"))
            }
            #expect(cache.l1.value(forKey: "p") == nil)
            if let l2 { #expect(try await l2.value(forKey: "p") == nil) }
            #expect(try await cache.value(forKey: "p", ttl: .seconds(60)) { ByteBuffer(string: "fresh") } == ByteBuffer(string: "fresh"))
        }
    }

    static func nilIsNotCached(_ backend: Backend) async throws {
        try await withCache(backend) { cache, _ throws in
            let loads = CallCounter()
            for _ in 0..<3 {
                let value = try await cache.value(forKey: "missing", ttl: .seconds(60)) {
                    loads.increment()
                    return nil
                }
                #expect(value == nil)
            }
            #expect(loads.count == 3)
        }
    }

    static func l1ExpiresBeforeL2() async throws {
        let time = ManualTime()
        try await TestRedisServers.withClient(TestRedisServers.url) { redis throws in
            let l2 = RedisCache(redis: redis, namespace: TestRedisServers.uniqueNamespace())
            let cache = TwoLevelCache(name: "test", l2: l2, configuration: .init(l1TTL: .seconds(5)), time: time.source, logger: logger)
            _ = try await cache.value(forKey: "k", ttl: .seconds(300)) { ByteBuffer(string: "v") }
            time.advance(by: .seconds(5))
            #expect(cache.l1.value(forKey: "k") == nil)
            let value = try await cache.value(forKey: "k", ttl: .seconds(300)) {
                Issue.record("L2 should have answered")
                return nil
            }
            #expect(value == ByteBuffer(string: "v"))
            #expect(cache.l1.value(forKey: "k") == ByteBuffer(string: "v"), "refilled from L2")
        }
    }

    static func l2IsShared() async throws {
        let namespace = TestRedisServers.uniqueNamespace()
        try await TestRedisServers.withClient(TestRedisServers.url) { redis throws in
            let first = TwoLevelCache(name: "a", l2: RedisCache(redis: redis, namespace: namespace), logger: logger)
            let second = TwoLevelCache(name: "b", l2: RedisCache(redis: redis, namespace: namespace), logger: logger)
            _ = try await first.value(forKey: "k", ttl: .seconds(60)) { ByteBuffer(string: "shared") }
            let value = try await second.value(forKey: "k", ttl: .seconds(60)) {
                Issue.record("the second cache should find the value in Redis")
                return nil
            }
            #expect(value == ByteBuffer(string: "shared"))
        }
    }
}

@Suite("TwoLevelCache in memory")
struct TwoLevelCacheInMemoryTests {
    @Test("100 concurrent misses for one key make exactly one load")
    func concurrentMissesLoadOnce() async throws { try await TwoLevelCacheContract.concurrentMissesLoadOnce(.inMemory) }

    @Test("a value is served from the cache until invalidated, then loaded anew")
    func invalidation() async throws { try await TwoLevelCacheContract.invalidationClearsBothLevels(.inMemory) }

    @Test("a load in flight when its key is invalidated is returned but not stored")
    func invalidationDuringALoad() async throws { try await TwoLevelCacheContract.invalidationDuringALoad(.inMemory) }

    @Test("nothing is cached when the loader finds nothing")
    func nilIsNotCached() async throws { try await TwoLevelCacheContract.nilIsNotCached(.inMemory) }
}

@Suite("TwoLevelCache on Redis", .enabled(if: TestRedisServers.isAvailable, TestRedisServers.reason))
struct TwoLevelCacheRedisTests {
    @Test("100 concurrent misses for one key make exactly one load")
    func concurrentMissesLoadOnce() async throws { try await TwoLevelCacheContract.concurrentMissesLoadOnce(.redis) }

    @Test("a value is served from the cache until invalidated, which clears L1 and Redis")
    func invalidation() async throws { try await TwoLevelCacheContract.invalidationClearsBothLevels(.redis) }

    @Test("a load in flight when its key is invalidated is returned but stored in neither level")
    func invalidationDuringALoad() async throws { try await TwoLevelCacheContract.invalidationDuringALoad(.redis) }

    @Test("nothing is cached when the loader finds nothing")
    func nilIsNotCached() async throws { try await TwoLevelCacheContract.nilIsNotCached(.redis) }

    @Test("L1 expires after its short TTL while Redis still has the value")
    func l1ExpiresBeforeL2() async throws { try await TwoLevelCacheContract.l1ExpiresBeforeL2() }

    @Test("a second process's cache reads what the first stored in Redis")
    func l2IsShared() async throws { try await TwoLevelCacheContract.l2IsShared() }
}
