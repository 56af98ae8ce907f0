public import SQLKit

/// A primary database and its read replica (a PostgreSQL hot standby) seen as one ``Database``,
/// for the reads that may lag behind the writes: the replica serves them, unless the current
/// task asks for the primary (``ReadConsistency/primary``: read-your-writes).
///
/// Exclusive locks are always taken on the primary (locks coordinate writers). The replica's
/// sessions are read-only (``DatabaseFactory/openReadReplica(_:maximumConnections:logger:)``):
/// a write sent there by mistake fails at once, even if the URL names a writable server.
public struct ReplicatedDatabase: Database {
    /// Where writes go, and reads that must see them.
    public let primary: any Database
    /// Where the other reads go.
    public let replica: any Database

    public init(primary: any Database, replica: any Database) {
        self.primary = primary
        self.replica = replica
    }

    public var kind: DatabaseKind { primary.kind }
    /// The replica's location: where this database's reads usually go.
    public var location: DatabaseURL { replica.location }

    /// The database that serves the current task's reads.
    public var current: any Database {
        ReadConsistency.current == .primary ? primary : replica
    }

    public func withConnection<Result: Sendable>(
        _ body: (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        try await current.withConnection(body)
    }

    public func transaction<Result: Sendable>(
        _ body: (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        try await current.transaction(body)
    }

    public func withExclusiveLock<Result: Sendable>(
        _ lockName: String,
        _ body: (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        try await primary.withExclusiveLock(lockName, body)
    }

    /// Both pools' connections together.
    public func poolState() async -> DatabasePoolState {
        await primary.poolState() + replica.poolState()
    }

    /// Runs both pools until shutdown. The runtime does not call it: it runs the primary and
    /// the replica as parts of the process of their own, each named in the logs.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await primary.run() }
            group.addTask { try await replica.run() }
        }
    }

    public func close() async {
        await primary.close()
        await replica.close()
    }
}
