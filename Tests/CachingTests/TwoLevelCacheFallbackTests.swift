import EmporiumTestSupport
import Caching
import Foundation
import Logging
import NIOCore
import RESP
import Synchronization
import Testing

/// When L2 fails, reads go to the loader and writes to L1 only, and nothing fails or hangs.
@Suite("TwoLevelCache when Redis fails")
struct TwoLevelCacheFallbackTests {
    /// An L2 that fails every call, counting them.
    struct BrokenCache: Cache {
        struct Down: Error {}
        let calls = CallCounter()
        func value(forKey key: String) async throws -> ByteBuffer? {
            calls.increment()
            throw Down()
        }
        func setValue(_ value: ByteBuffer, forKey key: String, ttl: Duration) async throws {
            calls.increment()
            throw Down()
        }
        func removeValues(forKeys keys: [String]) async throws {
            calls.increment()
            throw Down()
        }
    }

    @Test("reads fall back to the loader; L2 is left alone for the retry delay, then tried again")
    func brokenL2() async throws {
        let time = ManualTime()
        let l2 = BrokenCache()
        let cache = TwoLevelCache(
            name: "test", l2: l2, configuration: .init(l1TTL: .zero, l2RetryDelay: .seconds(1)),
            time: time.source, logger: .quiet
        )
        let loads = CallCounter()
        let load: @Sendable () async throws -> ByteBuffer? = { loads.increment(); return ByteBuffer(string: "from the database") }

        #expect(try await cache.value(forKey: "k", ttl: .seconds(60), load: load) == ByteBuffer(string: "from the database"))
        #expect(l2.calls.count == 1, "the failed GET; no SET is tried after it")
        for _ in 0..<5 {
            #expect(try await cache.value(forKey: "k", ttl: .seconds(60), load: load) == ByteBuffer(string: "from the database"))
        }
        #expect(l2.calls.count == 1, "not asked again within the retry delay")
        #expect(loads.count == 6)

        time.advance(by: .seconds(1))
        _ = try await cache.value(forKey: "k", ttl: .seconds(60), load: load)
        #expect(l2.calls.count == 2, "asked again once the delay is over")

        await cache.invalidate(key: "k")
        #expect(l2.calls.count == 3, "invalidation always tries L2 (and does not throw)")
    }

    @Test("with L1 on, a failing L2 still lets L1 serve repeated reads")
    func brokenL2KeepsL1() async throws {
        let cache = TwoLevelCache(name: "test", l2: BrokenCache(), logger: .quiet)
        let loads = CallCounter()
        for _ in 0..<3 {
            _ = try await cache.value(forKey: "k", ttl: .seconds(60)) { loads.increment(); return ByteBuffer(string: "v") }
        }
        #expect(loads.count == 1)
    }

    @Test("the loader's own errors still reach the caller")
    func loaderErrorsPropagate() async {
        struct DatabaseDown: Error {}
        let cache = TwoLevelCache(name: "test", l2: BrokenCache(), logger: .quiet)
        await #expect(throws: DatabaseDown.self) {
            try await cache.value(forKey: "k", ttl: .seconds(60)) { throw DatabaseDown() }
        }
    }

    @Test("a Redis that refuses connections makes reads go to the loader, without errors")
    func refusedConnections() async throws {
        var configuration = RedisConfiguration(host: "127.0.0.1", port: 1)
        configuration.connectTimeout = .seconds(2)
        let redis = RedisClient(configuration: configuration)
        let cache = TwoLevelCache(
            name: "test", l2: RedisCache(redis: redis, namespace: "test"),
            configuration: .init(l1TTL: .zero, l2RetryDelay: .zero), logger: .quiet
        )
        let values = try await withTimeout(seconds: 30) {
            try await (0..<20).asyncMap { index in
                try await cache.value(forKey: "k\(index)", ttl: .seconds(60)) { ByteBuffer(string: "v\(index)") }
            }
        }
        #expect(values == (0..<20).map { ByteBuffer(string: "v\($0)") })
        await redis.close()
    }

    @Test(
        "Redis restarted mid-run: every read is answered (through the loader while it is down), then Redis is used again",
        .enabled(if: TestRedisServers.isAvailable, "needs redis-server: source scripts/services/redis.sh && redis_start \"$(mktemp -d)\"")
    )
    func restartMidRun() async throws {
        let server = try await PrivateRedisServer.start()
        do {
            try await Self.readThroughRestart(server)
        } catch {
            await server.remove()
            throw error
        }
        await server.remove()
    }

    private static func readThroughRestart(_ server: PrivateRedisServer) async throws {
        try await TestRedisServers.withClient(server.url, configure: { $0.connectTimeout = .seconds(2) }) { redis throws in
            let l2 = RedisCache(redis: redis, namespace: TestRedisServers.uniqueNamespace(), commandTimeout: .seconds(1))
            // No L1, so that every read goes to Redis (or, when it fails, to the loader).
            let cache = TwoLevelCache(
                name: "test", l2: l2, configuration: .init(l1TTL: .zero, l2RetryDelay: .milliseconds(200)),
                logger: .quiet
            )
            let loads = CallCounter()
            let read: @Sendable () async throws -> ByteBuffer? = {
                try await cache.value(forKey: "product", ttl: .seconds(300)) {
                    loads.increment()
                    return ByteBuffer(string: "body")
                }
            }
            #expect(try await read() == ByteBuffer(string: "body"))
            #expect(try await read() == ByteBuffer(string: "body"))
            #expect(loads.count == 1, "the second read came from Redis")

            try await withTimeout(seconds: 120) {
                let restarts = CallCounter()
                try await withThrowingTaskGroup(of: Int.self) { group throws in
                    group.addTask {
                        await server.stop()
                        try await Task.sleep(for: .seconds(1))
                        try await server.restart()
                        restarts.increment()
                        return 0
                    }
                    group.addTask {
                        // Read until the restart is over; every read must be answered.
                        var reads = 0
                        while restarts.count == 0 {
                            #expect(try await read() == ByteBuffer(string: "body"))
                            reads += 1
                            try await Task.sleep(for: .milliseconds(20))
                        }
                        return reads
                    }
                    #expect(try await group.reduce(0, +) >= 3, "reads went on while Redis was away")
                }
            }
            #expect(loads.count > 1, "while Redis was down (and after, being empty) the loader answered")

            // Back: the value gets into Redis again and reads stop reaching the loader.
            let stored = try await poll(times: 200) { () async throws -> Bool? in
                _ = try await read()
                return (try? await l2.value(forKey: "product")) != nil ? true : nil
            }
            #expect(stored == true)
            let loadsAfterRecovery = loads.count
            for _ in 0..<5 { #expect(try await read() == ByteBuffer(string: "body")) }
            #expect(loads.count == loadsAfterRecovery)
        }
    }
}
