@testable import Kafka
import NIOCore
import Testing

extension BrokerTests {
    @Suite("Consumer groups")
    struct ConsumerGroupTests {
        static func configuration(group: String, topic: String) -> KafkaConsumerConfiguration {
            KafkaConsumerConfiguration(
                groupId: group, topics: [topic], sessionTimeout: .seconds(6), rebalanceTimeout: .seconds(10),
                heartbeatInterval: .milliseconds(300), maxWait: .milliseconds(200))
        }

        /// Polls every consumer (concurrently, as separate processes would) until `done` says so.
        static func pollAll(
            _ consumers: [KafkaGroupConsumer],
            commit: Bool = true,
            until done: @Sendable ([[KafkaRecord]]) async -> Bool
        ) async throws -> [[KafkaRecord]] {
            var received = [[KafkaRecord]](repeating: [], count: consumers.count)
            let deadline = ContinuousClock.now + .seconds(60)
            while !(await done(received)) {
                guard ContinuousClock.now < deadline else {
                    Issue.record("consumers did not finish: got \(received.map(\.count)) records")
                    return received
                }
                try await withThrowingTaskGroup(of: (Int, [KafkaRecord]).self) { group in
                    for (index, consumer) in consumers.enumerated() {
                        group.addTask {
                            let records = try await consumer.poll()
                            if commit && !records.isEmpty { try await consumer.commit() }
                            return (index, records)
                        }
                    }
                    for try await (index, records) in group { received[index] += records }
                }
            }
            return received
        }

        @Test("two members share the partitions; one leaves and the other takes over; a new member resumes from the committed offsets")
        func groupLifecycle() async throws {
            try await withTimeout(seconds: 180) {
                try await withClient { client in
                    let topic = TestKafka.uniqueTopic()
                    let group = "group-\(topic)"
                    try await client.createTopic(topic, partitions: 4, replicationFactor: 1)
                    let producer = KafkaProducer(client: client)

                    // Two members, each with its own client as two processes would have.
                    let clientB = KafkaClient(configuration: try TestKafka.configuration(), logger: testLogger)
                    let a = KafkaGroupConsumer(client: client, configuration: Self.configuration(group: group, topic: topic))
                    let b = KafkaGroupConsumer(client: clientB, configuration: Self.configuration(group: group, topic: topic))

                    // Both joined the same generation and split the partitions.
                    _ = try await Self.pollAll([a, b]) { _ in
                        let (ga, gb) = (await a.generationId, await b.generationId)
                        let (sa, sb) = (await a.assignment, await b.assignment)
                        return ga == gb && ga >= 0 && sa.count == 2 && sb.count == 2
                    }
                    let assignedA = await a.assignment
                    let assignedB = await b.assignment
                    #expect(Set(assignedA).isDisjoint(with: assignedB))
                    #expect(Set(assignedA + assignedB) == Set((0..<4).map { KafkaTopicPartition(topic, $0) }))

                    try await producer.send((0..<40).map { KafkaProducerRecord(key: "k\($0)", value: "first-\($0)") }, to: topic)
                    let firstRound = try await Self.pollAll([a, b]) { received in received.joined().count >= 40 }
                    #expect(firstRound.joined().count == 40)
                    #expect(Set(firstRound.joined().compactMap(\.valueString)) == Set((0..<40).map { "first-\($0)" }))
                    #expect(firstRound[0].allSatisfy { assignedA.contains(KafkaTopicPartition($0.topic, $0.partition)) })
                    #expect(firstRound[1].allSatisfy { assignedB.contains(KafkaTopicPartition($0.topic, $0.partition)) })

                    // B leaves: A is told to rebalance by its heartbeat and gets every partition.
                    let generationBefore = await a.generationId
                    await b.close()
                    await clientB.close()
                    _ = try await Self.pollAll([a]) { _ in await a.assignment.count == 4 }
                    #expect(await a.generationId > generationBefore)

                    try await producer.send((0..<20).map { KafkaProducerRecord(key: "k\($0)", value: "second-\($0)") }, to: topic)
                    let secondRound = try await Self.pollAll([a]) { received in received[0].count >= 20 }
                    // Nothing of the first round comes again: B committed what it had processed.
                    #expect(secondRound[0].compactMap(\.valueString).sorted() == (0..<20).map { "second-\($0)" }.sorted())

                    // A leaves after committing; a new member starts where the group left off.
                    await a.close()
                    let c = KafkaGroupConsumer(client: client, configuration: Self.configuration(group: group, topic: topic))
                    let committed = try await c.committedOffsets((0..<4).map { KafkaTopicPartition(topic, $0) })
                    #expect(committed.values.reduce(0, +) == 60)
                    try await producer.send((0..<5).map { KafkaProducerRecord(key: "k\($0)", value: "third-\($0)") }, to: topic)
                    let thirdRound = try await Self.pollAll([c]) { received in received[0].count >= 5 }
                    #expect(thirdRound[0].compactMap(\.valueString).sorted() == (0..<5).map { "third-\($0)" }.sorted())
                    await c.close()
                }
            }
        }

        @Test("a commit after the group moved on fails with a typed rebalance error and the next poll rejoins")
        func staleCommit() async throws {
            try await withTimeout(seconds: 120) {
                try await withClient { client in
                    let topic = TestKafka.uniqueTopic()
                    let group = "group-\(topic)"
                    try await client.createTopic(topic, partitions: 2, replicationFactor: 1)
                    try await KafkaProducer(client: client).send(KafkaProducerRecord(key: "k", value: "v", partition: 0), to: topic)
                    let a = KafkaGroupConsumer(client: client, configuration: Self.configuration(group: group, topic: topic))
                    _ = try await Self.pollAll([a], commit: false) { received in received[0].count >= 1 }
                    let joins = await a.joinCount

                    // A second member joins: the group rebalances; A has not yet noticed.
                    let clientB = KafkaClient(configuration: try TestKafka.configuration(), logger: testLogger)
                    let b = KafkaGroupConsumer(client: clientB, configuration: Self.configuration(group: group, topic: topic))
                    async let bJoined: [KafkaRecord] = b.poll()
                    try await Task.sleep(for: .milliseconds(800))
                    let error = await #expect(throws: KafkaError.self) {
                        try await a.commit([KafkaTopicPartition(topic, 0): 1])
                        // Some brokers accept commits of the current generation during the
                        // preparing phase; then the rebalance shows on the next heartbeat.
                        try await Task.sleep(for: .seconds(2))
                        try await a.commit([KafkaTopicPartition(topic, 0): 1])
                    }
                    #expect([KafkaErrorCode.rebalanceInProgress, .illegalGeneration, .unknownMemberId].contains(error?.code ?? .noError), "\(String(describing: error))")
                    _ = try await a.poll()
                    _ = try await bJoined
                    #expect(await a.joinCount > joins)
                    await a.close()
                    await b.close()
                    await clientB.close()
                }
            }
        }
    }
}
