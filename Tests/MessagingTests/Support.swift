import EmporiumTestSupport
import Foundation
import Logging
import Messaging
import Metrics
import ServiceLifecycle
import SQLKit
import Storage
import Synchronization
import Testing

/// The RabbitMQ the test script started (`EMPORIUM_TEST_AMQP_URL`, `EMPORIUM_TEST_RABBITMQCTL`).
enum EventBroker {
    static var url: String? { ProcessInfo.processInfo.environment["EMPORIUM_TEST_AMQP_URL"] }
    static var rabbitmqctl: String? { ProcessInfo.processInfo.environment["EMPORIUM_TEST_RABBITMQCTL"] }
    static var isAvailable: Bool { url != nil }
    static let skipReason: Comment = "needs RabbitMQ: run scripts/test, or source scripts/services/rabbitmq.sh && rabbitmq_start DIR"

    /// Runs the test broker's `rabbitmqctl`.
    static func ctl(_ arguments: String...) async throws -> String {
        let path = try #require(rabbitmqctl, "EMPORIUM_TEST_RABBITMQCTL is not set")
        return try await withTimeout("rabbitmqctl \(arguments.joined(separator: " "))", .seconds(120)) {
            try await TestProcess.runDetached(path, arguments, mergingErrors: true)
        }
    }
}

/// Databases for these tests: PostgreSQL when the test script provides one, else SQLite.
enum EventTestDatabase {
    static var kinds: [DatabaseKind] { TestDatabases.postgresEnabled ? [.sqlite, .postgres] : [.sqlite] }
    static var preferred: DatabaseKind { TestDatabases.postgresEnabled ? .postgres : .sqlite }
}

/// A producer and a consumer of one event type, unique per test (so tests that share the broker
/// do not see each other's events). The consumer records every event it handles in `effects`, in
/// the handler's transaction; `effects` has no unique key, so a second effect of one event would
/// show as a second row.
struct EventFixture: Sendable {
    let producer: String
    let consumer: String
    let type: String
    let outbox: Outbox
    let nudge = OutboxRelay.Nudge()

    init(_ label: String) {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        producer = "producer"
        consumer = "recorder-\(label)-\(suffix)"
        type = "test.\(label).\(suffix).happened"
        outbox = Outbox(service: "producer", relayNudge: nudge)
    }

    /// Creates the consumer's table and both services' messaging tables.
    func migrate(_ database: any Database) async throws {
        try await Migrator(database: database, service: MessagingSchema.history(of: producer), logger: quietLogger)
            .migrate(MessagingSchema.migrations)
        try await Migrator(database: database, service: MessagingSchema.history(of: consumer), logger: quietLogger)
            .migrate(MessagingSchema.migrations)
        try await database.transaction { sql in
            let key = database.kind == .postgres ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"
            try await sql.raw("CREATE TABLE IF NOT EXISTS effects (position \(unsafeRaw: key), consumer TEXT NOT NULL, event_id TEXT NOT NULL, subject TEXT NOT NULL)").run()
        }
    }

    /// The subscription; `fail` decides which events throw (a poison message).
    func subscription(fail: @escaping @Sendable (CloudEvent) -> Bool = { _ in false }) -> EventSubscription {
        let consumer = self.consumer
        return EventSubscription(types: [type]) { event, sql in
            if fail(event) { throw TestFailure("poison event \(event.subject ?? "")") }
            try await sql.raw(
                "INSERT INTO effects (consumer, event_id, subject) VALUES (\(bind: consumer), \(bind: event.id), \(bind: event.subject ?? ""))"
            ).run()
        }
    }

    func eventConsumer(
        _ database: any Database, _ transport: any EventTransport, metrics: any MetricsFactory = NOOPMetricsHandler.instance,
        fail: @escaping @Sendable (CloudEvent) -> Bool = { _ in false }
    ) -> EventConsumer {
        EventConsumer(consumer: consumer, database: database, transport: transport, subscriptions: [subscription(fail: fail)], metrics: metrics, logger: quietLogger)
    }

    func relay(_ database: any Database, _ transport: any EventTransport) -> OutboxRelay {
        OutboxRelay(service: producer, database: database, transport: transport, nudge: nudge, metrics: NOOPMetricsHandler.instance, logger: quietLogger)
    }

    /// Records events with subjects `"\(index)"` for `range`, `perTransaction` to a transaction.
    func record(_ range: Range<Int>, perTransaction: Int = 1, in database: any Database) async throws {
        var start = range.lowerBound
        while start < range.upperBound {
            let chunk = start..<min(start + perTransaction, range.upperBound)
            try await database.transaction { sql in
                for index in chunk {
                    try await outbox.record(type: type, subject: "\(index)", data: ["index": index], in: sql)
                }
            }
            start = chunk.upperBound
        }
    }

    /// Subjects in the order their effects were written.
    func effects(_ database: any Database) async throws -> [String] {
        try await database.withConnection { sql in
            try await sql.raw("SELECT subject FROM effects WHERE consumer = \(bind: consumer) ORDER BY position").all()
                .map { try $0.decode(column: "subject", as: String.self) }
        }
    }

