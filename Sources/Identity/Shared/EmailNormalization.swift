import EmporiumKit
import Foundation
import SQLKit
import Security
import Storage

/// The data migration that gives every stored email its canonical form (issue 15):
/// ``BlindIndex/canonicalEmail(_:)`` (NFC, then lower case) for the sealed value and its blind
/// index, so `zoë@…` typed precomposed or decomposed is one address.
///
/// Rows registered before were indexed without NFC: a decomposed (NFD) address had an index of its
/// own, and may now collide with another row of the same visible address. Then the **oldest**
/// row (by `created_at`, then id) keeps the address; each younger one is *set aside*: its
/// `email_index` becomes `duplicate:<id>`, which no login or lookup matches, and its data stays
/// for the operator to merge or delete (see docs/security.md). The rule is deterministic, so the
/// auth and users databases set aside the same ids.
enum EmailNormalization {
    /// The `email_index` of a row set aside for `id`.
    static func setAsideIndex(_ id: String) -> String { "duplicate:\(id)" }

    /// Re-indexes `table` (columns `id`, `email` sealed for `emailField`, `email_index`,
    /// `created_at`) inside the caller's transaction.
    /// - Returns: the ids of the rows set aside.
    @discardableResult
    static func run(_ sql: any SQLDatabase, table: String, emailField: String, security: SecuritySettings) async throws -> [String] {
        struct Row {
            var id: String
            var createdAt: String
            var canonical: String
            var index: String
        }
        var changed: [Row] = []
        for row in try await sql.raw("SELECT id, email, email_index, created_at FROM \(unsafeRaw: table)").all() {
            let index = try row.decode(column: "email_index", as: String.self)
            guard !index.hasPrefix("duplicate:") else { continue }
            let email = try security.cipher.open(try row.decode(column: "email", as: String.self), field: emailField)
            let canonical = BlindIndex.canonicalEmail(email)
            let canonicalIndex = security.blindIndex.email(canonical)
            // Compared scalar by scalar: Swift's `==` would call NFC and NFD spellings equal.
            guard !canonical.unicodeScalars.elementsEqual(email.unicodeScalars) || canonicalIndex != index else { continue }
            changed.append(Row(
                id: try row.decode(column: "id", as: String.self), createdAt: try row.decode(column: "created_at", as: String.self),
                canonical: canonical, index: canonicalIndex
            ))
        }
        var setAside: [String] = []
        // Oldest first, so among rows that collide the oldest takes the index first.
        for row in changed.sorted(by: { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }) {
            if let holder = try await sql.raw(
                "SELECT id, created_at FROM \(unsafeRaw: table) WHERE email_index = \(bind: row.index) AND id <> \(bind: row.id)"
            ).first() {
                let holderID = try holder.decode(column: "id", as: String.self)
                let holderCreated = try holder.decode(column: "created_at", as: String.self)
                if (holderCreated, holderID) < (row.createdAt, row.id) {
                    try await setIndex(setAsideIndex(row.id), of: row.id, table: table, sql)
                    setAside.append(row.id)
                    continue
                }
                try await setIndex(setAsideIndex(holderID), of: holderID, table: table, sql)
                setAside.append(holderID)
            }
            try await sql.raw(
                """
                UPDATE \(unsafeRaw: table) SET email_index = \(bind: row.index),
                    email = \(bind: try security.cipher.seal(row.canonical, field: emailField))
                WHERE id = \(bind: row.id)
                """
            ).run()
        }
        return setAside
    }

    private static func setIndex(_ index: String, of id: String, table: String, _ sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE \(unsafeRaw: table) SET email_index = \(bind: index) WHERE id = \(bind: id)").run()
    }
}
