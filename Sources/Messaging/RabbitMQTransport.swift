import EmporiumCore
public import AMQP
import Foundation
import Logging
import Metrics
import NIOCore
import NIOFoundationCompat
import ServiceLifecycle
import Synchronization

/// Events through RabbitMQ: one durable topic exchange `emporium.events`, routing key = event
/// type, one durable quorum queue per consuming service (`emporium.<service>`) with a dead-letter
/// queue after ``maxDeliveries`` failed deliveries. Publishes are persistent and confirmed.
///
/// Events published together (the outbox relay's batches) travel several to a message: each run
/// of consecutive events of one type and source, up to ``eventsPerMessage`` (and 1 MiB), is one message in
/// the CloudEvents JSON format's batched mode (a JSON array, content type
/// `application/cloudevents-batch+json`) routed by that type; a run of one is a plain
/// `application/cloudevents+json` message. The broker then routes, stores, delivers and takes
/// the acknowledgement of one message for the run (its work per message is what bounds the
/// event rate), and a queue still receives events in the order published.
///
/// A consumer takes deliveries in batches (``consumeBatches(consumer:types:handler:)``): the
/// next delivery plus those already received, whole messages up to ``maxBatch`` events,
/// acknowledged together with one `basic.ack` (multiple) once the batch is applied. When a batch
/// fails, each message's events are applied one at a time; a message with an event that still
/// fails goes back to the broker, and after ``maxDeliveries`` to the dead-letter queue, whole
/// (its other events were applied once, and the inbox absorbs them if it is ever replayed).
///
/// The process starts whether or not the broker answers: ``run()`` keeps trying to connect with
/// backoff (logging why, naming the broker), `/health/ready` reports the broker as down meanwhile,
/// and the outboxes keep filling. Once connected, the AMQP client reconnects by itself and
/// re-declares the topology.
public final class RabbitMQTransport: EventTransport {
    /// The exchange every event is published to.
    public static let exchange = "emporium.events"

    public let description: String
    private let configuration: AMQPConfiguration
    private let maxDeliveries: Int
    private let prefetch: UInt16
    /// The most events a consumer's batch holds (a single message with more is a batch alone).
    public let maxBatch: Int
    /// The most events published in one message (1: every event alone).
    public let eventsPerMessage: Int
    /// The size a message of several events stays under (its events' JSON): 1 MiB.
    static let maxBatchMessageBytes = 1 << 20
    /// The most messages a consumer's batch takes: half the prefetch (64 without one).
    private var messagesPerBatch: Int { prefetch > 0 ? Swift.max(1, Int(prefetch) / 2) : 64 }
    private let logger: Logger
    private let deadLettered: DeadLetterCounter
    /// The consumers of this process and their event types: their queues are declared and bound
    /// at every connection, before anything is published, so that no event published by this
    /// process (a catalog's seeded products) is routed before the queue that must keep it exists.
    private let consumers: [String: Set<String>]

    private struct State {
        var connection: AMQPConnection?
        var publisher: AMQPChannel?
        var lastError: (any Error)?
    }
    private let state = Mutex(State())
    /// Raised at the first successful connection.
    private let connected = StartSignal()

    /// - Parameters:
    ///   - url: `amqp://user:password@host:port/vhost`.
    ///   - maxDeliveries: Deliveries of a message before it goes to the consumer's dead-letter queue.
    ///   - prefetch: Unacknowledged deliveries a consumer may hold.
    ///   - maxBatch: The most events a consumer applies in one batch (whole messages; one
    ///     message with more is a batch alone), 512 by default; 1 applies events one at a time.
    ///     A batch takes at most half of `prefetch` messages (64 when `prefetch` is 0,
    ///     unlimited), so while one batch is applied the broker can already send the next.
    ///   - eventsPerMessage: The most events of one type published in one message; 1 publishes
    ///     each event in a message of its own (for consumers that read single events only).
    ///   - consumers: The durable consumers of this process and their types, declared at connection.
    ///   - metrics: Where `emporium_events_dead_lettered_total` goes (by default the process's
    ///     `MetricsSystem`).
    /// - Throws: `AMQPError.invalidURL` for a malformed URL.
    public init(
        url: String, maxDeliveries: Int = 5, prefetch: UInt16 = 256, maxBatch: Int? = nil, eventsPerMessage: Int = 256,
        consumers: [String: Set<String>] = [:], metrics: any MetricsFactory = MetricsSystem.factory, logger: Logger
    ) throws {
        self.consumers = consumers
        self.deadLettered = DeadLetterCounter(factory: metrics)
        var configuration = try AMQPConfiguration(url: url)
        configuration.connectionName = "emporium"
        self.configuration = configuration
        self.description = "amqp://\(configuration.user)@\(configuration.brokerAddress)"
        self.maxDeliveries = maxDeliveries
        self.prefetch = prefetch
        self.maxBatch = Swift.max(1, maxBatch ?? 512)
        self.eventsPerMessage = Swift.max(1, eventsPerMessage)
        var logger = logger
        logger[metadataKey: "broker"] = .string(configuration.brokerAddress)
        self.logger = logger
    }

