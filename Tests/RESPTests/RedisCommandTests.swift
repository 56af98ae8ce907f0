import NIOCore
import RESP
import Testing

/// Every typed command against the real server, once over RESP3 and once over RESP2 (whose
/// replies have other shapes for maps, doubles and sets).
@Suite("Commands", .enabled(if: TestRedis.isAvailable, TestRedis.reason))
struct RedisCommandTests {
    static let protocols: [RedisConfiguration.ProtocolVersion] = [.resp3, .resp2]

    @Test("the negotiated protocol is the one asked for", arguments: protocols)
    func negotiatedProtocol(_ version: RedisConfiguration.ProtocolVersion) async throws {
        try await withTimeout {
            let connection = try await RedisConnection.connect(configuration: try TestRedis.configuration(version))
            #expect(connection.protocolVersion == (version == .resp3 ? .resp3 : .resp2))
            #expect(try await connection.ping() == "PONG")
            #expect(try await connection.ping("hello") == "hello")
            await connection.close()
        }
    }

    @Test("GET and SET: bytes, strings, numbers, missing keys", arguments: protocols)
    func getSet(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let prefix = TestRedis.uniquePrefix()
        try await withTimeout {
            try await withClient(try TestRedis.configuration(version)) { (redis) async throws in
                #expect(try await redis.set(prefix + "text", "héllo wörld"))
                #expect(try await redis.get(prefix + "text", as: String.self) == "héllo wörld")

                let binary: [UInt8] = [0, 1, 2, 13, 10, 255]
                try await redis.set(prefix + "binary", binary)
                #expect(try await redis.get(prefix + "binary", as: [UInt8].self) == binary)
                #expect(try await redis.get(prefix + "binary") == ByteBuffer(bytes: binary))

                try await redis.set(prefix + "number", 42)
                #expect(try await redis.get(prefix + "number", as: Int.self) == 42)

                #expect(try await redis.get(prefix + "missing") == nil)
                #expect(try await redis.get(prefix + "missing", as: String.self) == nil)
            }
        }
    }

    @Test("SET NX and XX report whether they wrote", arguments: protocols)
    func setConditions(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let key = TestRedis.uniquePrefix() + "key"
        try await withTimeout {
            try await withClient(try TestRedis.configuration(version)) { (redis) async throws in
                #expect(try await redis.set(key, "second", condition: .ifExists) == false)
                #expect(try await redis.get(key) == nil)
                #expect(try await redis.set(key, "first", condition: .ifNotExists) == true)
                #expect(try await redis.set(key, "second", condition: .ifNotExists) == false)
                #expect(try await redis.get(key, as: String.self) == "first")
                #expect(try await redis.set(key, "third", condition: .ifExists) == true)
                #expect(try await redis.get(key, as: String.self) == "third")
            }
        }
    }

    @Test("expiry: EX, PX, KEEPTTL, EXPIRE and TTL", arguments: protocols)
    func expiry(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let prefix = TestRedis.uniquePrefix()
        try await withTimeout {
            try await withClient(try TestRedis.configuration(version)) { (redis) async throws in
                try await redis.set(prefix + "ex", "v", expiration: .seconds(100))
                let ttl = try await redis.ttl(prefix + "ex")
                guard case .seconds(let seconds) = ttl else {
                    Issue.record("expected a TTL, got \(ttl)")
                    return
                }
                #expect((1...100).contains(seconds))

                try await redis.set(prefix + "px", "v", expiration: .milliseconds(50_000))
                guard case .seconds(let pxSeconds) = try await redis.ttl(prefix + "px") else {
                    Issue.record("expected a TTL after PX")
                    return
                }
                #expect((1...50).contains(pxSeconds))

                try await redis.set(prefix + "ex", "changed", expiration: .keepTTL)
                #expect(try await redis.ttl(prefix + "ex") != .noExpiration)
                try await redis.set(prefix + "ex", "plain")
                #expect(try await redis.ttl(prefix + "ex") == .noExpiration)

                #expect(try await redis.expire(prefix + "ex", seconds: 30))
                guard case .seconds(let expireSeconds) = try await redis.ttl(prefix + "ex") else {
                    Issue.record("expected a TTL after EXPIRE")
                    return
                }
                #expect((1...30).contains(expireSeconds))

                #expect(try await redis.expire(prefix + "missing", seconds: 30) == false)
                #expect(try await redis.ttl(prefix + "missing") == .keyDoesNotExist)

                try await redis.set(prefix + "gone", "v", expiration: .milliseconds(1))
                let expired = await poll { try? await redis.get(prefix + "gone") == nil ? true : nil }
                #expect(expired == true)
            }
        }
    }

