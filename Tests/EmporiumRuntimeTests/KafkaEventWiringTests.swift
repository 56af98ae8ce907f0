import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Kafka
import Messaging
import NIOCore
import Testing
import Storage

/// The platform with `broker.url=kafka://…`: configuration, readiness, and a catalog write
/// reaching the events topic.
@Suite("Platform events through Kafka")
struct KafkaEventWiringTests {
    static let kafkaURL = ProcessInfo.processInfo.environment["EMPORIUM_TEST_KAFKA_URL"]

    static func settings(_ flags: [String: String]) async throws -> RuntimeSettings {
        let config = try await ConfigurationLoader.reader(flags: flags, environment: [:], file: nil)
        return try RuntimeSettings(config: config, serviceNames: ["catalog"])
    }

    @Test("broker.url accepts kafka:// with several brokers; broker.partitions defaults to 6 and is validated; other schemes are refused naming both")
    func configuration() async throws {
        let kafka = try await Self.settings(["broker.url": "kafka://k1:9092,k2:9093"])
        #expect(kafka.brokerURL == "kafka://k1:9092,k2:9093")
        #expect(kafka.brokerPartitions == 6)
        #expect(try await Self.settings(["broker.url": "kafka://k1:9092", "broker.partitions": "12"]).brokerPartitions == 12)
        await #expect(throws: ConfigurationError.self) { try await Self.settings(["broker.partitions": "0"]) }
        let error = await #expect(throws: ConfigurationError.self) { try await Self.settings(["broker.url": "nats://n:4222"]) }
        #expect(error?.key == "broker.url")
        #expect(error.map { "\($0)" }?.contains("kafka://host:port") == true)
        #expect(error.map { "\($0)" }?.contains("amqp://") == true)
    }

    @Test("an unreachable Kafka broker: readiness is 503 naming it; writes succeed and their events wait in the outbox")
    func unreachableKafka() async throws {
        try await TestPlatform.withClient(.sqlite, extra: ["broker.url": "kafka://127.0.0.1:1"]) { client, platform throws in
            var broker: [String: Any]?
            for _ in 0..<200 {
                broker = try await client.execute(uri: "/health/ready", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    return (response.json["checks"] as? [String: [String: Any]])?["broker"]
                }
                if (broker?["error"] as? String)?.contains("not connected yet") == false { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(broker?["status"] as? String == "down")
            #expect((broker?["error"] as? String)?.contains("kafka://127.0.0.1:1") == true, "\(String(describing: broker))")
            let id = try await EventWiringTests.createProduct(client)
            try await Task.sleep(for: .milliseconds(300))
            let rows = try await EventWiringTests.outbox(platform, subject: id)
            #expect(rows.map(\.subject) == [id])
            #expect(rows.filter(\.sent).isEmpty)
        }
    }

    @Test("with Kafka: readiness reports the broker up and a created product's event reaches emporium.events in the binding's format",
          .enabled(if: kafkaURL != nil, "needs the Kafka test broker (EMPORIUM_TEST_KAFKA_URL)"))
    func catalogPublishesThroughKafka() async throws {
        let url = try #require(Self.kafkaURL)
        try await BrokerGate.kafka.shared {
            try await TestPlatform.withClient(.sqlite, extra: ["broker.url": url, "broker.partitions": "3"]) { client, _ throws in
                var status: HTTPResponse.Status = .serviceUnavailable
                for _ in 0..<400 where status != .ok {
                    status = try await client.execute(uri: "/health/ready", method: .get) { $0.status }
                    if status != .ok { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(status == .ok)
                let id = try await EventWiringTests.createProduct(client)
                let kafka = KafkaClient(configuration: try KafkaConfiguration(url: url))
                defer { Task { await kafka.close() } }
                var found: KafkaRecord?
                for _ in 0..<200 where found == nil {
                    let partitions = try await kafka.topicMetadata(KafkaTransport.defaultTopic).partitions.map(\.partition)
                    for partition in partitions where found == nil {
                        var offset: Int64 = 0
                        while found == nil {
                            let fetched = try await kafka.fetch(topic: KafkaTransport.defaultTopic, partition: partition, offset: offset, maxWait: .milliseconds(10))
                            found = fetched.records.first { $0.header("ce_subject") == id && $0.header("ce_type") == "catalog.product.created" }
                            if fetched.records.isEmpty || fetched.nextOffset >= fetched.highWatermark { break }
                            offset = fetched.nextOffset
                        }
                    }
                    if found == nil { try await Task.sleep(for: .milliseconds(100)) }
                }
                let record = try #require(found, "the ProductCreated event reached \(KafkaTransport.defaultTopic)")
                #expect(record.keyString == id)
                #expect(record.header("ce_source") == "/emporium/catalog")
                #expect(record.header("ce_specversion") == "1.0")
                #expect(record.header("content-type") == "application/json")
                let data = try JSONDecoder().decode(JSONValue.self, from: Data((record.valueString ?? "").utf8))
                #expect(data["name"] == .string("Trail Runner"))
            }
        }
    }
}
