import SQLKit

/// Runs statements inside one transaction on a single connection.
///
/// Both ``Database`` implementations and the ``Migrator`` use it, so BEGIN/COMMIT/ROLLBACK are
/// written once.
enum SQLTransaction {
    /// Begins a transaction on `connection`, runs `body`, commits; rolls back and rethrows on error.
    ///
    /// On SQLite the transaction is `BEGIN IMMEDIATE`, which takes the file's write lock up front so
    /// that two processes writing at once wait for each other instead of failing mid-transaction.
    static func run<Result>(
        on connection: any SQLDatabase,
        kind: DatabaseKind,
        _ body: (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        try await connection.raw(kind == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN").run()
        let result: Result
        do {
            result = try await body(connection)
        } catch {
            // The original error matters more than a failed rollback (e.g. on a broken connection).
            try? await connection.raw("ROLLBACK").run()
            throw error
        }
        try await connection.raw("COMMIT").run()
        return result
    }
}