    // MARK: Connection

    public func run() async throws {
        // Until the first connection, graceful shutdown ends the connect loop; afterwards the
        // AMQP client reconnects by itself and the connection stays until shutdown.
        let connection: AMQPConnection? = try? await cancelWhenGracefulShutdown {
            var backoff = Backoff()
            while !Task.isCancelled {
                do {
                    return try await self.connectOnce()
                } catch {
                    self.state.withLock { $0.lastError = error }
                    let delay = backoff.next()
                    if backoff.attempt == 1 || backoff.attempt % 20 == 0 {
                        self.logger.error("cannot connect to the event broker; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                    }
                    try? await Task.sleep(for: delay)
                }
            }
            return nil
        }
        guard let connection else { return }
        await Lifecycle.waitForShutdown()
        await connection.close()
    }

    private func connectOnce() async throws -> AMQPConnection {
        let connection = try await AMQPConnection.connect(configuration: configuration, logger: logger)
        do {
            try await Self.declareExchange(on: connection)
            if !consumers.isEmpty {
                let channel = try await connection.openChannel()
                for (consumer, types) in consumers.sorted(by: { $0.key < $1.key }) {
                    try await topology(consumer: consumer, types: types).declare(on: channel)
                }
                try? await channel.close()
            }
        } catch {
            await connection.close()
            throw error
        }
        logger.notice("connected to the event broker")
        state.withLock { state in
            state.connection = connection
            state.lastError = nil
        }
        connected.raise()
        return connection
    }

    /// The connection once established (waits for the first successful connect).
    /// - Throws: `CancellationError` when cancelled before.
    private func connection() async throws -> AMQPConnection {
        await connected.wait()
        guard let connection = state.withLock({ $0.connection }) else { throw CancellationError() }
        return connection
    }

    public func checkReady() async throws {
        let (connection, lastError) = state.withLock { ($0.connection, $0.lastError) }
        guard let connection else {
            throw BrokerUnavailableError(broker: configuration.brokerAddress, reason: lastError.map { "\($0)" } ?? "not connected yet")
        }
        guard await connection.isConnected else {
            throw BrokerUnavailableError(broker: configuration.brokerAddress, reason: "connection lost; reconnecting")
        }
    }

    private static func declareExchange(on connection: AMQPConnection) async throws {
        let channel = try await connection.openChannel()
        try await channel.declareExchange(exchange, type: .topic, durable: true)
        try await channel.close()
    }

    // MARK: Publishing

    public func publish(_ events: [CloudEvent]) async throws {
        try await publish(stored: try events.map(StoredEvent.init))
    }

    private func publish(messages: [AMQPMessage]) async throws {
        guard !messages.isEmpty else { return }
        let channel = try await publisherChannel()
        do {
            // One batch, written in order (the broker keeps a queue's order), confirmed together.
            try await channel.publish(batch: messages)
        } catch {
            // A channel the broker closed (or a lost connection) is replaced on the next publish.
            state.withLock { if $0.publisher === channel { $0.publisher = nil } }
            throw error
        }
    }

    /// Publishes the events' JSON as the outbox stored it, without decoding it: each run of
    /// consecutive events of one type and source, up to ``eventsPerMessage``, in one message.
    public func publish(stored events: [StoredEvent]) async throws {
        try await publish(messages: Self.messages(events, eventsPerMessage: eventsPerMessage))
    }

    /// The messages of `events`, in order: each run of consecutive events with the same type and
    /// source, cut every `eventsPerMessage` events or before its JSON passes
    /// ``maxBatchMessageBytes``, is one message (see ``message(_:)``).
    static func messages(_ events: [StoredEvent], eventsPerMessage: Int) -> [AMQPMessage] {
        var messages: [AMQPMessage] = []
        var start = events.startIndex
        while start < events.endIndex {
            var end = start + 1
            var bytes = events[start].json.utf8.count
            while end < events.endIndex, end - start < eventsPerMessage,
                events[end].type == events[start].type, events[end].source == events[start].source,
                bytes + events[end].json.utf8.count < maxBatchMessageBytes {
                bytes += events[end].json.utf8.count + 1
                end += 1
            }
            messages.append(message(events[start..<end]))
            start = end
        }
        return messages
    }

    /// The AMQP message of events of one type and source as an outbox holds them: persistent,
    /// routed by their type; one event's JSON as it is, several in a JSON array (CloudEvents
    /// batched mode), with the first event's id as the message id.
    static func message(_ events: ArraySlice<StoredEvent>) -> AMQPMessage {
        let first = events[events.startIndex]
        var properties = AMQPProperties()
        properties.deliveryMode = .persistent
        properties.messageID = first.id
        properties.type = first.type
        properties.timestamp = Date.now
        properties.appID = first.source
        var body: ByteBuffer
        if events.count == 1 {
            properties.contentType = "application/cloudevents+json"
            body = ByteBuffer(string: first.json)
        } else {
            properties.contentType = CloudEvent.batchContentType
            body = ByteBuffer()
            body.reserveCapacity(events.reduce(2) { $0 + $1.json.utf8.count + 1 })
            body.writeStaticString("[")
            for (index, event) in zip(events.indices, events) {
                if index != events.startIndex { body.writeStaticString(",") }
                body.writeString(event.json)
            }
            body.writeStaticString("]")
        }
        return AMQPMessage(body: body, exchange: exchange, routingKey: first.type, properties: properties)
    }

    /// The events of a delivery: a batch (JSON array) or one event.
    public static func events(of delivery: AMQPDelivery) throws -> [CloudEvent] {
        delivery.properties.contentType == CloudEvent.batchContentType
            ? try CloudEvent.decodeBatch(delivery.body) : [try CloudEvent.decode(delivery.body)]
    }

    private func publisherChannel() async throws -> AMQPChannel {
        if let channel = state.withLock({ $0.publisher }), await channel.isOpen { return channel }
        guard let connection = state.withLock({ $0.connection }) else {
            try await checkReady()
            throw BrokerUnavailableError(broker: configuration.brokerAddress, reason: "not connected")
        }
        let channel = try await connection.openChannel()
        try await channel.enablePublisherConfirms()
        state.withLock { $0.publisher = channel }
        return channel
    }

    // MARK: Consuming

    /// The queue of `consumer`'s events.
    public static func queue(of consumer: String) -> String { "emporium.\(consumer)" }

    /// The dead-letter queue of `consumer`: events it gave up on, for an operator to inspect.
    public static func deadLetterQueue(of consumer: String) -> String { "\(queue(of: consumer)).dlq" }

    public func consume(consumer: String, types: Set<String>, handler: @escaping @Sendable (CloudEvent) async throws -> Void) async throws {
        await consumeQueue(consumer: consumer, types: types, eventsPerBatch: 1) { events in
            for event in events { try await handler(event) }
        }
    }

    public func consumeBatches(consumer: String, types: Set<String>, handler: @escaping @Sendable ([CloudEvent]) async throws -> Void) async throws {
        await consumeQueue(consumer: consumer, types: types, eventsPerBatch: maxBatch, handler)
    }

    private func consumeQueue(consumer: String, types: Set<String>, eventsPerBatch: Int, _ handler: @escaping @Sendable ([CloudEvent]) async throws -> Void) async {
        _ = deadLettered.of(consumer)
        await keepConsuming("event consumer", consumer: consumer, maxMessages: Swift.min(eventsPerBatch, messagesPerBatch)) { channel in
            try await self.declareQueues(on: channel, consumer: consumer, types: types)
        } handle: { deliveries in
            try await self.handle(deliveries, consumer: consumer, eventsPerBatch: eventsPerBatch, handler)
        }
    }

    public func consumeBroadcast(consumer: String, types: Set<String>, handler: @escaping @Sendable (CloudEvent) async -> Void) async throws {
        await keepConsuming("broadcast consumer", consumer: consumer, maxMessages: 1) { channel in
            // A queue of this process only: exclusive to its connection, gone with it.
            let queue = "\(Self.queue(of: consumer)).instance.\(UUID.v7().lowercased)"
            try await channel.declareQueue(queue, durable: false, exclusive: true, autoDelete: true)
            for type in types.sorted() {
                try await channel.bindQueue(queue, exchange: Self.exchange, routingKey: type)
            }
            try await channel.setPrefetch(count: self.prefetch)
            return try await channel.consume(queue: queue, exclusive: true)
        } handle: { deliveries in
            for delivery in deliveries {
                if let events = try? Self.events(of: delivery) {
                    for event in events { await handler(event) }
                } else {
                    self.logger.error("undecodable broadcast message dropped", metadata: ["consumer": "\(consumer)", "routing_key": "\(delivery.routingKey)"])
                }
                try await delivery.ack()
            }
        }
    }

    /// Consumes until shutdown: on a fresh channel, `subscribe` declares what it needs and starts
    /// consuming, and each batch of up to `maxMessages` deliveries goes to `handle`. When the channel
    /// or connection fails, the channel is closed (its unacknowledged deliveries go back to the
    /// queue) and it starts over after a backoff.
    private func keepConsuming(
        _ role: String,
        consumer: String,
        maxMessages: Int,
        subscribe: @escaping @Sendable (AMQPChannel) async throws -> AMQPConsumer,
        handle: @escaping @Sendable ([AMQPDelivery]) async throws -> Void
    ) async {
        try? await cancelWhenGracefulShutdown {
            var backoff = Backoff()
            while !Task.isCancelled {
                do {
                    let channel = try await self.connection().openChannel()
                    do {
                        let deliveries = try await subscribe(channel)
                        backoff.reset()
                        var iterator = deliveries.makeAsyncIterator()
                        while let batch = try await iterator.nextBatch(max: maxMessages) {
                            try await handle(batch)
                        }
                    } catch {
                        try? await channel.close()
                        throw error
                    }
                    try? await channel.close()
                } catch is CancellationError {
                    return
                } catch {
                    if Task.isCancelled { return }
                    let delay = backoff.next()
                    self.logger.error("\(role) stopped; restarting", metadata: ["consumer": "\(consumer)", "error": "\(error)", "retry_in": "\(delay)"])
                    try await Task.sleep(for: delay)
                }
            }
        }
    }

    /// Declares `consumer`'s work and dead-letter queues and starts consuming the work queue.
    private func declareQueues(on channel: AMQPChannel, consumer: String, types: Set<String>) async throws -> AMQPConsumer {
        let topology = self.topology(consumer: consumer, types: types)
        try await topology.declare(on: channel)
        try await channel.setPrefetch(count: prefetch)
        return try await channel.consume(queue: topology.queue)
    }

    /// `consumer`'s work queue bound to `types`, with its dead-letter queue.
    private func topology(consumer: String, types: Set<String>) -> AMQPDeadLetterTopology {
        AMQPDeadLetterTopology(
            queue: Self.queue(of: consumer),
            maxDeliveries: maxDeliveries,
            deadLetterQueue: Self.deadLetterQueue(of: consumer),
            bindings: types.sorted().map { .init(exchange: Self.exchange, routingKey: $0) }
        )
    }

    /// Applies a batch of deliveries: undecodable ones are dead-lettered at once; the others go
    /// to `handler` in groups of whole messages of at most `eventsPerBatch` events (a message with
    /// more is a group alone), each group acknowledged with one `basic.ack` (multiple). When a
    /// group fails, each message's events go to `handler` one at a time instead
    /// (``handle(_:_:consumer:_:)``).
    private func handle(
        _ deliveries: [AMQPDelivery], consumer: String, eventsPerBatch: Int, _ handler: @Sendable ([CloudEvent]) async throws -> Void
    ) async throws {
        var group: [(delivery: AMQPDelivery, events: [CloudEvent])] = []
        var events = 0
        for delivery in deliveries {
            let decoded: [CloudEvent]
            do {
                decoded = try Self.events(of: delivery)
            } catch {
                logger.error("undecodable message dead-lettered", metadata: ["consumer": "\(consumer)", "routing_key": "\(delivery.routingKey)", "error": "\(error)"])
                try await delivery.nack(requeue: false)
                deadLettered.count(consumer: consumer)
                continue
            }
            if !group.isEmpty, events + decoded.count > eventsPerBatch {
                try await apply(group, consumer: consumer, eventsPerBatch: eventsPerBatch, handler)
                group.removeAll(keepingCapacity: true)
                events = 0
            }
            group.append((delivery, decoded))
            events += decoded.count
        }
        if !group.isEmpty { try await apply(group, consumer: consumer, eventsPerBatch: eventsPerBatch, handler) }
    }

    /// Applies whole messages' events together and acknowledges them with one frame; when that
    /// fails (or the consumer takes one event at a time), message by message, event by event.
    private func apply(
        _ group: [(delivery: AMQPDelivery, events: [CloudEvent])], consumer: String, eventsPerBatch: Int,
        _ handler: @Sendable ([CloudEvent]) async throws -> Void
    ) async throws {
        guard let last = group.last else { return }
        let events = group.flatMap(\.events)
        if events.count > 1, eventsPerBatch > 1 {
            let applied: Bool
            do {
                try await handler(events)
                applied = true
            } catch {
                if Task.isCancelled { throw CancellationError() }
                logger.warning(
                    "event batch failed; applying its events one at a time",
                    metadata: ["consumer": "\(consumer)", "events": "\(events.count)", "error": "\(error)"]
                )
                applied = false
            }
            if applied {
                // Every earlier delivery on this channel is settled: this acknowledges the group.
                try last.delivery.ack(multiple: true)
                return
            }
        }
        for (delivery, events) in group {
            try await handle(delivery, events, consumer: consumer, handler)
        }
    }

    /// Applies one message's events one at a time: acknowledged when every one was applied;
    /// when one throws, the others are still applied, and the message is handed back to the
    /// broker after a pause that grows with its deliveries, so the broker redelivers it (the
    /// inbox skips what was applied) and dead-letters it after ``maxDeliveries``.
    private func handle(_ delivery: AMQPDelivery, _ events: [CloudEvent], consumer: String, _ handler: @Sendable ([CloudEvent]) async throws -> Void) async throws {
        var failed = false
        for event in events {
            do {
                try await handler([event])
            } catch {
                if Task.isCancelled { throw CancellationError() }
                failed = true
                logger.warning(
                    "event handler failed; the broker will redeliver",
                    metadata: ["consumer": "\(consumer)", "event_id": "\(event.id)", "type": "\(event.type)",
                               "delivery": "\(delivery.deliveryCount.map { $0 + 1 } ?? 1)", "error": "\(error)"]
                )
            }
        }
        guard failed else {
            try await delivery.ack()
            return
        }
        // A short pause before handing it back, so a passing failure (a database restart)
        // does not use up every delivery within milliseconds.
        let attempt = delivery.deliveryCount ?? 0
        try await Task.sleep(for: .milliseconds(min(2_000, 50 << min(attempt, 6))))
        try await delivery.nack(requeue: true)
        // The broker dead-letters a message after its last allowed delivery failed.
        if attempt + 1 >= maxDeliveries { deadLettered.count(events.count, consumer: consumer) }
    }

    /// The messages in `consumer`'s dead-letter queue (a passive declare on a channel of its
    /// own); nil while not connected.
    public func deadLetterCount(of consumer: String) async throws -> Int? {
        guard let connection = state.withLock({ $0.connection }), await connection.isConnected else { return nil }
        let channel = try await connection.openChannel()
        do {
            let info = try await channel.inspectQueue(Self.deadLetterQueue(of: consumer))
            try? await channel.close()
            return Int(info.messageCount)
        } catch {
            try? await channel.close()
            throw error
        }
    }
}

/// The broker cannot take events now.
public struct BrokerUnavailableError: Error, CustomStringConvertible {
    public var broker: String
    public var reason: String
    public var description: String { "event broker \(broker) is unavailable: \(reason)" }
}
