import EmporiumTestSupport
import Foundation
import SQLKit
@testable import Storage
import Testing

/// The migrator contract, run against SQLite and PostgreSQL.
enum MigratorContract {
    static let counter = Migration(version: 1, name: "create counter", statements: [
        "CREATE TABLE applied_counter (id INTEGER PRIMARY KEY, note TEXT NOT NULL)"
    ])
    static let increment = Migration(version: 2, name: "count an application") { sql, _ in
        try await sql.raw("INSERT INTO applied_counter (id, note) VALUES (1, 'applied')").run()
    }

    static func rows(_ database: any Database) async throws -> Int {
        try await database.withConnection { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM applied_counter").first()!.decode(column: "n", as: Int.self)
        }
    }

    static func appliesEachMigrationOnce(_ kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database throws in
            let migrator = Migrator(database: database, service: "test", logger: TestDatabases.logger)
            #expect(try await migrator.migrate([counter, increment]) == [1, 2])
            #expect(try await migrator.migrate([counter, increment]) == [])
            #expect(try await migrator.appliedVersions() == [1, 2])
            #expect(try await rows(database) == 1)
        }
    }

    static func failedMigrationLeavesNothing(_ kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database throws in
            let migrator = Migrator(database: database, service: "test", logger: TestDatabases.logger)
            try await migrator.migrate([counter])
            let broken = Migration(version: 2, name: "half done") { sql, _ in
                try await sql.raw("CREATE TABLE half_done (id INTEGER PRIMARY KEY)").run()
                try await sql.raw("INSERT INTO no_such_table VALUES (1)").run()
            }
            await #expect(throws: (any Error).self) { try await migrator.migrate([counter, broken]) }
            #expect(try await migrator.appliedVersions() == [1])
            // The table created before the failure was rolled back with it.
            let fixed = Migration(version: 2, name: "half done", statements: ["CREATE TABLE half_done (id INTEGER PRIMARY KEY)"])
            #expect(try await migrator.migrate([counter, fixed]) == [2])
        }
    }

    /// Two processes starting at once: separate pools on one database, migrating concurrently.
    static func concurrentMigratorsApplyOnce(_ kind: DatabaseKind) async throws {
        let (url, cleanup) = try await TestDatabases.makeURL(kind)
        do {
            let results = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        try await TestDatabases.withOpenDatabase(url) { database throws in
                            try await Migrator(database: database, service: "test", logger: TestDatabases.logger).migrate([counter, increment])
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.flatMap { $0 }.sorted() == [1, 2], "each migration applied by exactly one migrator")
            try await TestDatabases.withOpenDatabase(url) { database throws in
                #expect(try await rows(database) == 1)
            }
        } catch {
            await cleanup()
            throw error
        }
        await cleanup()
    }

    static func refusesNewerDatabase(_ kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database throws in
            let migrator = Migrator(database: database, service: "test", logger: TestDatabases.logger)
            try await migrator.migrate([counter, increment])
            await #expect(throws: MigrationError.unknownVersion(2)) { try await migrator.migrate([counter]) }
            let renamed = Migration(version: 1, name: "renamed", statements: [])
            await #expect(throws: MigrationError.nameMismatch(version: 1, recorded: "create counter", expected: "renamed")) {
                try await migrator.migrate([renamed, increment])
            }
        }
    }

    /// Two services sharing one database keep separate migration histories.
    static func servicesShareADatabase(_ kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database throws in
            let first = Migrator(database: database, service: "first", logger: TestDatabases.logger)
            let second = Migrator(database: database, service: "second", logger: TestDatabases.logger)
            #expect(try await first.migrate([counter, increment]) == [1, 2])
            let other = Migration(version: 1, name: "other table", statements: ["CREATE TABLE other_table (id INTEGER PRIMARY KEY)"])
            #expect(try await second.migrate([other]) == [1])
            #expect(try await first.appliedVersions() == [1, 2])
            #expect(try await second.appliedVersions() == [1])
        }
    }

    static func transactionRollsBack(_ kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database throws in
            try await Migrator(database: database, service: "test", logger: TestDatabases.logger).migrate([counter])
            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await database.transaction { sql in
                    try await sql.raw("INSERT INTO applied_counter (id, note) VALUES (7, 'x')").run()
                    throw Abort()
                }
            }
            #expect(try await rows(database) == 0)
            try await database.transaction { sql in
                try await sql.raw("INSERT INTO applied_counter (id, note) VALUES (7, 'x')").run()
            }
            #expect(try await rows(database) == 1)
            try await database.ping()
        }
    }

    /// A failed COMMIT (a deferred foreign key) and a connection left inside a transaction by
    /// code that never ended it: the next transactions of the pool still work.
    static func connectionsLeaveTransactionsEnded(_ kind: DatabaseKind) async throws {
        try await TestDatabases.withDatabase(kind) { database throws in
            try await database.transaction { sql in
                try await sql.raw("CREATE TABLE parent (id INTEGER PRIMARY KEY)").run()
                try await sql.raw(
                    "CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)"
                ).run()
            }
            await #expect(throws: (any Error).self, "the orphan fails at COMMIT") {
                try await database.transaction { sql in try await sql.raw("INSERT INTO child (id, parent) VALUES (1, 42)").run() }
            }
            for id in 1...3 {
                try await database.transaction { sql in try await sql.raw("INSERT INTO parent (id) VALUES (\(unsafeRaw: String(id)))").run() }
            }
            if kind == .sqlite {
                // Code holding SQLite's writer that begins a transaction and returns without ending
                // it. (PostgreSQL only warns of a BEGIN within a transaction.)
                try await database.withExclusiveLock("test") { sql in try await sql.raw("BEGIN").run() }
                try await database.transaction { sql in try await sql.raw("INSERT INTO parent (id) VALUES (4)").run() }
            }
            let count = try await database.withConnection { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM parent").first()!.decode(column: "n", as: Int.self)
            }
            #expect(count == (kind == .sqlite ? 4 : 3))
        }
    }
}

