import EmporiumCore
import EmporiumTestSupport
import Foundation
import Messaging
import SQLKit
import Storage
import Synchronization
import Testing

@Suite("Outbox, relay and inbox (in-process bus)")
struct OutboxAndInboxTests {
    @Test("an event exists only if the transaction that recorded it commits", arguments: EventTestDatabase.kinds)
    func outboxFollowsTheTransaction(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database throws in
            let fixture = EventFixture("txn")
            try await fixture.migrate(database)
            await #expect(throws: TestFailure.self) {
                try await database.transaction { sql in
                    try await fixture.outbox.record(type: fixture.type, subject: "rolled-back", data: ["x": 1], in: sql)
                    throw TestFailure("the business write failed")
                }
            }
            #expect(try await fixture.unsent(database) == 0)
            try await fixture.record(0..<3, perTransaction: 3, in: database)
            #expect(try await fixture.unsent(database) == 3)
        }
    }

    @Test("every event is handled once, in commit order, and marked sent", arguments: EventTestDatabase.kinds)
    func inProcessDelivery(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database throws in
            let fixture = EventFixture("order")
            try await fixture.migrate(database)
            let transport = InProcessTransport(expectedConsumers: [fixture.consumer], logger: quietLogger)
            let relay = fixture.relay(database, transport)
            let consumer = fixture.eventConsumer(database, transport)
            try await whileRunning([transport.run, relay.run, consumer.run]) {
                try await fixture.record(0..<300, perTransaction: 7, in: database)
                #expect(try await eventually { try await fixture.drained(database, effects: 300) })
            }
            #expect(try await fixture.effects(database) == (0..<300).map(String.init))
            #expect(try await fixture.effectCounts(database) == (300, 300))
            #expect(try await fixture.unsent(database) == 0)
        }
    }

    @Test("a redelivered event has no second effect", arguments: EventTestDatabase.kinds)
    func inboxMakesRedeliveryHarmless(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database throws in
            let fixture = EventFixture("dedupe")
            try await fixture.migrate(database)
            let consumer = fixture.eventConsumer(database, InProcessTransport(expectedConsumers: [], logger: quietLogger))
            let event = CloudEvent(source: "/emporium/producer", type: fixture.type, subject: "once", data: .object([:]))
            #expect(try await consumer.handle(event) == true)
            #expect(try await consumer.handle(event) == false)
            #expect(try await fixture.effectCounts(database) == (1, 1))
        }
    }

    @Test("a handler that fails rolls back its writes and its inbox claim, so the retry can succeed")
    func failedHandlerLeavesNoTrace() async throws {
        try await TestDatabases.withDatabase(.sqlite) { database throws in
            let fixture = EventFixture("rollback")
            try await fixture.migrate(database)
            let failures = FailureBudget(2)
            let consumer = fixture.eventConsumer(database, InProcessTransport(expectedConsumers: [], logger: quietLogger)) { _ in
                failures.take()
            }
            let event = CloudEvent(source: "/emporium/producer", type: fixture.type, subject: "retry", data: .object([:]))
            await #expect(throws: TestFailure.self) { try await consumer.handle(event) }
            await #expect(throws: TestFailure.self) { try await consumer.handle(event) }
            #expect(try await fixture.effectCounts(database) == (0, 0))
            #expect(try await consumer.handle(event) == true)
            #expect(try await fixture.effectCounts(database) == (1, 1))
        }
    }

    @Test("a poison event is dead-lettered after the delivery limit; the events after it flow")
    func poisonIsDeadLettered() async throws {
        try await TestDatabases.withDatabase(.sqlite) { database throws in
            let fixture = EventFixture("poison")
            try await fixture.migrate(database)
            let attempts = Attempts()
            let transport = InProcessTransport(expectedConsumers: [fixture.consumer], maxDeliveries: 3, logger: quietLogger)
            let relay = fixture.relay(database, transport)
            let consumer = fixture.eventConsumer(database, transport) { event in
                guard event.subject == "5" else { return false }
                attempts.add()
                return true
            }
            try await whileRunning([transport.run, relay.run, consumer.run]) {
                try await fixture.record(0..<20, in: database)
                // Effects commit before the relay marks the batch sent: wait for both.
                #expect(try await eventually { try await fixture.drained(database, effects: 19) })
            }
            #expect(try await fixture.effects(database) == (0..<20).filter { $0 != 5 }.map(String.init))
            // Three attempts on its own, plus one as part of a batch when the relay handed it
            // over together with other events (the batch failed, then each went alone).
            #expect((3...4).contains(attempts.count), "\(attempts.count) attempts")
            #expect(transport.deadLetters(of: fixture.consumer).map(\.subject) == ["5"])
            #expect(try await fixture.unsent(database) == 0)
        }
    }
}

