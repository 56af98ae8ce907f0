import Logging
import NIOCore
import NIOPosix

/// Values agreed with the broker during connection.tune.
public struct AMQPNegotiatedParameters: Sendable, Hashable {
    /// Highest usable channel number.
    public var channelMax: UInt16
    /// Largest frame in bytes, header and frame-end included.
    public var frameMax: UInt32
    /// Heartbeat interval in seconds; 0 when heartbeats are off.
    public var heartbeatSeconds: UInt16
}

/// A connection to an AMQP 0-9-1 broker (RabbitMQ), multiplexing ``AMQPChannel``s.
///
/// The connection runs on one SwiftNIO event loop: the actor uses that loop as its
/// executor, so frames are handled without extra thread hops. Outgoing frames written in
/// the same event-loop tick are sent with one flush.
///
/// When an established connection drops, and ``AMQPConfiguration/reconnect`` allows, the
/// connection reconnects with exponential backoff and restores what was declared through
/// it: exchanges, queues and bindings, then every open channel with its prefetch and
/// confirm mode, then its consumers, whose ``AMQPConsumer`` sequences keep delivering.
/// Operations in flight when it dropped, and operations started while it is down, fail
/// with ``AMQPError/connectionLost(broker:reason:)`` (or ``AMQPError/connectionClosed(broker:code:text:)``
/// when the broker closed it): an unconfirmed publish was not stored and must be retried.
///
/// ```swift
/// let connection = try await AMQPConnection.connect(url: "amqp://guest:guest@localhost:5672/")
/// let channel = try await connection.openChannel()
/// try await channel.enablePublisherConfirms()
/// try await channel.publish(ByteBuffer(string: "hello"), routingKey: "greetings")
/// await connection.close()
/// ```
public actor AMQPConnection {
    /// The configuration this connection was made with.
    public nonisolated let configuration: AMQPConfiguration
    nonisolated let eventLoop: any EventLoop
    let logger: Logger

    /// Runs the actor on the connection's event loop.
    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        self.eventLoop.executor.asUnownedSerialExecutor()
    }

    enum Phase {
        /// The first connection attempt is under way.
        case connecting
        /// Connected and usable.
        case open
        /// The connection dropped; the recovery loop reconnects and restores state.
        case reconnecting(AMQPError)
        /// The application asked to close; waiting for connection.close-ok.
        case closing
        /// Closed for good.
        case closed(AMQPError)
    }

    struct Transport {
        var channel: any Channel
        var id: UInt64
    }

    var phase: Phase = .connecting
    var transport: Transport?
    var nextTransportID: UInt64 = 1
    var handshake: Handshake?
    var closeWaiter: CheckedContinuation<Void, Never>?
    var stateWaiters: [CheckedContinuation<Void, any Error>] = []
    var closedWaiters: [CheckedContinuation<Void, Never>] = []
    var recoveryTask: Task<Void, Never>?

    /// What the broker agreed to; valid once connected.
    public internal(set) var negotiated = AMQPNegotiatedParameters(channelMax: 0, frameMax: AMQPWire.minimumFrameMax, heartbeatSeconds: 0)
    /// The properties the broker announced in connection.start (product, version, capabilities).
    public internal(set) var serverProperties = AMQPTable()
    /// How many times the connection has been re-established after a drop.
    public internal(set) var reconnectCount = 0

    /// Outgoing frames, writable from any thread; flushed once per event-loop tick.
    nonisolated let sink = FrameSink()

    // Heartbeats.
    var heartbeatTask: RepeatedTask?
    var receivedSinceTick = false
    var silentTicks = 0

    var channels: [UInt16: AMQPChannel] = [:]
    var nextChannelID: UInt16 = 1
    var topology = AMQPTopologyRecord()

    init(configuration: AMQPConfiguration, eventLoop: any EventLoop, logger: Logger) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        var logger = logger
        logger[metadataKey: "amqp.broker"] = "\(configuration.brokerAddress)"
        self.logger = logger
    }

    /// Connects to the broker at `url` (see ``AMQPConfiguration/init(url:)``).
    /// - Throws: ``AMQPError``: `.invalidURL`, `.brokerUnreachable`, `.accessRefused`, ...
    public static func connect(
        url: String,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "emporium.amqp")
    ) async throws -> AMQPConnection {
        try await self.connect(configuration: AMQPConfiguration(url: url), eventLoopGroup: eventLoopGroup, logger: logger)
    }

    /// Connects and completes the AMQP handshake (PLAIN authentication, tuning, vhost).
    ///
    /// The first connection is attempted once: a failure is reported at once rather than
    /// retried. Reconnection applies only to a connection that was established.
    /// - Throws: ``AMQPError/brokerUnreachable(broker:reason:)`` when no TCP connection can
    ///   be made, ``AMQPError/accessRefused(broker:user:vhost:reason:)`` for bad credentials
    ///   or a vhost the user may not use, or another ``AMQPError``.
    public static func connect(
        configuration: AMQPConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "emporium.amqp")
    ) async throws -> AMQPConnection {
        let connection = AMQPConnection(configuration: configuration, eventLoop: eventLoopGroup.next(), logger: logger)
        try await connection.connectFirstTime()
        return connection
    }

    private func connectFirstTime() async throws {
        do {
            try await self.establish()
            self.phase = .open
            self.logger.debug("AMQP connection open", metadata: ["amqp.frame_max": "\(self.negotiated.frameMax)", "amqp.heartbeat": "\(self.negotiated.heartbeatSeconds)"])
        } catch {
            let amqpError = Self.amqpError(error, broker: self.configuration.brokerAddress)
            self.dropTransport(amqpError)
            self.phase = .closed(amqpError)
            throw amqpError
        }
    }

    /// Whether the connection is currently established (not reconnecting or closed).
    public var isConnected: Bool {
        if case .open = self.phase { return true }
        return false
    }

    /// Returns once the connection is established, waiting while it reconnects.
    /// - Throws: the error that closed the connection when it is closed for good.
    public func waitUntilConnected() async throws {
        switch self.phase {
        case .open: return
        case .closed(let error): throw error
        case .closing: throw AMQPError.connectionClosed(broker: self.configuration.brokerAddress, code: 200, text: "connection is closing")
        case .connecting, .reconnecting:
            try await withCheckedThrowingContinuation { self.stateWaiters.append($0) }
        }
    }

    /// Opens a new channel.
    /// - Throws: ``AMQPError/channelLimitReached(max:)`` when every channel number is in use,
    ///   or ``AMQPError/connectionLost(broker:reason:)`` while the connection is down.
    public func openChannel() async throws -> AMQPChannel {
        try self.ensureOpen()
        return try await self.openChannelUnchecked()
    }

    func openChannelUnchecked() async throws -> AMQPChannel {
        let id = try self.allocateChannelID()
        let channel = AMQPChannel(id: id, connection: self, logger: self.logger)
        self.channels[id] = channel
        do {
            try await channel.open()
        } catch {
            if self.channels[id] === channel { self.channels[id] = nil }
            throw error
        }
        return channel
    }

    private func allocateChannelID() throws(AMQPError) -> UInt16 {
        let max = self.negotiated.channelMax == 0 ? UInt16.max : self.negotiated.channelMax
        var candidate = self.nextChannelID
        for _ in 0..<Int(max) {
            if candidate == 0 || candidate > max { candidate = 1 }
            if self.channels[candidate] == nil {
                self.nextChannelID = candidate &+ 1
                return candidate
            }
            candidate &+= 1
        }
        throw AMQPError.channelLimitReached(max: max)
    }

    /// Forgets a channel once it is closed on both sides; its number can be reused.
    func channelDidClose(_ channel: AMQPChannel) {
        if self.channels[channel.id] === channel {
            self.channels[channel.id] = nil
        }
    }

    /// Closes the connection: sends connection.close and waits (at most the operation
    /// timeout) for the broker's answer. Channels close with it; consumer sequences end.
    /// Stops any reconnection in progress. Calling it again does nothing.
    public func close() async {
        switch self.phase {
        case .closed:
            return
        case .closing:
            await withCheckedContinuation { self.closedWaiters.append($0) }
            return
        case .connecting, .reconnecting:
            self.recoveryTask?.cancel()
            self.recoveryTask = nil
            self.finishClosing()
        case .open:
            self.phase = .closing
            do {
                try self.send(.connectionClose(replyCode: 200, replyText: "closed by the application", classID: 0, methodID: 0), on: 0)
                self.flushOutput()
                let timeout = self.eventLoop.scheduleTask(in: TimeAmount(self.configuration.operationTimeout)) { [self] in
                    self.assumeIsolated { $0.resumeCloseWaiter() }
                }
                await withCheckedContinuation { self.closeWaiter = $0 }
                timeout.cancel()
            } catch {
                // Nothing could be sent: the socket is already gone.
            }
            self.finishClosing()
        }
    }

    func resumeCloseWaiter() {
        self.closeWaiter?.resume()
        self.closeWaiter = nil
    }

    private func finishClosing() {
        let error = AMQPError.connectionClosed(broker: self.configuration.brokerAddress, code: 200, text: "closed by the application")
        self.phase = .closed(error)
        self.dropTransport(error)
        for channel in self.channels.values {
            channel.assumeIsolated { $0.connectionDropped(error, willRecover: false, graceful: true) }
        }
        self.channels = [:]
        self.resumeStateWaiters()
        let closedWaiters = self.closedWaiters
        self.closedWaiters = []
        for waiter in closedWaiters { waiter.resume() }
        self.logger.debug("AMQP connection closed")
    }

    func resumeStateWaiters() {
        let waiters = self.stateWaiters
        self.stateWaiters = []
        for waiter in waiters {
            switch self.phase {
            case .open: waiter.resume()
            case .closed(let error): waiter.resume(throwing: error)
            default: self.stateWaiters.append(waiter)
            }
        }
    }

    /// Throws unless the connection is open.
    func ensureOpen() throws(AMQPError) {
        if case .open = self.phase { return }
        throw self.unavailableError()
    }

    /// The error for an operation attempted while the connection cannot carry it.
    func unavailableError() -> AMQPError {
        switch self.phase {
        case .open, .connecting:
            return .connectionLost(broker: self.configuration.brokerAddress, reason: "not connected")
        case .reconnecting(let cause):
            return .connectionLost(broker: self.configuration.brokerAddress, reason: "reconnecting after: \(cause)")
        case .closing:
            return .connectionClosed(broker: self.configuration.brokerAddress, code: 200, text: "connection is closing")
        case .closed(let error):
            return error
        }
    }

    /// Maps any error to an ``AMQPError``.
    static func amqpError(_ error: any Error, broker: String) -> AMQPError {
        if let error = error as? AMQPError { return error }
        return .connectionLost(broker: broker, reason: "\(error)")
    }
}

