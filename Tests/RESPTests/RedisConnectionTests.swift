import Foundation
import NIOCore
import NIOPosix
import RESP
import Testing

@Suite("Connections, pool and time-outs", .enabled(if: TestRedis.isAvailable, TestRedis.reason))
struct RedisConnectionTests {
    /// A configuration whose connections carry a unique name, to find them in `CLIENT LIST`.
    private func namedConfiguration(_ name: String, maximumConnections: Int = 8) throws -> RedisConfiguration {
        var configuration = try TestRedis.configuration()
        configuration.clientName = name
        configuration.pool.maximumConnections = maximumConnections
        return configuration
    }

    private static func uniqueName() -> String {
        "resp-test-\(UUID().uuidString.prefix(8))"
    }

    @Test("a bad URL gives a clear error before any connection")
    func badURL() {
        #expect(throws: RedisClientError.invalidURL("redis://cache:six", reason: "port must be a number from 1 to 65535")) {
            _ = try RedisClient(url: "redis://cache:six")
        }
        let error = RedisClientError.invalidURL("redis://cache:six", reason: "port must be a number from 1 to 65535")
        #expect(error.description == "invalid Redis URL 'redis://cache:six': port must be a number from 1 to 65535")
    }

    @Test("a closed port gives connectionRefused naming host and port")
    func connectionRefused() async throws {
        // Bind a port and release it, so nothing listens there.
        let group = MultiThreadedEventLoopGroup.singleton
        let server = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(server.localAddress?.port)
        try await server.close()

        try await withTimeout {
            try await withClient(RedisConfiguration(host: "127.0.0.1", port: port)) { (redis) async throws in
                let error = await #expect(throws: RedisClientError.self) { try await redis.ping() }
                #expect(error == .connectionRefused(host: "127.0.0.1", port: port, reason: "connection refused"))
                #expect(error?.description == "could not connect to Redis at 127.0.0.1:\(port): connection refused")
                // The failed attempt does not hold a slot.
                #expect(redis.poolStatistics == RedisPoolStatistics(open: 0, idle: 0, leased: 0, waiting: 0))
            }
        }
    }

    @Test("SELECT from the URL: each database sees only its own keys")
    func selectDatabase() async throws {
        let key = TestRedis.uniquePrefix() + "db"
        let url = try #require(TestRedis.url)
        try await withTimeout {
            try await withClient(try RedisConfiguration(url: url + "/3")) { (db3) async throws in
                try await withClient(try RedisConfiguration(url: url + "/4")) { (db4) async throws in
                    try await db3.set(key, "three")
                    #expect(try await db4.get(key) == nil)
                    try await db4.set(key, "four")
                    #expect(try await db3.get(key, as: String.self) == "three")
                    let info = try await db3.send(command: "CLIENT", args: ["INFO"]).string ?? ""
                    #expect(info.contains(" db=3 "))
                }
            }
        }
    }

    @Test("idle connections are reused")
    func idleReuse() async throws {
        try await withTimeout {
            try await withClient(try TestRedis.configuration()) { (redis) async throws in
                let first = try await redis.send(command: "CLIENT", args: ["ID"]).int
                let second = try await redis.send(command: "CLIENT", args: ["ID"]).int
                #expect(first != nil)
                #expect(first == second)
                #expect(redis.poolStatistics == RedisPoolStatistics(open: 1, idle: 1, leased: 0, waiting: 0))
            }
        }
    }

    @Test("the pool never opens more than its maximum, and every caller is served")
    func bounded() async throws {
        let name = Self.uniqueName()
        let key = TestRedis.uniquePrefix() + "counter"
        try await withTimeout {
            var configuration = try namedConfiguration(name, maximumConnections: 3)
            // 200 callers share 3 connections; on a loaded machine the last waits a while.
            configuration.pool.leaseTimeout = .seconds(60)
            try await withClient(configuration) { (redis) async throws in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<200 {
                        group.addTask { try await redis.incr(key) }
                    }
                    try await group.waitForAll()
                }
                #expect(try await redis.get(key, as: Int.self) == 200)
                let statistics = redis.poolStatistics
                #expect(statistics.open <= 3)
                #expect(statistics.leased == 0)
                #expect(statistics.waiting == 0)
                // The server sees exactly the connections the pool says are open.
                #expect(try await redis.clients(named: name).count == statistics.open)
            }
        }
    }

    @Test("waiters are served in the order they arrived")
    func fifoWaiters() async throws {
        let order = OrderRecorder()
        try await withTimeout {
            try await withClient(try namedConfiguration(Self.uniqueName(), maximumConnections: 1)) { (redis) async throws in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // Hold the only connection while five callers queue up, one after the other.
                    try await redis.withConnection { _ in
                        for index in 0..<5 {
                            group.addTask {
                                try await redis.withConnection { _ in await order.append(index) }
                            }
                            let queued = await poll { redis.poolStatistics.waiting == index + 1 ? true : nil }
                            #expect(queued == true)
                        }
                    }
                    // Giving the connection back serves the queue.
                    try await group.waitForAll()
                }
                #expect(await order.values == [0, 1, 2, 3, 4])
            }
        }
    }

    @Test("a caller that waits too long for a connection gets leaseTimeout; the pool stays usable")
    func leaseTimeout() async throws {
        var limited = try namedConfiguration(Self.uniqueName(), maximumConnections: 1)
        limited.pool.leaseTimeout = .milliseconds(200)
        let configuration = limited
        try await withTimeout {
            try await withClient(configuration) { (redis) async throws in
                try await redis.withConnection { (connection) async throws in
                    let error = await #expect(throws: RedisClientError.self) { try await redis.ping() }
                    #expect(error == .leaseTimeout(.milliseconds(200)))
                    #expect(try await connection.ping() == "PONG")
                }
                #expect(redis.poolStatistics.waiting == 0)
                #expect(try await redis.ping() == "PONG")
            }
        }
    }

    @Test("a command without a reply in time fails with commandTimeout; the pool stays usable")
    func commandTimeout() async throws {
        let name = Self.uniqueName()
        let emptyList = TestRedis.uniquePrefix() + "never-filled"
        try await withTimeout {
            try await withClient(try namedConfiguration(name, maximumConnections: 2)) { (redis) async throws in
                // BLPOP on a list nobody fills blocks only its own connection.
                let error = await #expect(throws: RedisClientError.self) {
                    try await redis.send(RESPCommand("BLPOP", .string(emptyList), 30), timeout: .milliseconds(300))
                }
                #expect(error == .commandTimeout(command: "BLPOP", timeout: .milliseconds(300)))

                // The timed-out connection was dropped, and the server let go of it too.
                #expect(try await redis.ping() == "PONG")
                let released = await poll {
                    let clients = (try? await redis.clients(named: name)) ?? ["?"]
                    return clients.contains { $0.contains("cmd=blpop") } ? nil : clients
                }
                #expect(released != nil)
                #expect(released?.count == redis.poolStatistics.open)
                #expect(redis.poolStatistics.leased == 0)
            }
        }
    }

    @Test("a pipeline that times out fails as a whole with commandTimeout")
    func pipelineTimeout() async throws {
        let emptyList = TestRedis.uniquePrefix() + "never-filled"
        try await withTimeout {
            try await withClient(try TestRedis.configuration()) { (redis) async throws in
                let error = await #expect(throws: RedisClientError.self) {
                    try await redis.pipeline(
                        [RESPCommand("PING"), RESPCommand("BLPOP", .string(emptyList), 30)],
                        timeout: .milliseconds(300)
                    )
                }
                #expect(error == .commandTimeout(command: "PING", timeout: .milliseconds(300)))
                #expect(try await redis.pipeline([RESPCommand("PING")]) == [.simpleString("PONG")])
            }
        }
    }

    @Test("a connection closed by the server while idle is dropped and replaced")
    func killedIdleConnection() async throws {
        let name = Self.uniqueName()
        try await withTimeout {
            try await withClient(try namedConfiguration(name)) { (redis) async throws in
                let firstID = try #require(try await redis.send(command: "CLIENT", args: ["ID"]).int)
                #expect(redis.poolStatistics.open == 1)
                try await withClient(try TestRedis.configuration()) { (admin) async throws in
                    #expect(try await admin.send(command: "CLIENT", args: ["KILL", "ID", .integer(firstID)]).int == 1)
                }
                let dropped = await poll { redis.poolStatistics.open == 0 ? true : nil }
                #expect(dropped == true)
                let secondID = try await redis.send(command: "CLIENT", args: ["ID"]).int
                #expect(secondID != nil && secondID != firstID)
                #expect(redis.poolStatistics == RedisPoolStatistics(open: 1, idle: 1, leased: 0, waiting: 0))
            }
        }
    }

    @Test("a connection closed while leased fails its command with connectionClosed and is not reused")
    func killedLeasedConnection() async throws {
        try await withTimeout {
            try await withClient(try TestRedis.configuration()) { (redis) async throws in
                try await redis.withConnection { (connection) async throws in
                    // Ask the server to close this very connection.
                    let id = try #require(try await connection.send(command: "CLIENT", args: ["ID"]).int)
                    _ = try? await connection.send(command: "CLIENT", args: ["KILL", "ID", .integer(id), "SKIPME", "no"])
                    let closed = await poll { connection.isOpen ? nil : true }
                    #expect(closed == true)
                    let error = await #expect(throws: RedisClientError.self) { try await connection.ping() }
                    #expect(error == .connectionClosed)
                }
                #expect(redis.poolStatistics.open == 0)
                #expect(try await redis.ping() == "PONG")
            }
        }
    }

    @Test("a cancelled caller stops waiting; the reply it left behind does not reach the next command")
    func cancellation() async throws {
        let list = TestRedis.uniquePrefix() + "list"
        try await withTimeout {
            let connection = try await RedisConnection.connect(configuration: try TestRedis.configuration())
            let admin = try await RedisConnection.connect(configuration: try TestRedis.configuration())
            let id = try #require(try await connection.send(command: "CLIENT", args: ["ID"]).int)
            // Blocks for eight seconds on the server, then replies null: long enough that the
            // cancellation below lands while it is still blocked, even on a loaded machine.
            let blocked = Task { try await connection.send(RESPCommand("BLPOP", .string(list), 8), timeout: .seconds(30)) }
            let waiting = await poll {
                let info = (try? await admin.send(command: "CLIENT", args: ["LIST", "ID", .integer(id)]).string) ?? ""
                return info.contains("cmd=blpop") ? true : nil
            }
            await admin.close()
            #expect(waiting == true)
            blocked.cancel()
            await #expect(throws: CancellationError.self) { try await blocked.value }
            // Queued behind the BLPOP: gets its own reply, not BLPOP's null.
            #expect(try await connection.send(RESPCommand("ECHO", "mine"), timeout: .seconds(30)).string == "mine")
            #expect(connection.isOpen)
            await connection.close()
        }
    }

    @Test("after close, commands fail with clientClosed")
    func closedClient() async throws {
        try await withTimeout {
            let redis = RedisClient(configuration: try TestRedis.configuration())
            #expect(try await redis.ping() == "PONG")
            await redis.close()
            #expect(redis.poolStatistics.open == 0)
            await #expect(throws: RedisClientError.clientClosed) { try await redis.ping() }
        }
    }
}

/// Collects integers from concurrent tasks.
actor OrderRecorder {
    private(set) var values: [Int] = []

    func append(_ value: Int) {
        self.values.append(value)
    }
}
