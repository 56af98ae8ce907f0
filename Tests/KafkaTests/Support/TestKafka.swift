import EmporiumTestSupport
import Foundation
import Kafka
import Logging
import Synchronization
import Testing

/// The test broker started by `scripts/services/kafka.sh`, found through the environment.
enum TestKafka {
    private static let environment = ProcessInfo.processInfo.environment

    /// `EMPORIUM_TEST_KAFKA_URL`: `kafka://127.0.0.1:PORT`.
    static let url = environment["EMPORIUM_TEST_KAFKA_URL"]
    /// `EMPORIUM_TEST_KAFKA_CTL`: a script taking the broker away (`stop`) and back (`start`).
    static let ctl = environment["EMPORIUM_TEST_KAFKA_CTL"]
    /// `EMPORIUM_TEST_KAFKA_PYTHON`: a python with kafka-python, for the interop test.
    static let python = environment["EMPORIUM_TEST_KAFKA_PYTHON"]

    static var isAvailable: Bool { url != nil }
    static var isRestartAvailable: Bool { url != nil && ctl != nil }

    static let reason: Comment =
        "needs a Kafka broker: source scripts/services/kafka.sh && kafka_start \"$(mktemp -d)\" (sets EMPORIUM_TEST_KAFKA_URL)"

    /// The test broker's configuration, with short retry limits so that failures show quickly.
    static func configuration(retryTimeout: Duration = .seconds(20)) throws -> KafkaConfiguration {
        var configuration = try KafkaConfiguration(url: try #require(url))
        configuration.clientId = "emporium-kafka-tests"
        configuration.requestTimeout = .seconds(15)
        configuration.retryTimeout = retryTimeout
        configuration.backoff = KafkaBackoff(initialDelay: .milliseconds(50), maxDelay: .milliseconds(500))
        return configuration
    }

    /// The broker's address.
    static func address() throws -> KafkaBrokerAddress {
        try #require(try configuration().bootstrapServers.first)
    }

    /// A topic name no other test (or run) uses.
    static func uniqueTopic(_ name: String = #function) -> String {
        let letters = name.prefix(while: { $0 != "(" })
        return "test-\(letters)-\(UUID().uuidString.prefix(8))"
    }

    /// Runs the ctl script with `arguments`.
    static func control(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(ctl))
        process.arguments = arguments
        try TestProcess.launch(process)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "kafka-ctl \(arguments) failed")
    }
}

let testLogger: Logger = {
    var logger = Logger(label: "kafka-tests")
    logger.logLevel = ProcessInfo.processInfo.environment["KAFKA_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
    return logger
}()

/// Runs `body` with a client and closes the client afterwards, whatever happens.
@discardableResult
func withClient<Result: Sendable>(
    _ configuration: KafkaConfiguration? = nil,
    _ body: @Sendable (KafkaClient) async throws -> Result
) async throws -> Result {
    let client = KafkaClient(configuration: try configuration ?? TestKafka.configuration(), logger: testLogger)
    do {
        let result = try await body(client)
        await client.close()
        return result
    } catch {
        await client.close()
        throw error
    }
}

/// Runs `operation`, failing the test if it has not finished within `seconds` (even when it
/// ignores cancellation), so a hang fails the test instead of stalling the run.
///
/// The test broker is shared with every other test of the process (the Messaging tests'
/// transport among them): the clock starts once ``BrokerGate/kafka`` lets the test in, shared,
/// or alone with `exclusive` for a test that stops the broker.
@discardableResult
func withTimeout<Result: Sendable>(
    seconds: Int = 60,
    exclusive: Bool = false,
    _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let limit = Duration.seconds(seconds)
    return exclusive
        ? try await BrokerGate.kafka.exclusive(limit: limit, operation)
        : try await BrokerGate.kafka.shared(limit: limit, operation)
}