    /// How many rows and how many distinct events `effects` holds for this consumer.
    func effectCounts(_ database: any Database) async throws -> (rows: Int, events: Int) {
        try await database.withConnection { sql in
            let row = try await sql.raw("SELECT COUNT(*) AS n, COUNT(DISTINCT event_id) AS d FROM effects WHERE consumer = \(bind: consumer)").first()
            return (try row?.decode(column: "n", as: Int.self) ?? 0, try row?.decode(column: "d", as: Int.self) ?? 0)
        }
    }

    /// Whether the consumer has written `effects` rows and the relay has marked every event sent.
    func drained(_ database: any Database, effects: Int) async throws -> Bool {
        let rows = try await effectCounts(database).rows
        let unsent = try await unsent(database)
        return rows >= effects && unsent == 0
    }

    /// Events of the producer not yet marked sent.
    func unsent(_ database: any Database) async throws -> Int {
        try await database.withConnection { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM emporium_outbox WHERE service = \(bind: producer) AND sent_at IS NULL").first()?
                .decode(column: "n", as: Int.self) ?? 0
        }
    }
}

/// Runs `tasks` (a transport's connection, relays, consumers) while `body` runs, then cancels them.
func whileRunning<T: Sendable>(_ tasks: [@Sendable () async throws -> Void], _ body: @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in tasks {
            group.addTask { try await task() }
        }
        defer { group.cancelAll() }
        return try await body()
    }
}

/// Polls `condition` every 50 ms until it holds or `limit` passes; returns whether it held.
func eventually(_ limit: Duration = .seconds(60), _ condition: @Sendable () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

let quietLogger: Logger = {
    var logger = Logger(label: "messaging-tests")
    logger.logLevel = ProcessInfo.processInfo.environment["MESSAGING_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
    return logger
}()

/// Metrics kept in memory: what a recorder recorded and what a counter counted, by label and
/// the `consumer` dimension.
final class RecordingMetrics: MetricsFactory {
    private final class Store: Sendable {
        let values = Mutex<[String: [Double]]>([:])
    }
    private let store = Store()

    /// Everything recorded under `label` for `consumer`, oldest first (a counter's increments).
    func values(_ label: String, consumer: String) -> [Double] {
        store.values.withLock { $0[Self.key(label, [("consumer", consumer)])] ?? [] }
    }

    private static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        ([label] + dimensions.filter { $0.0 == "consumer" }.map { "\($0.0)=\($0.1)" }).joined(separator: ",")
    }

    private func handler(_ label: String, _ dimensions: [(String, String)]) -> Handler {
        Handler(key: Self.key(label, dimensions), store: store)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { handler(label, dimensions) }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler { handler(label, dimensions) }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { handler(label, dimensions) }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    private final class Handler: CounterHandler, RecorderHandler, TimerHandler {
        let key: String
        let store: Store

        init(key: String, store: Store) {
            self.key = key
            self.store = store
        }

        func increment(by amount: Int64) { append(Double(amount)) }
        func reset() {}
        func record(_ value: Int64) { append(Double(value)) }
        func record(_ value: Double) { append(value) }
        func recordNanoseconds(_ duration: Int64) { append(Double(duration)) }
        private func append(_ value: Double) { store.values.withLock { $0[key, default: []].append(value) } }
    }
}

/// A transport that logs each batch its consumers' handler is called with (the subjects, in
/// order) and whether the handler returned, then forwards to `base`.
struct BatchLoggingTransport: EventTransport {
    struct Call: Sendable {
        var subjects: [String]
        var succeeded: Bool
    }

    let base: any EventTransport
    private final class Log: Sendable {
        let calls = Mutex<[Call]>([])
    }
    private let log = Log()

    init(_ base: any EventTransport) {
        self.base = base
    }

    /// Every call so far, oldest first.
    var calls: [Call] { log.calls.withLock { $0 } }

    var description: String { base.description }

    func publish(_ events: [CloudEvent]) async throws {
        try await base.publish(events)
    }

    func consume(consumer: String, types: Set<String>, handler: @escaping @Sendable (CloudEvent) async throws -> Void) async throws {
        try await consumeBatches(consumer: consumer, types: types) { events in
            for event in events { try await handler(event) }
        }
    }

    func consumeBatches(consumer: String, types: Set<String>, handler: @escaping @Sendable ([CloudEvent]) async throws -> Void) async throws {
        let log = self.log
        try await base.consumeBatches(consumer: consumer, types: types) { events in
            let subjects = events.map { $0.subject ?? "" }
            do {
                try await handler(events)
            } catch {
                log.calls.withLock { $0.append(Call(subjects: subjects, succeeded: false)) }
                throw error
            }
            log.calls.withLock { $0.append(Call(subjects: subjects, succeeded: true)) }
        }
    }

    func consumeBroadcast(consumer: String, types: Set<String>, handler: @escaping @Sendable (CloudEvent) async -> Void) async throws {
        try await base.consumeBroadcast(consumer: consumer, types: types, handler: handler)
    }

    func checkReady() async throws {
        try await base.checkReady()
    }

    func run() async throws {
        try await base.run()
    }
}
