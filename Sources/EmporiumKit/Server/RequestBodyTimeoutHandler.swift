import Foundation
import HTTPTypes
public import NIOCore
public import NIOHTTPTypes

/// Ends a request whose body does not arrive in time: the clock starts when the request head has
/// been read and stops when the body's end has; it is not reset when body bytes arrive.
///
/// A single deadline, not one per chunk: a client trickling its body a byte a second makes
/// progress forever and is never idle (Hummingbird's `idleTimeout` already resets on each
/// read), so only a bound on the whole body limits how long it holds the connection. With the
/// head timeout, a request holds a connection at most `requestHeadTimeout + requestBodyTimeout`
/// before the application has all of it.
///
/// When the deadline passes and nothing has been answered on the connection yet, the client gets
/// a `408` problem (`Connection: close`); otherwise (a response already started, or an earlier
/// pipelined one still in progress) the connection is only closed. Either way the application
/// reading the body sees ``RequestBodyTimeout`` thrown rather than a body cut short, whatever it
/// answers afterwards is dropped, and the connection is closed. A response computed after the
/// body has arrived is never cut.
public final class RequestBodyTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    /// When the body being read must have ended; nil when no body is being read.
    private var bodyDeadline: NIODeadline?
    private var scheduled: Scheduled<Void>?
    /// Requests whose head was read and whose response has not ended.
    private var responsesOwed = 0
    /// Whether the response being written has its head out but not its end.
    private var responseStarted = false
    /// Whether the deadline passed: nothing more is read or written.
    private var timedOut = false

    /// - Parameter timeout: How long a client has, after a request head, to send its body.
    public init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        stopClock()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        stopClock()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !timedOut else { return }
        switch unwrapInboundIn(data) {
        case .head:
            responsesOwed += 1
            bodyDeadline = context.eventLoop.now + timeout
        case .body:
            break
        case .end:
            bodyDeadline = nil
            stopClock()
        }
        context.fireChannelRead(data)
    }

    /// Starts the clock only once a read has ended with a body still to come, so a request
    /// without a body (its head and end decoded from one read) schedules nothing.
    public func channelReadComplete(context: ChannelHandlerContext) {
        if let bodyDeadline, scheduled == nil, !timedOut {
            scheduled = context.eventLoop.assumeIsolated().scheduleTask(deadline: bodyDeadline) { [self] in
                self.scheduled = nil
                self.expire(context)
            }
        }
        context.fireChannelReadComplete()
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !timedOut else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.kind != .informational:
            responseStarted = true
        case .head, .body:
            break
        case .end:
            responseStarted = false
            responsesOwed -= 1
        }
        context.write(data, promise: promise)
    }

    private func expire(_ context: ChannelHandlerContext) {
        guard bodyDeadline != nil, !timedOut else { return }
        timedOut = true
        bodyDeadline = nil
        let answer = responsesOwed == 1 && !responseStarted
        // The application's body read throws instead of ending early with what has arrived.
        context.fireErrorCaught(RequestBodyTimeout())
        guard answer else {
            context.close(promise: nil)
            return
        }
        let body = context.channel.allocator.buffer(bytes: Self.problem)
        let head = HTTPResponse(status: .requestTimeout, headerFields: [
            .contentType: "application/problem+json", .contentLength: String(Self.problem.count), .connection: "close",
        ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func stopClock() {
        scheduled?.cancel()
        scheduled = nil
    }

    /// The body of the `408`, the problem of ``RequestBodyTimeout``.
    static let problem: [UInt8] = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(RequestBodyTimeout().problem)) ?? Data())
    }()
}

@available(*, unavailable)
extension RequestBodyTimeoutHandler: Sendable {}

/// A request body did not arrive within `http.requestBodyTimeout` (see ``RequestBodyTimeoutHandler``):
/// thrown to whoever reads the body; a `408`.
public struct RequestBodyTimeout: ProblemConvertible {
    public init() {}

    public var problem: ProblemDetails {
        ProblemDetails(
            type: ProblemDetails.typeBase + "request-timeout", title: "The request took too long.", status: .requestTimeout,
            detail: "The request body did not arrive in time; the connection is closed."
        )
    }
}
