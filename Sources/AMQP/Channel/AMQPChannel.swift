import Logging
import NIOCore

/// An AMQP channel: a lightweight session multiplexed over an ``AMQPConnection``.
///
/// Declare topology, publish and consume through a channel. A channel shares its
/// connection's event loop, so its work needs no thread hop beyond reaching that loop.
///
/// When the broker closes the channel (for example 404 NOT_FOUND on publishing to a
/// missing exchange), every pending operation on it fails with
/// ``AMQPError/channelClosed(code:text:method:)`` and so does every later one; the
/// connection and its other channels carry on. Open a new channel to continue.
public actor AMQPChannel {
    /// The channel number on the connection.
    public nonisolated let id: UInt16
    /// The connection carrying this channel.
    public nonisolated let connection: AMQPConnection
    /// What publishers and acknowledgers use without hopping onto the event loop.
    nonisolated let gate: ChannelGate
    let logger: Logger

    /// Runs on the connection's event loop, like the connection.
    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        self.connection.unownedExecutor
    }

    enum State {
        case opening
        case open
        case closing
        /// The connection dropped; waiting for it to come back.
        case recovering
        case closed(AMQPError)
    }

    struct PendingRPC {
        var serial: UInt64
        var request: AMQPMethodID
        var continuation: CheckedContinuation<RPCReply, any Error>?
        var timeout: Scheduled<Void>?
    }

    var state: State = .opening
    var pendingRPCs = CircularBuffer<PendingRPC>()
    var nextRPCSerial: UInt64 = 0
    var closeWaiter: CheckedContinuation<Void, Never>?

    // Consumers and inbound content.
    var consumers: [String: ConsumerRecord] = [:]
    var nextConsumerNumber = 1
    var incoming: IncomingContent?
    var prefetch: (count: UInt16, global: Bool)?
    /// Bumped on every reconnect: delivery tags from an older epoch are meaningless.
    var epoch: UInt64 = 0

    init(id: UInt16, connection: AMQPConnection, logger: Logger) {
        self.id = id
        self.connection = connection
        self.gate = ChannelGate(channelID: id, sink: connection.sink, broker: connection.configuration.brokerAddress)
        var logger = logger
        logger[metadataKey: "amqp.channel"] = "\(id)"
        self.logger = logger
    }

    // MARK: - Opening and closing

    /// Sends channel.open and waits for channel.open-ok.
    func open() async throws {
        self.state = .opening
        _ = try await self.call(.channelOpen, operation: "channel.open")
        if case .opening = self.state {
            self.state = .open
            self.gate.open()
        }
    }

    /// Whether the channel is open and usable now.
    public var isOpen: Bool {
        if case .open = self.state { return true }
        return false
    }

    /// Closes the channel. Unacknowledged deliveries return to their queues; consumer
    /// sequences end; unconfirmed publishes fail. Does nothing when already closed.
    public func close() async throws {
        switch self.state {
        case .closed, .closing:
            return
        case .recovering, .opening:
            self.finish(.channelClosed(code: 200, text: "closed by the application", method: nil), graceful: true)
            return
        case .open:
            break
        }
        self.state = .closing
        self.gate.block(.channelClosed(code: 200, text: "channel is closing", method: nil))
        do {
            try self.sendMethod(.channelClose(replyCode: 200, replyText: "closed by the application", classID: 0, methodID: 0))
        } catch {
            self.finish(.channelClosed(code: 200, text: "closed by the application", method: nil), graceful: true)
            return
        }
        let timeout = self.connection.eventLoop.scheduleTask(in: TimeAmount(self.connection.configuration.operationTimeout)) { [self] in
            self.assumeIsolated { $0.resumeCloseWaiter() }
        }
        await withCheckedContinuation { self.closeWaiter = $0 }
        timeout.cancel()
        self.finish(.channelClosed(code: 200, text: "closed by the application", method: nil), graceful: true)
    }

    private func resumeCloseWaiter() {
        self.closeWaiter?.resume()
        self.closeWaiter = nil
    }

    /// Moves to `closed`: fails everything pending, ends consumers, releases the number.
    func finish(_ error: AMQPError, graceful: Bool) {
        if case .closed = self.state { return }
        self.state = .closed(error)
        self.gate.block(error)
        self.failPending(error)
        self.finishConsumers(throwing: graceful ? nil : error)
        self.resumeCloseWaiter()
        self.connection.assumeIsolated { $0.channelDidClose(self) }
    }

    /// Fails waiting RPCs (unconfirmed publishes are failed by the gate).
    func failPending(_ error: AMQPError) {
        self.incoming = nil
        while let rpc = self.pendingRPCs.popFirst() {
            rpc.timeout?.cancel()
            rpc.continuation?.resume(throwing: error)
        }
    }

    /// The connection under this channel dropped or was closed.
    func connectionDropped(_ error: AMQPError, willRecover: Bool, graceful: Bool) {
        switch self.state {
        case .closed:
            return
        case .closing:
            self.finish(error, graceful: true)
        case .open, .opening, .recovering:
            if willRecover {
                self.gate.block(.connectionLost(broker: self.connection.configuration.brokerAddress, reason: "reconnecting after: \(error)"))
                self.failPending(error)
                self.resumeCloseWaiter()
                self.state = .recovering
            } else {
                self.finish(error, graceful: graceful)
            }
        }
    }

    /// Throws unless the channel can carry an operation now.
    func ensureOpen() throws(AMQPError) {
        switch self.state {
        case .open:
            return
        case .opening, .recovering:
            throw self.connection.assumeIsolated { $0.unavailableError() }
        case .closing:
            throw AMQPError.channelClosed(code: 200, text: "channel is closing", method: nil)
        case .closed(let error):
            throw error
        }
    }

    /// Runs `body` on the connection, which shares this channel's executor (also callable
    /// from async code, where `assumeIsolated` itself is not).
    func withConnection<T: Sendable>(_ body: (isolated AMQPConnection) throws -> T) rethrows -> T {
        try self.connection.assumeIsolated(body)
    }

    /// Encodes a method frame for this channel, whatever its state.
    func sendMethod(_ method: AMQPMethod) throws(AMQPError) {
        try self.gate.sendUnchecked(method)
    }

    // MARK: - Synchronous methods (request, then wait for the reply)

    enum RPCReply: Sendable {
        case method(AMQPMethod)
        case delivery(AMQPDelivery)
    }

    /// Sends `method` and waits for its reply, at most the operation timeout.
    func call(_ method: AMQPMethod, operation: @autoclosure () -> String) async throws -> RPCReply {
        try self.sendMethod(method)
        return try await self.awaitReply(to: method.id, operation: operation())
    }

    /// Waits for the reply to a request that was just sent.
    func awaitReply(to request: AMQPMethodID, operation: String) async throws -> RPCReply {
        let serial = self.nextRPCSerial
        self.nextRPCSerial += 1
        let timeoutAmount = self.connection.configuration.operationTimeout
        let operationName = operation
        return try await withCheckedThrowingContinuation { continuation in
            let timeout = self.connection.eventLoop.scheduleTask(in: TimeAmount(timeoutAmount)) { [self] in
                self.assumeIsolated { $0.rpcTimedOut(serial: serial, operation: operationName, after: timeoutAmount) }
            }
            self.pendingRPCs.append(PendingRPC(serial: serial, request: request, continuation: continuation, timeout: timeout))
        }
    }

    private func rpcTimedOut(serial: UInt64, operation: String, after: Duration) {
        guard let index = self.pendingRPCs.firstIndex(where: { $0.serial == serial }) else { return }
        // Keep the entry so the late reply is matched and discarded.
        let continuation = self.pendingRPCs[index].continuation
        self.pendingRPCs[index].continuation = nil
        self.pendingRPCs[index].timeout = nil
        continuation?.resume(throwing: AMQPError.timedOut(operation: operation, after: after))
    }

    private func completeRPC(with reply: RPCReply, id: AMQPMethodID) throws(AMQPError) {
        guard let first = self.pendingRPCs.first, Self.isReply(id, to: first.request) else {
            throw AMQPError.protocolError("unexpected \(id) on channel \(self.id)")
        }
        self.pendingRPCs.removeFirst()
        first.timeout?.cancel()
        first.continuation?.resume(returning: reply)
    }

    static func isReply(_ reply: AMQPMethodID, to request: AMQPMethodID) -> Bool {
        guard reply.classID == request.classID else { return false }
        if request.classID == 60 && request.methodID == 70 {  // basic.get: get-ok or get-empty
            return reply.methodID == 71 || reply.methodID == 72
        }
        return reply.methodID == request.methodID + 1
    }

    // MARK: - Inbound frames

    /// A frame addressed to this channel.
    func received(_ frame: AMQPFrame) throws(AMQPError) {
        switch frame.type {
        case .method:
            var payload = frame.payload
            let method = try AMQPMethod.decode(from: &payload)
            if self.incoming != nil {
                throw AMQPError.protocolError("\(method.id) arrived on channel \(self.id) in the middle of a message")
            }
            try self.received(method)
        case .header:
            guard var content = self.incoming, content.properties == nil else {
                throw AMQPError.protocolError("unexpected content header on channel \(self.id)")
            }
            var payload = frame.payload
            let header = try payload.readContentHeader()
            content.properties = header.properties
            content.bodySize = Int(header.bodySize)
            if content.bodySize == 0 {
                self.incoming = nil
                try self.completed(content)
            } else {
                self.incoming = content
            }
        case .body:
            guard var content = self.incoming, content.properties != nil else {
                throw AMQPError.protocolError("unexpected content body on channel \(self.id)")
            }
            self.incoming = nil  // avoid a copy-on-write of the body while appending
            try content.append(frame.payload)
            if content.isComplete {
                try self.completed(content)
            } else {
                self.incoming = content
            }
        case .heartbeat:
            throw AMQPError.protocolError("heartbeat frame on channel \(self.id)")
        }
    }

    private func received(_ method: AMQPMethod) throws(AMQPError) {
        if case .closing = self.state {
            // After sending channel.close, only close and close-ok matter.
            switch method {
            case .channelClose, .channelCloseOk: break
            default: return
            }
        }
        switch method {
        case .basicDeliver(let consumerTag, let deliveryTag, let redelivered, let exchange, let routingKey):
            self.incoming = IncomingContent(
                kind: .delivery(consumerTag: consumerTag, deliveryTag: deliveryTag, redelivered: redelivered),
                exchange: exchange, routingKey: routingKey)
        case .basicGetOk(let deliveryTag, let redelivered, let exchange, let routingKey, let messageCount):
            self.incoming = IncomingContent(
                kind: .get(deliveryTag: deliveryTag, redelivered: redelivered, messageCount: messageCount),
                exchange: exchange, routingKey: routingKey)
        case .basicReturn(let code, let text, let exchange, let routingKey):
            self.incoming = IncomingContent(kind: .returned(replyCode: code, replyText: text), exchange: exchange, routingKey: routingKey)
        case .basicAck(let tag, let multiple):
            self.gate.confirm(tag, multiple: multiple, ack: true)
        case .basicNack(let tag, let multiple, _):
            self.gate.confirm(tag, multiple: multiple, ack: false)
        case .basicCancel(let consumerTag, _):
            // The broker cancelled the consumer (its queue was deleted, or it failed over).
            self.logger.warning("broker cancelled consumer", metadata: ["amqp.consumer_tag": "\(consumerTag)"])
            if let record = self.consumers.removeValue(forKey: consumerTag) {
                record.buffer.finish(throwing: AMQPError.channelClosed(
                    code: AMQPReplyCode.notFound, text: "consumer \(consumerTag) was cancelled by the broker", method: nil))
            }
        case .basicCancelOk(let consumerTag):
            if let record = self.consumers.removeValue(forKey: consumerTag) {
                record.buffer.finish()
            }
            try self.completeRPC(with: .method(method), id: method.id)
        case .channelClose(let code, let text, let classID, let methodID):
            try? self.sendMethod(.channelCloseOk)
            let failedMethod = classID == 0 ? nil : AMQPMethodID(classID: classID, methodID: methodID).description
            let error = AMQPError.channelClosed(code: code, text: text, method: failedMethod)
            self.logger.warning("broker closed the channel", metadata: ["amqp.error": "\(error)"])
            self.finish(error, graceful: false)
        case .channelCloseOk:
            self.resumeCloseWaiter()
        case .channelFlow(let active):
            try? self.sendMethod(.channelFlowOk(active: active))
        default:
            try self.completeRPC(with: .method(method), id: method.id)
        }
    }

    private func completed(_ content: IncomingContent) throws(AMQPError) {
        let body = content.body ?? ByteBuffer()
        let properties = content.properties ?? AMQPProperties()
        switch content.kind {
        case .delivery(let consumerTag, let deliveryTag, let redelivered):
            let delivery = AMQPDelivery(
                body: body, properties: properties, exchange: content.exchange, routingKey: content.routingKey,
                deliveryTag: deliveryTag, redelivered: redelivered, consumerTag: consumerTag,
                channel: self, epoch: self.epoch)
            if let record = self.consumers[consumerTag], record.buffer.append(delivery) {
                // Buffered for the consuming task.
            } else {
                // A delivery for a consumer being cancelled: give it back to the queue.
                try? self.sendMethod(.basicReject(deliveryTag: deliveryTag, requeue: true))
            }
        case .get(let deliveryTag, let redelivered, _):
            let delivery = AMQPDelivery(
                body: body, properties: properties, exchange: content.exchange, routingKey: content.routingKey,
                deliveryTag: deliveryTag, redelivered: redelivered, consumerTag: "",
                channel: self, epoch: self.epoch)
            try self.completeRPC(with: .delivery(delivery), id: AMQPMethodID(classID: 60, methodID: 71))
        case .returned(let code, let text):
            self.logger.warning(
                "broker returned an unroutable message",
                metadata: [
                    "amqp.reply_code": "\(code)", "amqp.reply_text": "\(text)", "amqp.exchange": "\(content.exchange)",
                    "amqp.routing_key": "\(content.routingKey)",
                ])
        }
    }
}
