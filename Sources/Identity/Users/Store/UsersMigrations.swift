import EmporiumKit
import Security
import Storage

/// The users database's schema, oldest first. Released migrations never change.
enum UsersMigrations {
    /// The migrations; those that rewrite sealed values need the keys of `security`.
    static func all(security: SecuritySettings) -> [Migration] { [
        Migration(
            version: 1,
            name: "create profiles, addresses and the audit log",
            statements: [
                // email, name, phone: sealed (FieldCipher, fields users.email, users.name, users.phone).
                """
                CREATE TABLE users_profiles (
                    id TEXT PRIMARY KEY,
                    email_index TEXT NOT NULL UNIQUE,
                    email TEXT NOT NULL,
                    name TEXT,
                    phone TEXT,
                    roles TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """,
                // address: the whole address as sealed JSON (field users.address).
                """
                CREATE TABLE users_addresses (
                    id TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users_profiles (id) ON DELETE CASCADE,
                    address TEXT NOT NULL,
                    created_at TEXT NOT NULL
                )
                """,
                "CREATE INDEX users_addresses_user ON users_addresses (user_id, id)",
                // Append-only and hash-linked (AuditChain): nothing updates or deletes rows.
                """
                CREATE TABLE users_audit (
                    sequence BIGINT PRIMARY KEY,
                    at TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    target TEXT NOT NULL,
                    details TEXT NOT NULL,
                    previous_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                )
                """,
            ]
        ),
        Migration(version: 2, name: "canonical emails (NFC) and their blind index") { sql, _ in
            _ = try await EmailNormalization.run(sql, table: "users_profiles", emailField: UsersStore.emailField, security: security)
        },
    ] }
}
