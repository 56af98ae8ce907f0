import EmporiumContracts
import Foundation
import SQLKit
import Security
import Storage

/// The audit log table: append-only, each entry linked to the previous one by its hash
/// (``AuditEntry``), so ``AuditChain/firstBreak(in:)`` finds an altered, removed or moved entry.
struct AuditLog: Sendable {
    let database: any Database

    /// Appends `fact` inside the caller's transaction. Appends are serialised (an advisory lock
    /// on PostgreSQL; SQLite's single writer), so the chain never forks.
    func append(_ fact: AuditFact, _ sql: any SQLDatabase) async throws {
        try await database.lockForTransaction("users.audit", sql)
        let previous = try await sql.raw(
            "SELECT \(unsafeRaw: Self.columns) FROM users_audit ORDER BY sequence DESC LIMIT 1"
        ).first().map(Self.entry)
        let entry = AuditEntry(
            after: previous, at: fact.at, actor: fact.actor, action: fact.action, target: fact.target,
            details: try JSONText.encode(fact.details)
        )
        try await sql.raw(
            """
            INSERT INTO users_audit (sequence, at, actor, action, target, details, previous_hash, hash)
            VALUES (\(bind: entry.sequence), \(bind: entry.at), \(bind: entry.actor), \(bind: entry.action),
                    \(bind: entry.target), \(bind: entry.details), \(bind: entry.previousHash), \(bind: entry.hash))
            """
        ).run()
    }

    /// Up to `limit` entries after sequence `after`, oldest first.
    func entries(after: Int64, limit: Int) async throws -> [AuditEntry] {
        try await database.withConnection { sql in
            try await sql.raw(
                "SELECT \(unsafeRaw: Self.columns) FROM users_audit WHERE sequence > \(bind: after) ORDER BY sequence LIMIT \(bind: limit)"
            ).all().map(Self.entry)
        }
    }

    /// Checks the whole chain, a page at a time.
    /// - Returns: the number of entries and the first break, if any.
    func verify(pageSize: Int = 1000) async throws -> (entries: Int, firstBreak: AuditChain.Break?) {
        var count = 0
        var last: AuditEntry?
        while true {
            let page = try await entries(after: last?.sequence ?? 0, limit: pageSize)
            // Each page is checked with the entry before it, so links across pages are checked too.
            if let problem = AuditChain.firstBreak(in: page, after: last) {
                return (count, problem)
            }
            count += page.count
            guard page.count == pageSize else { return (count, nil) }
            last = page.last
        }
    }

    static let columns = "sequence, at, actor, action, target, details, previous_hash, hash"

    static func entry(_ row: any SQLRow) throws -> AuditEntry {
        var entry = AuditEntry(after: nil, at: "", actor: "", action: "", target: "", details: "")
        entry.sequence = try row.decode(column: "sequence", as: Int64.self)
        entry.at = try row.decode(column: "at", as: String.self)
        entry.actor = try row.decode(column: "actor", as: String.self)
        entry.action = try row.decode(column: "action", as: String.self)
        entry.target = try row.decode(column: "target", as: String.self)
        entry.details = try row.decode(column: "details", as: String.self)
        entry.previousHash = try row.decode(column: "previous_hash", as: String.self)
        entry.hash = try row.decode(column: "hash", as: String.self)
        return entry
    }
}
