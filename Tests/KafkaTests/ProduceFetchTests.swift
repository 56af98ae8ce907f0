@testable import Kafka
import NIOCore
import Testing

extension BrokerTests {
    @Suite("Produce and fetch")
    struct ProduceFetchTests {
        /// Fetches partition 0 of `topic` from offset 0 until `count` records have come,
        /// handing each fetch's result to `check`.
        static func fetch(
            _ count: Int, from topic: String, _ client: KafkaClient, check: (KafkaFetchedPartition) -> Void = { _ in }
        ) async throws -> [KafkaRecord] {
            var fetched: [KafkaRecord] = []
            var offset: Int64 = 0
            while fetched.count < count {
                let result = try await client.fetch(topic: topic, partition: 0, offset: offset, maxWait: .milliseconds(200))
                check(result)
                fetched += result.records
                offset = result.nextOffset
            }
            return fetched
        }

        @Test("idempotent acks=all produce, then fetch back keys, values and headers in order")
        func roundTrip() async throws {
            try await withTimeout {
                try await withClient { client in
                    let topic = TestKafka.uniqueTopic()
                    try await client.createTopic(topic, partitions: 1, replicationFactor: 1)
                    let producer = KafkaProducer(client: client, configuration: KafkaProducerConfiguration(acks: .all, idempotent: true))
                    let records = (0..<20).map { index in
                        KafkaProducerRecord(
                            key: "key-\(index)", value: "value-\(index)",
                            headers: [KafkaHeader(key: "index", value: "\(index)"), KafkaHeader(key: "null", value: nil)])
                    }
                    let first = try await producer.send(Array(records[0..<10]), to: topic)
                    let second = try await producer.send(Array(records[10...]), to: topic)
                    #expect((first + second).map(\.offset) == Array(0..<20))
                    let identity = try #require(await producer.producerId)
                    #expect(identity.id >= 0)

                    let fetched = try await Self.fetch(20, from: topic, client) { result in
                        #expect(result.highWatermark == 20)
                    }
                    #expect(fetched.map(\.offset) == Array(0..<20))
                    #expect(fetched.map(\.keyString) == (0..<20).map { "key-\($0)" })
                    #expect(fetched.map(\.valueString) == (0..<20).map { "value-\($0)" })
                    #expect(fetched.map { $0.header("index") } == (0..<20).map { "\($0)" })
                    #expect(fetched.allSatisfy { $0.headers.count == 2 && $0.headers[1] == KafkaHeader(key: "null", value: nil) })

                    #expect(try await client.offset(of: KafkaTopicPartition(topic, 0), at: .latest) == 20)
                    #expect(try await client.offset(of: KafkaTopicPartition(topic, 0), at: .earliest) == 0)

                    // Fetching from the middle skips the records of the batch before the offset.
                    let middle = try await client.fetch(topic: topic, partition: 0, offset: 15)
                    #expect(middle.records.first?.offset == 15)
                }
            }
        }

        // The test broker takes batches of any size, so this checks the sending of a split send;
        // RecordBatchTests checks where it is cut.
        @Test("a send over maxBatchBytes to one partition (3 MB, batches under 100 kB) writes every record once, in order")
        func sendLargerThanOneBatch() async throws {
            try await withTimeout {
                try await withClient { client in
                    let topic = TestKafka.uniqueTopic()
                    try await client.createTopic(topic, partitions: 1, replicationFactor: 1)
                    let producer = KafkaProducer(client: client, configuration: KafkaProducerConfiguration(maxBatchBytes: 100_000))
                    let records = (0..<300).map { KafkaProducerRecord(key: ByteBuffer(string: "same"), value: ByteBuffer(repeating: 0x61, count: 10_000 + $0)) }
                    let written = try await producer.send(records, to: topic)
                    #expect(written.map(\.offset) == Array(0..<300))
                    let fetched = try await Self.fetch(300, from: topic, client)
                    #expect(fetched.map { $0.value?.readableBytes ?? 0 } == (0..<300).map { 10_000 + $0 })
                }
            }
        }