    @Test("DEL, EXISTS, INCR, INCRBY, MGET", arguments: protocols)
    func keysAndCounters(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let prefix = TestRedis.uniquePrefix()
        try await withTimeout {
            try await withClient(try TestRedis.configuration(version)) { (redis) async throws in
                try await redis.set(prefix + "a", "1")
                try await redis.set(prefix + "b", "2")
                #expect(try await redis.exists(prefix + "a", prefix + "b", prefix + "c") == 2)
                #expect(try await redis.mget([prefix + "a", prefix + "c", prefix + "b"], as: String.self) == ["1", nil, "2"])
                #expect(try await redis.del(prefix + "a", prefix + "c") == 1)
                #expect(try await redis.exists(prefix + "a") == 0)
                #expect(try await redis.del([String]()) == 0)

                #expect(try await redis.incr(prefix + "counter") == 1)
                #expect(try await redis.incr(prefix + "counter") == 2)
                #expect(try await redis.incrby(prefix + "counter", 40) == 42)
                #expect(try await redis.incrby(prefix + "counter", -50) == -8)
                #expect(try await redis.get(prefix + "counter", as: Int.self) == -8)

                try await redis.set(prefix + "text", "abc")
                let error = await #expect(throws: RESPError.self) { try await redis.incr(prefix + "text") }
                #expect(error?.code == "ERR")
                #expect(error?.message.contains("not an integer") == true)
            }
        }
    }

    @Test("a command on a key of another type fails with WRONGTYPE", arguments: protocols)
    func wrongType(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let key = TestRedis.uniquePrefix() + "set"
        try await withTimeout {
            try await withClient(try TestRedis.configuration(version)) { (redis) async throws in
                try await redis.sadd(key, members: "x")
                let error = await #expect(throws: RESPError.self) { try await redis.get(key) }
                #expect(error?.code == RESPError.wrongTypeCode)
                #expect(error?.message == "Operation against a key holding the wrong kind of value")
                // The connection is still good after an error reply.
                #expect(try await redis.sismember(key, member: "x"))
            }
        }
    }