@Suite("Migrator on SQLite")
struct MigratorSQLiteTests {
    @Test func appliesEachMigrationOnce() async throws { try await MigratorContract.appliesEachMigrationOnce(.sqlite) }
    @Test func failedMigrationLeavesNothing() async throws { try await MigratorContract.failedMigrationLeavesNothing(.sqlite) }
    @Test func concurrentMigratorsApplyOnce() async throws { try await MigratorContract.concurrentMigratorsApplyOnce(.sqlite) }
    @Test func refusesNewerDatabase() async throws { try await MigratorContract.refusesNewerDatabase(.sqlite) }
    @Test func transactionRollsBack() async throws { try await MigratorContract.transactionRollsBack(.sqlite) }
    @Test func connectionsLeaveTransactionsEnded() async throws { try await MigratorContract.connectionsLeaveTransactionsEnded(.sqlite) }
    @Test func servicesShareADatabase() async throws { try await MigratorContract.servicesShareADatabase(.sqlite) }

    @Test func readConnectionsRefuseWrites() async throws {
        try await TestDatabases.withDatabase(.sqlite) { database throws in
            try await Migrator(database: database, service: "test", logger: TestDatabases.logger).migrate([MigratorContract.counter])
            await #expect(throws: (any Error).self) {
                try await database.withConnection { sql in
                    try await sql.raw("INSERT INTO applied_counter (id, note) VALUES (1, 'x')").run()
                }
            }
        }
    }
}

@Suite("Migrator on PostgreSQL", .enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
struct MigratorPostgresTests {
    @Test func appliesEachMigrationOnce() async throws { try await MigratorContract.appliesEachMigrationOnce(.postgres) }
    @Test func failedMigrationLeavesNothing() async throws { try await MigratorContract.failedMigrationLeavesNothing(.postgres) }
    @Test func concurrentMigratorsApplyOnce() async throws { try await MigratorContract.concurrentMigratorsApplyOnce(.postgres) }
    @Test func refusesNewerDatabase() async throws { try await MigratorContract.refusesNewerDatabase(.postgres) }
    @Test func transactionRollsBack() async throws { try await MigratorContract.transactionRollsBack(.postgres) }
    @Test func connectionsLeaveTransactionsEnded() async throws { try await MigratorContract.connectionsLeaveTransactionsEnded(.postgres) }
    @Test func servicesShareADatabase() async throws { try await MigratorContract.servicesShareADatabase(.postgres) }
}

@Suite struct MigrationListTests {
    @Test func versionsMustBeConsecutiveFromOne() {
        let list = [Migration(version: 1, name: "a", statements: []), Migration(version: 3, name: "b", statements: [])]
        #expect(throws: MigrationError.outOfSequence(position: 2, version: 3)) { try Migrator.validate(list) }
    }
}
