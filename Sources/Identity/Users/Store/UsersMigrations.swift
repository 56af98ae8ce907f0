import Storage

/// The users database's schema, oldest first. Released migrations never change.
enum UsersMigrations {
    static let all: [Migration] = [
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
        )
    ]
}
