import EmporiumCore
import EmporiumTestSupport
import Foundation
import Kafka
import Messaging
import Metrics
import NIOCore
import SQLKit
import Storage
import Synchronization
import Testing

/// The event backbone against the Kafka-protocol broker the test script starts. Each test uses a
/// topic of its own (the platform's is `emporium.events`), so a consumer group reads only that
/// test's events.
@Suite("Events through Kafka", .enabled(if: KafkaBroker.isAvailable, KafkaBroker.skipReason))
struct KafkaTransportTests {
    /// Every event type the platform publishes today, with data shaped like the real payloads.
    static let platformEvents: [(type: String, data: JSONValue)] = [
        ("catalog.product.created", .object(["id": .string("p-1"), "name": .string("Trail Runner"), "version": .number(1), "status": .string("active")])),
        ("catalog.product.updated", .object(["id": .string("p-1"), "name": .string("Trail Runner II"), "version": .number(2), "status": .string("active")])),
        ("catalog.product.deleted", .object(["id": .string("p-1")])),
        ("identity.user.registered", .object([
            "userId": .string("u-1"), "sealedEmail": .string("k1:AAAA"), "roles": .array([.string("customer")]),
            "registeredAt": .string("2026-01-01T00:00:00Z"),
        ])),
        ("identity.user.roles-changed", .object([
            "userId": .string("u-1"), "roles": .array([.string("customer"), .string("catalog-manager")]), "changedBy": .string("u-0"),
        ])),
        ("identity.audit.fact", .object([
            "at": .string("2026-01-01T00:00:00Z"), "actor": .string("u-1"), "action": .string("login"), "target": .string("u-1"), "details": .object([:]),
        ])),
    ]

    /// A subscription to `types` that records `"<subject>#<data.index>"` (or the type when there
    /// is no index) as its effect, in the handler's transaction.
    static func recordingSubscription(_ fixture: EventFixture, types: Set<String>, fail: @escaping @Sendable (CloudEvent) -> Bool = { _ in false }) -> EventSubscription {
        let consumer = fixture.consumer
        return EventSubscription(types: types) { event, sql in
            if fail(event) { throw TestFailure("poison event \(event.subject ?? "")") }
            let mark: String
            if case .object(let object) = event.data, case .number(let index)? = object["index"] {
                mark = "\(event.subject ?? "")#\(Int(index))"
            } else {
                mark = "\(event.subject ?? "")#\(event.type)"
            }
            try await sql.raw("INSERT INTO effects (consumer, event_id, subject) VALUES (\(bind: consumer), \(bind: event.id), \(bind: mark))").run()
        }
    }

    /// Records `range` with subjects `agg-<i % subjects>` and `{"index": i}`, `perTransaction` a transaction.
    static func record(_ fixture: EventFixture, _ range: Range<Int>, subjects: Int, perTransaction: Int = 50, in database: any Database) async throws {
        var start = range.lowerBound
        while start < range.upperBound {
            let chunk = start..<min(start + perTransaction, range.upperBound)
            try await database.transaction { sql in
                for index in chunk {
                    try await fixture.outbox.record(type: fixture.type, subject: "agg-\(index % subjects)", data: ["index": index], in: sql)
                }
            }
            start = chunk.upperBound
        }
    }

    /// Checks that each subject's indices appear in increasing order in `effects`.
    static func expectPerSubjectOrder(_ effects: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        var last: [String: Int] = [:]
        var outOfOrder: [String] = []
        for effect in effects {
            let parts = effect.split(separator: "#")
            guard parts.count == 2, let index = Int(parts[1]) else { continue }
            let subject = String(parts[0])
            if let previous = last[subject], previous >= index { outOfOrder.append("\(subject): \(index) after \(previous)") }
            last[subject] = index
        }
        #expect(outOfOrder.isEmpty, "per-subject order broken: \(outOfOrder.prefix(5))", sourceLocation: sourceLocation)
    }

