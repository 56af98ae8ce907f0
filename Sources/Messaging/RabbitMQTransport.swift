import AMQP
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import Storage
import ServiceLifecycle
import Synchronization

/// Events through RabbitMQ: one durable topic exchange `emporium.events`, routing key = event
/// type, one durable quorum queue per consuming service (`emporium.<service>`) with a dead-letter
/// queue after ``maxDeliveries`` failed deliveries. Publishes are persistent and confirmed.
///
/// A consumer takes deliveries in batches (``consumeBatches(consumer:types:handler:)``): the
/// next delivery plus those already received, up to ``maxBatch``, acknowledged together with one
/// `basic.ack` (multiple) once the batch is applied.
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
    /// The most events a consumer's batch holds.
    public let maxBatch: Int
    private let logger: Logger

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
    ///   - maxBatch: The most events a consumer applies in one batch; by default half of
    ///     `prefetch` (so while one batch is applied the broker can already send the next; 64
    ///     when `prefetch` is 0, unlimited); never more than a non-zero `prefetch`, and 1
    ///     applies events one at a time.
    /// - Throws: `AMQPError.invalidURL` for a malformed URL.
    public init(url: String, maxDeliveries: Int = 5, prefetch: UInt16 = 256, maxBatch: Int? = nil, logger: Logger) throws {
        var configuration = try AMQPConfiguration(url: url)
        configuration.connectionName = "emporium"
        self.configuration = configuration
        self.description = "amqp://\(configuration.user)@\(configuration.brokerAddress)"
        self.maxDeliveries = maxDeliveries
        self.prefetch = prefetch
        let limit = prefetch > 0 ? Int(prefetch) : Int.max
        self.maxBatch = Swift.max(1, Swift.min(maxBatch ?? (prefetch > 0 ? Int(prefetch) / 2 : 64), limit))
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
        try await publish(messages: try events.map(Self.message))
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

    /// Publishes the events' JSON as the outbox stored it, without decoding it.
    public func publish(stored events: [StoredEvent]) async throws {
        try await publish(messages: events.map(Self.message))
    }

    /// The AMQP message of an event: persistent, routed by its type, the CloudEvent as JSON.
    static func message(_ event: CloudEvent) throws -> AMQPMessage {
        message(StoredEvent(id: event.id, type: event.type, source: event.source, json: String(decoding: try event.encoded(), as: UTF8.self)))
    }

    /// The AMQP message of an event as an outbox holds it.
    static func message(_ event: StoredEvent) -> AMQPMessage {
        var properties = AMQPProperties()
        properties.contentType = "application/cloudevents+json"
        properties.deliveryMode = .persistent
        properties.messageID = event.id
        properties.type = event.type
        properties.timestamp = Date.now
        properties.appID = event.source
        return AMQPMessage(body: ByteBuffer(string: event.json), exchange: exchange, routingKey: event.type, properties: properties)
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
        await consumeQueue(consumer: consumer, types: types, maxBatch: 1) { events in
            for event in events { try await handler(event) }
        }
    }

    public func consumeBatches(consumer: String, types: Set<String>, handler: @escaping @Sendable ([CloudEvent]) async throws -> Void) async throws {
        await consumeQueue(consumer: consumer, types: types, maxBatch: maxBatch, handler)
    }

    private func consumeQueue(consumer: String, types: Set<String>, maxBatch: Int, _ handler: @escaping @Sendable ([CloudEvent]) async throws -> Void) async {
        await keepConsuming("event consumer", consumer: consumer, maxBatch: maxBatch) { channel in
            try await self.declareQueues(on: channel, consumer: consumer, types: types)
        } handle: { deliveries in
            try await self.handle(deliveries, consumer: consumer, handler)
        }
    }

    public func consumeBroadcast(consumer: String, types: Set<String>, handler: @escaping @Sendable (CloudEvent) async -> Void) async throws {
        await keepConsuming("broadcast consumer", consumer: consumer, maxBatch: 1) { channel in
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
                if let event = try? CloudEvent.decode(delivery.body) {
                    await handler(event)
                } else {
                    self.logger.error("undecodable broadcast message dropped", metadata: ["consumer": "\(consumer)", "routing_key": "\(delivery.routingKey)"])
                }
                try await delivery.ack()
            }
        }
    }

    /// Consumes until shutdown: on a fresh channel, `subscribe` declares what it needs and starts
    /// consuming, and each batch of up to `maxBatch` deliveries goes to `handle`. When the channel
    /// or connection fails, the channel is closed (its unacknowledged deliveries go back to the
    /// queue) and it starts over after a backoff.
    private func keepConsuming(
        _ role: String,
        consumer: String,
        maxBatch: Int,
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
                        while let batch = try await iterator.nextBatch(max: maxBatch) {
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
        let topology = AMQPDeadLetterTopology(
            queue: Self.queue(of: consumer),
            maxDeliveries: maxDeliveries,
            deadLetterQueue: Self.deadLetterQueue(of: consumer),
            bindings: types.sorted().map { .init(exchange: Self.exchange, routingKey: $0) }
        )
        try await topology.declare(on: channel)
        try await channel.setPrefetch(count: prefetch)
        return try await channel.consume(queue: topology.queue)
    }

    /// Applies a batch of deliveries: undecodable ones are dead-lettered at once; the others go
    /// to `handler` together and are acknowledged with one `basic.ack` (multiple). When the
    /// batch fails, each event goes to `handler` on its own instead (``handle(_:_:consumer:_:)``).
    private func handle(_ deliveries: [AMQPDelivery], consumer: String, _ handler: @Sendable ([CloudEvent]) async throws -> Void) async throws {
        var batch: [(delivery: AMQPDelivery, event: CloudEvent)] = []
        batch.reserveCapacity(deliveries.count)
        for delivery in deliveries {
            do {
                batch.append((delivery, try CloudEvent.decode(delivery.body)))
            } catch {
                logger.error("undecodable message dead-lettered", metadata: ["consumer": "\(consumer)", "routing_key": "\(delivery.routingKey)", "error": "\(error)"])
                try await delivery.nack(requeue: false)
            }
        }
        guard let last = batch.last else { return }
        if batch.count > 1 {
            let applied: Bool
            do {
                try await handler(batch.map(\.event))
                applied = true
            } catch {
                if Task.isCancelled { throw CancellationError() }
                logger.warning(
                    "event batch failed; applying its events one at a time",
                    metadata: ["consumer": "\(consumer)", "events": "\(batch.count)", "error": "\(error)"]
                )
                applied = false
            }
            if applied {
                // Every earlier delivery on this channel is settled: this acknowledges the batch.
                try last.delivery.ack(multiple: true)
                return
            }
        }
        for (delivery, event) in batch {
            try await handle(delivery, event, consumer: consumer, handler)
        }
    }

    /// Applies one event: acknowledged when `handler` returns; when it throws, handed back to
    /// the broker after a pause that grows with its deliveries, so the broker redelivers it
    /// (and dead-letters it after ``maxDeliveries``).
    private func handle(_ delivery: AMQPDelivery, _ event: CloudEvent, consumer: String, _ handler: @Sendable ([CloudEvent]) async throws -> Void) async throws {
        do {
            try await handler([event])
        } catch {
            logger.warning(
                "event handler failed; the broker will redeliver",
                metadata: ["consumer": "\(consumer)", "event_id": "\(event.id)", "type": "\(event.type)",
                           "delivery": "\(delivery.deliveryCount.map { $0 + 1 } ?? 1)", "error": "\(error)"]
            )
            // A short pause before handing it back, so a passing failure (a database restart)
            // does not use up every delivery within milliseconds.
            let attempt = delivery.deliveryCount ?? 0
            try await Task.sleep(for: .milliseconds(min(2_000, 50 << min(attempt, 6))))
            try await delivery.nack(requeue: true)
            return
        }
        try await delivery.ack()
    }
}

/// The broker cannot take events now.
public struct BrokerUnavailableError: Error, CustomStringConvertible {
    public var broker: String
    public var reason: String
    public var description: String { "event broker \(broker) is unavailable: \(reason)" }
}
