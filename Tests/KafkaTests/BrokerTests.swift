@testable import Kafka
import NIOCore
import Testing

/// Every test against the real broker, one at a time: the outage test takes the broker away,
/// which would fail whatever ran beside it.
@Suite("Kafka broker", .serialized, .enabled(if: TestKafka.isAvailable, TestKafka.reason))
struct BrokerTests {}

extension BrokerTests {
    @Suite("Connection and metadata")
    struct ConnectionTests {
        @Test("ApiVersions: each API uses the highest version both sides support")
        func negotiation() async throws {
            try await withTimeout {
                let address = try TestKafka.address()
                let connection = try await KafkaBrokerConnection.connect(host: address.host, port: address.port, logger: testLogger)
                defer { Task { await connection.close() } }
                for api in KafkaAPI.all {
                    let theirs = try #require(connection.versions.brokerRanges[api.key], "broker does not list \(api)")
                    #expect(try connection.version(of: api) == min(theirs.upperBound, api.versions.upperBound), "\(api)")
                }
            }
        }

        @Test("many requests pipelined on one connection all get their own responses")
        func pipelining() async throws {
            try await withTimeout {
                try await withClient { client in
                    let topic = TestKafka.uniqueTopic()
                    try await client.createTopic(topic, partitions: 2, replicationFactor: 1)
                    let connection = try await client.leaderConnection(for: KafkaTopicPartition(topic, 0))
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for index in 0..<60 {
                            group.addTask {
                                if index % 2 == 0 {
                                    let answer = try await connection.send(MetadataRequest(topics: [topic], allowAutoTopicCreation: false))
                                    #expect(answer.topics.first?.partitions.count == 2)
                                } else {
                                    let answer = try await connection.send(ListOffsetsRequest(topics: [(topic, [(Int32(index % 2), ListOffsetsRequest.latest)])]))
                                    #expect(answer.first?.offset == 0)
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                }
            }
        }

        @Test("an unreachable broker fails at once with a typed error naming host:port")
        func unreachable() async throws {
            try await withTimeout {
                let configuration = KafkaConfiguration(bootstrapServers: [KafkaBrokerAddress(host: "127.0.0.1", port: 1)], retryTimeout: .seconds(1))
                let client = KafkaClient(configuration: configuration, logger: testLogger)
                let error = await #expect(throws: KafkaError.self) { try await client.connect() }
                #expect(error == .brokerUnreachable(broker: "127.0.0.1:1", reason: "connection refused"))
                #expect(error?.description == "cannot reach Kafka broker at 127.0.0.1:1: connection refused")
                #expect(error?.isRetriable == true)
                await client.close()
            }
        }

        @Test("bootstrap from several addresses: a dead one is skipped")
        func severalBootstrapServers() async throws {
            try await withTimeout {
                var configuration = try TestKafka.configuration()
                configuration.bootstrapServers.insert(KafkaBrokerAddress(host: "127.0.0.1", port: 1), at: 0)
                try await withClient(configuration) { client in
                    let metadata = try await client.metadata(topics: [])
                    #expect(!metadata.brokers.isEmpty)
                }
                configuration.bootstrapServers = [KafkaBrokerAddress(host: "127.0.0.1", port: 1), KafkaBrokerAddress(host: "127.0.0.1", port: 2)]
                let client = KafkaClient(configuration: configuration, logger: testLogger)
                let error = await #expect(throws: KafkaError.self) { try await client.connect() }
                guard case .brokerUnreachable(let broker, let reason) = error else { return }
                #expect(broker == "127.0.0.1:1, 127.0.0.1:2")
                #expect(reason.contains("127.0.0.1:2: connection refused"))
                await client.close()
            }
        }

        @Test("CreateTopics: partitions and leaders appear in the metadata; a second create is TOPIC_ALREADY_EXISTS")
        func createTopic() async throws {
            try await withTimeout {
                try await withClient { client in
                    let topic = TestKafka.uniqueTopic()
                    try await client.createTopic(topic, partitions: 3, replicationFactor: 1)
                    let metadata = try await client.metadata(topics: [topic])
                    let described = try #require(metadata.topics[topic])
                    #expect(described.partitions.map(\.partition) == [0, 1, 2])
                    #expect(described.partitions.allSatisfy { metadata.brokers[$0.leader] != nil })
                    let again = await #expect(throws: KafkaError.self) {
                        try await client.createTopic(topic, partitions: 3, replicationFactor: 1)
                    }
                    #expect(again?.code == .topicAlreadyExists)
                    try await client.createTopic(topic, partitions: 3, replicationFactor: 1, ifNotExists: true)

                    let missing = TestKafka.uniqueTopic()
                    let unknown = await #expect(throws: KafkaError.self) { try await client.topicMetadata(missing) }
                    #expect(unknown?.code == .unknownTopicOrPartition)
                }
            }
        }

        @Test("metadata refresh: a stale leader (broker gone) is looked up again and the send succeeds")
        func staleLeader() async throws {
            try await withTimeout {
                try await withClient { client in
                    let topic = TestKafka.uniqueTopic()
                    try await client.createTopic(topic, partitions: 1, replicationFactor: 1)
                    let partition = KafkaTopicPartition(topic, 0)
                    _ = try await client.topicMetadata(topic)
                    await client.overrideCachedLeader(of: partition, nodeId: 999, address: KafkaBrokerAddress(host: "127.0.0.1", port: 1))
                    #expect(try await client.leader(of: partition) == 999)
                    let producer = KafkaProducer(client: client)
                    let written = try await producer.send(KafkaProducerRecord(key: "k", value: "v", partition: 0), to: topic)
                    #expect(written.offset == 0)
                    #expect(try await client.leader(of: partition) != 999)
                }
            }
        }

        @Test("metadata refresh: producing to a topic that appears meanwhile retries UNKNOWN_TOPIC_OR_PARTITION until it exists")
        func topicAppears() async throws {
            try await withTimeout {
                try await withClient { client in
                    let topic = TestKafka.uniqueTopic()
                    let producer = KafkaProducer(client: client)
                    async let written = producer.send(KafkaProducerRecord(key: "k", value: "late"), to: topic)
                    try await Task.sleep(for: .milliseconds(700))
                    try await client.createTopic(topic, partitions: 1, replicationFactor: 1)
                    #expect(try await written.offset == 0)
                }
            }
        }
    }
}
