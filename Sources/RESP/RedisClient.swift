import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Counts of a client's pooled connections at one moment.
public struct RedisPoolStatistics: Sendable, Equatable {
    /// Connections open or being opened, leased or idle.
    public var open: Int
    /// Open connections waiting in the pool.
    public var idle: Int
    /// Connections currently lent out (to a command, a pipeline or `withConnection`).
    public var leased: Int
    /// Callers waiting for a connection.
    public var waiting: Int

    /// Creates statistics from counts.
    public init(open: Int, idle: Int, leased: Int, waiting: Int) {
        self.open = open
        self.idle = idle
        self.leased = leased
        self.waiting = waiting
    }
}

/// A Redis client: a pool of connections to one server, with typed commands.
///
/// ```swift
/// let redis = try RedisClient(url: "redis://127.0.0.1:6379/0")
/// try await redis.set("greeting", "hello", expiration: .seconds(60))
/// let greeting = try await redis.get("greeting", as: String.self)
/// ```
///
/// Each command leases a connection, sends, and returns it, so concurrent callers use up to
/// ``RedisConfiguration/Pool/maximumConnections`` connections. ``pipeline(_:timeout:)`` sends a
/// batch on one connection with one write. There is nothing to do after the server restarts:
/// closed connections are dropped and the next command connects again.
///
/// The client is a `Service`: in a `ServiceGroup`, ``run()`` waits for graceful shutdown and then
/// closes the pool. Outside one, call ``close()`` when done.
public final class RedisClient: RedisCommandSender, Service {
    /// The configuration the client was made with.
    public let configuration: RedisConfiguration
    private let pool: RedisConnectionPool

    /// Creates a client. No connection is made until the first command.
    ///
    /// - Parameters:
    ///   - configuration: Server, credentials and limits.
    ///   - eventLoopGroup: Where connections run; connections are spread over its loops.
    ///   - logger: Receives connection events at debug level.
    public init(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "emporium.resp")
    ) {
        self.configuration = configuration
        self.pool = RedisConnectionPool(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
    }

    /// Creates a client from a `redis://` URL with default limits; see
    /// ``RedisConfiguration/init(url:)``.
    public convenience init(
        url: String,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "emporium.resp")
    ) throws(RedisClientError) {
        self.init(configuration: try RedisConfiguration(url: url), eventLoopGroup: eventLoopGroup, logger: logger)
    }

    /// Sends one command on a pooled connection and returns its reply.
    public func send(_ command: RESPCommand, timeout: Duration?) async throws -> RESPValue {
        let connection = try await self.pool.lease()
        defer { self.pool.release(connection) }
        return try await connection.send(command, timeout: timeout)
    }

    /// Sends the commands in one write on one pooled connection and returns all replies in order;
    /// see ``RedisCommandSender/pipeline(_:timeout:)``.
    public func pipeline(_ commands: [RESPCommand], timeout: Duration?) async throws -> [RESPValue] {
        if commands.isEmpty { return [] }
        let connection = try await self.pool.lease()
        defer { self.pool.release(connection) }
        return try await connection.pipeline(commands, timeout: timeout)
    }

    /// Lends one connection for the duration of `body`, for commands that must share a connection
    /// (`MULTI`/`EXEC`, `WATCH`) or to pipeline concurrent sends on it.
    ///
    /// The connection goes back to the pool when `body` returns or throws; if it was closed
    /// meanwhile the pool drops it.
    public func withConnection<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (RedisConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await self.pool.lease()
        defer { self.pool.release(connection) }
        return try await body(connection)
    }

    /// How many connections are open, idle and leased, and how many callers wait.
    public var poolStatistics: RedisPoolStatistics {
        let statistics = self.pool.statistics
        return RedisPoolStatistics(
            open: statistics.open,
            idle: statistics.idle,
            leased: statistics.leased,
            waiting: statistics.waiting
        )
    }

    /// Closes idle connections now and leased ones as they come back; commands after this fail
    /// with ``RedisClientError/clientClosed``.
    public func close() async {
        await self.pool.close()
    }

    /// Runs until graceful shutdown (or cancellation), then closes the pool.
    public func run() async throws {
        try? await gracefulShutdown()
        await self.close()
    }
}
