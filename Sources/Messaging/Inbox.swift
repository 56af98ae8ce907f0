import EmporiumCore
import Foundation
import SQLKit
import Storage

/// Records which events a consumer has handled, in the same transaction as the handler's writes,
/// so a redelivered event has no second effect.
enum Inbox {
    /// Claims `events` for `consumer` inside the caller's transaction, with one statement
    /// (`INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING RETURNING`, on PostgreSQL and on
    /// SQLite 3.35 or later).
    /// - Returns: The ids of the events claimed now; the others had been handled before (a
    ///   redelivery), or appear twice in `events` and were claimed at their first place: skip
    ///   their handlers.
    static func claim(_ events: [CloudEvent], consumer: String, _ sql: any SQLDatabase) async throws -> Set<String> {
        guard !events.isEmpty else { return [] }
        let handledAt = Timestamp.format(.now)
        let rows: [SQLQueryString] = events.map { event in
            "(\(bind: consumer), \(bind: event.id), \(bind: event.type), \(bind: handledAt))"
        }
        let claimed = try await sql.raw(
            """
            INSERT INTO emporium_inbox (consumer, event_id, type, handled_at)
            VALUES \(rows.joined(separator: ", "))
            ON CONFLICT (consumer, event_id) DO NOTHING
            RETURNING event_id
            """
        ).all()
        return Set(try claimed.map { try $0.decode(column: "event_id", as: String.self) })
    }
}
