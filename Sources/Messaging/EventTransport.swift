import EmporiumCore
import Foundation
public import SQLKit

/// Moves events from producers' outboxes to consumers: in-process, RabbitMQ (and later Kafka).
///
/// Delivery is at least once; consumers make redeliveries harmless with their inbox.
public protocol EventTransport: Sendable {
    /// Where events go, safe to log (`in-process`, `amqp://guest@127.0.0.1:5672/`).
    var description: String { get }

    /// Hands `events` to the transport, returning only when it holds them durably (broker
    /// confirms; in-process: every consumer has handled or dead-lettered them).
    /// - Throws: when the transport cannot take them now; the relay retries later.
    func publish(_ events: [CloudEvent]) async throws

    /// Publishes events as an outbox holds them, under the rules of ``publish(_:)``. A transport
    /// that sends the CloudEvents JSON as it is (RabbitMQ) skips decoding and encoding it again.
    ///
    /// The default implementation decodes the events and calls ``publish(_:)``.
    func publish(stored events: [StoredEvent]) async throws

    /// Delivers events whose type is in `types` to `handler`, one at a time, until the task is
    /// cancelled or shutdown is requested. A handler that throws gets the event again, up to the
    /// transport's delivery limit; then the event is dead-lettered. An undecodable message is
    /// dead-lettered at once.
    func consume(
        consumer: String,
        types: Set<String>,
        handler: @escaping @Sendable (CloudEvent) async throws -> Void
    ) async throws

    /// Delivers events whose type is in `types` to `handler` in batches, until the task is
    /// cancelled or shutdown is requested.
    ///
    /// A batch is the next event plus the events already received after it, up to the
    /// transport's maximum, in delivery order; the transport never waits to fill a batch. The
    /// handler applies a batch all or nothing (one database transaction). When it throws, the
    /// transport applies that batch's events one at a time instead, calling `handler` with one
    /// event each, under the rules of ``consume(consumer:types:handler:)``: an event whose
    /// handler throws is delivered again, up to the delivery limit, then dead-lettered, while
    /// the others of the batch go through. An undecodable message is dead-lettered at once.
    ///
    /// The default implementation delivers one event at a time through
    /// ``consume(consumer:types:handler:)``.
    func consumeBatches(
        consumer: String,
        types: Set<String>,
        handler: @escaping @Sendable ([CloudEvent]) async throws -> Void
    ) async throws

    /// Delivers events whose type is in `types` to `handler` in *this process*, whatever other
    /// instances of `consumer` do: every instance gets every event. At most once, without an
    /// inbox: for state held in process, such as caches. Events published while the process was
    /// not subscribed are not delivered.
    func consumeBroadcast(
        consumer: String,
        types: Set<String>,
        handler: @escaping @Sendable (CloudEvent) async -> Void
    ) async throws

    /// Throws, naming the broker and the reason, when events cannot be published now.
    func checkReady() async throws

    /// How many messages wait in `consumer`'s dead-letter queue now, for
    /// `emporium_dlq_messages`; nil when the transport cannot tell (not connected).
    ///
    /// The default implementation answers nil.
    func deadLetterCount(of consumer: String) async throws -> Int?

    /// Runs the transport's connection until shutdown (a no-op for the in-process bus).
    func run() async throws
}

/// An event as an outbox row holds it: the CloudEvent's JSON, with the attributes a broker
/// routes and labels it by.
public struct StoredEvent: Sendable {
    /// The event's `id`.
    public var id: String
    /// The event's `type`.
    public var type: String
    /// The event's `source`.
    public var source: String
    /// The whole CloudEvent in its JSON format, as ``CloudEvent/encoded()`` wrote it.
    public var json: String

    public init(id: String, type: String, source: String, json: String) {
        self.id = id
        self.type = type
        self.source = source
        self.json = json
    }

    /// The stored form of `event`: its JSON as ``CloudEvent/encoded()`` writes it.
    public init(_ event: CloudEvent) throws {
        self.init(id: event.id, type: event.type, source: event.source, json: String(decoding: try event.encoded(), as: UTF8.self))
    }

    /// The event's `traceparent`, read from ``json`` without decoding it: the value of the last
    /// `"traceparent":"…"` (the event's attributes follow its `data`, keys sorted), when it is a
    /// well-formed one.
    public var traceparent: String? {
        let key = #""traceparent":""#
        guard let found = json.range(of: key, options: .backwards) else { return nil }
        let value = json[found.upperBound...].prefix { $0 != "\"" }
        return Traceparent.isWellFormed(String(value)) ? String(value) : nil
    }

    /// The event itself.
    /// - Throws: `MalformedEventError` or a decoding error when `json` is not a CloudEvent.
    public func decoded() throws -> CloudEvent {
        try CloudEvent.decode(Data(json.utf8))
    }
}

extension EventTransport {
    /// The transport's kind as spans name it (`messaging.system`): `rabbitmq`, `kafka`, `in-process`.
    public var messagingSystem: String {
        if description.hasPrefix("amqp") { return "rabbitmq" }
        if description.hasPrefix("kafka") { return "kafka" }
        return description
    }

    /// Unknown: nil.
    public func deadLetterCount(of consumer: String) async throws -> Int? {
        nil
    }

    /// Decodes the events and publishes them with ``publish(_:)``.
    public func publish(stored events: [StoredEvent]) async throws {
        try await publish(try events.map { try $0.decoded() })
    }

    /// One event at a time, for transports without batches.
    public func consumeBatches(
        consumer: String,
        types: Set<String>,
        handler: @escaping @Sendable ([CloudEvent]) async throws -> Void
    ) async throws {
        try await consume(consumer: consumer, types: types) { event in
            try await handler([event])
        }
    }
}

/// A consumer's event handler: runs inside the consumer's database transaction, with the inbox.
///
/// A transaction applies a batch of events (see ``EventConsumer``). Each subscription gets the
/// batch's events of its types, in delivery order; the subscriptions run one after another, in
/// the order they were registered.
public struct EventSubscription: Sendable {
    /// The event types handled.
    public var types: Set<String>
    /// Applies events of ``types``, in delivery order, inside the transaction of `sql`; throws
    /// to have them redelivered.
    public var handleBatch: @Sendable ([CloudEvent], any SQLDatabase) async throws -> Void

    /// A handler that applies one event at a time.
    public init(types: Set<String>, handle: @escaping @Sendable (CloudEvent, any SQLDatabase) async throws -> Void) {
        self.types = types
        self.handleBatch = { events, sql in
            for event in events { try await handle(event, sql) }
        }
    }

    /// A handler that applies a whole batch at once, for example with multi-row statements.
    /// It is given at least one event.
    public init(types: Set<String>, handleBatch: @escaping @Sendable ([CloudEvent], any SQLDatabase) async throws -> Void) {
        self.types = types
        self.handleBatch = handleBatch
    }

    /// Applies one event.
    public func handle(_ event: CloudEvent, _ sql: any SQLDatabase) async throws {
        try await handleBatch([event], sql)
    }
}


/// A handler of events that every instance of a service applies to its in-process state (cache
/// invalidation): no transaction, no inbox, at most once.
public struct BroadcastSubscription: Sendable {
    /// The event types handled.
    public var types: Set<String>
    /// Applies the event; errors are the handler's to log.
    public var handle: @Sendable (CloudEvent) async -> Void

    public init(types: Set<String>, handle: @escaping @Sendable (CloudEvent) async -> Void) {
        self.types = types
        self.handle = handle
    }
}
