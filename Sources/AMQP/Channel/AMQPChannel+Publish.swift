import NIOCore

/// Publishing and publisher confirms.
extension AMQPChannel {
    /// Puts the channel in confirm mode (confirm.select): from now on the broker
    /// acknowledges every publish, and ``publish(_:exchange:routingKey:mandatory:properties:)``
    /// returns only once the broker has taken responsibility for the message (for
    /// persistent messages on durable queues: written to disk).
    public func enablePublisherConfirms() async throws {
        try self.ensureOpen()
        guard !self.gate.confirmsEnabled else { return }
        try self.gate.sendConfirmSelect()
        _ = try await self.awaitReply(to: AMQPMethodID(classID: 85, methodID: 10), operation: "confirm.select")
    }

    /// Whether ``enablePublisherConfirms()`` was called.
    public nonisolated var publisherConfirmsEnabled: Bool { self.gate.confirmsEnabled }

    /// Publishes a message.
    ///
    /// In confirm mode this returns when the broker confirms the message and throws
    /// ``AMQPError/publishNacked(deliveryTag:)`` when it refuses it. Call it from many
    /// tasks at once to keep many publishes in flight: the frames are encoded on the
    /// calling thread (no hop onto the event loop), everything encoded before the event
    /// loop next runs leaves in one flush, and the broker confirms in batches.
    /// Without confirm mode it returns as soon as the frames are queued for sending; the
    /// frames wait in memory if the broker reads more slowly than you publish, so prefer
    /// confirm mode, whose waiting publishers pace themselves.
    ///
    /// If the connection drops before the confirm arrives, this throws
    /// ``AMQPError/connectionLost(broker:reason:)`` (or `.connectionClosed`): the message
    /// may or may not have reached the broker, so publish it again (consumers should
    /// de-duplicate by ``AMQPProperties/messageID``).
    ///
    /// - Parameters:
    ///   - body: The message body; sent in body frames no larger than the negotiated frame-max.
    ///   - exchange: The exchange; "" is the default exchange, which routes by queue name.
    ///   - routingKey: The routing key (at most 255 bytes).
    ///   - mandatory: Ask the broker to return the message if no queue takes it (it is logged).
    ///   - properties: Message properties; use ``AMQPProperties/persistent`` for durable messages.
    /// - Throws: ``AMQPError/channelClosed(code:text:method:)`` when the broker closed the
    ///   channel (e.g. 404 for a missing exchange), `.publishNacked`, `.connectionLost`.
    public nonisolated func publish(
        _ body: ByteBuffer,
        exchange: String = "",
        routingKey: String,
        mandatory: Bool = false,
        properties: AMQPProperties = AMQPProperties()
    ) async throws {
        guard self.gate.confirmsEnabled else {
            try self.gate.publish(
                exchange: exchange, routingKey: routingKey, mandatory: mandatory, properties: properties, body: body,
                waiter: nil)
            return
        }
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            do {
                try self.gate.publish(
                    exchange: exchange, routingKey: routingKey, mandatory: mandatory, properties: properties, body: body,
                    waiter: .single(continuation))
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    /// Publishes `messages` in their order and, in confirm mode, returns once the broker has
    /// confirmed all of them (one wait for the whole batch, however many messages).
    ///
    /// Unlike publishing from several tasks at once, the order on the wire is the order of
    /// `messages`, so a queue receives them in that order.
    /// - Throws: the first failure (`.publishNacked`, `.connectionLost`, `.channelClosed`); the
    ///   messages before it may have reached the broker, so publish the batch again.
    public nonisolated func publish(batch messages: [AMQPMessage]) async throws {
        guard !messages.isEmpty else { return }
        guard self.gate.confirmsEnabled else {
            for message in messages {
                try self.gate.publish(
                    exchange: message.exchange, routingKey: message.routingKey, mandatory: message.mandatory,
                    properties: message.properties, body: message.body, waiter: nil)
            }
            return
        }
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            let batch = BatchConfirm(count: messages.count, continuation: continuation)
            for message in messages {
                do {
                    try self.gate.publish(
                        exchange: message.exchange, routingKey: message.routingKey, mandatory: message.mandatory,
                        properties: message.properties, body: message.body, waiter: .batch(batch))
                } catch {
                    batch.fail(error)
                    return
                }
            }
        }
    }

    /// Publishes a UTF-8 string body; see ``publish(_:exchange:routingKey:mandatory:properties:)``.
    public nonisolated func publish(
        _ body: String,
        exchange: String = "",
        routingKey: String,
        mandatory: Bool = false,
        properties: AMQPProperties = AMQPProperties()
    ) async throws {
        try await self.publish(
            ByteBuffer(string: body), exchange: exchange, routingKey: routingKey, mandatory: mandatory, properties: properties)
    }
}

/// A message to publish with ``AMQPChannel/publish(batch:)``.
public struct AMQPMessage: Sendable {
    /// The body.
    public var body: ByteBuffer
    /// The exchange; "" is the default exchange.
    public var exchange: String
    /// The routing key (at most 255 bytes).
    public var routingKey: String
    /// Ask the broker to return the message if no queue takes it.
    public var mandatory: Bool
    /// The message properties.
    public var properties: AMQPProperties

    /// Creates a message.
    public init(body: ByteBuffer, exchange: String = "", routingKey: String, mandatory: Bool = false, properties: AMQPProperties = AMQPProperties()) {
        self.body = body
        self.exchange = exchange
        self.routingKey = routingKey
        self.mandatory = mandatory
        self.properties = properties
    }
}
