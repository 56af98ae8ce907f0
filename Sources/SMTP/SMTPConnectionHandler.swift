import NIOCore
import NIOSSL

/// The channel handler at the end of a connection's pipeline: it writes commands, cuts the bytes
/// the server sends into replies, hands each reply to the oldest command waiting for one, and
/// enforces reply time-outs. It also inserts the TLS handler for `STARTTLS`.
///
/// Everything here runs on the channel's event loop; ``SMTPTransport`` hops onto it.
final class SMTPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// A command (or the greeting) waiting for its reply.
    private struct Pending {
        var id: Int
        var command: String
        var timeout: Duration
        var promise: EventLoopPromise<SMTPReply>
        var timer: Scheduled<Void>?
    }

    private enum State {
        case open
        case closed(SMTPError)
    }

    private var state: State = .open
    private var context: ChannelHandlerContext?
    private var pending = CircularBuffer<Pending>(initialCapacity: 4)
    private var nextID = 0
    private var parser = SMTPReplyParser()
    /// Bytes read but not yet parsed (part of a line).
    private var inbound = ByteBuffer()

    /// Creates a handler whose first pending entry is the server's greeting.
    init(greeting: EventLoopPromise<SMTPReply>, timeout: Duration) {
        self.pending.append(Pending(id: self.takeID(), command: "the greeting", timeout: timeout, promise: greeting, timer: nil))
    }

    private func takeID() -> Int {
        defer { self.nextID += 1 }
        return self.nextID
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.inbound = context.channel.allocator.buffer(capacity: 512)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failAll(with: .connectionClosed)
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        // The greeting's clock starts once connected.
        if let first = self.pending.first, first.timer == nil {
            self.pending[self.pending.startIndex].timer = self.scheduleTimeout(id: first.id, timeout: first.timeout, context: context)
        }
        context.fireChannelActive()
    }

    // MARK: sending

    /// Writes `bytes` (a command line with its CRLF, or a message's data) and waits for one
    /// reply; `command` names it in errors (without secrets).
    func send(_ bytes: ByteBuffer, command: String, timeout: Duration, promise: EventLoopPromise<SMTPReply>) {
        guard case .open = self.state, let context = self.context else {
            promise.fail(self.closedError)
            return
        }
        let id = self.takeID()
        let timer = self.scheduleTimeout(id: id, timeout: timeout, context: context)
        self.pending.append(Pending(id: id, command: command, timeout: timeout, promise: promise, timer: timer))
        context.writeAndFlush(self.wrapOutboundOut(bytes), promise: nil)
    }

    /// Puts a TLS client handler in front of the pipeline, after the server's `220` to
    /// `STARTTLS`. Fails if the server sent anything after that reply: such bytes arrived in
    /// plain text and must not be taken as coming through TLS.
    func startTLS(context sslContext: NIOSSLContext, serverHostname: String?, promise: EventLoopPromise<Void>) {
        guard case .open = self.state, let context = self.context else {
            promise.fail(self.closedError)
            return
        }
        guard self.inbound.readableBytes == 0, !self.parser.isInsideReply, self.pending.isEmpty else {
            let error = SMTPError.protocolError("the server sent data after its reply to STARTTLS")
            self.fail(context: context, with: error)
            promise.fail(error)
            return
        }
        do {
            let handler = try NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname)
            try context.pipeline.syncOperations.addHandler(handler, position: .first)
            promise.succeed()
        } catch {
            let reported = Self.map(error)
            self.fail(context: context, with: reported)
            promise.fail(reported)
        }
    }

    private var closedError: SMTPError {
        if case .closed(let error) = self.state { return error }
        return .connectionClosed
    }

    // MARK: receiving

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        self.inbound.writeBuffer(&bytes)
        do {
            while case .open = self.state, let reply = try self.parser.parse(&self.inbound) {
                self.received(reply, context: context)
            }
        } catch {
            self.fail(context: context, with: error)
        }
        self.inbound.discardReadBytes()
    }

    private func received(_ reply: SMTPReply, context: ChannelHandlerContext) {
        guard let head = self.pending.popFirst() else {
            // Servers announce that they are going away (`421`) without being asked.
            let error: SMTPError =
                reply.code == 421
                ? .rejected(command: "the session (the server is closing it)", reply: reply)
                : .protocolError("reply '\(reply)' received with no command waiting")
            self.fail(context: context, with: error)
            return
        }
        head.timer?.cancel()
        head.promise.succeed(reply)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .open = self.state {
            self.state = .closed(.connectionClosed)
        }
        self.failAll(with: self.closedError)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(context: context, with: Self.map(error))
    }

    /// The client-facing error for one the pipeline raised.
    static func map(_ error: any Error) -> SMTPError {
        switch error {
        case let error as SMTPError: return error
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError: return Self.tlsError(error)
        default: return .connectionClosed
        }
    }

    /// A TLS failure, said plainly when it is the usual one: a certificate nobody vouches for.
    static func tlsError(_ error: any Error) -> SMTPError {
        let detail = "\(error)"
        if detail.contains("CERTIFICATE_VERIFY_FAILED") {
            return .tlsFailed("the server's certificate is not trusted (configure tls.trustRoots for a private CA): \(detail)")
        }
        return .tlsFailed(detail)
    }

    /// Closes the connection, failing every waiting command with `error` (the first error
    /// wins: a later one is usually a consequence).
    ///
    /// The channel is closed before any promise fails, so a caller that resumes from the failure
    /// already sees the connection as closed (and the pool drops it instead of reusing it).
    private func fail(context: ChannelHandlerContext, with error: SMTPError) {
        if case .open = self.state {
            self.state = .closed(error)
        }
        context.close(promise: nil)
        self.failAll(with: self.closedError)
    }

    private func failAll(with error: SMTPError) {
        while let entry = self.pending.popFirst() {
            entry.timer?.cancel()
            entry.promise.fail(error)
        }
    }

    // MARK: time-outs

    private func scheduleTimeout(id: Int, timeout: Duration, context: ChannelHandlerContext) -> Scheduled<Void> {
        context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) {
            self.timeoutFired(id: id)
        }
    }

    private func timeoutFired(id: Int) {
        guard case .open = self.state, let context = self.context,
            let entry = self.pending.first(where: { $0.id == id })
        else { return }
        // A late reply would be taken for the next command's, so the connection is unusable.
        self.fail(context: context, with: .replyTimeout(command: entry.command, timeout: entry.timeout))
    }
}
