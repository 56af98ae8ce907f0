import Logging
import NIOCore

/// A registered consumer: how to re-create it after a reconnect and where its deliveries go.
struct ConsumerRecord {
    var tag: String
    var queue: String
    var exclusive: Bool
    var arguments: AMQPTable
    var buffer: DeliveryBuffer
}

/// Consuming, fetching and acknowledging.
extension AMQPChannel {
    /// Starts a consumer on `queue` with manual acknowledgement (basic.consume).
    ///
    /// Acknowledge each delivery with ``AMQPDelivery/ack()`` or give it back with
    /// ``AMQPDelivery/nack(requeue:)``; unacknowledged deliveries return to the queue when
    /// the channel or connection closes. Use ``setPrefetch(count:global:)`` first to bound
    /// how many deliveries are outstanding.
    ///
    /// The sequence survives reconnects (the consumer is re-created with the same tag);
    /// it ends when the consumer is cancelled or the channel closes, and throws the error
    /// when the broker closed the channel or the connection is closed for good.
    /// - Parameters:
    ///   - queue: The queue to consume from.
    ///   - consumerTag: A tag unique on this channel; generated when nil.
    ///   - exclusive: Ask to be the queue's only consumer.
    ///   - arguments: Consumer arguments (e.g. `x-priority`).
    public func consume(
        queue: String,
        consumerTag: String? = nil,
        exclusive: Bool = false,
        arguments: AMQPTable = AMQPTable()
    ) async throws -> AMQPConsumer {
        try self.ensureOpen()
        let tag = consumerTag ?? "emporium-\(self.id)-\(self.nextConsumerNumber)"
        self.nextConsumerNumber += 1
        guard self.consumers[tag] == nil else {
            throw AMQPError.invalidArgument("consumer tag '\(tag)' is already in use on channel \(self.id)")
        }
        let buffer = DeliveryBuffer { [weak self] in
            // The consuming task went away: stop deliveries to it.
            guard let self else { return }
            Task { try? await self.cancel(consumerTag: tag) }
        }
        // Registered before basic.consume-ok so that no delivery finds it missing.
        self.consumers[tag] = ConsumerRecord(tag: tag, queue: queue, exclusive: exclusive, arguments: arguments, buffer: buffer)
        do {
            _ = try await self.call(
                .basicConsume(queue: queue, consumerTag: tag, noLocal: false, noAck: false, exclusive: exclusive, noWait: false, arguments: arguments),
                operation: "basic.consume '\(queue)'")
        } catch {
            self.consumers[tag] = nil
            buffer.finish(throwing: error)
            throw error
        }
        return AMQPConsumer(consumerTag: tag, channel: self, buffer: buffer)
    }

    /// Stops a consumer (basic.cancel); its sequence ends after the broker confirms.
    /// Deliveries it has not acknowledged stay unacknowledged until acked, nacked or the
    /// channel closes.
    public func cancel(consumerTag: String) async throws {
        guard self.consumers[consumerTag] != nil else { return }
        try self.ensureOpen()
        _ = try await self.call(.basicCancel(consumerTag: consumerTag, noWait: false), operation: "basic.cancel")
    }

    /// Restarts consumers after a reconnect.
    func recoverConsumers() async throws {
        guard case .open = self.state else { return }
        for record in self.consumers.values {
            do {
                _ = try await self.call(
                    .basicConsume(
                        queue: record.queue, consumerTag: record.tag, noLocal: false, noAck: false, exclusive: record.exclusive,
                        noWait: false, arguments: record.arguments),
                    operation: "basic.consume '\(record.queue)'")
            } catch let error as AMQPError {
                guard case .channelClosed = error else { throw error }
                // The channel is closed now, which ended every consumer on it.
                self.logger.error("could not restart consumer", metadata: ["amqp.queue": "\(record.queue)", "amqp.error": "\(error)"])
                return
            }
        }
    }

    /// Fetches one message (basic.get) with manual acknowledgement, or nil when the queue is empty.
    public func get(queue: String) async throws -> AMQPDelivery? {
        try self.ensureOpen()
        let reply = try await self.call(.basicGet(queue: queue, noAck: false), operation: "basic.get '\(queue)'")
        if case .delivery(let delivery) = reply { return delivery }
        return nil
    }

    /// Acknowledges a delivery (basic.ack); with `multiple`, every earlier one too.
    /// Needs no hop onto the event loop.
    public nonisolated func ack(deliveryTag: UInt64, multiple: Bool = false) throws {
        try self.gate.settle(.basicAck(deliveryTag: deliveryTag, multiple: multiple), epoch: self.gate.epoch)
    }

    /// Rejects a delivery (basic.nack): requeued for another delivery, or dead-lettered
    /// (or dropped) when `requeue` is false.
    public nonisolated func nack(deliveryTag: UInt64, multiple: Bool = false, requeue: Bool = true) throws {
        try self.gate.settle(.basicNack(deliveryTag: deliveryTag, multiple: multiple, requeue: requeue), epoch: self.gate.epoch)
    }

    /// Ends every consumer sequence: normally, or by throwing `error`.
    func finishConsumers(throwing error: AMQPError?) {
        let records = self.consumers.values
        self.consumers = [:]
        for record in records {
            record.buffer.finish(throwing: error)
        }
    }
}
