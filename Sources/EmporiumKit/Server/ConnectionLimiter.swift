public import NIOCore
import Synchronization

/// Counts the open HTTP connections of a server and refuses those beyond a limit.
///
/// Each accepted connection gets a ``ConnectionLimitHandler`` first in its pipeline. A connection
/// over the limit is answered at once with a fixed `503` (`Connection: close`) and closed, so it
/// holds its file descriptor for a moment only, the accept loop keeps accepting (no spinning on
/// `EMFILE` once descriptors run out) and the connections already open are served as before.
public final class ConnectionLimiter: Sendable {
    /// The most connections open at once.
    public let limit: Int
    private let open = Atomic<Int>(0)

    public init(limit: Int) {
        precondition(limit > 0, "a connection limit must be positive")
        self.limit = limit
    }

    /// The connections open now (refused ones included until they are closed).
    public var openConnections: Int { open.load(ordering: .relaxed) }

    /// Counts a new connection; false when it is over the limit (and must be refused).
    func connectionOpened() -> Bool {
        open.wrappingAdd(1, ordering: .relaxed).newValue <= limit
    }

    func connectionClosed() {
        open.wrappingSubtract(1, ordering: .relaxed)
    }

    /// A handler for a new connection's pipeline (before the HTTP decoder).
    public func handler() -> ConnectionLimitHandler { ConnectionLimitHandler(limiter: self) }
}

/// The first handler of a connection: counts it in its ``ConnectionLimiter`` until it closes,
/// and refuses it (a `503` then close, nothing it sent read) when it is over the limit.
public final class ConnectionLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private let limiter: ConnectionLimiter
    private var refused = false
    private var refusalSent = false

    init(limiter: ConnectionLimiter) {
        self.limiter = limiter
    }

    /// The whole answer to a refused connection.
    static let refusal: String = {
        let body = #"{"type":"https://emporium.dev/problems/unavailable","title":"The service is unavailable.","status":503,"detail":"The server has too many open connections; retry later."}"#
        return "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\ncontent-length: \(body.utf8.count)\r\n"
            + "connection: close\r\nretry-after: 1\r\n\r\n" + body
    }()

    public func handlerAdded(context: ChannelHandlerContext) {
        refused = !limiter.connectionOpened()
        let limiter = self.limiter
        context.channel.closeFuture.whenComplete { _ in limiter.connectionClosed() }
        if refused, context.channel.isActive { refuse(context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        if refused { refuse(context) }
        context.fireChannelActive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }  // a refused connection's request is never read
        context.fireChannelRead(data)
    }

    private func refuse(_ context: ChannelHandlerContext) {
        guard !refusalSent else { return }
        refusalSent = true
        let buffer = context.channel.allocator.buffer(string: Self.refusal)
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}

@available(*, unavailable)
extension ConnectionLimitHandler: Sendable {}
