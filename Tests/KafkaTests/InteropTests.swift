import EmporiumTestSupport
import Foundation
@testable import Kafka
import NIOCore
import Testing

extension BrokerTests {
    @Suite("Interop with kafka-python", .enabled(if: KafkaPython.isAvailable, "needs EMPORIUM_TEST_KAFKA_PYTHON with kafka-python (scripts/services/kafka.sh installs it)"))
    struct InteropTests {
        static let readScript = """
            import json, sys
            from kafka import KafkaConsumer, TopicPartition
            consumer = KafkaConsumer(bootstrap_servers=sys.argv[1], enable_auto_commit=False, consumer_timeout_ms=10000)
            partition = TopicPartition(sys.argv[2], 0)
            consumer.assign([partition])
            consumer.seek_to_beginning(partition)
            out = []
            for message in consumer:
                out.append({"offset": message.offset, "key": message.key.decode(), "value": message.value.decode(),
                            "headers": [[k, v.decode()] for k, v in message.headers]})
                if len(out) == int(sys.argv[3]):
                    break
            print(json.dumps(out))
            """

        static let writeScript = """
            import sys
            from kafka import KafkaProducer
            producer = KafkaProducer(bootstrap_servers=sys.argv[1], acks="all")
            for i in range(3):
                producer.send(sys.argv[2], key=f"py-{i}".encode(), value=f"from python {i}".encode(), headers=[("origin", b"python")], partition=0)
            producer.flush()
            """

        static let gzipScript = """
            import sys
            from kafka import KafkaProducer
            producer = KafkaProducer(bootstrap_servers=sys.argv[1], acks="all", compression_type="gzip")
            producer.send(sys.argv[2], key=b"zipped", value=b"compressed by kafka-python", partition=0)
            producer.flush()
            """

        @Test("a gzip batch written by kafka-python: a broker that keeps it compressed makes our fetch fail with the typed error; one that stores it uncompressed serves a readable record")
        func compressedBatch() async throws {
            try await withTimeout(seconds: 60) {
                try await withClient { client in
                    let python = try #require(TestKafka.python)
                    let topic = TestKafka.uniqueTopic()
                    try await client.createTopic(topic, partitions: 1, replicationFactor: 1)
                    try TestProcess.run(python, ["-c", Self.gzipScript, try TestKafka.address().description, topic])
                    do {
                        // noida-db decompresses on write and serves batches uncompressed (Apache
                        // Kafka, with compression.type=producer, serves the producer's gzip batch).
                        let fetched = try await client.fetch(topic: topic, partition: 0, offset: 0)
                        #expect(fetched.records.map(\.valueString) == ["compressed by kafka-python"])
                    } catch let error as KafkaError {
                        #expect(error == .compressedBatchUnsupported(topic: topic, partition: 0, offset: 0, codec: "gzip"))
                        #expect(error.description.contains("compressed with gzip; this client reads uncompressed batches only"))
                    }
                }
            }
        }

        struct ReadRecord: Decodable, Equatable {
            var offset: Int64
            var key: String
            var value: String
            var headers: [[String]]
        }

        @Test("records our idempotent producer wrote are read by kafka-python with keys and headers, and the other way round")
        func bothWays() async throws {
            try await withTimeout(seconds: 90) {
                try await withClient { client in
                    let python = try #require(TestKafka.python)
                    let address = try TestKafka.address().description
                    let topic = TestKafka.uniqueTopic()
                    try await client.createTopic(topic, partitions: 1, replicationFactor: 1)
                    let producer = KafkaProducer(client: client)
                    try await producer.send(
                        (0..<3).map { KafkaProducerRecord(key: "swift-\($0)", value: "from swift \($0)", headers: [KafkaHeader(key: "origin", value: "swift")], partition: 0) },
                        to: topic)
                    let output = try TestProcess.run(python, ["-c", Self.readScript, address, topic, "3"])
                    let read = try JSONDecoder().decode([ReadRecord].self, from: Data(output.utf8))
                    #expect(read == (0..<3).map { ReadRecord(offset: Int64($0), key: "swift-\($0)", value: "from swift \($0)", headers: [["origin", "swift"]]) })

                    try TestProcess.run(python, ["-c", Self.writeScript, address, topic])
                    let fetched = try await client.fetch(topic: topic, partition: 0, offset: 3)
                    #expect(fetched.records.map(\.keyString) == ["py-0", "py-1", "py-2"])
                    #expect(fetched.records.map(\.valueString) == ["from python 0", "from python 1", "from python 2"])
                    #expect(fetched.records.allSatisfy { $0.header("origin") == "python" })
                }
            }
        }
    }
}

/// Whether the test venv's python has kafka-python.
enum KafkaPython {
    static let isAvailable: Bool = {
        guard let python = TestKafka.python, FileManager.default.isExecutableFile(atPath: python) else { return false }
        return (try? TestProcess.run(python, ["-c", "import kafka"])) != nil
    }()
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
