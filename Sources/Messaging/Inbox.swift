import Foundation
import SQLKit
import Storage

/// Records which events a consumer has handled, in the same transaction as the handler's writes,
/// so a redelivered event has no second effect.
enum Inbox {
    /// Claims `event` for `consumer` inside the caller's transaction.
    /// - Returns: false when the consumer already handled it (a redelivery): skip the handler.
    static func claim(_ event: CloudEvent, consumer: String, _ sql: any SQLDatabase) async throws -> Bool {
        let rows = try await sql.raw(
            """
            INSERT INTO emporium_inbox (consumer, event_id, type, handled_at)
            VALUES (\(bind: consumer), \(bind: event.id), \(bind: event.type), \(bind: Timestamp.format(.now)))
            ON CONFLICT (consumer, event_id) DO NOTHING
            RETURNING event_id
            """
        ).all()
        return !rows.isEmpty
    }
}
