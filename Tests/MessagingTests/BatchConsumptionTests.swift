import EmporiumCore
import AMQP
import EmporiumTestSupport
import Foundation
import Messaging
import SQLKit
import Storage
import Synchronization
import Testing

/// The event consumer applying deliveries in batches: one transaction and one acknowledgement
/// per batch, one event at a time when a batch fails.
@Suite("Consuming events in batches")
struct BatchConsumptionTests {
    static let batchSize = "emporium_events_consumed_batch_size"
    static let consumed = "emporium_events_consumed_total"

    // MARK: In process

    @Test("in process: a published batch is applied in one transaction", arguments: EventTestDatabase.kinds)
    func inProcessBatch(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database throws in
            let fixture = EventFixture("inproc-batch")
            try await fixture.migrate(database)
            let metrics = RecordingMetrics()
            let transport = InProcessTransport(expectedConsumers: [fixture.consumer], maxBatch: 64, logger: quietLogger)
            let consumer = fixture.eventConsumer(database, transport, metrics: metrics)
            try await whileRunning([transport.run, consumer.run]) {
                try await transport.publish((0..<150).map { fixture.event(subject: "\($0)") })
            }
            #expect(try await fixture.effects(database) == (0..<150).map(String.init))
            #expect(try await fixture.effectCounts(database) == (150, 150))
            #expect(metrics.values(Self.batchSize, consumer: fixture.consumer) == [64, 64, 22], "one transaction per batch of up to 64")
            #expect(metrics.values(Self.consumed, consumer: fixture.consumer).reduce(0, +) == 150)
        }
    }

    @Test("in process: a poison event inside a batch is dead-lettered after N attempts alone; the rest of its batch is applied once", arguments: EventTestDatabase.kinds)
    func inProcessPoisonInBatch(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database throws in
            let fixture = EventFixture("inproc-poison")
            try await fixture.migrate(database)
            let attempts = Attempts()
            let transport = BatchLoggingTransport(
                InProcessTransport(expectedConsumers: [fixture.consumer], maxDeliveries: 3, logger: quietLogger))
            let consumer = fixture.eventConsumer(database, transport) { event in
                guard event.subject == "7" else { return false }
                attempts.add()
                return true
            }
            try await whileRunning([transport.run, consumer.run]) {
                try await transport.publish((0..<20).map { fixture.event(subject: "\($0)") })
            }
            #expect(try await fixture.effects(database) == (0..<20).filter { $0 != 7 }.map(String.init), "the others in order, once each")
            #expect(try await fixture.effectCounts(database) == (19, 19))
            let calls = transport.calls
            #expect(calls.first?.subjects == (0..<20).map(String.init) && calls.first?.succeeded == false, "the whole batch was tried first")
            #expect(calls.filter { $0.subjects == ["7"] }.count == 3, "then the poison alone, maxDeliveries times")
            #expect(attempts.count == 4)
            let base = try #require(transport.base as? InProcessTransport)
            #expect(base.deadLetters(of: fixture.consumer).map(\.subject) == ["7"])
        }
    }

    @Test("a batch holding events handled before, or one event twice, applies each event once", arguments: EventTestDatabase.kinds)
    func batchSkipsWhatTheInboxHas(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database throws in
            let fixture = EventFixture("inbox-batch")
            try await fixture.migrate(database)
            let consumer = fixture.eventConsumer(database, InProcessTransport(expectedConsumers: [], logger: quietLogger))
            let events = (0..<5).map { fixture.event(subject: "\($0)") }
            #expect(try await consumer.apply(Array(events[0..<2])) == 2)
            #expect(try await consumer.apply(events + [events[3]]) == 3, "0 and 1 were handled before; 3 appears twice")
            #expect(try await consumer.apply(events) == 0)
            #expect(try await fixture.effects(database) == ["0", "1", "2", "3", "4"])
            #expect(try await fixture.effectCounts(database) == (5, 5))
        }
    }

    // MARK: Through RabbitMQ

    @Test(
        "through RabbitMQ: 500 events are applied in batches, one transaction and one ack each, every event once and in order",
        .enabled(if: EventBroker.isAvailable, EventBroker.skipReason), arguments: EventTestDatabase.kinds)
    func rabbitMQBatches(kind: DatabaseKind) async throws {
        try await BrokerGate.shared.shared {
            try await TestDatabases.withDatabase(kind) { database throws in
                let fixture = EventFixture("batches")
                try await fixture.migrate(database)
                let metrics = RecordingMetrics()
                let transport = try RabbitMQTransport(url: try #require(EventBroker.url), logger: quietLogger)
                #expect(transport.maxBatch == 512, "512 events by default")
                let queue = RabbitMQTransport.queue(of: fixture.consumer)
                let consumer = fixture.eventConsumer(database, transport, metrics: metrics)
                try await whileRunning([transport.run, fixture.relay(database, transport).run, consumer.run]) {
                    #expect(try await eventually { await RabbitMQTransportTests.isConsumed(queue) })
                    try await fixture.record(0..<500, perTransaction: 50, in: database)
                    #expect(try await eventually { try await fixture.effectCounts(database).rows >= 500 })
                }
                #expect(try await fixture.effects(database) == (0..<500).map(String.init))
                #expect(try await fixture.effectCounts(database) == (500, 500))
                let batches = metrics.values(Self.batchSize, consumer: fixture.consumer)
                #expect(batches.reduce(0, +) == 500, "every event in exactly one committed transaction")
                #expect(batches.count < 500 && (batches.max() ?? 0) > 1, "some transactions held several events: \(batches)")
                #expect((batches.max() ?? 0) <= 512)
                // The consumer's channel is closed now: anything not acknowledged would be back.
                #expect(try await RabbitMQTransportTests.messageCount(queue) == 0, "every batch was acknowledged")
            }
        }
    }

    @Test(
        "through RabbitMQ: a poison event inside a batch reaches the dead-letter queue after N deliveries; the others of its batch are applied once",
        .enabled(if: EventBroker.isAvailable, EventBroker.skipReason))
    func rabbitMQPoisonInBatch() async throws {
        try await BrokerGate.shared.shared {
            try await TestDatabases.withDatabase(EventTestDatabase.preferred) { database throws in
                let fixture = EventFixture("batch-poison")
                try await fixture.migrate(database)
                let maxDeliveries = 3
                let metrics = RecordingMetrics()
                // Messages of 50 events (one producer transaction each), batches of two messages.
                let base = try RabbitMQTransport(
                    url: try #require(EventBroker.url), maxDeliveries: maxDeliveries, maxBatch: 100, eventsPerMessage: 50, metrics: metrics,
                    logger: quietLogger)
                let transport = BatchLoggingTransport(base)
                // The queue first, then 200 events waiting in it, then the consumer: it starts
                // with a backlog, so its batches are full.
                try await Self.declareQueues(of: fixture, maxDeliveries: maxDeliveries)
                let total = 200
                let poison = "150"
                try await whileRunning([base.run, fixture.relay(database, base).run]) { () throws in
                    try await fixture.record(0..<total, perTransaction: 50, in: database)
                    #expect(try await eventually { try await fixture.unsent(database) == 0 })
                }
                let consumer = fixture.eventConsumer(database, transport) { $0.subject == poison }
                try await whileRunning([base.run, consumer.run]) { () throws in
                    #expect(try await eventually { try await fixture.effectCounts(database).rows >= total - 1 })
                    #expect(try await eventually {
                        try await RabbitMQTransportTests.messageCount(RabbitMQTransport.deadLetterQueue(of: fixture.consumer)) == 1
                    })
                    // emporium_dlq_messages: the one message; emporium_events_dead_lettered_total: its 50 events.
                    #expect(try await base.deadLetterCount(of: fixture.consumer) == 1)
                    #expect(metrics.values("emporium_events_dead_lettered_total", consumer: fixture.consumer).reduce(0, +) == 50)
                }
                let expected = (0..<total).map(String.init).filter { $0 != poison }
                #expect(Set(try await fixture.effects(database)) == Set(expected))
                #expect(try await fixture.effectCounts(database) == (total - 1, total - 1), "no event applied twice")
                let calls = transport.calls
                let failedBatches = calls.filter { $0.subjects.count > 1 && $0.subjects.contains(poison) }
                #expect(!failedBatches.isEmpty && failedBatches.allSatisfy { !$0.succeeded }, "the poison was in a batch with others, which failed")
                #expect(calls.filter { $0.subjects == [poison] }.count == maxDeliveries, "one attempt alone per delivery")
                #expect(calls.filter { $0.subjects.count > 1 && $0.succeeded }.count > 0, "the other events went in batches")
                #expect(try await RabbitMQTransportTests.messageCount(RabbitMQTransport.queue(of: fixture.consumer)) == 0)
                // The message of the poison's 50 events, whole, is the dead letter (its other events
                // were applied once).
                let connection = try await AMQPConnection.connect(url: try #require(EventBroker.url), logger: quietLogger)
                let deadLetter = try await connection.openChannel().get(queue: RabbitMQTransport.deadLetterQueue(of: fixture.consumer))
                await connection.close()
                let deadEvents = try CloudEvent.decodeBatch(try #require(deadLetter).body)
                #expect(deadEvents.map(\.subject) == (150..<200).map { String($0) as String? })
            }
        }
    }

    @Test(
        "through RabbitMQ: a consumer killed after committing a batch but before its ack: the batch is redelivered and has no second effect",
        .enabled(if: EventBroker.isAvailable, EventBroker.skipReason))
    func rabbitMQBatchKilledBeforeAck() async throws {
        try await BrokerGate.shared.shared {
            try await TestDatabases.withDatabase(EventTestDatabase.preferred) { database throws in
                let fixture = EventFixture("batch-kill")
                try await fixture.migrate(database)
                let queue = RabbitMQTransport.queue(of: fixture.consumer)
                let applied = fixture.eventConsumer(database, InProcessTransport(expectedConsumers: [], logger: quietLogger))
                try await Self.declareQueues(of: fixture, maxDeliveries: 5)
                let total = 100
                let publisher = try RabbitMQTransport(url: try #require(EventBroker.url), logger: quietLogger)
                try await whileRunning([publisher.run, fixture.relay(database, publisher).run]) { () throws in
                    try await fixture.record(0..<total, perTransaction: 50, in: database)
                    #expect(try await eventually { try await fixture.unsent(database) == 0 })
                }

                // First instance: applies batches; after committing the first batch of several
                // events it dies before acknowledging it: its connection is closed under it.
                let first = try RabbitMQTransport(url: try #require(EventBroker.url), logger: quietLogger)
                let killed = Mutex<[String]>([])
                let firstConnection = Task { try await first.run() }
                let firstConsumer = Task {
                    try await first.consumeBatches(consumer: fixture.consumer, types: [fixture.type]) { events in
                        try await applied.apply(events)
                        guard events.count > 1 else { return }
                        killed.withLock { $0 = events.map(\.id) }
                        firstConnection.cancel()  // the process dies: its connection goes, unacknowledged
                        try await Task.sleep(for: .seconds(3600))
                    }
                }
                #expect(try await eventually { !killed.withLock { $0 }.isEmpty })
                firstConsumer.cancel()
                _ = await firstConsumer.result
                let killedBatch = killed.withLock { $0 }
                #expect(try await fixture.effectCounts(database).rows >= killedBatch.count)

                // Second instance: gets that batch again, and the inbox says it was handled.
                let second = try RabbitMQTransport(url: try #require(EventBroker.url), logger: quietLogger)
                let skipped = Mutex<Set<String>>([])
                try await whileRunning([second.run, {
                    try await second.consumeBatches(consumer: fixture.consumer, types: [fixture.type]) { events in
                        // What the inbox already has is skipped: remember those ids.
                        let handledBefore = try await fixture.inboxed(events.map(\.id), database)
                        let appliedNow = try await applied.apply(events)
                        #expect(appliedNow == events.count - handledBefore.count)
                        skipped.withLock { $0.formUnion(handledBefore) }
                    }
                }]) { () throws in
                    #expect(try await eventually { try await fixture.effectCounts(database).rows >= total })
                    // The killed batch comes back once the broker has seen the first connection
                    // close, which may be after the second instance has applied the rest.
                    #expect(try await eventually { Set(killedBatch).isSubset(of: skipped.withLock { $0 }) })
                    #expect(try await eventually { (try? await RabbitMQTransportTests.messageCount(queue)) == 0 })
                }
                #expect(Set(killedBatch).isSubset(of: skipped.withLock { $0 }), "the killed batch came back")
                #expect(try await fixture.effectCounts(database) == (total, total), "and had no second effect")
            }
        }
    }

    /// Declares the queues `RabbitMQTransport` declares for `fixture`'s consumer, so events
    /// published before it subscribes wait in its queue.
    static func declareQueues(of fixture: EventFixture, maxDeliveries: Int) async throws {
        let connection = try await AMQPConnection.connect(url: try #require(EventBroker.url), logger: quietLogger)
        do {
            let channel = try await connection.openChannel()
            try await channel.declareExchange(RabbitMQTransport.exchange, type: .topic, durable: true)
            try await AMQPDeadLetterTopology(
                queue: RabbitMQTransport.queue(of: fixture.consumer), maxDeliveries: maxDeliveries,
                deadLetterQueue: RabbitMQTransport.deadLetterQueue(of: fixture.consumer),
                bindings: [.init(exchange: RabbitMQTransport.exchange, routingKey: fixture.type)]
            ).declare(on: channel)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }
}

extension EventFixture {
    /// An event of the fixture's type with `subject`.
    func event(subject: String) -> CloudEvent {
        CloudEvent(source: "/emporium/\(producer)", type: type, subject: subject, data: .object([:]))
    }

    /// Which of `ids` the consumer's inbox holds.
    func inboxed(_ ids: [String], _ database: any Database) async throws -> Set<String> {
        try await database.withConnection { sql in
            Set(try await sql.raw("SELECT event_id FROM emporium_inbox WHERE consumer = \(bind: consumer) AND event_id IN (\(binds: ids))").all()
                .map { try $0.decode(column: "event_id", as: String.self) })
        }
    }
}
