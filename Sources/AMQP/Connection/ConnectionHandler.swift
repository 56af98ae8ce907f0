import NIOCore

/// The NIO handler of one TCP connection: splits inbound bytes into frames and hands them,
/// in batches per read, to the ``AMQPConnection`` actor, which runs on the same event loop.
final class AMQPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let connection: AMQPConnection
    private let transportID: UInt64
    private var processor: NIOSingleStepByteToMessageProcessor<AMQPFrameDecoder>
    private var frames: [AMQPFrame] = []
    private var failed = false

    init(connection: AMQPConnection, transportID: UInt64, maxFrameSize: UInt32) {
        self.connection = connection
        self.transportID = transportID
        self.processor = NIOSingleStepByteToMessageProcessor(AMQPFrameDecoder(maxPayloadSize: maxFrameSize))
        self.frames.reserveCapacity(16)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.failed else { return }
        let buffer = self.unwrapInboundIn(data)
        var decodeError: AMQPError? = nil
        do {
            try self.processor.process(buffer: buffer) { frame in self.frames.append(frame) }
        } catch let error as AMQPError {
            decodeError = error
        } catch {
            decodeError = .frameError("\(error)")
        }
        let frames = self.frames
        self.frames.removeAll(keepingCapacity: true)
        let id = self.transportID
        if !frames.isEmpty {
            self.connection.assumeIsolated { $0.received(frames, transportID: id) }
        }
        if let decodeError {
            self.failed = true
            self.connection.assumeIsolated { $0.transportFailed(transportID: id, error: decodeError) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let id = self.transportID
        self.connection.assumeIsolated { $0.transportFailed(transportID: id, error: nil) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let id = self.transportID
        let reason = "\(error)"
        self.connection.assumeIsolated {
            $0.transportFailed(transportID: id, error: .connectionLost(broker: $0.configuration.brokerAddress, reason: reason))
        }
        context.close(promise: nil)
    }
}
