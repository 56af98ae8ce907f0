import NIOCore
import NIOPosix
import Synchronization

/// A tiny server speaking just enough of Kafka's protocol to test the connection layer where the
/// real test broker cannot: it refuses ApiVersions v3 (so the client falls back to v0), offers
/// Metadata v4 only, and answers the first Metadata request `holdFirst` late, after later ones.
final class ScriptedBroker: Sendable {
    let channel: any Channel
    var port: Int { channel.localAddress!.port! }

    private init(channel: any Channel) {
        self.channel = channel
    }

    static func start(holdFirst: Duration) async throws -> ScriptedBroker {
        let counter = Counter()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(hold: holdFirst, counter: counter))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return ScriptedBroker(channel: channel)
    }

    func stop() async {
        try? await channel.close()
    }

    final class Counter: Sendable {
        let metadataRequests = Atomic<Int>(0)
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let hold: Duration
        let counter: Counter
        var buffer = ByteBuffer()

        init(hold: Duration, counter: Counter) {
            self.hold = hold
            self.counter = counter
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            buffer.writeBuffer(&bytes)
            while let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self), buffer.readableBytes >= 4 + Int(size) {
                buffer.moveReaderIndex(forwardBy: 4)
                var frame = buffer.readSlice(length: Int(size))!
                let apiKey = frame.readInteger(as: Int16.self)!
                let version = frame.readInteger(as: Int16.self)!
                let correlationId = frame.readInteger(as: Int32.self)!
                answer(apiKey: apiKey, version: version, correlationId: correlationId, context: context)
            }
        }

        private func answer(apiKey: Int16, version: Int16, correlationId: Int32, context: ChannelHandlerContext) {
            var body = ByteBuffer()
            body.writeInteger(correlationId)
            var delay = Duration.zero
            switch apiKey {
            case 18 where version > 0:
                // UNSUPPORTED_VERSION, in v0, naming the versions of ApiVersions we take.
                body.writeInteger(Int16(35))
                body.writeInteger(Int32(1))
                body.writeInteger(Int16(18)); body.writeInteger(Int16(0)); body.writeInteger(Int16(0))
            case 18:
                body.writeInteger(Int16(0))
                body.writeInteger(Int32(2))
                body.writeInteger(Int16(18)); body.writeInteger(Int16(0)); body.writeInteger(Int16(0))
                body.writeInteger(Int16(3)); body.writeInteger(Int16(0)); body.writeInteger(Int16(4))
            case 3:
                // Metadata v4: throttle, no brokers, null cluster id, controller 1, no topics.
                body.writeInteger(Int32(0))
                body.writeInteger(Int32(0))
                body.writeInteger(Int16(-1))
                body.writeInteger(Int32(1))
                body.writeInteger(Int32(0))
                if counter.metadataRequests.wrappingAdd(1, ordering: .relaxed).oldValue == 0 { delay = hold }
            default:
                context.close(promise: nil)
                return
            }
            var frame = ByteBuffer()
            frame.writeInteger(Int32(body.readableBytes))
            frame.writeBuffer(&body)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) {
                bound.value.writeAndFlush(NIOAny(frame), promise: nil)
            }
        }
    }
}
