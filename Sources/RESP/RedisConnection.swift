import Logging
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One TCP connection to a Redis server, authenticated and on the configured database.
///
/// Commands may be sent concurrently from many tasks: they are written as they come and their
/// replies are matched in order, so they pipeline on the one connection.
/// ``pipeline(_:timeout:)`` sends a whole batch with a single write.
///
/// Most code uses a ``RedisClient``, which pools connections; take one from it with
/// ``RedisClient/withConnection(isolation:_:)`` when several commands must share a connection
/// (`MULTI`/`EXEC`, `WATCH`).
public final class RedisConnection: RedisCommandSender {
    /// The protocol version a connection speaks.
    public enum ProtocolVersion: Sendable, Equatable {
        /// RESP2.
        case resp2
        /// RESP3, after a successful `HELLO 3`.
        case resp3
    }

    /// A number identifying this connection in logs, unique in the process.
    public let id: Int
    /// The protocol version agreed with the server.
    public let protocolVersion: ProtocolVersion
    /// The default time limit for a reply.
    public let commandTimeout: Duration

    private let transport: RESPTransport
    private let logger: Logger

    private static let nextID = Atomic<Int>(1)

    private init(id: Int, transport: RESPTransport, protocolVersion: ProtocolVersion, commandTimeout: Duration, logger: Logger) {
        self.id = id
        self.transport = transport
        self.protocolVersion = protocolVersion
        self.commandTimeout = commandTimeout
        self.logger = logger
    }

