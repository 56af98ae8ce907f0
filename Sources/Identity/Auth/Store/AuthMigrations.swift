import EmporiumKit
import Security
import Storage

/// The auth database's schema, oldest first. Released migrations never change.
enum AuthMigrations {
    /// The migrations; those that rewrite sealed values need the keys of `security`.
    static func all(security: SecuritySettings) -> [Migration] { [
        Migration(
            version: 1,
            name: "create accounts, refresh tokens, signing keys and login failures",
            statements: [
                // email: sealed (FieldCipher, field auth.email); email_index: its blind index.
                """
                CREATE TABLE auth_accounts (
                    id TEXT PRIMARY KEY,
                    email_index TEXT NOT NULL UNIQUE,
                    email TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    roles TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL
                )
                """,
                // Only the SHA-256 of a refresh token is stored. rotated_at: it was exchanged for a
                // newer one (using it again is reuse); revoked_at: its family was revoked.
                """
                CREATE TABLE auth_refresh_tokens (
                    token_hash TEXT PRIMARY KEY,
                    family_id TEXT NOT NULL,
                    account_id TEXT NOT NULL REFERENCES auth_accounts (id) ON DELETE CASCADE,
                    issued_at TEXT NOT NULL,
                    expires_at TEXT NOT NULL,
                    rotated_at TEXT,
                    revoked_at TEXT
                )
                """,
                "CREATE INDEX auth_refresh_tokens_family ON auth_refresh_tokens (family_id)",
                "CREATE INDEX auth_refresh_tokens_account ON auth_refresh_tokens (account_id)",
                // private_key: the PEM, sealed (FieldCipher, field auth.signing_key).
                """
                CREATE TABLE auth_signing_keys (
                    id TEXT PRIMARY KEY,
                    private_key TEXT NOT NULL,
                    created_at TEXT NOT NULL,
                    retired_at TEXT
                )
                """,
                """
                CREATE TABLE auth_login_failures (
                    email_index TEXT NOT NULL,
                    client TEXT NOT NULL,
                    failures INTEGER NOT NULL,
                    locked_until TEXT,
                    updated_at TEXT NOT NULL,
                    PRIMARY KEY (email_index, client)
                )
                """,
            ]
        ),
        Migration(version: 2, name: "canonical emails (NFC) and their blind index") { sql, _ in
            _ = try await EmailNormalization.run(sql, table: "auth_accounts", emailField: AuthStore.emailField, security: security)
        },
    ] }
}
