import NIOCore
import NIOPosix
import RESP
import Synchronization

/// A stand-in server on loopback that answers each command with whatever `respond` returns, for
/// testing client behaviour a real Redis will not show on demand (no HELLO, silence, push
/// messages, garbage). Only for unit tests.
final class ScriptedRedisServer: Sendable {
    /// What to send back for one command.
    enum Response: Sendable {
        /// These values, in order.
        case values([RESPValue])
        /// These raw bytes.
        case bytes([UInt8])
        /// Nothing at all.
        case silence
    }

    let port: Int
    private let channel: any Channel
    private let received = Mutex<[[String]]>([])

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    /// Starts a server on a free loopback port.
    static func start(respond: @escaping @Sendable ([String]) -> Response) async throws -> ScriptedRedisServer {
        let box = Mutex<ScriptedRedisServer?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(RESPValueDecoder()),
                        MessageToByteHandler(RESPValueEncoder()),
                        CommandHandler(respond: respond) { command in
                            box.withLock { $0 }?.received.withLock { $0.append(command) }
                        }
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let server = ScriptedRedisServer(channel: channel, port: channel.localAddress!.port!)
        box.withLock { $0 = server }
        return server
    }

    /// Every command received so far, as strings.
    var commands: [[String]] {
        self.received.withLock { $0 }
    }

    /// A configuration pointing at this server.
    func configuration() -> RedisConfiguration {
        RedisConfiguration(host: "127.0.0.1", port: self.port)
    }

    func stop() async {
        try? await self.channel.close()
    }

    private final class CommandHandler: ChannelInboundHandler {
        typealias InboundIn = RESPValue
        typealias OutboundOut = RESPValue

        let respond: @Sendable ([String]) -> Response
        let record: @Sendable ([String]) -> Void

        init(respond: @escaping @Sendable ([String]) -> Response, record: @escaping @Sendable ([String]) -> Void) {
            self.respond = respond
            self.record = record
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let command = (self.unwrapInboundIn(data).array ?? []).map { $0.string ?? "" }
            self.record(command)
            switch self.respond(command) {
            case .values(let values):
                for value in values {
                    context.write(self.wrapOutboundOut(value), promise: nil)
                }
                context.flush()
            case .bytes(let bytes):
                // Write below the encoder: these bytes need not be valid RESP.
                let encoder = try? context.pipeline.syncOperations.context(
                    handlerType: MessageToByteHandler<RESPValueEncoder>.self
                )
                encoder?.writeAndFlush(NIOAny(ByteBuffer(bytes: bytes)), promise: nil)
            case .silence:
                break
            }
        }
    }
}
