import EmporiumKit
import EmporiumTestSupport
import Foundation
@testable import Identity
import Messaging
import SQLKit
import Security
import Storage
import Testing

/// Migration 2 of the auth and users databases: rows stored before emails were canonical (NFC)
/// get the canonical index; when two rows are then the same address, the oldest keeps it and the
/// others are set aside.
@Suite struct EmailNormalizationTests {
    static let composed = "zo\u{00EB}@example.com"
    static let decomposed = "zo\u{0065}\u{0308}@example.com"

    /// The index as it was computed before (trimmed and lower-cased, no NFC).
    static func legacyIndex(_ email: String, _ security: SecuritySettings) -> String {
        security.blindIndex.value(email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased(), field: "email")
    }

    struct Table: Sendable {
        var service: String
        var name: String
        var emailField: String
        var migrations: @Sendable (SecuritySettings) -> [Migration]
        var extraColumns: String
        var extraValues: String
    }

    static let auth = Table(
        service: "auth", name: "auth_accounts", emailField: AuthStore.emailField, migrations: { AuthMigrations.all(security: $0) },
        extraColumns: "password_hash, roles, updated_at", extraValues: "'x', '[\"customer\"]', '2020-01-01T00:00:00Z'"
    )
    static let users = Table(
        service: "users", name: "users_profiles", emailField: UsersStore.emailField, migrations: { UsersMigrations.all(security: $0) },
        extraColumns: "roles, updated_at", extraValues: "'[\"customer\"]', '2020-01-01T00:00:00Z'"
    )

    static func migratesLegacyRows(_ kind: DatabaseKind, _ table: Table) async throws {
        try await TestDatabases.withDatabase(kind) { database in
            let security = SecuritySettings.ephemeral(bcryptCost: 4)
            let migrator = Migrator(database: database, service: table.service, logger: TestDatabases.logger)
            try await migrator.migrate(Array(table.migrations(security).prefix(1)))
            // (id, email as typed then, created_at)
            let rows = [
                ("a-lone", "ren\u{0065}\u{0301}e@example.com", "2020-01-01T00:00:00Z"),  // NFD alone: re-indexed
                ("b-old-nfd", decomposed, "2020-01-02T00:00:00Z"),  // NFD, older: keeps the address
                ("c-young-nfc", composed, "2020-01-03T00:00:00Z"),  // NFC, younger: set aside
                ("d-old-nfc", "j\u{00F6}rg@example.com", "2020-01-04T00:00:00Z"),  // NFC, older: keeps it
                ("e-young-nfd", "j\u{006F}\u{0308}rg@example.com", "2020-01-05T00:00:00Z"),  // NFD, younger: set aside
                ("f-plain", "ada@example.com", "2020-01-06T00:00:00Z"),  // untouched
            ]
            try await database.transaction { sql in
                for (id, email, created) in rows {
                    try await sql.raw(
                        """
                        INSERT INTO \(unsafeRaw: table.name) (id, email_index, email, created_at, \(unsafeRaw: table.extraColumns))
                        VALUES (\(bind: id), \(bind: legacyIndex(email, security)), \(bind: try security.cipher.seal(email, field: table.emailField)),
                                \(bind: created), \(unsafeRaw: table.extraValues))
                        """
                    ).run()
                }
            }
            try await migrator.migrate(table.migrations(security))

            let stored = try await database.withConnection { sql in
                try await sql.raw("SELECT id, email_index, email FROM \(unsafeRaw: table.name) ORDER BY id").all().map { row in
                    (
                        try row.decode(column: "id", as: String.self), try row.decode(column: "email_index", as: String.self),
                        try security.cipher.open(try row.decode(column: "email", as: String.self), field: table.emailField)
                    )
                }
            }
            let byID = Dictionary(uniqueKeysWithValues: stored.map { ($0.0, ($0.1, $0.2)) })
            func scalars(_ text: String?) -> [Unicode.Scalar] { Array((text ?? "").unicodeScalars) }
            #expect(byID["a-lone"]?.0 == security.blindIndex.email("ren\u{00E9}e@example.com"))
            #expect(scalars(byID["a-lone"]?.1) == scalars("ren\u{00E9}e@example.com"), "resealed in NFC")
            #expect(byID["b-old-nfd"]?.0 == security.blindIndex.email(composed))
            #expect(byID["c-young-nfc"]?.0 == "duplicate:c-young-nfc")
            #expect(byID["d-old-nfc"]?.0 == security.blindIndex.email("j\u{00F6}rg@example.com"))
            #expect(byID["e-young-nfd"]?.0 == "duplicate:e-young-nfd")
            #expect(byID["f-plain"]?.0 == legacyIndex("ada@example.com", security), "an ASCII address keeps its index")
            #expect(security.blindIndex.email(decomposed) == security.blindIndex.email(composed))
        }
    }

    @Test func authOnSQLite() async throws { try await Self.migratesLegacyRows(.sqlite, Self.auth) }
    @Test func usersOnSQLite() async throws { try await Self.migratesLegacyRows(.sqlite, Self.users) }

    @Test(.enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
    func authOnPostgreSQL() async throws { try await Self.migratesLegacyRows(.postgres, Self.auth) }

    @Test(.enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
    func usersOnPostgreSQL() async throws { try await Self.migratesLegacyRows(.postgres, Self.users) }
}