        @Test("keys pick partitions by murmur2 like the Java client; records without a key and partition go round robin")
        func partitioning() async throws {
            try await withTimeout {
                try await withClient { client in
                    let topic = TestKafka.uniqueTopic()
                    try await client.createTopic(topic, partitions: 4, replicationFactor: 1)
                    let producer = KafkaProducer(client: client)
                    let written = try await producer.send((0..<8).map { KafkaProducerRecord(key: "user-\($0 % 2)", value: "\($0)") }, to: topic)
                    #expect(Set(written.enumerated().filter { $0.offset % 2 == 0 }.map(\.element.partition)).count == 1)
                    let expected = KafkaPartitioner.partition(forKey: ByteBuffer(string: "user-0"), count: 4)
                    #expect(written[0].partition == expected)
                    let unkeyed = try await producer.send((0..<4).map { _ in KafkaProducerRecord(key: nil, value: "x") }, to: topic)
                    #expect(Set(unkeyed.map(\.partition)) == [0, 1, 2, 3])
                }
            }
        }

        @Test("a batch sent again with the same producer id and sequence is written once")
        func duplicateBatchWrittenOnce() async throws {
            try await withTimeout {
                try await withClient { client in
                    let topic = TestKafka.uniqueTopic()
                    try await client.createTopic(topic, partitions: 1, replicationFactor: 1)
                    let connection = try await client.leaderConnection(for: KafkaTopicPartition(topic, 0))
                    let identity = try await connection.send(InitProducerIdRequest())
                    #expect(identity.errorCode == .noError)
                    let fields = RecordBatch.ProducerFields(producerId: identity.producerId, producerEpoch: identity.producerEpoch, baseSequence: 0)
                    let batch = RecordBatch.encode([KafkaProducerRecord(key: "k", value: "once")], producer: fields, now: 1)
                    let request = ProduceRequest(acks: -1, timeoutMs: 5000, topics: [(topic, [(0, batch)])])
                    let first = try #require(try await connection.send(request).first)
                    #expect(first.errorCode == .noError && first.baseOffset == 0)
                    // As after a lost response: the very same bytes again.
                    let second = try #require(try await connection.send(request).first)
                    #expect(second.errorCode == .noError || second.errorCode == .duplicateSequenceNumber)
                    #expect(try await client.offset(of: KafkaTopicPartition(topic, 0), at: .latest) == 1)

                    // The producer continues with the next sequence number.
                    let next = RecordBatch.encode([KafkaProducerRecord(key: "k", value: "next")], producer: .init(producerId: fields.producerId, producerEpoch: fields.producerEpoch, baseSequence: 1), now: 2)
                    let third = try #require(try await connection.send(ProduceRequest(acks: -1, timeoutMs: 5000, topics: [(topic, [(0, next)])])).first)
                    #expect(third.errorCode == .noError && third.baseOffset == 1)
                    let fetched = try await client.fetch(topic: topic, partition: 0, offset: 0)
                    #expect(fetched.records.map(\.valueString) == ["once", "next"])
                }
            }
        }

        @Test("a fetch limited to fewer bytes than the log still makes progress (partial trailing batches)")
        func smallFetches() async throws {
            try await withTimeout {
                try await withClient { client in
                    let topic = TestKafka.uniqueTopic()
                    try await client.createTopic(topic, partitions: 1, replicationFactor: 1)
                    let producer = KafkaProducer(client: client)
                    for batch in 0..<5 {
                        try await producer.send((0..<10).map { KafkaProducerRecord(key: nil, value: "batch \(batch) record \($0) " + String(repeating: "x", count: 100)) }, to: topic)
                    }
                    var offset: Int64 = 0
                    var seen: [Int64] = []
                    var rounds = 0
                    while offset < 50 && rounds < 100 {
                        let result = try await client.fetch(topic: topic, partition: 0, offset: offset, maxBytes: 1500)
                        seen += result.records.map(\.offset)
                        offset = result.nextOffset
                        rounds += 1
                    }
                    #expect(seen == Array(0..<50))
                }
            }
        }

        @Test("fetching past the end of the log is OFFSET_OUT_OF_RANGE, typed")
        func outOfRange() async throws {
            try await withTimeout {
                try await withClient { client in
                    let topic = TestKafka.uniqueTopic()
                    try await client.createTopic(topic, partitions: 1, replicationFactor: 1)
                    let error = await #expect(throws: KafkaError.self) {
                        try await client.fetch(topic: topic, partition: 0, offset: 1000, maxWait: .milliseconds(10))
                    }
                    #expect(error?.code == .offsetOutOfRange)
                }
            }
        }
    }
}
