import EmporiumCore
import EmporiumTestSupport
import Foundation
import Messaging
import SQLKit
import Storage
import Synchronization
import Testing

/// Many events at once: multi-row outbox inserts, the relay's pipeline, batch-aware handlers.
@Suite("Many events at once")
struct BulkEventsTests {
    @Test("2,500 events recorded with one call are stored in the order given, and only if the transaction commits", arguments: EventTestDatabase.kinds)
    func recordsManyInOrder(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database throws in
            let fixture = EventFixture("bulk")
            try await fixture.migrate(database)
            let drafts = try (0..<2_500).map { try Outbox.Draft(type: fixture.type, subject: "\($0)", encoding: ["index": $0]) }
            await #expect(throws: TestFailure.self) {
                try await database.transaction { sql in
                    try await fixture.outbox.record(drafts, in: sql)
                    throw TestFailure("the business write failed")
                }
            }
            #expect(try await fixture.unsent(database) == 0, "nothing of a rolled-back transaction")

            let events = try await database.transaction { sql in try await fixture.outbox.record(drafts, in: sql) }
            #expect(events.map(\.subject) == (0..<2_500).map { "\($0)" })
            #expect(Set(events.map(\.id)).count == 2_500)
            let stored = try await outboxRows(database, fixture)
            #expect(stored.map(\.id) == events.map(\.id), "sequence order is the order given, across the 1,000-row statements")
            let first = try CloudEvent.decode(Data(try #require(stored.first).json.utf8))
            #expect(first == events[0], "the row holds the event as it will be published")
        }
    }

    @Test("the relay publishes 3,000 events in outbox order, each once, and marks them all sent", arguments: EventTestDatabase.kinds)
    func relayPublishesInOrder(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database throws in
            let fixture = EventFixture("pipeline")
            try await fixture.migrate(database)
            let transport = ScriptedTransport()
            // More than one PostgreSQL relay transaction's worth (8 batches of 256).
            let events = try await recordInTransactions(3 * 1_000, fixture, database)
            try await whileRunning([fixture.relay(database, transport).run]) { () async throws in
                #expect(try await eventually { try await fixture.unsent(database) == 0 })
            }
            let published = transport.publishedIDs
            #expect(published == events, "in outbox order, none twice: \(published.count) published for \(events.count) recorded")
            #expect(transport.calls.allSatisfy { $0 <= 256 }, "batches of at most 256: \(transport.calls)")
        }
    }

    @Test("when a publish fails, the batches confirmed before it stay marked sent; after the outage the rest follows in order", arguments: EventTestDatabase.kinds)
    func relayKeepsConfirmedBatches(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database throws in
            let fixture = EventFixture("relay-failure")
            try await fixture.migrate(database)
            let transport = ScriptedTransport(failFromCall: 3)
            let events = try await recordInTransactions(1_000, fixture, database)
            try await whileRunning([fixture.relay(database, transport).run]) { () async throws in
                #expect(try await eventually { transport.failures >= 2 }, "the relay retried against the failing transport")
                #expect(try await fixture.unsent(database) == 1_000 - 2 * 256, "the two confirmed batches are marked sent")
                transport.recover()
                #expect(try await eventually { try await fixture.unsent(database) == 0 })
            }
            let published = transport.publishedIDs
            #expect(published == events, "in outbox order, none twice: \(published.count) published for \(events.count) recorded")
        }
    }

    @Test("a batch handler gets its events of a batch in one call, in order; per-event handlers and redeliveries as before", arguments: EventTestDatabase.kinds)
    func batchSubscription(kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database throws in
            let fixture = EventFixture("batch-handler")
            try await fixture.migrate(database)
            let typeA = "\(fixture.type).a"
            let typeB = "\(fixture.type).b"
            let calls = Mutex<[[String]]>([])
            let batched = EventSubscription(types: [typeA]) { (events: [CloudEvent], sql: any SQLDatabase) in
                calls.withLock { $0.append(events.compactMap(\.subject)) }
                let rows: [SQLQueryString] = events.map { "(\(bind: fixture.consumer), \(bind: $0.id), \(bind: $0.subject ?? ""))" }
                try await sql.raw("INSERT INTO effects (consumer, event_id, subject) VALUES \(rows.joined(separator: ", "))").run()
            }
            let single = EventSubscription(types: [typeB]) { event, sql in
                try await sql.raw(
                    "INSERT INTO effects (consumer, event_id, subject) VALUES (\(bind: fixture.consumer), \(bind: event.id), \(bind: event.subject ?? ""))"
                ).run()
            }
            let consumer = EventConsumer(
                consumer: fixture.consumer, database: database, transport: ScriptedTransport(), subscriptions: [batched, single], logger: quietLogger)
            func event(_ type: String, _ subject: String) -> CloudEvent {
                CloudEvent(source: "/emporium/producer", type: type, subject: subject, data: .object([:]))
            }
            let early = event(typeA, "a0")
            #expect(try await consumer.apply([early]) == 1)
            let batch = [event(typeA, "a1"), event(typeB, "b1"), early, event(typeA, "a2"), event(typeB, "b2"), event(typeA, "a3")]
            #expect(try await consumer.apply(batch) == 5, "the redelivered a0 is skipped")
            #expect(calls.withLock { $0 } == [["a0"], ["a1", "a2", "a3"]], "one call per transaction, in delivery order")
            #expect(try await fixture.effects(database) == ["a0", "a1", "a2", "a3", "b1", "b2"], "subscriptions in registration order")
            #expect(try await fixture.effectCounts(database) == (6, 6))

            // A failing batch handler rolls back the whole transaction, inbox claims included.
            let failing = EventSubscription(types: [typeA]) { (_: [CloudEvent], _: any SQLDatabase) in throw TestFailure("projection down") }
            let broken = EventConsumer(
                consumer: fixture.consumer, database: database, transport: ScriptedTransport(), subscriptions: [single, failing], logger: quietLogger)
            let retried = [event(typeB, "b3"), event(typeA, "a4")]
            await #expect(throws: TestFailure.self) { try await broken.apply(retried) }
            #expect(try await consumer.apply(retried) == 2, "nothing of the failed transaction was kept")
            #expect(try await fixture.effectCounts(database) == (8, 8))
        }
    }

    /// Records `count` events in transactions of 100 (`Outbox.record(_:in:)`); returns their ids in order.
    private func recordInTransactions(_ count: Int, _ fixture: EventFixture, _ database: any Database) async throws -> [String] {
        var ids: [String] = []
        for start in stride(from: 0, to: count, by: 100) {
            let drafts = try (start..<min(start + 100, count)).map {
                try Outbox.Draft(type: fixture.type, subject: "\($0)", encoding: ["index": $0])
            }
            let events = try await database.transaction { sql in try await fixture.outbox.record(drafts, in: sql) }
            ids += events.map(\.id)
        }
        return ids
    }

    private func outboxRows(_ database: any Database, _ fixture: EventFixture) async throws -> [(id: String, json: String)] {
        try await database.withConnection { sql in
            try await sql.raw("SELECT event_id, payload FROM emporium_outbox WHERE service = \(bind: fixture.producer) ORDER BY sequence").all()
                .map { (try $0.decode(column: "event_id", as: String.self), try $0.decode(column: "payload", as: String.self)) }
        }
    }
}

