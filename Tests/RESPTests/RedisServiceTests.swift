import Logging
import RESP
import ServiceLifecycle
import Testing

@Suite("Service lifecycle", .enabled(if: TestRedis.isAvailable, TestRedis.reason))
struct RedisServiceTests {
    @Test("in a ServiceGroup the client works until graceful shutdown, then closes its pool")
    func gracefulShutdown() async throws {
        try await withTimeout {
            let redis = RedisClient(configuration: try TestRedis.configuration())
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(services: [redis], logger: Logger(label: "test"))
            )
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                #expect(try await redis.ping() == "PONG")
                #expect(redis.poolStatistics.open == 1)

                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(redis.poolStatistics.open == 0)
            await #expect(throws: RedisClientError.clientClosed) { try await redis.ping() }
        }
    }
}
