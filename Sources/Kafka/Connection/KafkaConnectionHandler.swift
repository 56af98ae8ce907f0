import NIOCore

/// A request ready to send except for its correlation id, which the handler assigns.
struct EncodedRequest: Sendable {
    var api: KafkaAPI
    var version: Int16
    var clientId: String
    /// The request body, after the header.
    var body: ByteBuffer
    /// Whether a response will come (Produce with acks=0 has none).
    var expectsResponse: Bool
}

/// The channel handler at the end of a broker connection's pipeline: it frames requests (INT32
/// size, request header v1 or v2, body), assigns correlation ids, splits the byte stream into
/// response frames, matches each response to its request by correlation id, and enforces each
/// request's time limit.
///
/// Many requests may be in flight at once (pipelining); Kafka answers them in order, but the
/// match is by correlation id. A request that times out fails alone: its late response, when it
/// comes, is recognised by its id and dropped, and the connection stays usable.
///
/// Everything here runs on the channel's event loop; ``KafkaBrokerConnection`` hops onto the loop
/// once per request.
final class KafkaConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A request waiting for its response.
    private struct Pending {
        var promise: EventLoopPromise<ByteBuffer>
        var api: KafkaAPI
        var flexibleResponseHeader: Bool
        var timer: Scheduled<Void>?
    }

    /// Largest response frame accepted (a guard against garbage lengths).
    static let maximumFrameSize = 256 * 1024 * 1024

    private let broker: String
    private var context: ChannelHandlerContext?
    private var pending: [Int32: Pending] = [:]
    /// Ids of requests that timed out, whose responses may still arrive and are then dropped.
    private var abandoned: Set<Int32> = []
    private var nextCorrelationId: Int32 = 1
    private var inbound: ByteBuffer?
    private var closedError: KafkaError?

    init(broker: String) {
        self.broker = broker
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failAll(with: .connectionClosed(broker: self.broker))
        self.context = nil
    }

    // MARK: sending

    /// Writes `request` with the next correlation id. `promise` gets the response body (after the
    /// response header), or an empty buffer at once when no response is expected.
    func write(_ request: EncodedRequest, timeout: Duration, promise: EventLoopPromise<ByteBuffer>) {
        guard self.closedError == nil, let context = self.context else {
            promise.fail(self.closedError ?? .connectionClosed(broker: self.broker))
            return
        }
        let correlationId = self.nextCorrelationId
        self.nextCorrelationId = self.nextCorrelationId == Int32.max ? 1 : self.nextCorrelationId + 1

        var frame = context.channel.allocator.buffer(capacity: 4 + 10 + request.clientId.utf8.count + 1 + request.body.readableBytes)
        frame.writeInteger(Int32(0))  // size, set below
        frame.writeInteger(request.api.key)
        frame.writeInteger(request.version)
        frame.writeInteger(correlationId)
        // client_id is a classic NULLABLE_STRING in both header versions.
        frame.writeInteger(Int16(request.clientId.utf8.count))
        frame.writeString(request.clientId)
        if request.api.requestHeaderVersion(request.version) >= 2 {
            frame.writeUnsignedVarint(0)  // header tagged fields
        }
        frame.writeImmutableBuffer(request.body)
        frame.setInteger(Int32(frame.readableBytes - 4), at: 0)

        if request.expectsResponse {
            let timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) {
                self.timedOut(correlationId, after: timeout)
            }
            self.pending[correlationId] = Pending(
                promise: promise,
                api: request.api,
                flexibleResponseHeader: request.api.responseHeaderIsFlexible(request.version),
                timer: timer
            )
            context.writeAndFlush(self.wrapOutboundOut(frame), promise: nil)
        } else {
            context.writeAndFlush(self.wrapOutboundOut(frame), promise: nil)
            promise.succeed(ByteBuffer())
        }
    }

    // MARK: receiving

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        if var buffered = self.inbound {
            buffered.writeBuffer(&bytes)
            self.inbound = buffered
        } else {
            self.inbound = bytes
        }
        while var buffer = self.inbound, let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) {
            guard size >= 4, Int(size) <= Self.maximumFrameSize else {
                self.fail(context: context, with: .protocolError("response frame from \(self.broker) has an invalid size \(size)"))
                return
            }
            guard buffer.readableBytes >= 4 + Int(size) else { break }
            buffer.moveReaderIndex(forwardBy: 4)
            let frame = buffer.readSlice(length: Int(size))!
            self.inbound = buffer.readableBytes == 0 ? nil : buffer
            self.received(frame, context: context)
            if self.closedError != nil { return }
        }
        if let buffered = self.inbound, buffered.readerIndex > 64 * 1024 {
            // Do not keep consumed bytes around while a large response arrives.
            var compacted = buffered
            compacted.discardReadBytes()
            self.inbound = compacted
        }
    }

    private func received(_ frame: ByteBuffer, context: ChannelHandlerContext) {
        var frame = frame
        guard let correlationId = frame.readInteger(as: Int32.self) else {
            self.fail(context: context, with: .protocolError("empty response frame from \(self.broker)"))
            return
        }
        guard let entry = self.pending.removeValue(forKey: correlationId) else {
            if self.abandoned.remove(correlationId) != nil { return }  // the answer to a timed-out request
            self.fail(context: context, with: .protocolError("response from \(self.broker) with correlation id \(correlationId) matches no request"))
            return
        }
        entry.timer?.cancel()
        if entry.flexibleResponseHeader {
            var reader = KafkaReader(buffer: frame, flexible: true, api: entry.api.name)
            do {
                try reader.taggedFields("response header tagged fields")
            } catch {
                entry.promise.fail(error)
                return
            }
            frame = reader.buffer
        }
        entry.promise.succeed(frame)
    }

    private func timedOut(_ correlationId: Int32, after timeout: Duration) {
        guard let entry = self.pending.removeValue(forKey: correlationId) else { return }
        self.abandoned.insert(correlationId)
        entry.promise.fail(KafkaError.requestTimedOut(api: entry.api.name, broker: self.broker, after: timeout))
    }

    func channelInactive(context: ChannelHandlerContext) {
        if self.closedError == nil {
            self.closedError = .connectionClosed(broker: self.broker)
        }
        self.failAll(with: self.closedError!)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(context: context, with: error as? KafkaError ?? .connectionClosed(broker: self.broker))
    }

    /// Closes the connection and fails every waiting request with `error`.
    private func fail(context: ChannelHandlerContext, with error: KafkaError) {
        if self.closedError == nil {
            self.closedError = error
        }
        context.close(promise: nil)
        self.failAll(with: self.closedError!)
    }

    private func failAll(with error: KafkaError) {
        let entries = self.pending
        self.pending = [:]
        for (_, entry) in entries {
            entry.timer?.cancel()
            entry.promise.fail(error)
        }
    }
}
