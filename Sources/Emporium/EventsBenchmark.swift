import EmporiumCore
import AMQP
import ArgumentParser
import Foundation
import Logging
import Messaging
import Metrics
import SQLKit
import Storage
import Synchronization

/// `emporium bench events`: events per second end to end through RabbitMQ or Kafka, the way the
/// runtime wires them (see `EmporiumPlatform.build`): producers record events with
/// `Outbox.record` inside database transactions (`--per-transaction` events with one multi-row
/// insert), an `OutboxRelay` publishes them through a `RabbitMQTransport` (persistent, confirmed)
/// or a `KafkaTransport` (acks=all, idempotent), and an `EventConsumer` applies them in batches of
/// what has arrived, up to `--max-batch` events per transaction (inbox claim plus one multi-row
/// insert by a batch-aware handler). The clock runs from the first insert until the consumer has
/// committed the last event; the line also says when the producers had committed every insert
/// and when the broker had confirmed every event to the relay. Prints one JSON line.
///
/// It uses the service name `bench` (outbox rows, inbox consumer; RabbitMQ queue `emporium.bench`,
/// Kafka group `emporium.bench`), a table `emporium_bench_effects`, and removes them afterwards
/// (through Kafka it uses a new topic `emporium.bench.<random>` per run, which stays: the client
/// has no topic deletion); point it at a scratch database and broker.
struct EventsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Measure events/s from outbox insert to consumer effect through RabbitMQ or Kafka (see scripts/bench-events)."
    )

    /// The service and consumer name the benchmark runs as.
    static let service = "bench"
    /// The event type recorded and consumed.
    static let eventType = "bench.event.recorded"
    /// The table the consumer's handler writes.
    static let effects = "emporium_bench_effects"

    @Option(help: "The broker, as an amqp:// or kafka:// URL.")
    var url = "amqp://guest:guest@127.0.0.1:5672/"

    @Option(name: .customLong("database-url"), help: "The database, as a postgres:// (or sqlite:) URL.")
    var databaseURL = "postgres://postgres@127.0.0.1:5432/postgres"

    @Option(help: "Events to record (after a warm-up of a tenth as many, 100 to 1000).")
    var events = 10_000

    @Option(help: "Approximate size in bytes of each event's CloudEvent JSON (the AMQP body); padded up to it.")
    var size = 256

    @Option(name: .customLong("per-transaction"), help: "Events recorded per producer transaction.")
    var perTransaction = 1

    @Option(help: "Concurrent producer tasks, each running its own transactions.")
    var producers = 8

    @Option(help: "Consumer instances (each an EventConsumer with its own channel on the same queue).")
    var consumers = 1

    @Option(name: .customLong("max-batch"), help: "Events a consumer applies per transaction at most (default: the transport's, 512 for RabbitMQ and 128 for Kafka; 1 = one at a time).")
    var maxBatch: Int?

    @Option(help: "Unacknowledged deliveries each consumer may hold (RabbitMQ's prefetch).")
    var prefetch = 256

    @Option(name: .customLong("relay-batch"), help: "Outbox rows the relay reads and publishes at once.")
    var relayBatch = 256

    @Option(name: .customLong("events-per-message"), help: "Events of one type the relay publishes in one RabbitMQ message at most (1 = each alone).")
    var eventsPerMessage = 256

    @Option(help: "Partitions of the run's topic (Kafka).")
    var partitions = 6

    @Option(help: "Seconds to wait for the consumer before giving up.")
    var timeout = 600

    func validate() throws {
        guard events > 0, size >= 0, perTransaction > 0, producers > 0, consumers > 0, timeout > 0, (maxBatch ?? 1) > 0, (1...65_535).contains(prefetch), partitions > 0, eventsPerMessage > 0, relayBatch > 0 else {
            throw ValidationError("--events, --per-transaction, --producers, --consumers, --max-batch, --relay-batch, --events-per-message, --partitions and --timeout must be positive, --size not negative, --prefetch 1 to 65535")
        }
    }

    func run() async throws {
        let logger = {
            var logger = Logger(label: "emporium.bench.events")
            logger.logLevel = .warning
            return logger
        }()
        let location: DatabaseURL
        do {
            location = try DatabaseURL(parsing: databaseURL)
        } catch {
            throw ValidationError("--database-url: \(error)")
        }
        let broker = try BenchBroker(url: url, partitions: partitions)
        let database = try await DatabaseFactory.open(location, maximumConnections: producers + consumers + 4, logger: logger)
        let transport = CountingTransport(
            base: try broker.transport(
                maxDeliveries: Self.maxDeliveries, prefetch: UInt16(prefetch), maxBatch: maxBatch, eventsPerMessage: eventsPerMessage, logger: logger))
        let result = try await withThrowingTaskGroup(of: Void.self) { infrastructure in
            infrastructure.addTask { try await database.run() }
            infrastructure.addTask { try await transport.run() }
            defer { infrastructure.cancelAll() }
            try await prepareDatabase(database, logger: logger)
            try await broker.prepare(logger: logger)
            let result: EventsBenchmarkResult
            do {
                result = try await measure(database: database, transport: transport, broker: broker, logger: logger)
            } catch {
                try? await cleanUp(database, broker: broker, logger: logger)
                throw error
            }
            try await cleanUp(database, broker: broker, logger: logger)
            return result
        }
        print(try result.jsonLine())
    }

    /// The consumer's delivery limit (as the runtime's default `maxDeliveries`).
    static let maxDeliveries = 5

    /// Runs the relay and consumers, warms up, then records `events` and waits for their effects.
    private func measure(
        database: any Database, transport: CountingTransport, broker: BenchBroker, logger: Logger
    ) async throws -> EventsBenchmarkResult {
        let applied = transport.applied
        let nudge = OutboxRelay.Nudge()
        let outbox = Outbox(service: Self.service, relayNudge: nudge)
        let relay = OutboxRelay(
            service: Self.service, database: database, transport: transport, nudge: nudge,
            metrics: NOOPMetricsHandler.instance, logger: logger, batchSize: relayBatch)
        // One multi-row INSERT per batch, as a projection written for throughput would do.
        let subscription = EventSubscription(types: [Self.eventType]) { (events: [CloudEvent], sql: any SQLDatabase) in
            let rows: [SQLQueryString] = events.map { "(\(bind: $0.id), \(bind: $0.subject ?? ""))" }
            try await sql.raw("INSERT INTO \(unsafeRaw: Self.effects) (event_id, subject) VALUES \(rows.joined(separator: ", "))").run()
        }
        let consumer = EventConsumer(
            consumer: Self.service, database: database, transport: transport, subscriptions: [subscription], logger: logger)
        let padding = try paddingLength()

        return try await withThrowingTaskGroup(of: Void.self) { workers in
            workers.addTask { try await relay.run() }
            for _ in 0..<consumers {
                workers.addTask { try await consumer.run() }
            }
            defer { workers.cancelAll() }

            // Warm-up: also proves the consumer's queue is bound before the measured events go out.
            let warmUp = min(max(events / 10, 100), 1_000)
            try await record(warmUp, perTransaction: 1, producers: producers, from: 0, padding: padding, outbox: outbox, database: database)
            _ = try await Self.instant(when: applied, reaches: warmUp, timeout: timeout)

            let clock = ContinuousClock()
            let start = clock.now
            let batchesBefore = transport.batches.value
            let (total, limit) = (warmUp + events, timeout)
            async let relayed = Self.instant(when: transport.published, reaches: total, timeout: limit)
            try await record(events, perTransaction: perTransaction, producers: producers, from: warmUp, padding: padding, outbox: outbox, database: database)
            let inserted = clock.now
            let done = try await Self.instant(when: applied, reaches: warmUp + events, timeout: timeout)
            let relayedAll = try await relayed
            let batches = transport.batches.value - batchesBefore

            let effects = try await database.withConnection { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: Self.effects)").first()?.decode(column: "n", as: Int.self) ?? 0
            }
            guard effects == warmUp + events else {
                throw ValidationError("the consumer wrote \(effects) effect rows for \(warmUp + events) events")
            }
            let seconds = (done - start) / .seconds(1)
            let settings = try await databaseDescription(database)
            let insertSeconds = (inserted - start) / .seconds(1)
            let relaySeconds = (relayedAll - start) / .seconds(1)
            return EventsBenchmarkResult(
                database: settings, broker: broker.name, events: events, eventBytes: try sampleEvent(padding: padding).count, perTransaction: perTransaction,
                producers: producers, consumers: consumers, prefetch: prefetch,
                eventsPerMessage: (transport.base as? RabbitMQTransport)?.eventsPerMessage ?? 1,
                maxBatch: broker.maxBatch(of: transport.base), meanBatch: Double(events) / Double(max(batches, 1)),
                insertSeconds: insertSeconds, relaySeconds: relaySeconds,
                seconds: seconds, insertsPerSecond: Double(events) / insertSeconds,
                relayedPerSecond: Double(events) / relaySeconds, eventsPerSecond: Double(events) / seconds)
        }
    }

    /// Records `count` events numbered from `first` with `producers` concurrent tasks, each
    /// taking `perTransaction` events at a time into one transaction.
    private func record(
        _ count: Int, perTransaction: Int, producers: Int, from first: Int, padding: Int, outbox: Outbox, database: any Database
    ) async throws {
        let claims = Claims()
        let pad = String(repeating: "x", count: padding)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<producers {
                group.addTask {
                    while true {
                        let start = claims.take(perTransaction)
                        guard start < count else { return }
                        let end = min(start + perTransaction, count)
                        let drafts = try ((first + start)..<(first + end)).map { number in
                            try Outbox.Draft(type: Self.eventType, subject: String(number), encoding: BenchPayload(number: number, pad: pad))
                        }
                        try await database.transaction { sql in
                            try await outbox.record(drafts, in: sql)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Waits until `counter` reaches `target` events, checking every 2 ms; returns when it saw it.
    /// - Throws: when `--timeout` passes first.
    private static func instant(when counter: EventCounter, reaches target: Int, timeout: Int) async throws -> ContinuousClock.Instant {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while counter.value < target {
            guard ContinuousClock.now < deadline else {
                throw ValidationError("after \(timeout) s only \(counter.value) of \(target) events were \(counter.name)")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        return ContinuousClock.now
    }

    /// Pad characters that bring an event's JSON to about `--size` bytes.
    private func paddingLength() throws -> Int {
        max(0, size - (try sampleEvent(padding: 0).count))
    }

    /// The JSON of an event as the benchmark records it, for its size.
    private func sampleEvent(padding: Int) throws -> Data {
        let number = events + 1_000
        return try CloudEvent(
            source: "/emporium/\(Self.service)", type: Self.eventType, subject: String(number),
            data: JSONValue(encoding: BenchPayload(number: number, pad: String(repeating: "x", count: padding)))
        ).encoded()
    }

    /// The engine and the settings that bear on commit speed, for the record.
    private func databaseDescription(_ database: any Database) async throws -> String {
        switch database.kind {
        case .postgres:
            return try await database.withConnection { sql in
                let version = try await sql.raw("SHOW server_version").first()?.decode(column: "server_version", as: String.self) ?? "?"
                let fsync = try await sql.raw("SHOW fsync").first()?.decode(column: "fsync", as: String.self) ?? "?"
                let commit = try await sql.raw("SHOW synchronous_commit").first()?.decode(column: "synchronous_commit", as: String.self) ?? "?"
                return "PostgreSQL \(version.split(separator: " ").first.map(String.init) ?? version), fsync \(fsync), synchronous_commit \(commit)"
            }
        case .sqlite:
            return "SQLite"
        }
    }

    /// Creates the messaging tables and the effects table, removes rows left by an interrupted run,
    /// and vacuums the messaging tables on PostgreSQL.
    private func prepareDatabase(_ database: any Database, logger: Logger) async throws {
        try await Migrator(database: database, service: MessagingSchema.history(of: Self.service), logger: logger)
            .migrate(MessagingSchema.migrations)
        try await database.transaction { sql in
            try await sql.raw("CREATE TABLE IF NOT EXISTS \(unsafeRaw: Self.effects) (event_id TEXT PRIMARY KEY, subject TEXT NOT NULL)").run()
            try await sql.raw("DELETE FROM \(unsafeRaw: Self.effects)").run()
            try await Self.deleteMessagingRows(sql)
        }
        if database.kind == .postgres {
            // As pgbench does before each run: without it every run leaves its rows' dead versions
            // (inserted, marked sent, deleted) to the next, which measured up to a quarter slower.
            try await database.withConnection { sql in
                try await sql.raw("VACUUM (ANALYZE) emporium_outbox, emporium_inbox").run()
            }
        }
    }

    /// Removes the benchmark's rows and table, and its queues or group's offsets at the broker.
    private func cleanUp(_ database: any Database, broker: BenchBroker, logger: Logger) async throws {
        try await database.transaction { sql in
            try await sql.raw("DROP TABLE IF EXISTS \(unsafeRaw: Self.effects)").run()
            try await Self.deleteMessagingRows(sql)
        }
        try await broker.cleanUp(logger: logger)
    }

    /// Deletes the benchmark service's outbox and inbox rows.
    private static func deleteMessagingRows(_ sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM emporium_outbox WHERE service = \(bind: service)").run()
        try await sql.raw("DELETE FROM emporium_inbox WHERE consumer = \(bind: service)").run()
    }
}

/// The broker a benchmark run goes through, and what it declares there.
enum BenchBroker {
    /// RabbitMQ: the consumer's queue `emporium.bench` (and its dead-letter queue).
    case rabbitMQ(url: String)
    /// Kafka: a topic of the run's own, so the consumer group starts on an empty topic.
    case kafka(url: String, topic: String, partitions: Int)

    init(url: String, partitions: Int) throws {
        if url.hasPrefix("amqp://") || url.hasPrefix("amqps://") {
            self = .rabbitMQ(url: url)
        } else if url.hasPrefix("kafka://") {
            let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
            self = .kafka(url: url, topic: "emporium.bench.\(suffix)", partitions: partitions)
        } else {
            throw ValidationError("--url: expected amqp://… or kafka://…, got \(url)")
        }
    }

    /// `rabbitmq` or `kafka`, for the result line.
    var name: String {
        switch self {
        case .rabbitMQ: "rabbitmq"
        case .kafka: "kafka"
        }
    }

    func transport(maxDeliveries: Int, prefetch: UInt16, maxBatch: Int?, eventsPerMessage: Int, logger: Logger) throws -> any EventTransport {
        switch self {
        case .rabbitMQ(let url):
            return try RabbitMQTransport(
                url: url, maxDeliveries: maxDeliveries, prefetch: prefetch, maxBatch: maxBatch, eventsPerMessage: eventsPerMessage, logger: logger)
        case .kafka(let url, let topic, let partitions):
            if let maxBatch {
                return try KafkaTransport(url: url, topic: topic, partitions: partitions, maxDeliveries: maxDeliveries, maxBatch: maxBatch, logger: logger)
            }
            return try KafkaTransport(url: url, topic: topic, partitions: partitions, maxDeliveries: maxDeliveries, logger: logger)
        }
    }

    /// The consumer's most events per transaction.
    func maxBatch(of transport: any EventTransport) -> Int {
        (transport as? RabbitMQTransport)?.maxBatch ?? (transport as? KafkaTransport)?.maxBatch ?? 1
    }

    /// The queues `RabbitMQTransport` declares for the benchmark's consumer.
    private static var consumerTopology: AMQPDeadLetterTopology {
        AMQPDeadLetterTopology(
            queue: RabbitMQTransport.queue(of: EventsBenchmark.service), maxDeliveries: EventsBenchmark.maxDeliveries,
            bindings: [.init(exchange: RabbitMQTransport.exchange, routingKey: EventsBenchmark.eventType)])
    }

    /// Declares the consumer's queue before the run and empties it of an interrupted run's
    /// messages (RabbitMQ); nothing for Kafka, whose transport creates the run's topic.
    func prepare(logger: Logger) async throws {
        guard case .rabbitMQ(let url) = self else { return }
        try await Self.withChannel(url: url, logger: logger) { channel in
            try await Self.consumerTopology.declare(on: channel)
            _ = try await channel.purgeQueue(Self.consumerTopology.queue)
        }
    }

    /// Deletes the consumer's queues (RabbitMQ; the shared `emporium.events` exchange stays).
    func cleanUp(logger: Logger) async throws {
        guard case .rabbitMQ(let url) = self else { return }
        let topology = Self.consumerTopology
        try await Self.withChannel(url: url, logger: logger) { channel in
            _ = try await channel.deleteQueue(topology.queue)
            _ = try await channel.deleteQueue(topology.deadLetterQueue)
            try await channel.deleteExchange(topology.deadLetterExchange)
        }
    }

    /// Runs `body` on a channel of a connection of its own, closed afterwards.
    private static func withChannel(url: String, logger: Logger, _ body: (AMQPChannel) async throws -> Void) async throws {
        var configuration = try AMQPConfiguration(url: url)
        configuration.reconnect = .disabled
        configuration.connectionName = "emporium bench events (setup)"
        let connection = try await AMQPConnection.connect(configuration: configuration, logger: logger)
        do {
            try await body(try await connection.openChannel())
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }
}

/// The payload of a benchmark event.
private struct BenchPayload: Encodable {
    var number: Int
    var pad: String
}

/// Hands out consecutive ranges of event numbers to the producer tasks.
private final class Claims: Sendable {
    private let next = Atomic(0)

    /// Claims the next `count` numbers; returns the first.
    func take(_ count: Int) -> Int {
        next.add(count, ordering: .relaxed).oldValue
    }
}

/// A count of events that reached a stage (published, applied).
final class EventCounter: Sendable {
    /// The stage, for messages (`applied by the consumer`).
    let name: String
    private let count = Atomic(0)

    init(name: String) {
        self.name = name
    }

    /// The events counted so far.
    var value: Int { count.load(ordering: .acquiring) }

    /// Counts `events` events.
    func add(_ events: Int) {
        count.add(events, ordering: .releasing)
    }
}

/// A transport that counts the events the broker confirmed to the relay, and each event once
/// its consumer's handler has returned, that is once `EventConsumer` has committed its
/// transaction (before the broker ack goes out), and those transactions.
struct CountingTransport: EventTransport {
    let base: any EventTransport
    let published = EventCounter(name: "published by the relay")
    let applied = EventCounter(name: "applied by the consumer")
    let batches = EventCounter(name: "committed batches")

    var description: String { base.description }

    func publish(_ events: [CloudEvent]) async throws {
        try await base.publish(events)
        published.add(events.count)
    }

    func publish(stored events: [StoredEvent]) async throws {
        try await base.publish(stored: events)
        published.add(events.count)
    }

    func consume(consumer: String, types: Set<String>, handler: @escaping @Sendable (CloudEvent) async throws -> Void) async throws {
        let (applied, batches) = (self.applied, self.batches)
        try await base.consume(consumer: consumer, types: types) { event in
            try await handler(event)
            applied.add(1)
            batches.add(1)
        }
    }

    func consumeBatches(consumer: String, types: Set<String>, handler: @escaping @Sendable ([CloudEvent]) async throws -> Void) async throws {
        let (applied, batches) = (self.applied, self.batches)
        try await base.consumeBatches(consumer: consumer, types: types) { events in
            try await handler(events)
            applied.add(events.count)
            batches.add(1)
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

/// The JSON line `emporium bench events` prints.
struct EventsBenchmarkResult: Encodable, Sendable {
    /// The database engine, its version and whether it flushes to disk (`PostgreSQL 15.18, fsync on`).
    var database: String
    /// `rabbitmq` or `kafka`.
    var broker: String
    var events: Int
    var eventBytes: Int
    var perTransaction: Int
    var producers: Int
    var consumers: Int
    var prefetch: Int
    /// RabbitMQ: the most events in one message (Kafka: 1, each a record).
    var eventsPerMessage: Int
    /// The consumer's most events per transaction.
    var maxBatch: Int
    /// Measured events per committed consumer transaction.
    var meanBatch: Double
    var insertSeconds: Double
    var relaySeconds: Double
    var seconds: Double
    var insertsPerSecond: Double
    var relayedPerSecond: Double
    var eventsPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case database, broker, events, producers, consumers, prefetch, seconds
        case eventBytes = "event_bytes"
        case perTransaction = "per_transaction"
        case maxBatch = "max_batch"
        case meanBatch = "mean_batch"
        case insertSeconds = "insert_seconds"
        case relaySeconds = "relay_seconds"
        case insertsPerSecond = "inserts_per_s"
        case relayedPerSecond = "relayed_per_s"
        case eventsPerSecond = "events_per_s"
    }
}
