import EmporiumCore
import Logging
import Metrics
import ServiceLifecycle
import Storage
import Tracing

/// Runs one service's event subscriptions: takes events from the transport in batches and
/// applies each batch in one database transaction that also claims its events in the inbox, so
/// a redelivery has no second effect.
///
/// Metrics: `emporium_events_consumed_batch_size` (a histogram of the events per committed
/// transaction, by `consumer`) and `emporium_events_consumed_total` (events applied, counting
/// each once; redeliveries the inbox skipped are not counted).
public struct EventConsumer: Service {
    /// The consuming service; also the consumer (queue) name.
    public let consumer: String
    private let database: any Database
    private let transport: any EventTransport
    private let subscriptions: [EventSubscription]
    private let logger: Logger
    private let batchSize: Recorder
    private let consumed: Counter
    private let tracer: (any Tracer)?

    /// - Parameters:
    ///   - consumer: The consuming service; also the consumer (queue) name.
    ///   - database: The service's database, holding its inbox.
    ///   - transport: Where events come from.
    ///   - subscriptions: The handlers, each for some event types.
    ///   - metrics: Where the consumer's metrics go (by default the process's `MetricsSystem`).
    ///   - logger: For the consumer's messages.
    ///   - tracer: When set, the consumption of each event written in a span (it has a
    ///     `traceparent`) is a consumer span, a child of that span; the batch's transaction runs
    ///     in the first one.
    public init(
        consumer: String,
        database: any Database,
        transport: any EventTransport,
        subscriptions: [EventSubscription],
        metrics: any MetricsFactory = MetricsSystem.factory,
        logger: Logger,
        tracer: (any Tracer)? = nil
    ) {
        self.tracer = tracer
        self.consumer = consumer
        self.database = database
        self.transport = transport
        self.subscriptions = subscriptions
        self.logger = logger
        let dimensions = [("consumer", consumer)]
        self.batchSize = Recorder(label: "emporium_events_consumed_batch_size", dimensions: dimensions, aggregate: true, factory: metrics)
        self.consumed = Counter(label: "emporium_events_consumed_total", dimensions: dimensions, factory: metrics)
    }

    /// Every event type the consumer handles.
    public var types: Set<String> { subscriptions.reduce(into: []) { $0.formUnion($1.types) } }

    public func run() async throws {
        try await transport.consumeBatches(consumer: consumer, types: types) { events in
            try await self.apply(events)
        }
    }

    /// Applies `event` once: in one transaction, claims it in the inbox and runs its handlers.
    /// - Returns: false when it had been handled before (nothing was done).
    @discardableResult
    public func handle(_ event: CloudEvent) async throws -> Bool {
        try await apply([event]) == 1
    }

    /// Applies `events` all or nothing, in one transaction: claims them in the inbox with one
    /// statement, then hands each subscription the events of its types claimed now, in delivery
    /// order (subscriptions in registration order), then commits. Events handled before
    /// (redeliveries) and repeated ids are skipped. When a handler throws, the whole transaction
    /// rolls back, inbox claims included.
    /// - Returns: How many events were applied now.
    @discardableResult
    public func apply(_ events: [CloudEvent]) async throws -> Int {
        guard !events.isEmpty else { return 0 }
        guard let tracer else { return try await applyInTransaction(events) }
        let spans = events.compactMap { event in
            transport.span(
                .process, of: (event.id, event.type, event.traceparent), tracer: tracer,
                extra: ["messaging.consumer.group.name": .string(consumer), "messaging.batch.message_count": .int64(Int64(events.count))])
        }
        guard let first = spans.first else { return try await applyInTransaction(events) }
        defer { for span in spans { span.end() } }
        do {
            return try await InstrumentationContext.$current.withValue(first.context) { try await applyInTransaction(events) }
        } catch {
            for span in spans { span.recordError(error) }
            throw error
        }
    }

    private func applyInTransaction(_ events: [CloudEvent]) async throws -> Int {
        let subscriptions = self.subscriptions
        let consumer = self.consumer
        let applied = try await database.transaction { sql in
            var claimed = try await Inbox.claim(events, consumer: consumer, sql)
            // Each claimed id once, at its first place.
            let fresh = events.filter { claimed.remove($0.id) != nil }
            for subscription in subscriptions {
                let mine = fresh.filter { subscription.types.contains($0.type) }
                if !mine.isEmpty { try await subscription.handleBatch(mine, sql) }
            }
            return fresh.count
        }
        batchSize.record(events.count)
        if applied > 0 { consumed.increment(by: applied) }
        return applied
    }
}

/// Runs one service's broadcast subscriptions in this process (see
/// ``EventTransport/consumeBroadcast(consumer:types:handler:)``).
public struct BroadcastConsumer: Service {
    /// The consuming service.
    public let consumer: String
    private let transport: any EventTransport
    private let subscriptions: [BroadcastSubscription]

    public init(consumer: String, transport: any EventTransport, subscriptions: [BroadcastSubscription]) {
        self.consumer = consumer
        self.transport = transport
        self.subscriptions = subscriptions
    }

    public func run() async throws {
        let types = subscriptions.reduce(into: Set<String>()) { $0.formUnion($1.types) }
        let subscriptions = self.subscriptions
        try await transport.consumeBroadcast(consumer: consumer, types: types) { event in
            for subscription in subscriptions where subscription.types.contains(event.type) {
                await subscription.handle(event)
            }
        }
    }
}
