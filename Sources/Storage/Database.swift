public import Logging
public import SQLKit

/// One service's database: a pool of connections to PostgreSQL or SQLite behind one interface.
///
/// Stores run their SQL through ``withConnection(_:)`` or, when several statements must commit
/// together, ``transaction(_:)``. Only the runtime creates databases (see ``DatabaseFactory``).
public protocol Database: Sendable {
    /// The SQL engine, for the few statements that differ between dialects.
    var kind: DatabaseKind { get }
    /// Where the database is, safe to log (no password).
    var location: DatabaseURL { get }

    /// Runs `body` with a connection leased from the pool for its duration.
    func withConnection<Result: Sendable>(
        _ body: (any SQLDatabase) async throws -> Result
    ) async throws -> Result

    /// Runs `body` inside one transaction: committed when `body` returns, rolled back when it throws.
    func transaction<Result: Sendable>(
        _ body: (any SQLDatabase) async throws -> Result
    ) async throws -> Result

    /// Runs `body` on one connection while holding an exclusive, cross-process lock named `lockName`
    /// (a PostgreSQL advisory lock; on SQLite the database file's write lock is taken per transaction,
    /// so `body` is simply serialised within the process).
    func withExclusiveLock<Result: Sendable>(
        _ lockName: String,
        _ body: (any SQLDatabase) async throws -> Result
    ) async throws -> Result

    /// Checks that the database answers a trivial query.
    func ping() async throws

    /// Serves the pool until the task is cancelled or shutdown is requested, then closes every connection.
    /// Must be running (as a `Service` in the process's `ServiceGroup`) for the database to be used.
    func run() async throws

    /// Closes the connections of a database whose ``run()`` never started (a start-up that failed
    /// half-way). Safe to call more than once.
    func close() async
}

extension Database {
    /// Checks that the database answers `SELECT 1`.
    public func ping() async throws {
        try await withConnection { sql in
            _ = try await sql.raw("SELECT 1 AS ok").all()
        }
    }
}
