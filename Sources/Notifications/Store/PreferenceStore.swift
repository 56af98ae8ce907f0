import EmporiumCore
import Foundation
import SQLKit
import Storage

/// Each user's notification preferences (only users who changed them have a row).
struct PreferenceStore: Sendable {
    let database: any Database

    /// The preferences of `userId` (the defaults when never changed).
    func preferences(of userId: String, _ sql: any SQLDatabase) async throws -> NotificationPreferences {
        guard let row = try await sql.raw("SELECT opted_out FROM preferences WHERE user_id = \(bind: userId)").first() else {
            return NotificationPreferences()
        }
        let stored = try JSONText.decode([String: [String]].self, from: try row.decode(column: "opted_out", as: String.self))
        var optedOut: [NotificationChannel: Set<NotificationKind>] = [:]
        for (channel, kinds) in stored {
            guard let channel = NotificationChannel(rawValue: channel) else { continue }
            optedOut[channel] = Set(kinds.compactMap(NotificationKind.init(rawValue:)))
        }
        return NotificationPreferences(optedOut: optedOut)
    }

    func preferences(of userId: String) async throws -> NotificationPreferences {
        try await database.withConnection { try await preferences(of: userId, $0) }
    }

    /// Applies `change` to the preferences of `userId` in one transaction; the result.
    func update(
        _ userId: String, now: Date, _ change: @Sendable (NotificationPreferences) throws -> NotificationPreferences
    ) async throws -> NotificationPreferences {
        try await database.transaction { sql in
            try await database.lockForTransaction("notifications.preferences.\(userId)", sql)
            let changed = try change(try await preferences(of: userId, sql))
            let stored = Dictionary(uniqueKeysWithValues: changed.optedOut.map { ($0.key.rawValue, $0.value.map(\.rawValue).sorted()) })
            try await sql.raw(
                """
                INSERT INTO preferences (user_id, opted_out, updated_at)
                VALUES (\(bind: userId), \(bind: try JSONText.encode(stored)), \(bind: Timestamp.format(now)))
                ON CONFLICT (user_id) DO UPDATE SET opted_out = excluded.opted_out, updated_at = excluded.updated_at
                """
            ).run()
            return changed
        }
    }
}
