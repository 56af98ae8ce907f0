public import NIOCore
public import NIOHTTPTypes

/// Closes a connection whose client does not finish sending a request head in time: from when
/// the connection is accepted, and on a kept-alive connection from the first bytes of its next
/// request (the wait before those bytes is the idle timeout's, Hummingbird's `idleTimeout`).
///
/// A client sending its headers a byte a second keeps a connection busy without ever reaching a
/// handler; this bounds how long it can.
public final class RequestHeadTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    /// Requests whose head was read and whose response has not ended.
    private var requestsInProgress = 0
    /// Whether the connection has had a request (a later one is timed from its first bytes).
    private var hadRequest = false
    private var deadline: Scheduled<Void>?

    /// - Parameter timeout: How long a client has to send a request head.
    public init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startClock(context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        stopClock()
    }

    public func channelActive(context: ChannelHandlerContext) {
        startClock(context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        stopClock()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            requestsInProgress += 1
            hadRequest = true
            stopClock()
        }
        context.fireChannelRead(data)
    }

    /// Bytes arrived (the HTTP decoder passes on every read's completion, even when it has not
    /// decoded a head yet): the first bytes of a next request start its clock.
    public func channelReadComplete(context: ChannelHandlerContext) {
        if hadRequest, requestsInProgress == 0 { startClock(context) }
        context.fireChannelReadComplete()
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { requestsInProgress -= 1 }
        context.write(data, promise: promise)
    }

    private func startClock(_ context: ChannelHandlerContext) {
        guard deadline == nil else { return }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            self.deadline = nil
            guard self.requestsInProgress == 0 else { return }
            context.close(promise: nil)
        }
    }

    private func stopClock() {
        deadline?.cancel()
        deadline = nil
    }
}

@available(*, unavailable)
extension RequestHeadTimeoutHandler: Sendable {}
