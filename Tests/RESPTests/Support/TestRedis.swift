import Foundation
import RESP
import Synchronization
import Testing

/// The test servers started by `scripts/services/redis.sh`, found through the environment.
enum TestRedis {
    private static let environment = ProcessInfo.processInfo.environment

    /// The main server, shared by all tests (each uses its own key prefix).
    static let url = environment["EMPORIUM_TEST_REDIS_URL"]
    /// The server with `--requirepass`, as `redis://:PASSWORD@HOST:PORT`.
    static let authURL = environment["EMPORIUM_TEST_REDIS_AUTH_URL"]
    /// An ACL user on the password-protected server.
    static let aclURL = environment["EMPORIUM_TEST_REDIS_ACL_URL"]
    /// The server that only the restart test uses.
    static let restartURL = environment["EMPORIUM_TEST_REDIS_RESTART_URL"]
    /// The script that restarts it, taking a delay in seconds.
    static let restartScript = environment["EMPORIUM_TEST_REDIS_RESTART"]

    static var isAvailable: Bool { url != nil }
    static var isAuthAvailable: Bool { authURL != nil && aclURL != nil }
    static var isRestartAvailable: Bool { restartURL != nil && restartScript != nil }

    static let reason: Comment =
        "needs a Redis server: source scripts/services/redis.sh && redis_start \"$(mktemp -d)\""

    /// The main server's configuration, with the given protocol and database.
    static func configuration(
        _ protocolVersion: RedisConfiguration.ProtocolVersion = .resp3,
        database: Int = 0
    ) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: try #require(url))
        configuration.protocolVersion = protocolVersion
        configuration.database = database
        return configuration
    }

    /// A prefix no other test (or other run) uses, so tests can run in parallel on one server.
    static func uniquePrefix(_ name: String = #function) -> String {
        let letters = name.prefix(while: { $0 != "(" })
        return "test:\(letters):\(UUID().uuidString.prefix(8)):"
    }
}

/// Runs `body` with a client and closes the client afterwards, whatever happens.
@discardableResult
func withClient<Result: Sendable>(
    _ configuration: RedisConfiguration,
    _ body: @Sendable (RedisClient) async throws -> Result
) async throws -> Result {
    let client = RedisClient(configuration: configuration)
    do {
        let result = try await body(client)
        await client.close()
        return result
    } catch {
        await client.close()
        throw error
    }
}

struct TestTimedOut: Error, CustomStringConvertible {
    var seconds: Int
    var description: String { "the test did not finish within \(seconds) s (hang?)" }
}

/// Runs `operation`, failing with ``TestTimedOut`` if it has not finished within `seconds`, even
/// if it ignores cancellation, so a hang fails the test instead of stalling the run.
@discardableResult
func withTimeout<Result: Sendable>(
    seconds: Int = 60,
    _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let race = TimeoutRace<Result>()
    return try await withCheckedThrowingContinuation { continuation in
        race.continuation.withLock { $0 = continuation }
        let work = Task {
            let result: Swift.Result<Result, any Error>
            do {
                result = .success(try await operation())
            } catch {
                result = .failure(error)
            }
            race.continuation.withLock { $0.take() }?.resume(with: result)
            race.timer.withLock { $0?.cancel() }
        }
        let timer = Task {
            try? await Task.sleep(for: .seconds(seconds))
            if !Task.isCancelled, let pending = race.continuation.withLock({ $0.take() }) {
                work.cancel()
                pending.resume(throwing: TestTimedOut(seconds: seconds))
            }
        }
        race.timer.withLock { $0 = timer }
    }
}

/// The shared state of ``withTimeout(seconds:_:)``: whoever finishes first resumes.
private final class TimeoutRace<Result: Sendable>: Sendable {
    let continuation = Mutex<CheckedContinuation<Result, any Error>?>(nil)
    let timer = Mutex<Task<Void, Never>?>(nil)
}

/// Retries `attempt` until it returns a value, at most `times` times with `pause` in between.
func poll<Value: Sendable>(
    times: Int = 200,
    pause: Duration = .milliseconds(50),
    _ attempt: @Sendable () async -> Value?
) async -> Value? {
    for _ in 0..<times {
        if let value = await attempt() { return value }
        try? await Task.sleep(for: pause)
    }
    return nil
}

extension RedisCommandSender {
    /// The `CLIENT LIST` lines of connections named `name`.
    func clients(named name: String) async throws -> [String] {
        let list = try await self.send(command: "CLIENT", args: ["LIST"]).string ?? ""
        return list.split(separator: "\n").map(String.init).filter { $0.contains(" name=\(name) ") }
    }
}