    @Test("round trip for every platform event type: outbox -> relay -> topic (binary-mode ce_ headers, key = subject) -> group consumer -> commit")
    func roundTrip() async throws {
        try await BrokerGate.kafka.shared {
            try await TestDatabases.withDatabase(EventTestDatabase.preferred) { database throws in
                let fixture = EventFixture("kafka-roundtrip")
                try await fixture.migrate(database)
                let topic = KafkaBroker.uniqueTopic("roundtrip")
                let transport = try KafkaBroker.transport(topic: topic)
                let types = Set(Self.platformEvents.map(\.type))
                let consumer = EventConsumer(
                    consumer: fixture.consumer, database: database, transport: transport,
                    subscriptions: [Self.recordingSubscription(fixture, types: types)], logger: quietLogger)
                try await whileRunning([transport.run, fixture.relay(database, transport).run, consumer.run]) {
                    try await database.transaction { sql in
                        for subject in 0..<3 {
                            for (type, data) in Self.platformEvents {
                                try await fixture.outbox.record(type: type, subject: "agg-\(subject)", data: data, in: sql)
                            }
                        }
                    }
                    #expect(try await eventually { try await fixture.effectCounts(database).rows >= 18 })
                    #expect(try await eventually { try await KafkaBroker.fullyCommitted(topic: topic, group: KafkaTransport.group(of: fixture.consumer)) })
                    try await transport.checkReady()
                }
                // Per subject, the six events in the order they were recorded.
                let effects = try await fixture.effects(database)
                for subject in 0..<3 {
                    #expect(effects.filter { $0.hasPrefix("agg-\(subject)#") } == Self.platformEvents.map { "agg-\(subject)#\($0.type)" })
                }
                #expect(try await fixture.effectCounts(database) == (18, 18))
                #expect(try await fixture.unsent(database) == 0)

                // On the wire: the CloudEvents Kafka binding, binary content mode.
                let records = try await KafkaBroker.records(of: topic)
                #expect(records.count == 18)
                for record in records {
                    let headers = record.headerMap
                    #expect(headers["ce_specversion"] == "1.0")
                    #expect(headers["ce_id"]?.isEmpty == false)
                    #expect(headers["ce_source"] == "/emporium/producer")
                    #expect(headers["ce_type"].map(types.contains) == true)
                    #expect(headers["ce_time"]?.hasSuffix("Z") == true)
                    #expect(headers["ce_subject"] == record.keyString, "the key is the subject")
                    #expect(headers["content-type"] == "application/json")
                    let type = try #require(headers["ce_type"])
                    let data = try JSONDecoder().decode(JSONValue.self, from: Data((record.valueString ?? "").utf8))
                    #expect(data == Self.platformEvents.first { $0.type == type }?.data, "the value is the data alone")
                }
                // One subject, one partition.
                let partitionsBySubject = Dictionary(grouping: records, by: { $0.keyString ?? "" }).mapValues { Set($0.map(\.partition)) }
                #expect(partitionsBySubject.values.allSatisfy { $0.count == 1 })
            }
        }
    }

    @Test("10,000 events while the broker is stopped and restarted mid-run: all handled, each once, per-subject order kept")
    func tenThousandThroughAnOutage() async throws {
        try #require(KafkaBroker.ctl != nil, "needs EMPORIUM_TEST_KAFKA_CTL")
        try await BrokerGate.kafka.exclusive(limit: .seconds(600)) {
            try await TestDatabases.withDatabase(EventTestDatabase.preferred) { database throws in
                let fixture = EventFixture("kafka-outage")
                try await fixture.migrate(database)
                let topic = KafkaBroker.uniqueTopic("outage")
                let transport = try KafkaBroker.transport(topic: topic)
                let consumer = EventConsumer(
                    consumer: fixture.consumer, database: database, transport: transport,
                    subscriptions: [Self.recordingSubscription(fixture, types: [fixture.type])], logger: quietLogger)
                let total = 10_000
                try await whileRunning([transport.run, fixture.relay(database, transport).run, consumer.run]) {
                    try await Self.record(fixture, 0..<3_000, subjects: 97, in: database)
                    #expect(try await eventually { try await fixture.effectCounts(database).rows > 0 })

                    try await KafkaBroker.control("stop")
                    do {
                        // While the broker is down the outbox keeps filling and readiness says so.
                        try await Self.record(fixture, 3_000..<7_000, subjects: 97, in: database)
                        #expect(try await eventually(.seconds(20)) { (try? await transport.checkReady()) == nil }, "readiness goes down")
                        #expect(try await fixture.unsent(database) > 0)
                    } catch {
                        try? await KafkaBroker.control("start")
                        throw error
                    }
                    try await KafkaBroker.control("start")

                    try await Self.record(fixture, 7_000..<total, subjects: 97, in: database)
                    // Polled here rather than with `eventually`: in runs of the Messaging and
                    // Storage tests together, that call returned true at once while the events
                    // were not handled (its closure's own checks never saw them), and the counts
                    // below failed; the cause was not found. This loop has
                    // not shown it.
                    var done = false
                    let deadline = ContinuousClock.now + .seconds(300)
                    while !done, ContinuousClock.now < deadline {
                        let handled = try await fixture.effectCounts(database).events
                        let unsent = try await fixture.unsent(database)
                        done = handled >= 10_000 && unsent == 0
                        if !done { try await Task.sleep(for: .milliseconds(50)) }
                    }
                    let handled = try await fixture.effectCounts(database)
                    let unsent = try await fixture.unsent(database)
                    #expect(done, "handled \(handled), unsent \(unsent)")
                    #expect(try await eventually(.seconds(30)) { (try? await transport.checkReady()) != nil }, "readiness comes back")
                    #expect(try await eventually(.seconds(60)) { try await KafkaBroker.fullyCommitted(topic: topic, group: KafkaTransport.group(of: fixture.consumer)) })
                }
                let counts = try await fixture.effectCounts(database)
                #expect(counts.events == total, "every event handled")
                #expect(counts.rows == total, "no event had a second effect")
                Self.expectPerSubjectOrder(try await fixture.effects(database))
            }
        }
    }

