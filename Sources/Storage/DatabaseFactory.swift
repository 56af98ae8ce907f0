public import Logging
import NIOPosix

/// Opens the ``Database`` a ``DatabaseURL`` points at.
public enum DatabaseFactory {
    /// The threads that run SQLite's blocking calls for every SQLite database of the process.
    /// More than the core count: a connection waiting on another process's write lock
    /// (`busy_timeout`) holds its thread, and must not starve the connection holding the lock.
    private static let sqliteThreadPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
        return pool
    }()

    /// Opens a pool for `url`. PostgreSQL connections are made lazily once ``Database/run()`` runs;
    /// an SQLite file is created (with its folder) when missing.
    /// - Parameters:
    ///   - url: Where the database is.
    ///   - maximumConnections: The PostgreSQL pool's size; SQLite uses one writer and a few readers.
    ///   - logger: Where the pool logs.
    public static func open(_ url: DatabaseURL, maximumConnections: Int = 20, logger: Logger) async throws -> any Database {
        switch url {
        case .postgres(let endpoint):
            PostgresSQLDatabase(endpoint: endpoint, maximumConnections: maximumConnections, logger: logger)
        case .sqlite(let path):
            try await SQLiteSQLDatabase(path: path, threadPool: sqliteThreadPool, logger: logger)
        }
    }

    /// Opens a pool for a read replica of a PostgreSQL primary (a hot standby), whose sessions
    /// are read-only; like ``open(_:maximumConnections:logger:)``, it connects once
    /// ``Database/run()`` runs. Reads reach it through a ``ReplicatedDatabase``.
    public static func openReadReplica(
        _ endpoint: DatabaseURL.PostgresEndpoint, maximumConnections: Int = 20, logger: Logger
    ) -> any Database {
        PostgresSQLDatabase(endpoint: endpoint, maximumConnections: maximumConnections, readOnly: true, logger: logger)
    }
}
