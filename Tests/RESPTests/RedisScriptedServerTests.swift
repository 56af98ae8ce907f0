import NIOCore
import RESP
import Synchronization
import Testing

/// Client behaviour against a scripted stand-in server: no Redis needed.
@Suite("Client against a scripted server")
struct RedisScriptedServerTests {
    @Test("a server without HELLO gets RESP2 with AUTH and SELECT")
    func helloFallback() async throws {
        let server = try await ScriptedRedisServer.start { command in
            switch command.first {
            case "HELLO": return .values([.error(RESPError(line: "ERR unknown command 'HELLO'"))])
            case "AUTH", "SELECT": return .values([.simpleString("OK")])
            case "HGETALL": return .values([.array([.bulkString("field"), .bulkString("value")])])
            default: return .values([.simpleString("PONG")])
            }
        }
        var configuration = server.configuration()
        configuration.username = "app"
        configuration.password = "secret"
        configuration.database = 2
        try await withTimeout { [configuration] in
            let connection = try await RedisConnection.connect(configuration: configuration)
            #expect(connection.protocolVersion == .resp2)
            // A RESP2 map reply (a flat array) still reads as a dictionary.
            #expect(try await connection.hgetall("h", as: String.self) == ["field": "value"])
            await connection.close()
        }
        #expect(
            server.commands == [
                ["HELLO", "3", "AUTH", "app", "secret"], ["AUTH", "app", "secret"], ["SELECT", "2"], ["HGETALL", "h"],
            ]
        )
        await server.stop()
    }

    @Test("a rejected AUTH in RESP2 is authenticationFailed")
    func resp2AuthRejected() async throws {
        let server = try await ScriptedRedisServer.start { command in
            command.first == "AUTH"
                ? .values([.error(RESPError(line: "ERR invalid password"))]) : .values([.simpleString("OK")])
        }
        var configuration = server.configuration()
        configuration.password = "wrong"
        configuration.protocolVersion = .resp2
        try await withTimeout { [configuration] in
            await #expect(throws: RedisClientError.authenticationFailed(RESPError(code: "ERR", message: "invalid password"))) {
                try await RedisConnection.connect(configuration: configuration)
            }
        }
        await server.stop()
    }

    @Test("push messages between replies are skipped, not taken as replies")
    func pushMessagesIgnored() async throws {
        let server = try await ScriptedRedisServer.start { command in
            switch command.first {
            case "HELLO": return .values([.map([])])
            case "GET":
                return .values([.push([.bulkString("invalidate"), .array([.bulkString("k")])]), .bulkString("v-\(command[1])")])
            default: return .values([.simpleString("OK")])
            }
        }
        try await withTimeout {
            try await withClient(server.configuration()) { (redis) async throws in
                #expect(try await redis.get("a", as: String.self) == "v-a")
                #expect(try await redis.get("b", as: String.self) == "v-b")
            }
        }
        await server.stop()
    }

    @Test("a silent server: the late command times out and the commands behind it fail with connectionClosed")
    func silentServer() async throws {
        // Like a blocked Redis: once SLOW arrives, nothing more is answered.
        let blocked = Mutex(false)
        let server = try await ScriptedRedisServer.start { command in
            if command.first == "SLOW" { blocked.withLock { $0 = true } }
            if blocked.withLock({ $0 }) { return .silence }
            return command.first == "HELLO" ? .values([.map([])]) : .values([.simpleString("PONG")])
        }
        try await withTimeout {
            let connection = try await RedisConnection.connect(configuration: server.configuration())
            async let slow = Result { try await connection.send(RESPCommand("SLOW"), timeout: .milliseconds(200)) }
            // Wait until SLOW is on the wire, then queue a command behind it with a long timeout.
            _ = await poll { server.commands.contains(["SLOW"]) ? true : nil }
            async let behind = Result { try await connection.send(RESPCommand("PING"), timeout: .seconds(30)) }
            let (slowResult, behindResult) = await (slow, behind)
            let slowError = #expect(throws: RedisClientError.self) { try slowResult.get() }
            #expect(slowError == .commandTimeout(command: "SLOW", timeout: .milliseconds(200)))
            #expect(throws: RedisClientError.connectionClosed) { try behindResult.get() }
            #expect(connection.isOpen == false)
            await #expect(throws: RedisClientError.connectionClosed) { try await connection.ping() }
        }
        await server.stop()
    }

    @Test("bytes that are not RESP close the connection with a protocol error")
    func garbage() async throws {
        let server = try await ScriptedRedisServer.start { command in
            command.first == "HELLO" ? .values([.map([])]) : .bytes(Array("?garbage\r\n".utf8))
        }
        try await withTimeout {
            let connection = try await RedisConnection.connect(configuration: server.configuration())
            let error = await #expect(throws: RedisClientError.self) { try await connection.ping() }
            #expect(error == .protocolError("unknown type byte 0x3f"))
            let closed = await poll { connection.isOpen ? nil : true }
            #expect(closed == true)
        }
        await server.stop()
    }
}

extension Result where Failure == any Error {
    /// Captures the outcome of an async throwing call.
    init(_ body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