    @Test("a consumer killed after its effect but before its commit: the event is redelivered and has no second effect")
    func killedBeforeCommit() async throws {
        try await BrokerGate.kafka.shared {
            try await TestDatabases.withDatabase(EventTestDatabase.preferred) { database throws in
                let fixture = EventFixture("kafka-kill")
                try await fixture.migrate(database)
                let topic = KafkaBroker.uniqueTopic("kill")
                let group = KafkaTransport.group(of: fixture.consumer)
                let applied = EventConsumer(
                    consumer: fixture.consumer, database: database, transport: InProcessTransport(expectedConsumers: [], logger: quietLogger),
                    subscriptions: [fixture.subscription()], logger: quietLogger)

                // First instance: applies the event (effect and inbox row committed), then dies
                // before its offset is committed.
                let first = try KafkaBroker.transport(topic: topic)
                let firstDelivery = Attempts()
                let firstConnection = Task { try await first.run() }
                let firstConsumer = Task {
                    try await first.consume(consumer: fixture.consumer, types: [fixture.type]) { event in
                        try await applied.handle(event)
                        firstDelivery.add()
                        try await Task.sleep(for: .seconds(3600))  // killed here
                    }
                }
                let publisher = try KafkaBroker.transport(topic: topic)
                try await whileRunning([publisher.run, fixture.relay(database, publisher).run]) {
                    try await fixture.record(0..<1, in: database)
                    #expect(try await eventually { firstDelivery.count == 1 })
                    firstConsumer.cancel()
                    _ = await firstConsumer.result
                    firstConnection.cancel()
                    _ = await firstConnection.result
                    #expect(try await KafkaBroker.commitState(topic: topic, group: group).allSatisfy { $0.committed <= 0 }, "nothing committed")

                    // Second instance: gets the event again, and the inbox says it was handled.
                    let second = try KafkaBroker.transport(topic: topic)
                    let redeliveries = Attempts()
                    try await whileRunning([second.run, {
                        try await second.consume(consumer: fixture.consumer, types: [fixture.type]) { event in
                            if try await applied.handle(event) == false { redeliveries.add() }
                        }
                    }]) { () throws in
                        #expect(try await eventually { redeliveries.count == 1 })
                        #expect(try await eventually { try await KafkaBroker.fullyCommitted(topic: topic, group: group) })
                    }
                }
                #expect(try await fixture.effectCounts(database) == (1, 1))
            }
        }
    }

