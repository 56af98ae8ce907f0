import EmporiumCore
import EmporiumKit
@testable import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Messaging
import NIOCore
import Storage
import Synchronization
import Testing

/// The gauges an operator of the shop watches, as a process's `/metrics` shows them once the
/// condition they report is true (docs/observability.md): readiness checks, the outbox's lag,
/// the database pools, the dead letters of the in-process bus.
@Suite("Operator metrics")
struct OperatorMetricsTests {
    /// The value `/metrics` shows for `series`.
    static func metric(_ series: String, _ client: any TestClientProtocol) async throws -> Double? {
        MetricsRegistry.value(series, in: String(buffer: try await client.execute(uri: "/metrics", method: .get).body))
    }

    /// The value `/metrics` shows for `series` once `wanted` holds for it, or after 15 s.
    static func metric(_ series: String, _ client: any TestClientProtocol, until wanted: @Sendable (Double) -> Bool) async throws -> Double? {
        let deadline = ContinuousClock.now + .seconds(15)
        var value = try await metric(series, client)
        while !(value.map(wanted) ?? false), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            value = try await metric(series, client)
        }
        return value
    }

    @Test("a broker that does not answer: its readiness check reads 0, the database's 1, and the outbox's oldest unsent event ages")
    func readinessAndOutboxLag() async throws {
        try await TestPlatform.withClient(.sqlite, extra: ["broker.url": "amqp://guest:guest@127.0.0.1:1/"]) { client, _ in
            _ = try await EventWiringTests.createProduct(client)
            #expect(try await Self.metric(#"emporium_readiness_check_up{check="broker"}"#, client) == 0)
            #expect(try await Self.metric(#"emporium_readiness_check_up{check="catalog.database"}"#, client) == 1)
            // The relay reads the outbox at each try, backing off up to 5 s while the broker is away.
            let age = try await Self.metric(#"emporium_outbox_oldest_pending_age_seconds{service="catalog"}"#, client) { $0 >= 1 }
            #expect(age.map { $0 >= 1 } == true, "the events wait: \(String(describing: age))")
            #expect(try await Self.metric(#"emporium_outbox_pending{service="catalog"}"#, client).map { $0 >= 1 } == true)
        }
    }

    @Test("the events sent: the outbox's oldest unsent event is 0 s old")
    func outboxWithoutLag() async throws {
        try await TestPlatform.withClient(.sqlite) { client, platform in
            let id = try await EventWiringTests.createProduct(client)
            for _ in 0..<200 where try await EventWiringTests.outbox(platform, subject: id).contains(where: { !$0.sent }) {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .milliseconds(500))  // a poll of the relay after the last send
            #expect(try await Self.metric(#"emporium_outbox_oldest_pending_age_seconds{service="catalog"}"#, client) == 0)
        }
    }

    @Test("a database whose connections are all taken: in use and waiting per pool, named after the service; idle again afterwards")
    func databasePools() async throws {
        try await TestPlatform.withClient(.sqlite) { client, platform in
            let catalog = try #require(platform.databases["catalog"])
            // The catalog's SQLite pool: one writer and four readers (some may be at work: seeding, the relay).
            let scrape = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            let idle = MetricsRegistry.value(#"emporium_db_pool_connections{database="catalog",state="idle"}"#, in: scrape)
            let inUse = MetricsRegistry.value(#"emporium_db_pool_connections{database="catalog",state="in_use"}"#, in: scrape)
            #expect((idle ?? 0) + (inUse ?? 0) == 5, "\(String(describing: idle)) idle, \(String(describing: inUse)) in use")
            let released = Latch()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await catalog.transaction { _ in try await released.wait() }
                    }
                }
                // The second transaction waits for the one writer (so may the relay and the
                // catalog's own work meanwhile).
                let waiting = try await Self.metric(#"emporium_db_pool_waiting{database="catalog"}"#, client) { $0 >= 1 }
                #expect(waiting.map { $0 >= 1 } == true, "\(String(describing: waiting))")
                #expect(try await Self.metric(#"emporium_db_pool_connections{database="catalog",state="in_use"}"#, client).map { $0 >= 1 } == true)
                released.open()
                try await group.waitForAll()
            }
            #expect(try await Self.metric(#"emporium_db_pool_waiting{database="catalog"}"#, client) { $0 == 0 } == 0)
            #expect(try await Self.metric(#"emporium_db_pool_connections{database="inventory",state="in_use"}"#, client) != nil, "every service's pool")
        }
    }

    @Test("the in-process bus dead-letters an event after its deliveries: counted once, and one waits in its dead-letter queue")
    func inProcessDeadLetters() async throws {
        try await TestDatabases.withDatabase(.sqlite) { database in
            let consumer = "failing-\(UInt32.random(in: 0...UInt32.max))"
            try await Migrator(database: database, service: MessagingSchema.history(of: consumer), logger: TestDatabases.logger)
                .migrate(MessagingSchema.migrations)
            let metrics = MetricsRegistry()
            let transport = InProcessTransport(expectedConsumers: [consumer], maxDeliveries: 2, metrics: metrics.factory, logger: TestDatabases.logger)
            EmporiumPlatform.sampleDeadLetters(of: consumer, transport: transport, into: metrics)
            let failing = EventSubscription(types: ["test.failing"], handle: { _, _ in throw Refusal() })
            let eventConsumer = EventConsumer(
                consumer: consumer, database: database, transport: transport, subscriptions: [failing], metrics: metrics.factory,
                logger: TestDatabases.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await eventConsumer.run() }
                defer { group.cancelAll() }
                #expect(await metrics.value(#"emporium_dlq_messages{consumer="\#(consumer)"}"#) == 0)
                try await transport.publish([CloudEvent(source: "/emporium/test", type: "test.failing", subject: "1", data: .object([:]))])
                #expect(await metrics.value(#"emporium_events_dead_lettered_total{consumer="\#(consumer)"}"#) == 1)
                #expect(await metrics.value(#"emporium_dlq_messages{consumer="\#(consumer)"}"#) == 1)
            }
        }
    }

    /// What the failing handler throws.
    struct Refusal: Error {}
}
