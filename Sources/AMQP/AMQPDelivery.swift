import NIOCore

/// A message delivered to a consumer (or fetched with ``AMQPChannel/get(queue:)``).
public struct AMQPDelivery: Sendable {
    /// The message body.
    public var body: ByteBuffer
    /// The message properties (content type, message id, headers, ...).
    public var properties: AMQPProperties
    /// The exchange it was published to ("" for the default exchange).
    public var exchange: String
    /// The routing key it was published with.
    public var routingKey: String
    /// The broker's number for this delivery on its channel.
    public var deliveryTag: UInt64
    /// Whether the broker delivered this message before (to this or another consumer)
    /// without it being acknowledged.
    public var redelivered: Bool
    /// The consumer it was delivered to ("" for basic.get).
    public var consumerTag: String
    /// The channel it arrived on; acknowledgements go back through it.
    public let channel: AMQPChannel
    let epoch: UInt64

    /// The body as a UTF-8 string.
    public var bodyString: String { String(buffer: self.body) }

    /// How many times a quorum queue has returned this message before (its
    /// `x-delivery-count` header); nil for first deliveries and for classic queues.
    public var deliveryCount: Int? { self.properties.headers?["x-delivery-count"]?.intValue }

    /// Acknowledges the delivery: the broker forgets the message. The frame is queued
    /// from the calling thread (no hop onto the event loop) and flushed with others.
    /// - Throws: ``AMQPError/connectionLost(broker:reason:)`` when the connection dropped
    ///   since it arrived (the broker delivers it again), or the channel's close error.
    public func ack() async throws {
        try self.ack(multiple: false)
    }

    /// Acknowledges the delivery and, with `multiple`, every earlier delivery on its channel
    /// not yet acknowledged or rejected: one frame for a whole batch (take the batch with
    /// ``AMQPConsumer/AsyncIterator/nextBatch(max:)`` and acknowledge its last delivery).
    /// - Throws: ``AMQPError/connectionLost(broker:reason:)`` when the connection dropped
    ///   since it arrived (the broker delivers them again), or the channel's close error.
    public func ack(multiple: Bool) throws {
        try self.channel.gate.settle(.basicAck(deliveryTag: self.deliveryTag, multiple: multiple), epoch: self.epoch)
    }

    /// Rejects the delivery (basic.nack). With `requeue` true the message goes back to
    /// the queue for another delivery (a quorum queue with `x-delivery-limit` dead-letters
    /// it once the limit is reached); with false it is dead-lettered or dropped now.
    public func nack(requeue: Bool = true) async throws {
        try self.channel.gate.settle(.basicNack(deliveryTag: self.deliveryTag, multiple: false, requeue: requeue), epoch: self.epoch)
    }

    /// Rejects the delivery (basic.reject); like ``nack(requeue:)`` for one message.
    public func reject(requeue: Bool = true) async throws {
        try self.channel.gate.settle(.basicReject(deliveryTag: self.deliveryTag, requeue: requeue), epoch: self.epoch)
    }
}