    @Test("two instances of one consuming service share the partitions; one leaving mid-run hands its partitions over and nothing is lost")
    func twoInstancesRebalance() async throws {
        try await BrokerGate.kafka.shared(limit: .seconds(240)) {
            try await TestDatabases.withDatabase(EventTestDatabase.preferred) { database throws in
                let fixture = EventFixture("kafka-rebalance")
                try await fixture.migrate(database)
                let topic = KafkaBroker.uniqueTopic("rebalance")
                let group = KafkaTransport.group(of: fixture.consumer)
                let applier = EventConsumer(
                    consumer: fixture.consumer, database: database, transport: InProcessTransport(expectedConsumers: [], logger: quietLogger),
                    subscriptions: [Self.recordingSubscription(fixture, types: [fixture.type])], logger: quietLogger)
                let a = try KafkaBroker.transport(topic: topic)
                let b = try KafkaBroker.transport(topic: topic)
                let byA = Attempts()
                let byB = Attempts()
                let bConnection = Task { try await b.run() }
                let bConsumer = Task {
                    try await b.consumeBatches(consumer: fixture.consumer, types: [fixture.type]) { events in
                        let applied = try await applier.apply(events)
                        for _ in 0..<applied { byB.add() }
                    }
                }
                defer { bConsumer.cancel(); bConnection.cancel() }
                let recorded = Mutex(0)
                try await whileRunning([a.run, fixture.relay(database, a).run, {
                    try await a.consumeBatches(consumer: fixture.consumer, types: [fixture.type]) { events in
                        let applied = try await applier.apply(events)
                        for _ in 0..<applied { byA.add() }
                    }
                }]) {
                    // Keep publishing until both instances have handled events (both joined).
                    let deadline = ContinuousClock.now + .seconds(60)
                    while !(byA.count > 0 && byB.count > 0) && ContinuousClock.now < deadline {
                        let start = recorded.withLock { $0 }
                        try await Self.record(fixture, start..<start + 40, subjects: 61, perTransaction: 40, in: database)
                        recorded.withLock { $0 += 40 }
                        try await Task.sleep(for: .milliseconds(200))
                    }
                    #expect(byA.count > 0 && byB.count > 0, "both instances handled events: \(byA.count), \(byB.count)")

                    // B leaves mid-run (graceful shutdown: LeaveGroup); A takes every partition.
                    let start = recorded.withLock { $0 }
                    async let more: Void = Self.record(fixture, start..<start + 1_000, subjects: 61, perTransaction: 20, in: database)
                    try await Task.sleep(for: .milliseconds(300))
                    bConsumer.cancel()
                    _ = await bConsumer.result
                    try await more
                    recorded.withLock { $0 += 1_000 }
                    let total = recorded.withLock { $0 }
                    let handledB = byB.count
                    #expect(try await eventually(.seconds(90)) { try await fixture.effectCounts(database).events >= total }, "all \(total) handled")
                    #expect(try await eventually(.seconds(30)) { try await KafkaBroker.fullyCommitted(topic: topic, group: group) })
                    #expect(byB.count == handledB, "B handles nothing after leaving")
                }
                let total = recorded.withLock { $0 }
                let counts = try await fixture.effectCounts(database)
                #expect(counts.events == total, "nothing lost")
                #expect(counts.rows == total, "no second effects")
                Self.expectPerSubjectOrder(try await fixture.effects(database))
            }
        }
    }

    @Test("a poison event goes to the consumer's dead-letter topic after N tries, with its headers and the error, counted; the partition keeps flowing")
    func poisonToDeadLetterTopic() async throws {
        try await BrokerGate.kafka.shared {
            try await TestDatabases.withDatabase(EventTestDatabase.preferred) { database throws in
                let fixture = EventFixture("kafka-poison")
                try await fixture.migrate(database)
                let topic = KafkaBroker.uniqueTopic("poison")
                let metrics = RecordingMetrics()
                let transport = try KafkaBroker.transport(topic: topic, partitions: 1, maxDeliveries: 3, metrics: metrics)
                let poisonAttempts = Attempts()
                let consumer = fixture.eventConsumer(database, transport) { event in
                    guard event.subject == "3" else { return false }
                    poisonAttempts.add()
                    return true
                }
                let deadLetters = transport.deadLetterTopic(of: fixture.consumer)
                #expect(deadLetters == "\(topic).dlq.\(fixture.consumer)")
                try await whileRunning([transport.run, fixture.relay(database, transport).run, consumer.run]) {
                    try await fixture.record(0..<30, in: database)
                    #expect(try await eventually { try await fixture.effectCounts(database).rows >= 29 })
                    #expect(try await eventually { try await KafkaBroker.records(of: deadLetters).count == 1 })
                    #expect(try await eventually { try await KafkaBroker.fullyCommitted(topic: topic, group: KafkaTransport.group(of: fixture.consumer)) })
                    // emporium_events_dead_lettered_total and emporium_dlq_messages.
                    #expect(metrics.values("emporium_events_dead_lettered_total", consumer: fixture.consumer).reduce(0, +) == 1)
                    #expect(try await transport.deadLetterCount(of: fixture.consumer) == 1)
                }
                // 3 tries alone, plus one per batch it came in.
                #expect((3...6).contains(poisonAttempts.count), "\(poisonAttempts.count) attempts")
                #expect(Set(try await fixture.effects(database)) == Set((0..<30).filter { $0 != 3 }.map(String.init)))
                #expect(try await fixture.effectCounts(database).rows == 29)
                let dead = try #require(try await KafkaBroker.records(of: deadLetters).first)
                let headers = dead.headerMap
                #expect(headers["ce_subject"] == "3")
                #expect(headers["ce_type"] == fixture.type)
                #expect(headers["ce_specversion"] == "1.0")
                #expect(dead.keyString == "3")
                #expect(headers[KafkaTransport.DeadLetterHeader.error]?.contains("poison event 3") == true, "\(headers)")
                #expect(headers[KafkaTransport.DeadLetterHeader.consumer] == fixture.consumer)
                #expect(headers[KafkaTransport.DeadLetterHeader.origin]?.hasPrefix("\(topic)/0@") == true)
            }
        }
    }