    /// Opens a connection: TCP connect, `HELLO 3` (or RESP2 with `AUTH`), `SELECT`.
    ///
    /// - Parameters:
    ///   - configuration: Server address, credentials, database and time limits.
    ///   - eventLoop: The event loop the connection runs on.
    ///   - logger: Where connection events are logged (at debug level).
    /// - Throws: ``RedisClientError/connectionRefused(host:port:reason:)``,
    ///   ``RedisClientError/connectTimeout(host:port:)``,
    ///   ``RedisClientError/authenticationFailed(_:)``, or the error of a failed `SELECT`.
    public static func connect(
        configuration: RedisConfiguration,
        eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any(),
        logger: Logger = Logger(label: "emporium.resp")
    ) async throws -> RedisConnection {
        let id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        var logger = logger
        logger[metadataKey: "redis.connection"] = "\(id)"

        let transport: RESPTransport
        do {
            transport = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(TimeAmount(configuration.connectTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = RESPConnectionHandler()
                        try channel.pipeline.syncOperations.addHandler(handler)
                        return RESPTransport(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                    }
                }
        } catch {
            throw Self.connectError(error, configuration: configuration)
        }

        do {
            let version = try await Self.handshake(transport, configuration: configuration)
            logger.debug(
                "connected to Redis",
                metadata: ["redis.address": "\(configuration.host):\(configuration.port)", "redis.protocol": "\(version)"]
            )
            return RedisConnection(
                id: id,
                transport: transport,
                protocolVersion: version,
                commandTimeout: configuration.commandTimeout,
                logger: logger
            )
        } catch {
            try? await transport.channel.close()
            throw error
        }
    }

    /// Whether the connection is still open. A closed connection fails every command with
    /// ``RedisClientError/connectionClosed``.
    public var isOpen: Bool {
        self.transport.channel.isActive
    }

    /// Sends one command and waits for its reply.
    public func send(_ command: RESPCommand, timeout: Duration?) async throws -> RESPValue {
        try await self.transport.send(command, timeout: timeout ?? self.commandTimeout)
    }

    /// Sends all `commands` in one write and returns their replies in order; see
    /// ``RedisCommandSender/pipeline(_:timeout:)``.
    public func pipeline(_ commands: [RESPCommand], timeout: Duration?) async throws -> [RESPValue] {
        try await self.transport.send(commands, timeout: timeout ?? self.commandTimeout)
    }

    /// Closes the connection. Commands still waiting fail with
    /// ``RedisClientError/connectionClosed``.
    public func close() async {
        try? await self.transport.channel.close()
        self.logger.debug("closed Redis connection")
    }

    /// Starts closing the connection without waiting for it to finish.
    func closeWithoutWaiting() {
        self.transport.channel.close(promise: nil)
    }

    /// A future that completes when the connection has closed, for whatever reason.
    var closeFuture: EventLoopFuture<Void> {
        self.transport.channel.closeFuture
    }

    // MARK: connecting

    private static func handshake(
        _ transport: RESPTransport,
        configuration: RedisConfiguration
    ) async throws -> ProtocolVersion {
        let timeout = configuration.commandTimeout
        var version = ProtocolVersion.resp2
        var authenticated = false
        if configuration.protocolVersion == .resp3 {
            var arguments: [RESPArgument] = ["3"]
            if let password = configuration.password {
                arguments += ["AUTH", .string(configuration.username ?? "default"), .string(password)]
            }
            if let name = configuration.clientName {
                arguments += ["SETNAME", .string(name)]
            }
            do {
                _ = try await transport.send(RESPCommand("HELLO", arguments), timeout: timeout)
                version = .resp3
                authenticated = true
            } catch let error as RESPError {
                switch error.code {
                case RESPError.noAuthCode, RESPError.wrongPassCode:
                    throw RedisClientError.authenticationFailed(error)
                default:
                    // Redis before 6 does not know HELLO (or NOPROTO): carry on in RESP2.
                    break
                }
            }
        }
        if !authenticated {
            if let password = configuration.password {
                var arguments: [RESPArgument] = []
                if let username = configuration.username { arguments.append(.string(username)) }
                arguments.append(.string(password))
                do {
                    _ = try await transport.send(RESPCommand("AUTH", arguments), timeout: timeout)
                } catch let error as RESPError {
                    throw RedisClientError.authenticationFailed(error)
                }
            }
            if let name = configuration.clientName {
                _ = try await transport.send(RESPCommand("CLIENT", "SETNAME", .string(name)), timeout: timeout)
            }
        }
        if configuration.database != 0 {
            _ = try await transport.send(RESPCommand("SELECT", .integer(configuration.database)), timeout: timeout)
        }
        return version
    }

    private static func connectError(_ error: any Error, configuration: RedisConfiguration) -> RedisClientError {
        let host = configuration.host
        let port = configuration.port
        if let channelError = error as? ChannelError, case .connectTimeout = channelError {
            return .connectTimeout(host: host, port: port)
        }
        if let connectionError = error as? NIOConnectionError {
            let failures = connectionError.connectionErrors.map(\.error)
            if failures.contains(where: { ($0 as? IOError)?.errnoCode == ECONNREFUSED }) {
                return .connectionRefused(host: host, port: port, reason: "connection refused")
            }
            if failures.contains(where: { ($0 as? ChannelError).map { if case .connectTimeout = $0 { true } else { false } } ?? false }) {
                return .connectTimeout(host: host, port: port)
            }
            if let first = failures.first {
                return .connectionRefused(host: host, port: port, reason: "\(first)")
            }
            return .connectionRefused(host: host, port: port, reason: "could not resolve host name")
        }
        if let ioError = error as? IOError, ioError.errnoCode == ECONNREFUSED {
            return .connectionRefused(host: host, port: port, reason: "connection refused")
        }
        return .connectionRefused(host: host, port: port, reason: "\(error)")
    }
}

/// A channel and its handler, with the two ways of sending on it. Hops onto the event loop once
/// per call.
///
/// A caller whose task is cancelled stops waiting at once (with `CancellationError`); the
/// command's entry stays queued in the handler, so its reply, when it comes, is still consumed in
/// order and the connection stays usable.
struct RESPTransport: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<RESPConnectionHandler>

    func send(_ command: RESPCommand, timeout: Duration) async throws -> RESPValue {
        let promise = self.channel.eventLoop.makePromise(of: RESPValue.self)
        if self.channel.eventLoop.inEventLoop {
            self.handler.value.write(command, timeout: timeout, promise: promise)
        } else {
            let handler = self.handler
            self.channel.eventLoop.execute {
                handler.value.write(command, timeout: timeout, promise: promise)
            }
        }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
        }
    }

    func send(_ commands: [RESPCommand], timeout: Duration) async throws -> [RESPValue] {
        if commands.isEmpty { return [] }
        let promise = self.channel.eventLoop.makePromise(of: [RESPValue].self)
        if self.channel.eventLoop.inEventLoop {
            self.handler.value.write(commands, timeout: timeout, promise: promise)
        } else {
            let handler = self.handler
            self.channel.eventLoop.execute {
                handler.value.write(commands, timeout: timeout, promise: promise)
            }
        }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
        }
    }
}
