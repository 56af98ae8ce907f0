import SQLKit

/// Runs statements inside one transaction on a single connection.
///
/// Both ``Database`` implementations and the ``Migrator`` use it, so BEGIN/COMMIT/ROLLBACK are
/// written once.
enum SQLTransaction {
    /// Begins a transaction on `connection`, runs `body`, commits; rolls back and rethrows on error,
    /// a failed `COMMIT` included.
    ///
    /// On SQLite the transaction is `BEGIN IMMEDIATE`, which takes the file's write lock up front so
    /// that two processes writing at once wait for each other instead of failing mid-transaction.
    ///
    /// The connection always goes back to its pool outside a transaction: SQLite keeps a
    /// transaction open when its `COMMIT` fails (`SQLITE_BUSY`, a deferred constraint), so that is
    /// rolled back too; and a connection found still inside one (left so by code that did not end
    /// it) refuses `BEGIN`: that transaction's owner is gone, so it is rolled back and `BEGIN`
    /// tried once more, rather than every later transaction of the pool failing.
    static func run<Result>(
        on connection: any SQLDatabase,
        kind: DatabaseKind,
        _ body: (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        try await begin(on: connection, kind: kind)
        let result: Result
        do {
            result = try await body(connection)
            try await connection.raw("COMMIT").run()
        } catch {
            // The original error matters more than a failed rollback (e.g. on a broken connection).
            try? await connection.raw("ROLLBACK").run()
            throw error
        }
        return result
    }

    private static func begin(on connection: any SQLDatabase, kind: DatabaseKind) async throws {
        let begin: SQLQueryString = kind == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN"
        do {
            try await connection.raw(begin).run()
        } catch where kind == .sqlite && String(describing: error).contains("cannot start a transaction within a transaction") {
            try await connection.raw("ROLLBACK").run()
            try await connection.raw(begin).run()
        }
    }
}
