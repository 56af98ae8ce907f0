import EmporiumCore
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import ServiceLifecycle

/// An embedded SQLite database file in WAL mode, seen through sql-kit.
///
/// SQLite allows one writer at a time. Writes therefore go through ``transaction(_:)``, which
/// serialises them in-process on one writer connection without blocking a thread, and takes the
/// file's write lock (`BEGIN IMMEDIATE`) so another process writing the same file waits its turn.
/// ``withConnection(_:)`` hands out read-only connections (`PRAGMA query_only`), so a store that
/// writes outside a transaction fails in tests instead of racing in production.
public final class SQLiteSQLDatabase: Database {
    public let kind = DatabaseKind.sqlite
    public let location: DatabaseURL
    private let readers: AsyncResourcePool<SQLiteConnection>
    private let writer: AsyncResourcePool<SQLiteConnection>
    private let logger: Logger

    /// Opens (creating when missing) the database file and its connections.
    /// - Parameters:
    ///   - path: The file, or `nil` for a private in-memory database (one connection, tests only).
    ///   - readerCount: How many read-only connections serve concurrent reads.
    ///   - threadPool: The threads that run SQLite's blocking calls.
    ///   - logger: Where problems are logged.
    public init(path: String?, readerCount: Int = 4, threadPool: NIOThreadPool, logger: Logger) async throws {
        self.location = .sqlite(path: path)
        self.logger = logger
        let storage: SQLiteConnection.Storage
        if let path {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            storage = .file(path: path)
        } else {
            storage = .memory
        }
        let writer = try await Self.open(storage, readOnly: false, threadPool: threadPool, logger: logger)
        self.writer = AsyncResourcePool([writer], dispose: Self.closeConnection)
        if path == nil {
            // A private in-memory database exists only on its own connection: reads share the writer.
            self.readers = self.writer
        } else {
            var readers: [SQLiteConnection] = []
            do {
                for _ in 0..<max(1, readerCount) {
                    readers.append(try await Self.open(storage, readOnly: true, threadPool: threadPool, logger: logger))
                }
            } catch {
                // Nothing will use what was opened: every connection is closed before the error goes on.
                for connection in readers + [writer] { await Self.closeConnection(connection) }
                throw error
            }
            self.readers = AsyncResourcePool(readers, dispose: Self.closeConnection)
        }
    }

    private static func open(
        _ storage: SQLiteConnection.Storage,
        readOnly: Bool,
        threadPool: NIOThreadPool,
        logger: Logger
    ) async throws -> SQLiteConnection {
        let connection = try await SQLiteConnection.open(
            storage: storage, threadPool: threadPool, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any()
        )
        let sql = connection.sql(queryLogLevel: nil)
        do {
            // Wait for another process's write lock instead of failing at once.
            try await sql.raw("PRAGMA busy_timeout = 5000").run()
            try await sql.raw("PRAGMA foreign_keys = ON").run()
            if !readOnly {
                try await switchToWAL(sql)
                try await sql.raw("PRAGMA synchronous = NORMAL").run()
            } else {
                try await sql.raw("PRAGMA query_only = ON").run()
            }
        } catch {
            // A connection dropped unclosed is an assertion failure in SQLiteNIO, and a leak.
            await closeConnection(connection)
            throw error
        }
        return connection
    }

    /// Puts the database file in write-ahead-log mode. SQLite answers "database is locked" at
    /// once, without its busy timeout, when another connection holds the file while the mode
    /// changes (processes opening a new file together); the mode is the file's, so a connection
    /// that finds it already switched is done, and otherwise tries again for up to 5 seconds.
    private static func switchToWAL(_ sql: any SQLDatabase) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        while true {
            do {
                try await sql.raw("PRAGMA journal_mode = WAL").run()
                return
            } catch {
                let mode = try? await sql.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self)
                if mode?.lowercased() == "wal" { return }
                guard clock.now < deadline else { throw error }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    public func withConnection<Result: Sendable>(
        _ body: (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        try await readers.withResource { connection in
            try await body(connection.sql(queryLogLevel: nil))
        }
    }

    public func transaction<Result: Sendable>(
        _ body: (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        try await writer.withResource { connection in
            try await SQLTransaction.run(on: connection.sql(queryLogLevel: nil), kind: .sqlite, body)
        }
    }

    public func withExclusiveLock<Result: Sendable>(
        _ lockName: String,
        _ body: (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        // Holding the writer connection serialises every writer in this process; across processes
        // each transaction `body` starts takes the file's write lock.
        try await writer.withResource { connection in
            try await body(connection.sql(queryLogLevel: nil))
        }
    }

    /// The writer's and the readers' connections together.
    public func poolState() async -> DatabasePoolState {
        let writer = await self.writer.state
        return readers === self.writer ? writer : writer + (await readers.state)
    }

    /// Waits until the task is cancelled or graceful shutdown is requested, then closes the
    /// connections. (SQLite needs no background work; `run()` exists so the database closes after
    /// the HTTP server has stopped, like a PostgreSQL pool.)
    public func run() async throws {
        await Lifecycle.waitForShutdown()
        await close()
    }

    /// Closes every connection that is not in use. Safe to call more than once.
    public func close() async {
        var connections = await writer.drain()
        if readers !== writer {
            connections += await readers.drain()
        }
        for connection in connections {
            await Self.closeConnection(connection)
        }
    }

    /// Closes a connection. The future-based close is not cut short when the calling task is being
    /// cancelled (as it is at shutdown); an unclosed connection would leak its file handle.
    @Sendable private static func closeConnection(_ connection: SQLiteConnection) async {
        try? await connection.close().get()
    }
}
