import AMQP
import EmporiumTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// Environment of the integration tests.
enum TestBroker {
    /// `EMPORIUM_TEST_AMQP_URL`, set by `scripts/services/rabbitmq.sh`.
    static var url: String? { ProcessInfo.processInfo.environment["EMPORIUM_TEST_AMQP_URL"] }
    /// `EMPORIUM_TEST_RABBITMQCTL`, a rabbitmqctl wrapper for the test broker.
    static var rabbitmqctl: String? { ProcessInfo.processInfo.environment["EMPORIUM_TEST_RABBITMQCTL"] }

    static var isAvailable: Bool { url != nil }
    static let skipReason: Comment = "needs a broker: source scripts/services/rabbitmq.sh && rabbitmq_start DIR (sets EMPORIUM_TEST_AMQP_URL)"

    static func configuration(
        reconnect: AMQPReconnectPolicy = .disabled,
        heartbeat: Duration = .seconds(60)
    ) throws -> AMQPConfiguration {
        var configuration = try AMQPConfiguration(url: try #require(url))
        configuration.reconnect = reconnect
        configuration.heartbeat = heartbeat
        configuration.operationTimeout = .seconds(15)
        configuration.connectionName = "emporium-amqp-tests"
        return configuration
    }

    static func connect(
        reconnect: AMQPReconnectPolicy = .disabled,
        heartbeat: Duration = .seconds(60)
    ) async throws -> AMQPConnection {
        let configuration = try configuration(reconnect: reconnect, heartbeat: heartbeat)
        return try await withTimeout("connect") {
            try await AMQPConnection.connect(configuration: configuration, logger: testLogger)
        }
    }

    /// Makes the broker close the connection whose `connection_name` is `name`
    /// (connection.close 320 CONNECTION_FORCED carrying `reason`).
    static func closeConnection(named name: String, reason: String) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let listing = try await ctl("list_connections", "--no-table-headers", "--silent", "pid", "client_properties")
            if let line = listing.split(separator: "\n").first(where: { $0.contains(name) }),
                let pid = line.split(separator: "\t").first
            {
                _ = try await ctl("close_connection", String(pid), reason)
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("the broker does not list a connection named \(name)")
    }

    /// Runs the broker's rabbitmqctl with `arguments` and returns its output.
    static func ctl(_ arguments: String...) async throws -> String {
        let path = try #require(rabbitmqctl, "EMPORIUM_TEST_RABBITMQCTL is not set")
        return try await withTimeout("rabbitmqctl \(arguments.joined(separator: " "))", .seconds(120)) {
            try await TestProcess.runDetached(path, arguments, mergingErrors: true)
        }
    }
}

let testLogger: Logger = {
    var logger = Logger(label: "amqp-tests")
    logger.logLevel = ProcessInfo.processInfo.environment["AMQP_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
    return logger
}()

/// A name no other test uses, so tests can run in parallel on one broker.
func uniqueName(_ prefix: String) -> String {
    "test.\(prefix).\(UInt64.random(in: 0...UInt64.max))"
}

/// Runs a broker test body: in parallel with other broker tests, and with a connection
/// that is closed afterwards.
func withBroker<T: Sendable>(
    reconnect: AMQPReconnectPolicy = .disabled,
    _ body: @escaping @Sendable (AMQPConnection) async throws -> T
) async throws -> T {
    try await BrokerGate.shared.shared {
        let connection = try await TestBroker.connect(reconnect: reconnect)
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }
}

/// Reads the next delivery, failing after `limit` or when the consumer ends.
func nextDelivery(
    _ iterator: inout AMQPConsumer.AsyncIterator,
    _ what: String = "next delivery",
    limit: Duration = .seconds(20)
) async throws -> AMQPDelivery {
    let delivery = try await nextOrEnd(&iterator, what, limit: limit)
    return try #require(delivery, "consumer ended while waiting for \(what)")
}

/// Reads the next delivery or nil when the consumer ended, failing after `limit`.
func nextOrEnd(
    _ iterator: inout AMQPConsumer.AsyncIterator,
    _ what: String = "next delivery",
    limit: Duration = .seconds(20)
) async throws -> AMQPDelivery? {
    let box = IteratorBox(iterator)
    let delivery = try await withTimeout(what, limit) { try await box.next() }
    iterator = box.take()
    return delivery
}

/// Moves an iterator into a `@Sendable` closure and back (used by one task at a time).
final class IteratorBox: @unchecked Sendable {
    // Safe: the box is used by one test task at a time (handed to the timeout wrapper and
    // read back after it returns); it never has concurrent users.
    private var iterator: AMQPConsumer.AsyncIterator
    init(_ iterator: AMQPConsumer.AsyncIterator) { self.iterator = iterator }
    func next() async throws -> AMQPDelivery? { try await iterator.next() }
    func take() -> AMQPConsumer.AsyncIterator { iterator }
}
