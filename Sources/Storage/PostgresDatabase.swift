import EmporiumCore
import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit
import ServiceLifecycle

/// A pooled PostgreSQL database (postgres-nio's `PostgresClient`) seen through sql-kit.
public final class PostgresSQLDatabase: Database {
    public let kind = DatabaseKind.postgres
    public let location: DatabaseURL
    private let client: PostgresClient
    private let logger: Logger
    private let running = StartSignal()
    private let usage = PostgresPoolUsage()

    /// Creates the pool; no connection is made until ``run()`` is running and a query is made.
    /// - Parameters:
    ///   - endpoint: The server and credentials.
    ///   - maximumConnections: The pool's upper bound of open connections.
    ///   - readOnly: Whether every session is read-only (`default_transaction_read_only`, set as
    ///     the connection starts), as for a hot standby: a write then fails on any server.
    ///   - logger: Where connection problems are logged.
    public init(endpoint: DatabaseURL.PostgresEndpoint, maximumConnections: Int = 20, readOnly: Bool = false, logger: Logger) {
        var configuration = PostgresClient.Configuration(
            host: endpoint.host,
            port: endpoint.port,
            username: endpoint.username,
            password: endpoint.password,
            database: endpoint.database,
            tls: .disable
        )
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        if readOnly { configuration.options.additionalStartupParameters = [("default_transaction_read_only", "on")] }
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.location = .postgres(endpoint)
        self.logger = logger
    }

    public func withConnection<Result: Sendable>(
        _ body: (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        await running.wait()
        guard running.isRaised else { throw CancellationError() }
        usage.willLease()
        var leased = false
        defer { usage.ended(leased: leased) }
        return try await client.withConnection { connection in
            usage.leased(connection)
            leased = true
            return try await body(connection.sql(queryLogLevel: nil, logger: logger))
        }
    }

    /// The connections leased now, those open but not leased, and the borrowers waiting.
    public func poolState() async -> DatabasePoolState {
        usage.state
    }

    public func transaction<Result: Sendable>(
        _ body: (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        try await withConnection { sql in
            try await SQLTransaction.run(on: sql, kind: .postgres, body)
        }
    }

    public func withExclusiveLock<Result: Sendable>(
        _ lockName: String,
        _ body: (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        let key = AdvisoryLockKey(lockName).value
        return try await withConnection { sql in
            // Session-level advisory lock: held by this connection until unlocked, released by the
            // server if the process dies, so a crashed migrator never blocks the next one.
            try await sql.raw("SELECT pg_advisory_lock(\(bind: key))").run()
            do {
                let result = try await body(sql)
                try await sql.raw("SELECT pg_advisory_unlock(\(bind: key))").run()
                return result
            } catch {
                try? await sql.raw("SELECT pg_advisory_unlock(\(bind: key))").run()
                throw error
            }
        }
    }

    /// Nothing to do: the pool opens connections only while ``run()`` runs, and closes them when it ends.
    public func close() async {}

    /// How long the pool may take to close its connections once the process stops.
    public static let shutdownGrace: Duration = .seconds(10)

    /// Runs the pool until graceful shutdown or cancellation, then closes it.
    ///
    /// The pool runs in a task of its own, and stopping waits for it at most ``shutdownGrace``:
    /// postgres-nio's pool (1.33.2) was seen, under load in the test suite, never to finish its
    /// shutdown although it had no connection left, which kept the whole process from stopping.
    /// Past the grace time the pool is logged and left behind, so the process stops anyway.
    public func run() async throws {
        let client = self.client
        let pool = Task { await client.run() }
        // The client accepts leases once run() has begun: release waiting queries as it starts.
        running.raise()
        await Lifecycle.waitForShutdown()
        pool.cancel()
        if await !pool.finished(within: Self.shutdownGrace) {
            logger.error(
                "the PostgreSQL connection pool did not close within its grace time; stopping without it",
                metadata: ["database": "\(location)", "grace": "\(Self.shutdownGrace)"])
        }
    }
}

/// A stable 64-bit key for PostgreSQL's advisory locks, derived from a name with FNV-1a (the
/// same in every process, unlike `hashValue`).
public struct AdvisoryLockKey: Sendable {
    public let value: Int64

    public init(_ name: String) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        value = Int64(bitPattern: hash)
    }
}
