import EmporiumTestSupport
import Foundation
import Kafka
import Logging
import Messaging
import Metrics
import NIOCore
import Synchronization
import Testing

/// The Kafka-protocol test broker that `scripts/services/kafka.sh` started
/// (`EMPORIUM_TEST_KAFKA_URL`, `EMPORIUM_TEST_KAFKA_CTL`, `EMPORIUM_TEST_KAFKA_PYTHON`).
enum KafkaBroker {
    private static let environment = ProcessInfo.processInfo.environment
    static var url: String? { environment["EMPORIUM_TEST_KAFKA_URL"] }
    static var ctl: String? { environment["EMPORIUM_TEST_KAFKA_CTL"] }
    static var python: String? { environment["EMPORIUM_TEST_KAFKA_PYTHON"] }
    static var isAvailable: Bool { url != nil }
    static let skipReason: Comment = "needs a Kafka broker: run scripts/test, or source scripts/services/kafka.sh && kafka_start DIR"

    /// The test broker's URL with retry limits short enough for failures to show in a test.
    static func testURL() throws -> String {
        "\(try #require(url))?retry_timeout_ms=30000&request_timeout_ms=10000"
    }

    /// A topic no other test uses, so a consumer group reads only this test's events.
    static func uniqueTopic(_ label: String) -> String {
        "test.events.\(label).\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Consumer group timings short enough for rebalances to finish quickly in tests.
    static let timing = KafkaTransport.ConsumerTiming(sessionTimeout: .seconds(6), heartbeatInterval: .milliseconds(500), rebalanceTimeout: .seconds(10))

    static func transport(
        topic: String, partitions: Int = 6, maxDeliveries: Int = 5, maxBatch: Int = 64, metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) throws -> KafkaTransport {
        try KafkaTransport(
            url: try testURL(), topic: topic, partitions: partitions, replicationFactor: 1, maxDeliveries: maxDeliveries, maxBatch: maxBatch,
            consumerTiming: timing, metrics: metrics, logger: quietLogger)
    }

    /// A client of our Kafka module for inspecting topics; closed after `body`.
    static func withClient<T: Sendable>(_ body: @Sendable (KafkaClient) async throws -> T) async throws -> T {
        let client = KafkaClient(configuration: try KafkaConfiguration(url: try testURL()), logger: quietLogger)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    /// Every record of `topic` (all partitions, from the start); empty when it does not exist.
    static func records(of topic: String) async throws -> [KafkaRecord] {
        try await withClient { client in
            guard let metadata = try? await client.topicMetadata(topic) else { return [] }
            var records: [KafkaRecord] = []
            for partition in metadata.partitions.map(\.partition) {
                var offset: Int64 = 0
                while true {
                    let fetched = try await client.fetch(topic: topic, partition: partition, offset: offset, maxWait: .milliseconds(10))
                    records += fetched.records
                    if fetched.records.isEmpty || fetched.nextOffset >= fetched.highWatermark { break }
                    offset = fetched.nextOffset
                }
            }
            return records
        }
    }

    /// Per partition of `topic`: the group's committed offset and the partition's end.
    static func commitState(topic: String, group: String) async throws -> [(committed: Int64, end: Int64)] {
        try await withClient { client in
            let partitions = try await client.topicMetadata(topic).partitions.map { KafkaTopicPartition(topic, $0.partition) }
            let ends = try await client.offsets(of: partitions, at: .latest)
            let reader = KafkaGroupConsumer(client: client, configuration: .init(groupId: group, topics: [topic]))
            let committed = try await reader.committedOffsets(partitions)
            return partitions.map { (committed[$0] ?? -1, ends[$0] ?? -1) }
        }
    }

    /// Whether every non-empty partition of `topic` has its end committed by `group`.
    static func fullyCommitted(topic: String, group: String) async throws -> Bool {
        try await commitState(topic: topic, group: group).allSatisfy { $0.end == 0 || $0.committed == $0.end }
    }

    /// Runs the ctl script (`stop`, `start`).
    static func control(_ command: String) async throws {
        let path = try #require(ctl, "EMPORIUM_TEST_KAFKA_CTL is not set")
        try await TestProcess.runDetached(path, [command])
    }

    /// Runs `python -c script arguments…` with the test venv's python; returns its output.
    static func runPython(_ script: String, _ arguments: [String]) async throws -> String {
        let python = try #require(python, "EMPORIUM_TEST_KAFKA_PYTHON is not set")
        return try await TestProcess.runDetached(python, ["-c", script] + arguments)
    }

    /// Whether the venv's python can import `module`.
    static func pythonHas(_ module: String) async -> Bool {
        (try? await runPython("import \(module)", [])) != nil
    }

    /// `host:port` of the test broker.
    static func address() throws -> String {
        String(try #require(url).dropFirst("kafka://".count))
    }
}

extension KafkaRecord {
    /// The header values by name (the last one of a name wins).
    var headerMap: [String: String] {
        headers.reduce(into: [:]) { $0[$1.key] = $1.value.map { String(buffer: $0) } }
    }
}

/// Values collected from any task (a reference, so escaping closures can share it).
final class Collected<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func add(_ value: Value) { values.withLock { $0.append(value) } }
    func add(contentsOf more: [Value]) { values.withLock { $0 += more } }
    var all: [Value] { values.withLock { $0 } }
}