/// Fails the first `n` calls.
final class FailureBudget: Sendable {
    private let remaining: Mutex<Int>
    init(_ n: Int) { remaining = Mutex(n) }
    func take() -> Bool {
        remaining.withLock { value in
            guard value > 0 else { return false }
            value -= 1
            return true
        }
    }
}

/// Counts calls from any task.
final class Attempts: Sendable {
    private let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}

@Suite("Pruning the messaging tables")
struct MessagingJanitorTests {
    @Test("sent events older than the retention and old inbox records go; unsent events and other services' rows stay", arguments: EventTestDatabase.kinds)
    func prunesOnlyWhatIsOldAndDone(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database throws in
            let fixture = EventFixture("prune")
            try await fixture.migrate(database)
            try await fixture.record(0..<4, in: database)
            let old = Timestamp.format(Date.now.addingTimeInterval(-10 * 86_400))
            try await database.transaction { sql in
                // Two old sent events, one recent sent event, one unsent event.
                try await sql.raw("UPDATE emporium_outbox SET sent_at = \(bind: old) WHERE service = 'producer' AND sequence IN (SELECT sequence FROM emporium_outbox WHERE service = 'producer' ORDER BY sequence LIMIT 2)").run()
                try await sql.raw("UPDATE emporium_outbox SET sent_at = \(bind: Timestamp.format(.now)) WHERE service = 'producer' AND sent_at IS NULL AND sequence = (SELECT MAX(sequence) FROM emporium_outbox WHERE service = 'producer')").run()
                try await sql.raw("INSERT INTO emporium_inbox (consumer, event_id, type, handled_at) VALUES ('producer', 'old', 't', \(bind: Timestamp.format(Date.now.addingTimeInterval(-40 * 86_400)))), ('producer', 'new', 't', \(bind: Timestamp.format(.now))), ('someone-else', 'old', 't', \(bind: old))").run()
            }
            let janitor = MessagingJanitor(service: "producer", database: database, logger: quietLogger)
            let pruned = try await janitor.prune(now: .now)
            #expect(pruned.outbox == 2)
            #expect(pruned.inbox == 1)
            #expect(try await fixture.unsent(database) == 1)
            let remaining = try await database.withConnection { sql in
                try await sql.raw("SELECT consumer, event_id FROM emporium_inbox ORDER BY consumer").all().map {
                    "\(try $0.decode(column: "consumer", as: String.self))/\(try $0.decode(column: "event_id", as: String.self))"
                }
            }
            #expect(remaining == ["producer/new", "someone-else/old"])
            #expect(try await janitor.prune(now: .now) == (0, 0), "a second run finds nothing")
        }
    }
}

@Suite("Messaging schema on PostgreSQL", .enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
struct MessagingSchemaTests {
    @Test("migration 2 gives the outbox and inbox keys byte-order collation on PostgreSQL, keeping rows and uniqueness")
    func byteOrderKeys() async throws {
        try await TestDatabases.withDatabase(.postgres) { database throws in
            let fixture = EventFixture("collation")
            // A database of before migration 2, with events in it.
            try await Migrator(database: database, service: MessagingSchema.history(of: fixture.producer), logger: quietLogger)
                .migrate(Array(MessagingSchema.migrations.prefix(1)))
            try await fixture.record(0..<3, in: database)
            try await database.transaction { sql in
                try await sql.raw("INSERT INTO emporium_inbox (consumer, event_id, type, handled_at) VALUES ('c', 'e-1', 't', 'now')").run()
            }
            // Two services sharing the database: the second finds the columns converted.
            try await fixture.migrate(database)
            let collations = try await database.withConnection { sql in
                try await sql.raw(
                    """
                    SELECT table_name || '.' || column_name || '=' || COALESCE(collation_name, '') AS c FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name IN ('emporium_outbox', 'emporium_inbox')
                      AND column_name IN ('service', 'event_id', 'consumer')
                    ORDER BY 1
                    """
                ).all().map { try $0.decode(column: "c", as: String.self) }
            }
            #expect(collations == [
                "emporium_inbox.consumer=C", "emporium_inbox.event_id=C", "emporium_outbox.event_id=C", "emporium_outbox.service=C",
            ])
            #expect(try await fixture.unsent(database) == 3, "the events recorded before the migration are still waiting")
            let again = try await database.withConnection { sql in
                try await sql.raw(
                    "INSERT INTO emporium_inbox (consumer, event_id, type, handled_at) VALUES ('c', 'e-1', 't', 'now') ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id"
                ).all().count
            }
            #expect(again == 0, "the inbox still refuses a second claim of one event")
        }
    }
}
