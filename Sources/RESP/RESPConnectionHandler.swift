import NIOCore

/// The channel handler at the end of a connection's pipeline: it writes commands, matches each
/// reply to the oldest command still waiting (Redis answers in order), and enforces time-outs.
///
/// Everything here runs on the channel's event loop. Callers reach it through
/// ``RedisConnection``, which hops onto the loop once per command or per batch.
final class RESPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Who receives the reply (or replies) of one pending entry.
    enum Responder {
        case single(EventLoopPromise<RESPValue>)
        case batch(EventLoopPromise<[RESPValue]>)
    }

    /// A command, or a whole batch of commands, waiting for its replies.
    struct Pending {
        var responder: Responder
        /// How many replies complete this entry: 1 for a single command.
        var expectedReplies: Int
        var deadline: NIODeadline
        var timeout: Duration
        /// The (first) command's name, for the timeout error.
        var commandName: String
    }

    private enum State {
        case open
        case closed(any Error)
    }

    private var state: State = .open
    private var context: ChannelHandlerContext?
    private var pending = CircularBuffer<Pending>(initialCapacity: 16)
    /// Replies collected so far for the batch at the head of `pending`.
    private var batchReplies: [RESPValue] = []
    /// Reused for every write: when the socket took the previous bytes at once, the storage is
    /// uniquely referenced again and clearing it allocates nothing.
    private var outbound = ByteBuffer()
    private let encoder = RESPCommandEncoder()
    /// Decodes replies in place: one handler instead of a `ByteToMessageHandler` in front of
    /// this one saves wrapping every reply in `NIOAny` and a pipeline hop.
    private let decoder = NIOSingleStepByteToMessageProcessor(RESPValueDecoder())
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    /// Set when the connection is closed because a reply was late: entries whose deadline is not
    /// after this instant fail with a timeout, the others with `connectionClosed`.
    private var timedOutAt: NIODeadline?

    init() {}

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.outbound = context.channel.allocator.buffer(capacity: 512)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failAll(with: RedisClientError.connectionClosed)
        self.context = nil
    }

    // MARK: sending

    /// Writes one command and flushes it.
    func write(_ command: RESPCommand, timeout: Duration, promise: EventLoopPromise<RESPValue>) {
        guard case .open = self.state, let context = self.context else {
            promise.fail(self.closedError)
            return
        }
        self.outbound.clear()
        self.encoder.encode(data: command, out: &self.outbound)
        self.enqueue(.single(promise), replies: 1, timeout: timeout, name: command.name)
        self.flushOutbound(context)
    }

    /// Writes every command of a batch into one buffer and flushes once.
    func write(_ commands: [RESPCommand], timeout: Duration, promise: EventLoopPromise<[RESPValue]>) {
        guard case .open = self.state, let context = self.context else {
            promise.fail(self.closedError)
            return
        }
        guard let first = commands.first else {
            promise.succeed([])
            return
        }
        self.outbound.clear()
        for command in commands {
            self.encoder.encode(data: command, out: &self.outbound)
        }
        self.enqueue(.batch(promise), replies: commands.count, timeout: timeout, name: first.name)
        self.flushOutbound(context)
    }

    private func flushOutbound(_ context: ChannelHandlerContext) {
        context.writeAndFlush(self.wrapOutboundOut(self.outbound), promise: nil)
        if self.outbound.capacity > Self.retainedBufferCapacity {
            // Do not keep a large batch's memory for the life of the connection.
            self.outbound = context.channel.allocator.buffer(capacity: 512)
        }
    }

    private static let retainedBufferCapacity = 64 * 1024

    private func enqueue(_ responder: Responder, replies: Int, timeout: Duration, name: String) {
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        self.pending.append(
            Pending(responder: responder, expectedReplies: replies, deadline: deadline, timeout: timeout, commandName: name)
        )
        self.armTimer(for: deadline)
    }

    private var closedError: any Error {
        if case .closed(let error) = self.state { return error }
        return RedisClientError.connectionClosed
    }

    // MARK: receiving

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try self.decoder.process(buffer: self.unwrapInboundIn(data)) { value in
                self.received(value, context: context)
            }
        } catch {
            self.fail(context: context, with: error as? RedisClientError ?? RedisClientError.protocolError("\(error)"))
        }
    }

    /// Hands one decoded value to the oldest waiting command.
    private func received(_ value: RESPValue, context: ChannelHandlerContext) {
        guard case .open = self.state else { return }
        if case .push = value {
            // Out-of-band data (client tracking, pub/sub) is not a reply to any command.
            return
        }
        guard let head = self.pending.first else {
            self.fail(context: context, with: RedisClientError.protocolError("reply received with no command waiting"))
            return
        }
        switch head.responder {
        case .single(let promise):
            self.pending.removeFirst()
            if case .error(let error) = value {
                promise.fail(error)
            } else {
                promise.succeed(value)
            }
        case .batch(let promise):
            if self.batchReplies.isEmpty {
                self.batchReplies.reserveCapacity(head.expectedReplies)
            }
            self.batchReplies.append(value)
            if self.batchReplies.count == head.expectedReplies {
                self.pending.removeFirst()
                let replies = self.batchReplies
                self.batchReplies = []
                promise.succeed(replies)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .open = self.state {
            self.state = .closed(RedisClientError.connectionClosed)
        }
        self.failAll(with: self.closedError)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let reported = error as? RedisClientError ?? RedisClientError.connectionClosed
        self.fail(context: context, with: reported)
    }

    /// Closes the connection, failing every waiting command with `error`.
    ///
    /// The channel is closed before any promise fails, so a caller that resumes from the failure
    /// already sees the connection as closed (and the pool drops it instead of reusing it).
    private func fail(context: ChannelHandlerContext, with error: any Error) {
        if case .open = self.state {
            self.state = .closed(error)
        }
        context.close(promise: nil)
        self.failAll(with: self.closedError)
    }

    private func failAll(with error: any Error) {
        self.timer?.cancel()
        self.timer = nil
        self.timerDeadline = nil
        self.batchReplies = []
        while let entry = self.pending.popFirst() {
            var entryError = error
            if let timedOutAt = self.timedOutAt, entry.deadline <= timedOutAt {
                entryError = RedisClientError.commandTimeout(command: entry.commandName, timeout: entry.timeout)
            }
            switch entry.responder {
            case .single(let promise): promise.fail(entryError)
            case .batch(let promise): promise.fail(entryError)
            }
        }
    }

    // MARK: time-outs

    /// One timer per connection, set for the earliest deadline, instead of one per command.
    private func armTimer(for deadline: NIODeadline) {
        if let current = self.timerDeadline, current <= deadline { return }
        guard let context = self.context else { return }
        self.timer?.cancel()
        self.timerDeadline = deadline
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timerFired()
        }
    }

    private func timerFired() {
        self.timer = nil
        self.timerDeadline = nil
        guard case .open = self.state, let context = self.context, !self.pending.isEmpty else { return }
        let now = NIODeadline.now()
        var earliest = NIODeadline.distantFuture
        for entry in self.pending {
            earliest = min(earliest, entry.deadline)
        }
        if earliest <= now {
            // A late reply would be matched to the wrong command, so the connection is unusable.
            self.timedOutAt = now
            self.fail(context: context, with: RedisClientError.connectionClosed)
        } else {
            self.armTimer(for: earliest)
        }
    }
}
