import EmporiumCore
import EmporiumKit
import EmporiumTestSupport
import Foundation
@testable import Identity
import Messaging
import SQLKit
import Security
import Storage
import Testing

/// The auth store's housekeeping against real databases.
@Suite struct AuthStoreTests {
    static func withStore(_ kind: DatabaseKind, _ body: @Sendable (AuthStore, any Database) async throws -> Void) async throws {
        try await TestDatabases.withDatabase(kind) { database in
            try await Migrator(database: database, service: MessagingSchema.history(of: "auth"), logger: TestDatabases.logger).migrate(MessagingSchema.migrations)
            let security = SecuritySettings.ephemeral(bcryptCost: 4)
            try await Migrator(database: database, service: "auth", logger: TestDatabases.logger).migrate(AuthMigrations.all(security: security))
            try await body(AuthStore(database: database, outbox: Outbox(service: "auth"), security: security), database)
        }
    }

    static func pruneKeepsWhatStillMatters(_ kind: DatabaseKind) async throws {
        try await withStore(kind) { store, database in
            let now = Date.now
            let account = try await store.createAccount(email: "ada@example.com", passwordHash: "x", roles: [.customer], now: now)
            let day: TimeInterval = 24 * 3600
            func at(_ offset: TimeInterval) -> String { Timestamp.format(now.addingTimeInterval(offset)) }
            try await database.transaction { sql in
                for (index, updated, locked) in [("stale", -2 * day, nil), ("recent", -60, nil), ("locked", -2 * day, at(600) as String?)] {
                    try await sql.raw(
                        "INSERT INTO auth_login_failures (email_index, client, failures, locked_until, updated_at) VALUES (\(bind: index), 'c', 3, \(bind: locked), \(bind: at(updated)))"
                    ).run()
                }
                for (hash, expires) in [("expired-long-ago", -8 * day), ("expired-yesterday", -day), ("valid", 30 * day)] {
                    try await sql.raw(
                        """
                        INSERT INTO auth_refresh_tokens (token_hash, family_id, account_id, issued_at, expires_at)
                        VALUES (\(bind: hash), 'f', \(bind: account.id), \(bind: at(-40 * day)), \(bind: at(expires)))
                        """
                    ).run()
                }
            }
            #expect(try await store.prune(now: now) == 2)
            let (failures, tokens) = try await database.withConnection { sql in
                (
                    try await sql.raw("SELECT email_index FROM auth_login_failures ORDER BY email_index").all().map { try $0.decode(column: "email_index", as: String.self) },
                    try await sql.raw("SELECT token_hash FROM auth_refresh_tokens ORDER BY token_hash").all().map { try $0.decode(column: "token_hash", as: String.self) }
                )
            }
            #expect(failures == ["locked", "recent"])
            #expect(tokens == ["expired-yesterday", "valid"])
        }
    }

    @Test func pruneOnSQLite() async throws { try await Self.pruneKeepsWhatStillMatters(.sqlite) }

    @Test(.enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
    func pruneOnPostgreSQL() async throws { try await Self.pruneKeepsWhatStillMatters(.postgres) }
}
