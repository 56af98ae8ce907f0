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

    /// The connections of the pool now: in use, idle, and borrowers waiting for one.
    func poolState() async -> DatabasePoolState

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

extension Database {
    /// Inside a ``transaction(_:)``, waits for and holds an exclusive lock named `lockName` until
    /// the transaction ends, across processes: a PostgreSQL transaction-scoped advisory lock; on
    /// SQLite nothing is needed, since every transaction starts with `BEGIN IMMEDIATE` and so
    /// already holds the database's only write lock.
    ///
    /// For writers that read-then-append (a hash chain, a sequence) and must not interleave.
    public func lockForTransaction(_ lockName: String, _ sql: any SQLDatabase) async throws {
        guard kind == .postgres else { return }
        _ = try await sql.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: lockName))) AS locked").all()
    }
}
