import EmporiumCore
import Foundation
import SQLKit
import Storage

/// One notification of the in-app list.
struct InAppNotification: Codable, Sendable, Equatable {
    var id: String
    var kind: String
    /// What it is about (an order id), if anything.
    var subjectId: String?
    var title: String
    var body: String
    var createdAt: String
    /// When the user marked it read; null while unread.
    var readAt: String?
}

/// The in-app notifications (`GET /v1/notifications`).
struct InAppStore: Sendable {
    let database: any Database

    /// Adds a notification for `userId` made by event `eventId` (once per event).
    func add(
        userId: String, eventId: String, kind: NotificationKind, subjectId: String?, title: String, body: String, now: Date, _ sql: any SQLDatabase
    ) async throws {
        try await sql.raw(
            """
            INSERT INTO notifications (id, user_id, event_id, kind, subject_id, title, body, created_at)
            VALUES (\(bind: UUID.v7(at: now).lowercased), \(bind: userId), \(bind: eventId), \(bind: kind.rawValue), \(bind: subjectId),
                \(bind: title), \(bind: body), \(bind: Timestamp.format(now)))
            ON CONFLICT (event_id) DO NOTHING
            """
        ).run()
    }

    /// The notifications of `userId`, newest first.
    func list(userId: String, unreadOnly: Bool, before: String?, limit: Int) async throws -> [InAppNotification] {
        try await database.withConnection { sql in
            var query = SQLQueryString("SELECT \(unsafeRaw: Self.columns) FROM notifications WHERE user_id = \(bind: userId)")
            if unreadOnly { query += " AND read_at IS NULL" }
            if let before { query += " AND id < \(bind: before)" }
            query += " ORDER BY id DESC LIMIT \(bind: limit)"
            return try await sql.raw(query).all().map(Self.notification)
        }
    }

    /// Marks the notification `id` of `userId` read (once: a second call keeps the first time).
    /// - Returns: the notification, or nil when `userId` has none with that id.
    func markRead(id: String, userId: String, now: Date) async throws -> InAppNotification? {
        try await database.transaction { sql in
            try await sql.raw(
                "UPDATE notifications SET read_at = \(bind: Timestamp.format(now)) WHERE id = \(bind: id) AND user_id = \(bind: userId) AND read_at IS NULL"
            ).run()
            return try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM notifications WHERE id = \(bind: id) AND user_id = \(bind: userId)")
                .first().map(Self.notification)
        }
    }

    private static let columns = "id, kind, subject_id, title, body, created_at, read_at"

    private static func notification(_ row: any SQLRow) throws -> InAppNotification {
        InAppNotification(
            id: try row.decode(column: "id", as: String.self),
            kind: try row.decode(column: "kind", as: String.self),
            subjectId: try row.decode(column: "subject_id", as: String?.self),
            title: try row.decode(column: "title", as: String.self),
            body: try row.decode(column: "body", as: String.self),
            createdAt: try row.decode(column: "created_at", as: String.self),
            readAt: try row.decode(column: "read_at", as: String?.self))
    }
}
