import EmporiumCore
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// The embedded event bus: delivers events to consumers in the same process.
///
/// `publish` returns once every subscribed consumer has handled each event (or dead-lettered it
/// after the delivery limit), so the relay marks an event sent only when its effects are committed:
/// a crash before that leaves it in the outbox, to be delivered again after restart.
///
/// A consumer subscribed with ``consumeBatches(consumer:types:handler:)`` gets the events of one
/// `publish` that it handles as one batch (up to ``maxBatch`` each); when a batch fails, its
/// events are delivered one at a time, each up to the delivery limit.
public final class InProcessTransport: EventTransport {
    public let description = "in-process"
    /// The most events a consumer's batch holds.
    public let maxBatch: Int
    private let expectedConsumers: Set<String>
    private let maxDeliveries: Int
    private let logger: Logger
    private let deadLettered: DeadLetterCounter

    private struct Subscriber {
        var types: Set<String>
        var maxBatch: Int
        var handler: @Sendable ([CloudEvent]) async throws -> Void
    }
    private struct State {
        var subscribers: [String: Subscriber] = [:]
        var deadLetters: [String: [CloudEvent]] = [:]
        var broadcasts: [String: (types: Set<String>, handler: @Sendable (CloudEvent) async -> Void)] = [:]
    }
    private let state = Mutex(State())
    /// Raised once every expected consumer has subscribed.
    private let consumersReady = StartSignal()

    /// - Parameters:
    ///   - expectedConsumers: Consumers that will subscribe; `publish` waits until all have, so no
    ///     event is delivered to nobody while the process starts.
    ///   - maxDeliveries: Attempts per consumer before an event is dead-lettered (not counting
    ///     a failed batch it was part of).
    ///   - maxBatch: The most events a batch holds (at least 1).
    ///   - metrics: Where `emporium_events_dead_lettered_total` goes (by default the process's
    ///     `MetricsSystem`).
    public init(
        expectedConsumers: Set<String>, maxDeliveries: Int = 5, maxBatch: Int = 64, metrics: any MetricsFactory = MetricsSystem.factory,
        logger: Logger
    ) {
        self.expectedConsumers = expectedConsumers
        self.maxDeliveries = maxDeliveries
        self.maxBatch = max(1, maxBatch)
        self.logger = logger
        self.deadLettered = DeadLetterCounter(factory: metrics)
    }

    public func publish(_ events: [CloudEvent]) async throws {
        try await waitForConsumers()
        let (subscribers, broadcasts) = state.withLock { ($0.subscribers, $0.broadcasts) }
        for (consumer, subscriber) in subscribers.sorted(by: { $0.key < $1.key }) {
            let handled = events.filter { subscriber.types.contains($0.type) }
            var start = handled.startIndex
            while start < handled.endIndex {
                let end = min(start + subscriber.maxBatch, handled.endIndex)
                try await deliver(Array(handled[start..<end]), to: consumer, subscriber.handler)
                start = end
            }
        }
        for event in events {
            for (_, broadcast) in broadcasts.sorted(by: { $0.key < $1.key }) where broadcast.types.contains(event.type) {
                await broadcast.handler(event)
            }
        }
    }

    /// Delivers a batch; when it fails, each of its events on its own.
    private func deliver(_ batch: [CloudEvent], to consumer: String, _ handler: @Sendable ([CloudEvent]) async throws -> Void) async throws {
        if batch.count > 1 {
            try Task.checkCancellation()
            do {
                try await handler(batch)
                return
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.warning(
                    "event batch failed; applying its events one at a time",
                    metadata: ["consumer": "\(consumer)", "events": "\(batch.count)", "error": "\(error)"]
                )
            }
        }
        for event in batch {
            try await deliver(event, to: consumer, handler)
        }
    }

    private func deliver(_ event: CloudEvent, to consumer: String, _ handler: @Sendable ([CloudEvent]) async throws -> Void) async throws {
        for attempt in 1...maxDeliveries {
            try Task.checkCancellation()
            do {
                try await handler([event])
                return
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.warning(
                    "event handler failed",
                    metadata: ["consumer": "\(consumer)", "event_id": "\(event.id)", "type": "\(event.type)", "attempt": "\(attempt)", "error": "\(error)"]
                )
            }
        }
        logger.error("event dead-lettered", metadata: ["consumer": "\(consumer)", "event_id": "\(event.id)", "type": "\(event.type)"])
        state.withLock { $0.deadLetters[consumer, default: []].append(event) }
        deadLettered.count(consumer: consumer)
    }

    public func consume(consumer: String, types: Set<String>, handler: @escaping @Sendable (CloudEvent) async throws -> Void) async throws {
        try await subscribe(Subscriber(types: types, maxBatch: 1) { events in
            for event in events { try await handler(event) }
        }, as: consumer)
    }

    public func consumeBatches(consumer: String, types: Set<String>, handler: @escaping @Sendable ([CloudEvent]) async throws -> Void) async throws {
        try await subscribe(Subscriber(types: types, maxBatch: maxBatch, handler: handler), as: consumer)
    }

    private func subscribe(_ subscriber: Subscriber, as consumer: String) async throws {
        _ = deadLettered.of(consumer)
        let allSubscribed = state.withLock { state -> Bool in
            state.subscribers[consumer] = subscriber
            return expectedConsumers.isSubset(of: state.subscribers.keys)
        }
        if allSubscribed { consumersReady.raise() }
        // Stay subscribed until shutdown; deliveries happen on the publisher's task.
        await Lifecycle.waitForShutdown()
    }

    public func consumeBroadcast(consumer: String, types: Set<String>, handler: @escaping @Sendable (CloudEvent) async -> Void) async throws {
        state.withLock { $0.broadcasts[consumer] = (types, handler) }
        await Lifecycle.waitForShutdown()
        _ = state.withLock { $0.broadcasts.removeValue(forKey: consumer) }
    }

    /// Events a consumer gave up on, oldest first.
    public func deadLetters(of consumer: String) -> [CloudEvent] {
        state.withLock { $0.deadLetters[consumer] ?? [] }
    }

    /// The events kept in memory for `consumer` (``deadLetters(of:)``).
    public func deadLetterCount(of consumer: String) async throws -> Int? {
        state.withLock { $0.deadLetters[consumer]?.count ?? 0 }
    }

    public func checkReady() async throws {}

    /// Nothing to connect: waits for shutdown (a service that returns early would stop the process).
    public func run() async throws {
        await Lifecycle.waitForShutdown()
    }

    /// Waits until every expected consumer has subscribed (at once when none is expected).
    /// - Throws: `CancellationError` when cancelled first.
    private func waitForConsumers() async throws {
        if expectedConsumers.isEmpty { return }
        await consumersReady.wait()
        guard consumersReady.isRaised else { throw CancellationError() }
    }
}