    @Test("an unknown command fails with ERR and the client stays usable", arguments: protocols)
    func unknownCommand(_ version: RedisConfiguration.ProtocolVersion) async throws {
        try await withTimeout {
            try await withClient(try TestRedis.configuration(version)) { (redis) async throws in
                let error = await #expect(throws: RESPError.self) {
                    try await redis.send(command: "NOSUCHCOMMAND", args: ["x"])
                }
                #expect(error?.code == "ERR")
                #expect(error?.message.contains("unknown command") == true)
                #expect(try await redis.send(command: "ECHO", args: ["still here"]).string == "still here")
            }
        }
    }

    @Test("hashes: HSET, HGET, HGETALL, HDEL, HINCRBY", arguments: protocols)
    func hashes(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let key = TestRedis.uniquePrefix() + "hash"
        try await withTimeout {
            try await withClient(try TestRedis.configuration(version)) { (redis) async throws in
                #expect(try await redis.hset(key, field: "name", value: "Widget") == 1)
                #expect(try await redis.hset(key, field: "name", value: "Gadget") == 0)
                #expect(try await redis.hset(key, fields: ["price": "1999", "currency": "USD"]) == 2)
                #expect(try await redis.hget(key, field: "name", as: String.self) == "Gadget")
                #expect(try await redis.hget(key, field: "missing") == nil)
                #expect(try await redis.hgetall(key, as: String.self) == ["name": "Gadget", "price": "1999", "currency": "USD"])
                #expect(try await redis.hgetall(key)["price"] == ByteBuffer(string: "1999"))
                #expect(try await redis.hincrby(key, field: "price", by: 1) == 2000)
                #expect(try await redis.hincrby(key, field: "stock", by: -3) == -3)
                #expect(try await redis.hdel(key, fields: "currency", "missing") == 1)
                #expect(try await redis.hgetall(key, as: String.self) == ["name": "Gadget", "price": "2000", "stock": "-3"])
                #expect(try await redis.hgetall(TestRedis.uniquePrefix() + "none").isEmpty)
            }
        }
    }

    @Test("sets: SADD, SREM, SMEMBERS, SISMEMBER", arguments: protocols)
    func sets(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let key = TestRedis.uniquePrefix() + "set"
        try await withTimeout {
            try await withClient(try TestRedis.configuration(version)) { (redis) async throws in
                #expect(try await redis.sadd(key, members: ["a", "b", "c", "a"]) == 3)
                #expect(try await redis.sadd(key, members: "c", "d") == 1)
                #expect(Set(try await redis.smembers(key, as: String.self)) == ["a", "b", "c", "d"])
                #expect(try await redis.sismember(key, member: "b"))
                #expect(try await redis.sismember(key, member: "z") == false)
                #expect(try await redis.srem(key, members: "b", "z") == 1)
                #expect(Set(try await redis.smembers(key, as: String.self)) == ["a", "c", "d"])
                #expect(try await redis.smembers(TestRedis.uniquePrefix() + "none").isEmpty)
            }
        }
    }

    @Test("sorted sets: ZADD, ZSCORE, ZRANGE, ZRANGEBYSCORE, ZINCRBY, ZREM", arguments: protocols)
    func sortedSets(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let key = TestRedis.uniquePrefix() + "zset"
        try await withTimeout {
            try await withClient(try TestRedis.configuration(version)) { (redis) async throws in
                let added = try await redis.zadd(
                    key,
                    members: [(member: "bronze", score: 1), (member: "silver", score: 2.5), (member: "gold", score: 10)]
                )
                #expect(added == 3)
                #expect(try await redis.zadd(key, member: "iron", score: -1) == true)
                #expect(try await redis.zadd(key, member: "iron", score: 0.5) == false)
                #expect(try await redis.zscore(key, member: "silver") == 2.5)
                #expect(try await redis.zscore(key, member: "iron") == 0.5)
                #expect(try await redis.zscore(key, member: "missing") == nil)

                #expect(try await redis.zrange(key, start: 0, stop: -1, as: String.self) == ["iron", "bronze", "silver", "gold"])
                #expect(try await redis.zrange(key, start: -2, stop: -1, as: String.self) == ["silver", "gold"])
                let withScores = try await redis.zrangeWithScores(key, start: 0, stop: 1, as: String.self)
                #expect(withScores.map(\.member) == ["iron", "bronze"])
                #expect(withScores.map(\.score) == [0.5, 1])

                #expect(
                    try await redis.zrangebyscore(key, min: .inclusive(1), max: .inclusive(10), as: String.self)
                        == ["bronze", "silver", "gold"]
                )
                #expect(
                    try await redis.zrangebyscore(key, min: .exclusive(1), max: .exclusive(10), as: String.self)
                        == ["silver"]
                )
                #expect(
                    try await redis.zrangebyscore(key, min: .negativeInfinity, max: .positiveInfinity, limit: (offset: 1, count: 2), as: String.self)
                        == ["bronze", "silver"]
                )
                let scored = try await redis.zrangebyscoreWithScores(key, min: .inclusive(2), max: .positiveInfinity)
                #expect(scored.map { String(buffer: $0.member) } == ["silver", "gold"])
                #expect(scored.map(\.score) == [2.5, 10])

                #expect(try await redis.zincrby(key, member: "bronze", by: 0.25) == 1.25)
                #expect(try await redis.zincrby(key, member: "new", by: -2) == -2)

                // NX never updates, XX never adds, CH counts updates.
                #expect(try await redis.zadd(key, members: [(member: "gold", score: 99)], condition: .ifNotExists) == 0)
                #expect(try await redis.zscore(key, member: "gold") == 10)
                #expect(try await redis.zadd(key, members: [(member: "platinum", score: 99)], condition: .ifExists) == 0)
                #expect(try await redis.zscore(key, member: "platinum") == nil)
                #expect(try await redis.zadd(key, members: [(member: "gold", score: 11), (member: "tin", score: 0)], returnChanged: true) == 2)

                #expect(try await redis.zrem(key, members: "new", "missing") == 1)
                #expect(try await redis.zrange(key, start: 0, stop: -1, as: String.self) == ["tin", "iron", "bronze", "silver", "gold"])
            }
        }
    }

    @Test("SCAN visits every key of a 2,000-key set exactly once", arguments: protocols)
    func scan(_ version: RedisConfiguration.ProtocolVersion) async throws {
        // A database of its own, so no other test grows or shrinks the key space meanwhile.
        let database = version == .resp3 ? 5 : 6
        let prefix = TestRedis.uniquePrefix()
        // About a second alone, but 50 to 60 s in the whole suite on two busy cores (its round
        // trips wait behind every other test's tasks): the bound catches a hang, not slowness.
        try await withTimeout(seconds: 180) {
            try await withClient(try TestRedis.configuration(version, database: database)) { (redis) async throws in
                let keys = (0..<2_000).map { "\(prefix)\($0)" }
                var commands: [RESPCommand] = []
                for key in keys {
                    commands.append(RESPCommand("SET", .string(key), "x"))
                }
                _ = try await redis.pipeline(commands)
                try await redis.set(TestRedis.uniquePrefix() + "other", "not matched")

                var seen: [String: Int] = [:]
                for try await key in redis.scan(match: prefix + "*", count: 100) {
                    seen[String(buffer: key), default: 0] += 1
                }
                #expect(seen.count == 2_000)
                #expect(Set(seen.keys) == Set(keys))
                #expect(seen.values.allSatisfy { $0 == 1 })

                // Keys are bytes and go straight back into commands.
                var deleted = 0
                for try await key in redis.scan(match: prefix + "*", count: 500) {
                    deleted += try await redis.del(key)
                }
                #expect(deleted == 2_000)
                var left = 0
                for try await _ in redis.scan(match: prefix + "*") { left += 1 }
                #expect(left == 0)
            }
        }
    }

    @Test("send(command:args:) reaches commands without a wrapper", arguments: protocols)
    func genericSend(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let key = TestRedis.uniquePrefix() + "list"
        try await withTimeout {
            try await withClient(try TestRedis.configuration(version)) { (redis) async throws in
                #expect(try await redis.send(command: "RPUSH", args: [.string(key), "a", "b", 3]).int == 3)
                let range = try await redis.send(command: "LRANGE", args: [.string(key), 0, -1])
                #expect(range.array?.compactMap(\.string) == ["a", "b", "3"])
            }
        }
    }
}
