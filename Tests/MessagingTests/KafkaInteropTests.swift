import EmporiumCore
import EmporiumTestSupport
import Foundation
import Kafka
import Messaging
import Storage
import Synchronization
import Testing

/// The CloudEvents Kafka binding as clients no one here wrote speak it: kafka-python writes an
/// event our transport consumes, and confluent-kafka (librdkafka; kafka-python when it is not
/// installed) reads the records our transport publishes.
@Suite("Kafka events interop", .enabled(if: KafkaBroker.isAvailable && KafkaBroker.python != nil, "needs the test broker and EMPORIUM_TEST_KAFKA_PYTHON (scripts/services/kafka.sh)"))
struct KafkaInteropTests {
    /// Writes one binary-mode CloudEvent with kafka-python: argv = servers, topic, type, id, subject.
    static let kafkaPythonWriter = """
        import json, sys
        from kafka import KafkaProducer
        servers, topic, type_, id_, subject = sys.argv[1:6]
        producer = KafkaProducer(bootstrap_servers=servers, acks="all")
        headers = [
            ("ce_specversion", b"1.0"), ("ce_id", id_.encode()), ("ce_source", b"/python/interop"),
            ("ce_type", type_.encode()), ("ce_time", b"2026-05-01T10:00:00.000Z"), ("ce_subject", subject.encode()),
            ("ce_traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
            ("content-type", b"application/json"),
        ]
        producer.send(topic, key=subject.encode(), value=json.dumps({"from": "kafka-python", "n": 7}).encode(), headers=headers)
        producer.flush()
        """

    /// Reads every partition of a topic from the beginning with confluent-kafka: argv = servers,
    /// topic, partitions, expected count. Prints a JSON list of {key, value, headers}.
    static let confluentReader = """
        import json, sys, time
        from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
        servers, topic, partitions, expected = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        consumer = Consumer({"bootstrap.servers": servers, "group.id": "interop-reader", "enable.auto.commit": False})
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        out, deadline = [], time.time() + 30
        while len(out) < expected and time.time() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            out.append({"key": message.key().decode(), "value": message.value().decode(),
                        "headers": {k: v.decode() for k, v in (message.headers() or [])}})
        consumer.close()
        print(json.dumps(out))
        """

    /// The same with kafka-python.
    static let kafkaPythonReader = """
        import json, sys
        from kafka import KafkaConsumer, TopicPartition
        servers, topic, partitions, expected = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        consumer = KafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False, consumer_timeout_ms=15000)
        assigned = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        out = []
        for message in consumer:
            out.append({"key": message.key.decode(), "value": message.value.decode(),
                        "headers": {k: v.decode() for k, v in message.headers}})
            if len(out) == expected:
                break
        print(json.dumps(out))
        """

    struct ReadRecord: Decodable {
        var key: String
        var value: String
        var headers: [String: String]
    }

    @Test("a CloudEvent written by kafka-python in binary mode is consumed, applied once and committed")
    func kafkaPythonToUs() async throws {
        try await BrokerGate.kafka.shared {
            try await TestDatabases.withDatabase(EventTestDatabase.preferred) { database throws in
                let fixture = EventFixture("kafka-interop-in")
                try await fixture.migrate(database)
                let topic = KafkaBroker.uniqueTopic("interop-in")
                let transport = try KafkaBroker.transport(topic: topic, partitions: 3)
                let received = Collected<CloudEvent>()
                let applier = fixture.eventConsumer(database, InProcessTransport(expectedConsumers: [], logger: quietLogger))
                try await whileRunning([transport.run, {
                    try await transport.consumeBatches(consumer: fixture.consumer, types: [fixture.type]) { events in
                        try await applier.apply(events)
                        received.add(contentsOf: events)
                    }
                }]) {
                    #expect(try await eventually { (try? await transport.checkReady()) != nil }, "the transport created the topic")
                    _ = try await KafkaBroker.runPython(Self.kafkaPythonWriter, [try KafkaBroker.address(), topic, fixture.type, "py-event-1", "py-subject"])
                    #expect(try await eventually { received.all.count == 1 })
                    #expect(try await eventually { try await KafkaBroker.fullyCommitted(topic: topic, group: KafkaTransport.group(of: fixture.consumer)) })
                }
                let event = try #require(received.all.first)
                #expect(event.id == "py-event-1")
                #expect(event.source == "/python/interop")
                #expect(event.type == fixture.type)
                #expect(event.subject == "py-subject")
                #expect(event.time == "2026-05-01T10:00:00.000Z")
                #expect(event.traceparent == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                #expect(event.datacontenttype == "application/json")
                #expect(event.data == .object(["from": .string("kafka-python"), "n": .number(7)]))
                #expect(try await fixture.effects(database) == ["py-subject"])
            }
        }
    }

    @Test("records our transport publishes are read by confluent-kafka (or kafka-python) with the binding's ce_ headers")
    func usToThirdParty() async throws {
        try await BrokerGate.kafka.shared {
            let topic = KafkaBroker.uniqueTopic("interop-out")
            let transport = try KafkaBroker.transport(topic: topic, partitions: 2)
            let events = (0..<4).map {
                CloudEvent(
                    source: "/emporium/catalog", type: "catalog.product.updated", subject: "product-\($0 % 2)",
                    data: .object(["id": .string("product-\($0 % 2)"), "version": .number(Double($0))]),
                    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            }
            let reader = await KafkaBroker.pythonHas("confluent_kafka") ? Self.confluentReader : Self.kafkaPythonReader
            let output = try await whileRunning([transport.run]) {
                #expect(try await eventually { (try? await transport.checkReady()) != nil })
                try await transport.publish(events)
                return try await KafkaBroker.runPython(reader, [try KafkaBroker.address(), topic, "2", "4"])
            }
            let records = try JSONDecoder().decode([ReadRecord].self, from: Data(output.utf8))
            #expect(records.count == 4, "\(output)")
            for event in events {
                let record = try #require(records.first { $0.headers["ce_id"] == event.id }, "event \(event.id) read")
                #expect(record.key == event.subject)
                #expect(record.headers["ce_specversion"] == "1.0")
                #expect(record.headers["ce_source"] == "/emporium/catalog")
                #expect(record.headers["ce_type"] == "catalog.product.updated")
                #expect(record.headers["ce_time"] == event.time)
                #expect(record.headers["ce_subject"] == event.subject)
                #expect(record.headers["ce_traceparent"] == event.traceparent)
                #expect(record.headers["content-type"] == "application/json")
                #expect(try JSONDecoder().decode(JSONValue.self, from: Data(record.value.utf8)) == event.data)
            }
            // Per subject, in publish order.
            for subject in ["product-0", "product-1"] {
                let versions = records.filter { $0.key == subject }.compactMap { record -> Double? in
                    guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(record.value.utf8)),
                        case .number(let version)? = object["version"]
                    else { return nil }
                    return version
                }
                #expect(versions == versions.sorted() && versions.count == 2, "\(subject): \(versions)")
            }
        }
    }
}
