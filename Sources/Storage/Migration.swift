public import SQLKit

/// One versioned, forward-only change to a service's schema.
///
/// Versions start at 1 and increase by one; a migration, once released, never changes (its
/// `name` is recorded and checked). Write portable SQL, or branch on `kind` where PostgreSQL and
/// SQLite differ.
public struct Migration: Sendable {
    /// The position of this migration in the service's sequence, from 1.
    public let version: Int
    /// A short description, recorded with the version.
    public let name: String
    /// Applies the change; runs inside the migration's transaction.
    public let apply: @Sendable (_ sql: any SQLDatabase, _ kind: DatabaseKind) async throws -> Void

    public init(
        version: Int,
        name: String,
        apply: @escaping @Sendable (_ sql: any SQLDatabase, _ kind: DatabaseKind) async throws -> Void
    ) {
        self.version = version
        self.name = name
        self.apply = apply
    }

    /// A migration made of SQL statements run in order, the same on both engines.
    public init(version: Int, name: String, statements: [String]) {
        self.init(version: version, name: name) { sql, _ in
            for statement in statements {
                try await sql.raw(SQLQueryString(statement)).run()
            }
        }
    }
}
