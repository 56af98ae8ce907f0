/// The deliveries of one consumer, as an asynchronous sequence.
///
/// ```swift
/// let consumer = try await channel.consume(queue: "orders")
/// for try await delivery in consumer {
///     do { try await handle(delivery); try await delivery.ack() }
///     catch { try await delivery.nack(requeue: true) }
/// }
/// ```
///
/// To work through deliveries in batches, take every delivery already received at once with
/// ``AsyncIterator/nextBatch(max:)`` and acknowledge them together with
/// ``AMQPDelivery/ack(multiple:)`` on the last one.
///
/// Cancelling the iterating task, or dropping every copy of the consumer and its iterators,
/// cancels the consumer on the broker. Iterate it from one task.
///
/// Deliveries that arrived before a reconnect but were not yet taken from the sequence
/// are skipped: they can no longer be acknowledged, and the broker delivers them again.
public struct AMQPConsumer: AsyncSequence, Sendable {
    /// Each element is one delivery.
    public typealias Element = AMQPDelivery
    /// The sequence throws when the channel or connection fails.
    public typealias Failure = any Error

    /// The consumer tag on its channel.
    public let consumerTag: String
    /// The channel the consumer runs on.
    public let channel: AMQPChannel
    let lifetime: ConsumerLifetime

    init(consumerTag: String, channel: AMQPChannel, buffer: DeliveryBuffer) {
        self.consumerTag = consumerTag
        self.channel = channel
        self.lifetime = ConsumerLifetime(buffer: buffer)
    }

    /// Stops the consumer (basic.cancel); the sequence then ends.
    public func cancel() async throws {
        try await self.channel.cancel(consumerTag: self.consumerTag)
    }

    /// An iterator over the deliveries.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(lifetime: self.lifetime, gate: self.channel.gate)
    }

    /// Iterates deliveries, one at a time or in batches.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let lifetime: ConsumerLifetime
        let gate: ChannelGate

        /// The next delivery; nil once the consumer is cancelled or its channel closed.
        /// - Throws: the error that closed the channel or the connection, once.
        public mutating func next() async throws -> AMQPDelivery? {
            try await self.nextBatch(max: 1)?.first
        }

        /// Waits for the next delivery, then also takes the deliveries already received after
        /// it, up to `max` in all, without waiting for more: a batch of what is available now,
        /// in delivery order.
        /// - Returns: One to `max` deliveries; nil once the consumer is cancelled or its
        ///   channel closed.
        /// - Throws: the error that closed the channel or the connection, once.
        public mutating func nextBatch(max: Int) async throws -> [AMQPDelivery]? {
            precondition(max > 0, "nextBatch(max:) needs a positive maximum")
            while let deliveries = try await self.lifetime.buffer.take(max: max) {
                // Deliveries of an earlier connection cannot be settled any more: skip them.
                let epoch = self.gate.epoch
                let current = deliveries.filter { $0.epoch == epoch }
                if !current.isEmpty { return current }
            }
            return nil
        }
    }
}

/// Cancels the consumer's buffer (and so the broker consumer) when the last
/// ``AMQPConsumer`` copy or iterator holding it goes away.
final class ConsumerLifetime: Sendable {
    let buffer: DeliveryBuffer

    init(buffer: DeliveryBuffer) {
        self.buffer = buffer
    }

    deinit {
        self.buffer.cancel()
    }
}