/// A transport that keeps the ids of what it was given, in order, and fails every publish from
/// its `failFromCall`-th call on until ``recover()``. It consumes nothing.
final class ScriptedTransport: EventTransport {
    private struct State {
        var published: [String] = []
        var calls: [Int] = []
        var failures = 0
        var recovered = false
    }
    private let state = Mutex(State())
    private let failFromCall: Int?

    init(failFromCall: Int? = nil) {
        self.failFromCall = failFromCall
    }

    var description: String { "scripted" }
    /// The ids of the published events, in order.
    var publishedIDs: [String] { state.withLock { $0.published } }
    /// The size of each successful publish.
    var calls: [Int] { state.withLock { $0.calls } }
    /// Publishes that failed so far.
    var failures: Int { state.withLock { $0.failures } }

    /// Publishes succeed again.
    func recover() {
        state.withLock { $0.recovered = true }
    }

    func publish(_ events: [CloudEvent]) async throws {
        try take(events.map(\.id))
    }

    func publish(stored events: [StoredEvent]) async throws {
        try take(events.map(\.id))
    }

    private func take(_ ids: [String]) throws {
        try state.withLock { state in
            if let failFromCall, !state.recovered, state.calls.count + 1 >= failFromCall {
                state.failures += 1
                throw TestFailure("broker unavailable")
            }
            state.published += ids
            state.calls.append(ids.count)
        }
    }

    func consume(consumer: String, types: Set<String>, handler: @escaping @Sendable (CloudEvent) async throws -> Void) async throws {}
    func consumeBroadcast(consumer: String, types: Set<String>, handler: @escaping @Sendable (CloudEvent) async -> Void) async throws {}
    func checkReady() async throws {}
    func run() async throws {}
}
