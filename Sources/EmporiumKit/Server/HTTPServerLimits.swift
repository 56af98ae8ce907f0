public import HummingbirdCore
public import Logging
public import NIOCore

/// How long clients may take and how many connections may be open: the HTTP server's defences
/// against slow or idle clients holding connections and file descriptors.
public struct HTTPServerLimits: Sendable, Equatable {
    /// How long a client has to send a request head: from the connection's accept, and on a
    /// kept-alive connection from the first bytes of the next request.
    public var requestHeadTimeout: Duration
    /// How long a client has to send a request body, from the end of its head to the end of the
    /// body, however steadily it trickles (``RequestBodyTimeoutHandler``).
    public var requestBodyTimeout: Duration
    /// How long a connection may send nothing: before a request's first bytes (kept alive after a
    /// response, or just accepted) and while a request head or body is being read (Hummingbird's
    /// `idleTimeout`). A response being computed is never cut.
    public var idleTimeout: Duration
    /// The most connections open at once; those beyond are answered `503` and closed.
    public var maxConnections: Int

    public init(requestHeadTimeout: Duration, requestBodyTimeout: Duration, idleTimeout: Duration, maxConnections: Int) {
        self.requestHeadTimeout = requestHeadTimeout
        self.requestBodyTimeout = requestBodyTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }

    /// The HTTP/1.1 server for Hummingbird's `Application(server:)` with these limits.
    public func serverBuilder() -> HTTPServerBuilder {
        let limiter = ConnectionLimiter(limit: maxConnections)
        let headTimeout = TimeAmount(requestHeadTimeout)
        let bodyTimeout = TimeAmount(requestBodyTimeout)
        let configuration = HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestHeadTimeoutHandler(timeout: headTimeout), RequestBodyTimeoutHandler(timeout: bodyTimeout)],
            idleTimeout: TimeAmount(idleTimeout)
        )
        return HTTPServerBuilder { responder in
            LimitedHTTP1Channel(http1: HTTP1Channel(responder: responder, configuration: configuration), limiter: limiter)
        }
    }
}

/// Hummingbird's HTTP/1.1 channel behind a ``ConnectionLimitHandler``.
struct LimitedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let http1: HTTP1Channel
    let limiter: ConnectionLimiter

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(limiter.handler())
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return http1.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
