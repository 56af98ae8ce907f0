@testable import Kafka
import NIOCore
import Testing

extension BrokerTests {
    @Suite("Outage", .enabled(if: TestKafka.isRestartAvailable, "needs EMPORIUM_TEST_KAFKA_CTL from scripts/services/kafka.sh"))
    struct OutageTests {
        @Test("the broker stops mid-run: sends fail with typed errors or wait, the client reconnects when it is back, nothing is lost or doubled")
        func brokerRestart() async throws {
            try await withTimeout(seconds: 150, exclusive: true) {
                var configuration = try TestKafka.configuration(retryTimeout: .seconds(40))
                configuration.requestTimeout = .seconds(5)
                try await withClient(configuration) { client in
                    let topic = TestKafka.uniqueTopic()
                    try await client.createTopic(topic, partitions: 1, replicationFactor: 1)
                    let producer = KafkaProducer(client: client)
                    try await producer.send(KafkaProducerRecord(key: "k", value: "before"), to: topic)

                    try TestKafka.control("stop")
                    // While down: a client that does not retry sees a typed connection error.
                    var impatient = try TestKafka.configuration(retryTimeout: .milliseconds(300))
                    impatient.connectTimeout = .seconds(2)
                    let impatientClient = KafkaClient(configuration: impatient, logger: testLogger)
                    let whileDown = await #expect(throws: KafkaError.self) {
                        _ = try await impatientClient.metadata(topics: [topic])
                    }
                    #expect(whileDown.map { error in
                        if case .retriesExhausted(_, _, let last) = error { return last.contains("127.0.0.1") }
                        return error.isRetriable
                    } == true, "\(String(describing: whileDown))")
                    await impatientClient.close()

                    // A send started while the broker is down completes once it is back.
                    async let during = producer.send(KafkaProducerRecord(key: "k", value: "during"), to: topic)
                    try await Task.sleep(for: .seconds(2))
                    try TestKafka.control("start")
                    let written = try await during
                    #expect(written.offset >= 1)

                    try await producer.send(KafkaProducerRecord(key: "k", value: "after"), to: topic)
                    var values: [String] = []
                    var offset: Int64 = 0
                    for _ in 0..<20 where values.count < 3 {
                        let fetched = try await client.fetch(topic: topic, partition: 0, offset: offset, maxWait: .milliseconds(100))
                        values += fetched.records.compactMap(\.valueString)
                        offset = fetched.nextOffset
                    }
                    #expect(values == ["before", "during", "after"])
                }
            }
        }

        @Test("a consumer group member keeps consuming across a broker restart")
        func consumerAcrossRestart() async throws {
            try await withTimeout(seconds: 150, exclusive: true) {
                var configuration = try TestKafka.configuration(retryTimeout: .seconds(40))
                configuration.requestTimeout = .seconds(5)
                try await withClient(configuration) { client in
                    let topic = TestKafka.uniqueTopic()
                    try await client.createTopic(topic, partitions: 2, replicationFactor: 1)
                    let producer = KafkaProducer(client: client)
                    let consumer = KafkaGroupConsumer(client: client, configuration: ConsumerGroupTests.configuration(group: "group-\(topic)", topic: topic))
                    try await producer.send((0..<10).map { KafkaProducerRecord(key: "k\($0)", value: "a\($0)") }, to: topic)
                    var seen = Set<String>()
                    while seen.count < 10 {
                        seen.formUnion(try await consumer.poll().compactMap(\.valueString))
                        try await consumer.commit()
                    }
                    try TestKafka.control("restart", "2")
                    try await producer.send((0..<10).map { KafkaProducerRecord(key: "k\($0)", value: "b\($0)") }, to: topic)
                    let deadline = ContinuousClock.now + .seconds(60)
                    while seen.count < 20 && ContinuousClock.now < deadline {
                        seen.formUnion(try await consumer.poll().compactMap(\.valueString))
                        do {
                            try await consumer.commit()
                        } catch let error as KafkaError where [.rebalanceInProgress, .illegalGeneration, .unknownMemberId].contains(error.code) {
                            // The restarted broker forgot the group, so the member rejoined under
                            // a new generation between its poll and its commit: the commit is
                            // refused, the next poll rejoins, and the records come again.
                        }
                    }
                    #expect(seen == Set((0..<10).map { "a\($0)" } + (0..<10).map { "b\($0)" }))
                    await consumer.close()
                }
            }
        }
    }
}
