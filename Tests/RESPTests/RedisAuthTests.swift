import RESP
import Testing

@Suite(
    "Authentication",
    .enabled(
        if: TestRedis.isAuthAvailable,
        "needs a password-protected Redis: source scripts/services/redis.sh && redis_start \"$(mktemp -d)\""
    )
)
struct RedisAuthTests {
    /// The password-protected server's configuration with other credentials.
    private func configuration(
        username: String?,
        password: String?,
        _ version: RedisConfiguration.ProtocolVersion
    ) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: try #require(TestRedis.authURL))
        configuration.username = username
        configuration.password = password
        configuration.protocolVersion = version
        return configuration
    }

    @Test("the password from the URL is accepted", arguments: RedisCommandTests.protocols)
    func password(_ version: RedisConfiguration.ProtocolVersion) async throws {
        var configuration = try RedisConfiguration(url: try #require(TestRedis.authURL))
        configuration.protocolVersion = version
        #expect(configuration.password != nil)
        try await withTimeout { [configuration] in
            try await withClient(configuration) { (redis) async throws in
                #expect(try await redis.ping() == "PONG")
                #expect(try await redis.send(command: "ACL", args: ["WHOAMI"]).string == "default")
            }
        }
    }

    @Test("an ACL user and database from the URL", arguments: RedisCommandTests.protocols)
    func aclUser(_ version: RedisConfiguration.ProtocolVersion) async throws {
        var configuration = try RedisConfiguration(url: try #require(TestRedis.aclURL) + "/2")
        configuration.protocolVersion = version
        let user = try #require(configuration.username)
        let key = TestRedis.uniquePrefix() + "acl"
        try await withTimeout { [configuration] in
            try await withClient(configuration) { (redis) async throws in
                #expect(try await redis.send(command: "ACL", args: ["WHOAMI"]).string == user)
                let info = try await redis.send(command: "CLIENT", args: ["INFO"]).string ?? ""
                #expect(info.contains(" db=2 "))
                #expect(try await redis.set(key, "v"))
                #expect(try await redis.del(key) == 1)
            }
        }
    }

    @Test("a wrong password fails at connect with authenticationFailed", arguments: RedisCommandTests.protocols)
    func wrongPassword(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let configuration = try configuration(username: nil, password: "not-the-password", version)
        try await withTimeout {
            let error = await #expect(throws: RedisClientError.self) {
                try await RedisConnection.connect(configuration: configuration)
            }
            guard case .authenticationFailed(let serverError) = error else {
                Issue.record("expected authenticationFailed, got \(String(describing: error))")
                return
            }
            #expect(serverError.code == RESPError.wrongPassCode)

            // Through a client: the same error, and no connection is left behind.
            try await withClient(configuration) { (redis) async throws in
                let clientError = await #expect(throws: RedisClientError.self) { try await redis.ping() }
                #expect(clientError == error)
                #expect(redis.poolStatistics.open == 0)
            }
        }
    }

    @Test("a wrong ACL user name fails with authenticationFailed", arguments: RedisCommandTests.protocols)
    func wrongUser(_ version: RedisConfiguration.ProtocolVersion) async throws {
        let acl = try RedisConfiguration(url: try #require(TestRedis.aclURL))
        let configuration = try configuration(username: "nobody", password: acl.password, version)
        try await withTimeout {
            let error = await #expect(throws: RedisClientError.self) {
                try await RedisConnection.connect(configuration: configuration)
            }
            #expect(error == .authenticationFailed(RESPError(line: "WRONGPASS invalid username-password pair or user is disabled.")))
        }
    }

    @Test("no password on a protected server: RESP3 fails at connect, RESP2 on the first command")
    func missingPassword() async throws {
        try await withTimeout {
            let resp3 = try configuration(username: nil, password: nil, .resp3)
            let error = await #expect(throws: RedisClientError.self) {
                try await RedisConnection.connect(configuration: resp3)
            }
            guard case .authenticationFailed(let serverError) = error else {
                Issue.record("expected authenticationFailed, got \(String(describing: error))")
                return
            }
            #expect(serverError.code == RESPError.noAuthCode)

            // RESP2 has no handshake to fail, so the server's NOAUTH comes with the first command.
            let resp2 = try configuration(username: nil, password: nil, .resp2)
            try await withClient(resp2) { (redis) async throws in
                let commandError = await #expect(throws: RESPError.self) { try await redis.ping() }
                #expect(commandError?.code == RESPError.noAuthCode)
            }
        }
    }
}
