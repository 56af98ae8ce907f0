import EmporiumTestSupport
import Foundation
import SQLKit
import Storage
import Testing

/// Which database of a primary and its replica serves what.
@Suite struct ReplicatedDatabaseTests {
    /// Runs `body` with a ``ReplicatedDatabase`` over two fresh SQLite databases that each know
    /// their name (`SELECT name FROM whoami`).
    func withPair(_ body: @Sendable (ReplicatedDatabase) async throws -> Void) async throws {
        try await TestDatabases.withDatabase(.sqlite) { primary in
            try await TestDatabases.withDatabase(.sqlite) { replica in
                for (database, name) in [(primary, "primary"), (replica, "replica")] {
                    try await database.transaction { sql in
                        try await sql.raw("CREATE TABLE whoami (name TEXT NOT NULL)").run()
                        try await sql.raw("INSERT INTO whoami (name) VALUES (\(bind: name))").run()
                    }
                }
                try await body(ReplicatedDatabase(primary: primary, replica: replica))
            }
        }
    }

    static func name(_ sql: any SQLDatabase) async throws -> String {
        try await sql.raw("SELECT name FROM whoami").first()!.decode(column: "name", as: String.self)
    }

    @Test func readsGoToTheReplica() async throws {
        try await withPair { database throws in
            #expect(try await database.withConnection(Self.name) == "replica")
            #expect(try await database.transaction(Self.name) == "replica")
        }
    }

    @Test func readYourWritesReadsGoToThePrimary() async throws {
        try await withPair { database throws in
            try await ReadConsistency.$current.withValue(.primary) { () async throws in
                #expect(try await database.withConnection(Self.name) == "primary")
                #expect(try await database.transaction(Self.name) == "primary")
            }
            #expect(try await database.withConnection(Self.name) == "replica", "only within the scope")
        }
    }

    @Test func locksAreTakenOnThePrimary() async throws {
        try await withPair { database throws in
            #expect(try await database.withExclusiveLock("test", Self.name) == "primary")
        }
    }
}

/// A read replica's pool on a writable PostgreSQL server: its sessions still refuse writes.
@Suite("Read replica sessions on PostgreSQL", .enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
struct ReadReplicaSessionTests {
    @Test func sessionsAreReadOnly() async throws {
        let (url, cleanup) = try await TestDatabases.makeURL(.postgres)
        do {
            guard case .postgres(let endpoint) = url else { throw TestDatabaseError.postgresNotConfigured }
            let replica = DatabaseFactory.openReadReplica(endpoint, maximumConnections: 2, logger: TestDatabases.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await replica.run() }
                defer { group.cancelAll() }
                try await replica.ping()
                // SQLSTATE 25006: read_only_sql_transaction.
                await #expect {
                    try await replica.withConnection { sql in try await sql.raw("CREATE TABLE t (id INTEGER)").run() }
                } throws: { error in
                    String(reflecting: error).contains("25006")
                }
                await #expect {
                    try await replica.transaction { sql in try await sql.raw("CREATE TABLE t (id INTEGER)").run() }
                } throws: { error in
                    String(reflecting: error).contains("25006")
                }
            }
            await cleanup()
        } catch {
            await cleanup()
            throw error
        }
    }
}
