import EmporiumTestSupport
import Caching
import Logging
import Foundation
import RESP
import Synchronization
import Testing

/// The Redis servers `scripts/services/redis.sh` starts, found through the environment.
enum TestRedisServers {
    private static let environment = ProcessInfo.processInfo.environment

    /// The main server, shared by every test (each uses its own namespace).
    static let url = environment["EMPORIUM_TEST_REDIS_URL"]
    /// A server only restart tests use, and the script that restarts it (taking a delay in s).
    static let restartURL = environment["EMPORIUM_TEST_REDIS_RESTART_URL"]
    static let restartScript = environment["EMPORIUM_TEST_REDIS_RESTART"]

    static var isAvailable: Bool { url != nil }
    static var isRestartAvailable: Bool { restartURL != nil && restartScript != nil }

    static let reason: Comment = "needs Redis: source scripts/services/redis.sh && redis_start \"$(mktemp -d)\""

    /// A namespace no other test or run uses.
    static func uniqueNamespace(_ name: String = #function) -> String {
        "test:caching:\(name.prefix(while: { $0 != "(" })):\(UUID().uuidString.prefix(8))"
    }

    /// Runs `body` with a client of `url`, closing it afterwards whatever happens.
    static func withClient<Result: Sendable>(
        _ url: String?,
        configure: (inout RedisConfiguration) -> Void = { _ in },
        _ body: (RedisClient) async throws -> Result
    ) async throws -> Result {
        var configuration = try RedisConfiguration(url: try #require(url))
        configure(&configuration)
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
}

/// A clock a test moves by hand.
final class ManualTime: Sendable {
    private let offset = Mutex<Duration>(.zero)
    private let origin = ContinuousClock.now

    /// A time source reading this clock.
    var source: TimeSource { TimeSource { [self] in self.now } }

    func advance(by duration: Duration) {
        offset.withLock { $0 += duration }
    }

    var now: ContinuousClock.Instant { origin.advanced(by: offset.withLock { $0 }) }
}

/// Counts calls from many tasks.
final class CallCounter: Sendable {
    private let value = Atomic<Int>(0)

    @discardableResult
    func increment() -> Int { value.wrappingAdd(1, ordering: .relaxed).newValue }

    var count: Int { value.load(ordering: .relaxed) }
}

/// Runs `operation`, failing the test when it has not finished after `seconds`, even if it
/// ignores cancellation (the shared `EmporiumTestSupport.withTimeout`).
func withTimeout<Result: Sendable>(
    seconds: Int,
    _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await EmporiumTestSupport.withTimeout("test", .seconds(seconds), operation)
}

/// Retries `attempt` until it returns a value, at most `times` times with `pause` in between.
func poll<Value: Sendable>(
    times: Int = 400,
    pause: Duration = .milliseconds(25),
    _ attempt: () async throws -> Value?
) async rethrows -> Value? {
    for _ in 0..<times {
        if let value = try await attempt() { return value }
        try? await Task.sleep(for: pause)
    }
    return nil
}

extension Logger {
    /// A logger for tests: errors only, so expected L2 failures do not flood the output.
    static let quiet: Logger = {
        var logger = Logger(label: "test.cache")
        logger.logLevel = .error
        return logger
    }()
}