    @Test("emporium_kafka_consumer_lag: the records of a partition the group has not committed yet, back to 0 once it caught up")
    func consumerLag() async throws {
        try await BrokerGate.kafka.shared {
            try await TestDatabases.withDatabase(EventTestDatabase.preferred) { database throws in
                let fixture = EventFixture("kafka-lag")
                try await fixture.migrate(database)
                let topic = KafkaBroker.uniqueTopic("lag")
                // Ten events on the topic before the consumer starts; its handler waits until released.
                let publisher = try KafkaBroker.transport(topic: topic, partitions: 1)
                try await whileRunning([publisher.run, fixture.relay(database, publisher).run]) {
                    try await fixture.record(0..<10, in: database)
                    #expect(try await eventually { try await fixture.unsent(database) == 0 })
                }
                let metrics = RecordingMetrics()
                let transport = try KafkaBroker.transport(topic: topic, partitions: 1, metrics: metrics)
                let released = Latch()
                let waiting = EventSubscription(types: [fixture.type]) { events, sql in
                    try await released.wait()
                    try await fixture.subscription().handleBatch(events, sql)
                }
                let consumer = EventConsumer(
                    consumer: fixture.consumer, database: database, transport: transport, subscriptions: [waiting], logger: quietLogger)
                let lag: @Sendable () -> Double? = { metrics.values("emporium_kafka_consumer_lag", consumer: fixture.consumer).last }
                try await whileRunning([transport.run, consumer.run]) {
                    let behind = try await eventually { lag() == 10 }
                    #expect(behind, "\(String(describing: lag()))")
                    released.open()
                    #expect(try await eventually { try await fixture.effectCounts(database).rows == 10 })
                    let caughtUp = try await eventually { lag() == 0 }
                    #expect(caughtUp, "\(String(describing: lag()))")
                }
            }
        }
    }

    @Test("records that are not CloudEvents go to the dead-letter topic at once; the consumer keeps running and handles what follows")
    func notACloudEvent() async throws {
        try await BrokerGate.kafka.shared {
            try await TestDatabases.withDatabase(EventTestDatabase.preferred) { database throws in
                let fixture = EventFixture("kafka-garbage")
                try await fixture.migrate(database)
                let topic = KafkaBroker.uniqueTopic("garbage")
                let metrics = RecordingMetrics()
                let transport = try KafkaBroker.transport(topic: topic, partitions: 2, metrics: metrics)
                let consumer = fixture.eventConsumer(database, transport)
                let deadLetters = transport.deadLetterTopic(of: fixture.consumer)
                try await KafkaBroker.withClient { client in
                    try await client.createTopic(topic, partitions: 2, replicationFactor: 1)
                    let producer = KafkaProducer(client: client)
                    try await producer.send([
                        KafkaProducerRecord(key: "x", value: "just some bytes"),
                        KafkaProducerRecord(key: "y", value: "{not json", headers: [
                            KafkaHeader(key: "ce_specversion", value: "1.0"), KafkaHeader(key: "ce_id", value: "bad-1"),
                            KafkaHeader(key: "ce_source", value: "/elsewhere"), KafkaHeader(key: "ce_type", value: fixture.type),
                            KafkaHeader(key: "content-type", value: "application/json"),
                        ]),
                        KafkaProducerRecord(key: "z", value: "{}", headers: [KafkaHeader(key: "ce_specversion", value: "0.3"), KafkaHeader(key: "ce_id", value: "old")]),
                    ], to: topic)
                }
                try await whileRunning([transport.run, fixture.relay(database, transport).run, consumer.run]) {
                    try await fixture.record(0..<5, in: database)
                    #expect(try await eventually { try await fixture.effectCounts(database).rows >= 5 })
                    #expect(try await eventually { try await KafkaBroker.records(of: deadLetters).count == 3 })
                    #expect(try await eventually { try await KafkaBroker.fullyCommitted(topic: topic, group: KafkaTransport.group(of: fixture.consumer)) })
                    try await transport.checkReady()
                    #expect(metrics.values("emporium_events_dead_lettered_total", consumer: fixture.consumer).reduce(0, +) == 3)
                    #expect(try await transport.deadLetterCount(of: fixture.consumer) == 3)
                    #expect(try await transport.deadLetterCount(of: "nobody") == 0, "no dead-letter topic: none waiting")
                }
                let dead = try await KafkaBroker.records(of: deadLetters)
                #expect(Set(dead.compactMap(\.keyString)) == ["x", "y", "z"])
                #expect(dead.allSatisfy { $0.headerMap[KafkaTransport.DeadLetterHeader.error]?.contains("malformed event") == true })
                #expect(dead.first { $0.keyString == "y" }?.headerMap["ce_id"] == "bad-1", "the original headers are kept")
                #expect(try await fixture.effectCounts(database) == (5, 5))
            }
        }
    }

