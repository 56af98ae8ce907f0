import NIOCore
import NIOPosix
import Synchronization

@testable import AMQP

/// A scripted AMQP server on 127.0.0.1 for client behaviour a real broker will not show
/// on demand (silence, hanging up mid-handshake). It answers the handshake and records
/// every frame it receives.
final class FakeBroker: Sendable {
    struct Script: Sendable {
        var channelMax: UInt16 = 2047
        var frameMax: UInt32 = 131_072
        var heartbeat: UInt16 = 60
        /// Hang up right after connection.start-ok, as RabbitMQ does after a failed login
        /// when the client does not ask for authentication_failure_close.
        var closeAfterStartOk = false
        /// Answer channel.open; when false the broker stays silent after the handshake.
        var answerChannelOpen = false
        /// Accept the TCP connection but never answer the protocol header.
        var silentFromStart = false
    }

    let script: Script
    private let received = Mutex<[(type: AMQPFrameType, method: AMQPMethod?)]>([])
    private let server = Mutex<(any Channel)?>(nil)

    init(script: Script) {
        self.script = script
    }

    /// Starts listening and returns the port.
    func start() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FakeBrokerHandler(broker: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.server.withLock { $0 = channel }
        return channel.localAddress!.port!
    }

    func stop() async {
        let channel = self.server.withLock { $0.take() }
        try? await channel?.close()
    }

    func record(_ type: AMQPFrameType, _ method: AMQPMethod?) {
        self.received.withLock { $0.append((type, method)) }
    }

    var receivedMethods: [AMQPMethod] { self.received.withLock { $0.compactMap(\.method) } }
    var receivedHeartbeats: Int { self.received.withLock { $0.filter { $0.type == .heartbeat }.count } }
}

private final class FakeBrokerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let broker: FakeBroker
    var buffer = ByteBuffer()
    var sawHeader = false
    var decoder = AMQPFrameDecoder(maxPayloadSize: 1 << 20)

    init(broker: FakeBroker) { self.broker = broker }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = self.unwrapInboundIn(data)
        self.buffer.writeBuffer(&incoming)
        if self.broker.script.silentFromStart { return }
        if !self.sawHeader {
            guard self.buffer.readableBytes >= 8 else { return }
            self.buffer.moveReaderIndex(forwardBy: 8)
            self.sawHeader = true
            self.send(
                context,
                .connectionStart(versionMajor: 0, versionMinor: 9, serverProperties: ["product": "fake"], mechanisms: "PLAIN", locales: "en_US"))
        }
        while let frame = try? self.decoder.decode(buffer: &self.buffer) {
            var payload = frame.payload
            let method = frame.type == .method ? try? AMQPMethod.decode(from: &payload) : nil
            self.broker.record(frame.type, method)
            guard let method else { continue }
            let script = self.broker.script
            switch method {
            case .connectionStartOk:
                if script.closeAfterStartOk {
                    context.close(promise: nil)
                    return
                }
                self.send(context, .connectionTune(channelMax: script.channelMax, frameMax: script.frameMax, heartbeat: script.heartbeat))
            case .connectionOpen:
                self.send(context, .connectionOpenOk)
            case .channelOpen where script.answerChannelOpen:
                self.send(context, .channelOpenOk, channel: frame.channel)
            case .connectionClose:
                self.send(context, .connectionCloseOk)
            default:
                break
            }
        }
    }

    private func send(_ context: ChannelHandlerContext, _ method: AMQPMethod, channel: UInt16 = 0) {
        var out = context.channel.allocator.buffer(capacity: 256)
        try! out.writeMethodFrame(channel: channel, method)
        context.writeAndFlush(self.wrapOutboundOut(out), promise: nil)
    }
}
