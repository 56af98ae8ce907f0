import RESP
import Testing

@Suite("Pipelining and scripts", .enabled(if: TestRedis.isAvailable, TestRedis.reason))
struct RedisPipelineTests {
    @Test("10,000 pipelined INCRs come back in order", arguments: RedisCommandTests.protocols)
    func tenThousandIncrements(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let key = TestRedis.uniquePrefix() + "counter"
        try await withTimeout {
            try await withClient(try TestRedis.configuration(version)) { (redis) async throws in
                let commands = Array(repeating: RESPCommand("INCR", .string(key)), count: 10_000)
                let replies = try await redis.pipeline(commands)
                #expect(replies.count == 10_000)
                let outOfOrder = replies.enumerated().filter { $0.element != .integer($0.offset + 1) }
                #expect(outOfOrder.isEmpty, "first mismatches: \(outOfOrder.prefix(3))")
                #expect(try await redis.get(key, as: Int.self) == 10_000)
            }
        }
    }

    @Test("an error reply in a pipeline is returned in its place; the others still succeed")
    func errorInPipeline() async throws {
        let prefix = TestRedis.uniquePrefix()
        try await withTimeout {
            try await withClient(try TestRedis.configuration()) { (redis) async throws in
                let replies = try await redis.pipeline([
                    RESPCommand("SET", .string(prefix + "text"), "abc"),
                    RESPCommand("INCR", .string(prefix + "text")),
                    RESPCommand("GET", .string(prefix + "text")),
                ])
                #expect(replies.count == 3)
                #expect(replies[0] == .simpleString("OK"))
                #expect(replies[1].serverError?.code == "ERR")
                #expect(throws: RESPError.self) { try replies[1].throwingServerError() }
                #expect(replies[2].string == "abc")
                #expect(try await redis.pipeline([]).isEmpty)
            }
        }
    }

    @Test("concurrent commands on one connection get their own replies")
    func concurrentOnOneConnection() async throws {
        let prefix = TestRedis.uniquePrefix()
        try await withTimeout {
            try await withClient(try TestRedis.configuration()) { (redis) async throws in
                try await redis.withConnection { (connection) async throws in
                    let count = 1_000
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for index in 0..<count {
                            group.addTask { try await connection.set("\(prefix)\(index)", index) }
                        }
                        try await group.waitForAll()
                    }
                    let mismatches = try await withThrowingTaskGroup(of: Int?.self) { group in
                        for index in 0..<count {
                            group.addTask {
                                try await connection.get("\(prefix)\(index)", as: Int.self) == index ? nil : index
                            }
                        }
                        return try await group.reduce(into: [Int]()) { if let index = $1 { $0.append(index) } }
                    }
                    #expect(mismatches.isEmpty)
                }
                // All of that went over the one leased connection.
                #expect(redis.poolStatistics.open == 1)
            }
        }
    }

    static let sumScript = RedisScript(
        """
        local total = 0
        for index, value in ipairs(ARGV) do total = total + tonumber(value) end
        redis.call('SET', KEYS[1], total)
        return total
        """
    )

    @Test("EVALSHA runs a script; SCRIPT LOAD agrees on its SHA-1")
    func evalsha() async throws {
        let key = TestRedis.uniquePrefix() + "sum"
        try await withTimeout {
            try await withClient(try TestRedis.configuration()) { (redis) async throws in
                #expect(try await redis.scriptLoad(Self.sumScript) == Self.sumScript.sha1)
                let total = try await redis.evalsha(Self.sumScript, keys: [.string(key)], arguments: [1, 2, 39], as: Int.self)
                #expect(total == 42)
                #expect(try await redis.get(key, as: Int.self) == 42)
            }
        }
    }

    @Test("EVALSHA after SCRIPT FLUSH loads the script again by itself")
    func evalshaAfterFlush() async throws {
        let key = TestRedis.uniquePrefix() + "flushed"
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1]) -- \(key)")
        try await withTimeout {
            try await withClient(try TestRedis.configuration()) { (redis) async throws in
                _ = try await redis.send(command: "SCRIPT", args: ["FLUSH"])
                let exists = try await redis.send(command: "SCRIPT", args: ["EXISTS", .string(script.sha1)])
                #expect(exists.array == [.integer(0)])

                #expect(try await redis.evalsha(script, keys: [.string(key)], arguments: [5]) == .integer(5))
                let loaded = try await redis.send(command: "SCRIPT", args: ["EXISTS", .string(script.sha1)])
                #expect(loaded.array == [.integer(1)])

                _ = try await redis.send(command: "SCRIPT", args: ["FLUSH"])
                #expect(try await redis.evalsha(script, keys: [.string(key)], arguments: [5]) == .integer(10))
            }
        }
    }

    @Test("an error raised by a script is a typed server error")
    func scriptError() async throws {
        let script = RedisScript("return redis.error_reply('OUTOFSTOCK sku 123 has 0 left')")
        try await withTimeout {
            try await withClient(try TestRedis.configuration()) { (redis) async throws in
                let error = await #expect(throws: RESPError.self) { try await redis.evalsha(script) }
                #expect(error?.code == "OUTOFSTOCK")
                #expect(error?.message == "sku 123 has 0 left")
            }
        }
    }
}