    @Test("an unreachable broker: readiness fails naming the broker; the outbox keeps the events")
    func unreachableBroker() async throws {
        try await TestDatabases.withDatabase(.sqlite) { database throws in
            let fixture = EventFixture("kafka-unreachable")
            try await fixture.migrate(database)
            let transport = try KafkaTransport(url: "kafka://127.0.0.1:1", logger: quietLogger)
            #expect(transport.description == "kafka://127.0.0.1:1")
            try await whileRunning([transport.run, fixture.relay(database, transport).run]) {
                let last = Mutex<BrokerUnavailableError?>(nil)
                _ = try await eventually(.seconds(20)) {
                    do {
                        try await transport.checkReady()
                        return false
                    } catch let error as BrokerUnavailableError {
                        last.withLock { $0 = error }
                        return !error.reason.contains("not connected yet")
                    }
                }
                let error = try #require(last.withLock { $0 })
                #expect(error.broker == "kafka://127.0.0.1:1")
                #expect(error.description.contains("127.0.0.1:1"))
                #expect(error.reason.contains("cannot reach Kafka broker"), "\(error)")
                try await fixture.record(0..<10, in: database)
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await fixture.unsent(database) == 10)
            }
        }
    }

    @Test("broadcast: every instance gets every event published after it subscribed")
    func broadcastReachesEveryInstance() async throws {
        try await BrokerGate.kafka.shared {
            let topic = KafkaBroker.uniqueTopic("broadcast")
            let one = try KafkaBroker.transport(topic: topic)
            let two = try KafkaBroker.transport(topic: topic)
            let seenByOne = Collected<String>()
            let seenByTwo = Collected<String>()
            try await whileRunning([
                one.run, two.run,
                { try await one.consumeBroadcast(consumer: "cache", types: ["test.cache.changed"]) { event in seenByOne.add(event.id) } },
                { try await two.consumeBroadcast(consumer: "cache", types: ["test.cache.changed"]) { event in seenByTwo.add(event.id) } },
            ]) {
                // Both subscribe from the latest offset when they join: probe until both see events.
                #expect(try await eventually(.seconds(60)) {
                    if (try? await one.checkReady()) != nil {
                        try await one.publish([CloudEvent(source: "/test", type: "test.cache.changed", subject: "probe", data: .null)])
                    }
                    try await Task.sleep(for: .milliseconds(200))
                    return !seenByOne.all.isEmpty && !seenByTwo.all.isEmpty
                })
                let events = (0..<5).map { CloudEvent(source: "/test", type: "test.cache.changed", subject: "k\($0)", data: .object(["n": .number(Double($0))])) }
                try await one.publish(events)
                try await one.publish([CloudEvent(source: "/test", type: "test.other", subject: "k", data: .null)])
                let ids = Set(events.map(\.id))
                #expect(try await eventually { ids.isSubset(of: Set(seenByOne.all)) && ids.isSubset(of: Set(seenByTwo.all)) })
            }
        }
    }
}
