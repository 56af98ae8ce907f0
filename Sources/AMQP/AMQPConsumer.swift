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
/// Ending the iterating task cancels the consumer on the broker. Iterate it from one task.
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
    let stream: AsyncThrowingStream<AMQPDelivery, any Error>

    /// Stops the consumer (basic.cancel); the sequence then ends.
    public func cancel() async throws {
        try await self.channel.cancel(consumerTag: self.consumerTag)
    }

    /// An iterator over the deliveries.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.stream.makeAsyncIterator(), gate: self.channel.gate)
    }

    /// Iterates deliveries.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<AMQPDelivery, any Error>.AsyncIterator
        let gate: ChannelGate

        /// The next delivery; nil once the consumer is cancelled or its channel closed.
        public mutating func next() async throws -> AMQPDelivery? {
            while let delivery = try await self.base.next() {
                if delivery.epoch == self.gate.epoch { return delivery }
            }
            return nil
        }
    }
}


