import EmporiumCore
import AMQP
import EmporiumTestSupport
import Foundation
import Messaging
import SQLKit
import Storage
import Synchronization
import Testing

/// The event backbone against the real RabbitMQ the test script starts.
@Suite("Events through RabbitMQ", .enabled(if: EventBroker.isAvailable, EventBroker.skipReason))
struct RabbitMQTransportTests {
    static func transport(maxDeliveries: Int = 5) throws -> RabbitMQTransport {
        try RabbitMQTransport(url: try #require(EventBroker.url), maxDeliveries: maxDeliveries, logger: quietLogger)
    }

    /// Messages waiting in `queue`, read on a connection of its own.
    static func messageCount(_ queue: String) async throws -> UInt32 {
        try await inspect(queue).messageCount
    }

    static func inspect(_ queue: String) async throws -> AMQPQueueInfo {
        let connection = try await AMQPConnection.connect(url: try #require(EventBroker.url), logger: quietLogger)
        defer { Task { await connection.close() } }
        let channel = try await connection.openChannel()
        return try await channel.inspectQueue(queue)
    }

    /// Whether someone consumes `queue`. A consumer subscribes only after binding its queue, so
    /// from then on events published reach it; the queue alone existing is not enough (its
    /// bindings may still be on their way, and an event published meanwhile is unroutable).
    static func isConsumed(_ queue: String) async -> Bool {
        ((try? await inspect(queue))?.consumerCount ?? 0) > 0
    }

    @Test("round trip: outbox -> relay -> exchange -> queue -> consumer -> ack")
    func roundTrip() async throws {
        try await BrokerGate.shared.shared {
            try await TestDatabases.withDatabase(EventTestDatabase.preferred) { database throws in
                let fixture = EventFixture("roundtrip")
                try await fixture.migrate(database)
                let transport = try Self.transport()
                let relay = fixture.relay(database, transport)
                let consumer = fixture.eventConsumer(database, transport)
                try await whileRunning([transport.run, relay.run, consumer.run]) {
                    // Events published before the consumer has bound its queue would have no
                    // queue to go to.
                    #expect(try await eventually { await Self.isConsumed(RabbitMQTransport.queue(of: fixture.consumer)) })
                    try await fixture.record(0..<25, perTransaction: 5, in: database)
                    #expect(try await eventually { try await fixture.effectCounts(database).rows >= 25 })
                    try await transport.checkReady()
                }
                #expect(try await fixture.effects(database) == (0..<25).map(String.init))
                #expect(try await fixture.effectCounts(database) == (25, 25))
                #expect(try await fixture.unsent(database) == 0)
                #expect(try await Self.messageCount(RabbitMQTransport.queue(of: fixture.consumer)) == 0, "every delivery was acknowledged")
            }
        }
    }

    @Test("10,000 events while the broker is stopped and restarted mid-run: all handled, each once, none lost")
    func tenThousandThroughAnOutage() async throws {
        try #require(EventBroker.rabbitmqctl != nil, "needs EMPORIUM_TEST_RABBITMQCTL")
        try await BrokerGate.shared.exclusive(limit: .seconds(600)) {
            try await TestDatabases.withDatabase(EventTestDatabase.preferred) { database throws in
                let fixture = EventFixture("outage")
                try await fixture.migrate(database)
                let transport = try Self.transport()
                let relay = fixture.relay(database, transport)
                let consumer = fixture.eventConsumer(database, transport)
                let total = 10_000
                try await whileRunning([transport.run, relay.run, consumer.run]) {
                    #expect(try await eventually { await Self.isConsumed(RabbitMQTransport.queue(of: fixture.consumer)) })
                    try await fixture.record(0..<3_000, perTransaction: 50, in: database)
                    #expect(try await eventually { try await fixture.effectCounts(database).rows > 0 })

                    _ = try await EventBroker.ctl("stop_app")
                    do {
                        // While the broker is down the outbox keeps filling and readiness says so.
                        try await fixture.record(3_000..<7_000, perTransaction: 50, in: database)
                        await #expect(throws: BrokerUnavailableError.self) { try await transport.checkReady() }
                        #expect(try await fixture.unsent(database) > 0)
                    } catch {
                        _ = try? await EventBroker.ctl("start_app")
                        throw error
                    }
                    _ = try await EventBroker.ctl("start_app")

                    try await fixture.record(7_000..<total, perTransaction: 50, in: database)
                    let done = try await eventually(.seconds(240)) {
                        let handled = try await fixture.effectCounts(database).events
                        let unsent = try await fixture.unsent(database)
                        return handled >= total && unsent == 0
                    }
                    let handled = try await fixture.effectCounts(database)
                    let unsent = try await fixture.unsent(database)
                    #expect(done, "handled \(handled), unsent \(unsent)")
                    #expect(try await eventually(.seconds(30)) { (try? await transport.checkReady()) != nil })
                }
                let counts = try await fixture.effectCounts(database)
                #expect(counts.events == total, "every event handled")
                #expect(counts.rows == total, "no event had a second effect")
            }
        }
    }

    @Test("a consumer killed after its effect but before its ack: the event is redelivered and has no second effect")
    func killedBeforeAck() async throws {
        try await BrokerGate.shared.shared {
            try await TestDatabases.withDatabase(EventTestDatabase.preferred) { database throws in
                let fixture = EventFixture("kill")
                try await fixture.migrate(database)
                let queue = RabbitMQTransport.queue(of: fixture.consumer)
                let applied = EventConsumer(consumer: fixture.consumer, database: database, transport: InProcessTransport(expectedConsumers: [], logger: quietLogger), subscriptions: [fixture.subscription()], logger: quietLogger)

                // First instance: applies the event (commits effect and inbox row), then dies
                // before acknowledging: its connection is closed under it.
                let first = try Self.transport()
                let firstDelivery = Attempts()
                let firstConnection = Task { try await first.run() }
                let firstConsumer = Task {
                    try await first.consume(consumer: fixture.consumer, types: [fixture.type]) { event in
                        try await applied.handle(event)
                        firstDelivery.add()
                        firstConnection.cancel()  // the process dies: its connection goes, unacknowledged
                        try await Task.sleep(for: .seconds(3600))
                    }
                }
                let publisher = try Self.transport()
                try await whileRunning([publisher.run, fixture.relay(database, publisher).run]) {
                    #expect(try await eventually { await Self.isConsumed(queue) })
                    try await fixture.record(0..<1, in: database)
                    #expect(try await eventually { firstDelivery.count == 1 })
                    firstConsumer.cancel()
                    _ = await firstConsumer.result

                    // Second instance: gets the event again, and the inbox says it was handled.
                    let second = try Self.transport()
                    let redeliveries = Attempts()
                    try await whileRunning([second.run, {
                        try await second.consume(consumer: fixture.consumer, types: [fixture.type]) { event in
                            if try await applied.handle(event) == false { redeliveries.add() }
                        }
                    }]) { () throws in
                        #expect(try await eventually { redeliveries.count == 1 })
                        #expect(try await eventually { (try? await Self.messageCount(queue)) == 0 })
                    }
                }
                #expect(try await fixture.effectCounts(database) == (1, 1))
            }
        }
    }

    @Test("a poison event ends in the consumer's dead-letter queue after N deliveries; the queue keeps flowing")
    func poisonToDeadLetterQueue() async throws {
        try await BrokerGate.shared.shared {
            try await TestDatabases.withDatabase(EventTestDatabase.preferred) { database throws in
                let fixture = EventFixture("poison")
                try await fixture.migrate(database)
                let transport = try Self.transport(maxDeliveries: 3)
                let poisonAttempts = Attempts()
                let consumer = fixture.eventConsumer(database, transport) { event in
                    guard event.subject == "3" else { return false }
                    poisonAttempts.add()
                    return true
                }
                try await whileRunning([transport.run, fixture.relay(database, transport).run, consumer.run]) {
                    #expect(try await eventually { await Self.isConsumed(RabbitMQTransport.queue(of: fixture.consumer)) })
                    try await fixture.record(0..<30, in: database)
                    #expect(try await eventually { try await fixture.effectCounts(database).rows >= 29 })
                    #expect(try await eventually { try await Self.messageCount(RabbitMQTransport.deadLetterQueue(of: fixture.consumer)) == 1 })
                }
                // One attempt on its own per delivery (3), plus one per delivery in which it
                // came in a batch with other events (the batch failed, then each went alone).
                #expect((3...6).contains(poisonAttempts.count), "\(poisonAttempts.count) attempts")
                #expect(Set(try await fixture.effects(database)) == Set((0..<30).filter { $0 != 3 }.map(String.init)))
                #expect(try await fixture.effectCounts(database).rows == 29)
            }
        }
    }

    @Test("a wrong password: readiness fails with an error naming the broker and the refusal")
    func wrongCredentials() async throws {
        let good = try #require(EventBroker.url)
        let bad = good.replacingOccurrences(of: "guest:guest@", with: "guest:not-the-password@")
        try #require(bad != good)
        let transport = try RabbitMQTransport(url: bad, logger: quietLogger)
        let address = try AMQPConfiguration(url: good).brokerAddress
        try await whileRunning([transport.run]) {
            let error = try await Self.readinessError(transport)
            #expect(error.broker == address)
            #expect(error.description.contains(address))
            #expect(error.description.lowercased().contains("refused"), "\(error)")
        }
    }

    @Test("an unreachable broker: readiness fails naming the broker; publishing fails and the outbox keeps the events")
    func unreachableBroker() async throws {
        try await TestDatabases.withDatabase(.sqlite) { database throws in
            let fixture = EventFixture("unreachable")
            try await fixture.migrate(database)
            let transport = try RabbitMQTransport(url: "amqp://guest:guest@127.0.0.1:1/", logger: quietLogger)
            try await whileRunning([transport.run, fixture.relay(database, transport).run]) {
                let error = try await Self.readinessError(transport)
                #expect(error.description.contains("127.0.0.1:1"))
                try await fixture.record(0..<10, in: database)
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await fixture.unsent(database) == 10)
            }
        }
    }

    @Test(
        "events published together travel several to a message: runs of one type, cut at eventsPerMessage, in order; a run of one is a plain event",
        arguments: [4, 1])
    func batchMessages(eventsPerMessage: Int) async throws {
        try await BrokerGate.shared.shared {
            // A×10, B×1, A×3, and one more A from another source.
            let (typeA, typeB) = ("test.batch.a", "test.batch.b")
            let types = Array(repeating: typeA, count: 10) + [typeB] + Array(repeating: typeA, count: 3)
            let events = types.enumerated().map { CloudEvent(source: "/tests", type: $0.element, subject: "\($0.offset)", data: .null) }
                + [CloudEvent(source: "/elsewhere", type: typeA, subject: "14", data: .null)]
            let received = try await Self.publishedMessages(events, eventsPerMessage: eventsPerMessage)
            #expect(received.flatMap { $0 } == events, "every event once, in the order published")
            let expected = eventsPerMessage == 1 ? Array(repeating: 1, count: 15) : [4, 4, 2, 1, 3, 1]
            #expect(received.map(\.count) == expected)
        }
    }

    @Test("a message of several events stays under 1 MiB of JSON")
    func batchMessagesStayUnderAMebibyte() async throws {
        try await BrokerGate.shared.shared {
            let big = JSONValue.string(String(repeating: "x", count: 300_000))
            let events = (0..<5).map { CloudEvent(source: "/tests", type: "test.batch.big", subject: "\($0)", data: big) }
            let received = try await Self.publishedMessages(events, eventsPerMessage: 256)
            #expect(received.flatMap { $0 } == events)
            #expect(received.map(\.count) == [3, 2])
        }
    }

    @Test("broadcast: every instance gets every event published after it subscribed, several to a message or one")
    func broadcastReachesEveryInstance() async throws {
        try await BrokerGate.shared.shared {
            let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
            let (type, other, consumer) = ("test.cache.\(suffix).changed", "test.cache.\(suffix).other", "cache-\(suffix)")
            let one = try Self.transport()
            let two = try Self.transport()
            let seenByOne = Collected<String>()
            let seenByTwo = Collected<String>()
            try await whileRunning([
                one.run, two.run,
                { try await one.consumeBroadcast(consumer: consumer, types: [type]) { event in seenByOne.add(event.subject ?? "") } },
                { try await two.consumeBroadcast(consumer: consumer, types: [type]) { event in seenByTwo.add(event.subject ?? "") } },
            ]) {
                // Each instance's queue exists once it subscribed: probe until both see an event.
                #expect(try await eventually {
                    if (try? await one.checkReady()) != nil {
                        try await one.publish([CloudEvent(source: "/test", type: type, subject: "probe", data: .null)])
                    }
                    try await Task.sleep(for: .milliseconds(100))
                    return !seenByOne.all.isEmpty && !seenByTwo.all.isEmpty
                })
                // Five in one message, then one of a type nobody subscribed to, then one alone.
                let subjects = (0..<5).map { "k\($0)" }
                try await one.publish(subjects.map { CloudEvent(source: "/test", type: type, subject: $0, data: .null) })
                try await one.publish([CloudEvent(source: "/test", type: other, subject: "other", data: .null)])
                try await one.publish([CloudEvent(source: "/test", type: type, subject: "k5", data: .null)])
                let expected = subjects + ["k5"]
                for seen in [seenByOne, seenByTwo] {
                    #expect(try await eventually { seen.all.filter { $0 != "probe" } == expected }, "in order, each once: \(seen.all)")
                }
            }
        }
    }

    /// Publishes `events` with `publish(stored:)` and reads back the messages a queue bound to
    /// their types got: each message's events, checked to be one batch or one plain event of
    /// one type and source, routed by that type, with the first event's id as message id.
    static func publishedMessages(_ events: [CloudEvent], eventsPerMessage: Int) async throws -> [[CloudEvent]] {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let events = events.map { event in
            var event = event
            event.type += ".\(suffix)"
            return event
        }
        let queue = "emporium.test.batch.\(suffix)"
        let connection = try await AMQPConnection.connect(url: try #require(EventBroker.url), logger: quietLogger)
        let channel = try await connection.openChannel()
        try await channel.declareExchange(RabbitMQTransport.exchange, type: .topic, durable: true)
        try await channel.declareQueue(queue, durable: false, exclusive: true, autoDelete: true)
        for type in Set(events.map(\.type)) { try await channel.bindQueue(queue, exchange: RabbitMQTransport.exchange, routingKey: type) }

        let transport = try RabbitMQTransport(url: try #require(EventBroker.url), eventsPerMessage: eventsPerMessage, logger: quietLogger)
        try await whileRunning([transport.run]) {
            #expect(try await eventually { (try? await transport.checkReady()) != nil })
            try await transport.publish(stored: events.map { try StoredEvent($0) })
        }
        var received: [[CloudEvent]] = []
        while let delivery = try await channel.get(queue: queue) {
            let batch = delivery.properties.contentType == CloudEvent.batchContentType
            #expect(batch || delivery.properties.contentType == "application/cloudevents+json")
            let inMessage = batch ? try CloudEvent.decodeBatch(delivery.body) : [try CloudEvent.decode(delivery.body)]
            #expect(batch == (inMessage.count > 1), "a batch holds several events, a plain message one")
            #expect(delivery.routingKey == inMessage[0].type && delivery.properties.messageID == inMessage[0].id)
            #expect(Set(inMessage.map(\.type)).count == 1 && Set(inMessage.map(\.source)).count == 1)
            received.append(inMessage)
            try delivery.ack(multiple: false)
        }
        await connection.close()
        #expect(received.flatMap { $0 }.map(\.id) == events.map(\.id))
        return received.map { $0.map { event in
            var event = event
            event.type = String(event.type.dropLast(suffix.count + 1))
            return event
        } }
    }

    /// The first readiness failure once the transport has tried to connect.
    static func readinessError(_ transport: RabbitMQTransport) async throws -> BrokerUnavailableError {
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
        return try #require(last.withLock { $0 })
    }
}
