import EmporiumCore
import Foundation
import SQLKit
import Security
import Storage

/// A webhook subscription as its owner sees it (never with the secret, which is shown once).
struct Webhook: Codable, Sendable, Equatable {
    var id: String
    var url: String
    var events: [String]
    /// `own`: events about the owner; `shop`: every event (an administrator's subscription).
    var scope: String
    var createdAt: String
}

/// Webhook subscriptions, their secrets sealed with the data keys.
struct WebhookStore: Sendable {
    /// The associated data the secrets are sealed with.
    static let secretField = "notifications.webhook_secret"

    let database: any Database
    let cipher: FieldCipher

    /// Records a subscription of `ownerId`, unless they have `limit` already.
    /// - Returns: the subscription, or nil at the limit.
    func create(ownerId: String, scope: WebhookScope, url: String, events: [String], secret: String, limit: Int, now: Date) async throws -> Webhook? {
        let webhook = Webhook(id: UUID.v7(at: now).lowercased, url: url, events: events, scope: scope.rawValue, createdAt: Timestamp.format(now))
        let sealed = try cipher.seal(secret, field: Self.secretField)
        return try await database.transaction { sql in
            try await database.lockForTransaction("notifications.webhooks.\(ownerId)", sql)
            let count = try await sql.raw("SELECT COUNT(*) AS n FROM webhooks WHERE owner_id = \(bind: ownerId)").first()?
                .decode(column: "n", as: Int64.self) ?? 0
            guard count < limit else { return nil }
            try await sql.raw(
                """
                INSERT INTO webhooks (id, owner_id, scope, url, events, secret, created_at)
                VALUES (\(bind: webhook.id), \(bind: ownerId), \(bind: webhook.scope), \(bind: url), \(bind: try JSONText.encode(events)),
                    \(bind: sealed), \(bind: webhook.createdAt))
                """
            ).run()
            return webhook
        }
    }

    /// The subscriptions of `ownerId`, oldest first.
    func list(ownerId: String) async throws -> [Webhook] {
        try await database.withConnection { sql in
            try await sql.raw("SELECT id, url, events, scope, created_at FROM webhooks WHERE owner_id = \(bind: ownerId) ORDER BY id").all()
                .map(Self.webhook)
        }
    }

    /// Deletes the subscription `id` of `ownerId`; false when they have none with that id.
    func delete(id: String, ownerId: String) async throws -> Bool {
        try await database.transaction { sql in
            try await sql.raw("DELETE FROM webhooks WHERE id = \(bind: id) AND owner_id = \(bind: ownerId) RETURNING id").all().count == 1
        }
    }

    /// The ids of the subscriptions an event of `eventType` about `userId` goes to: the user's
    /// own and every shop-wide one that lists the type.
    func subscribers(eventType: String, userId: String, _ sql: any SQLDatabase) async throws -> [String] {
        let quoted = "%" + (try JSONText.encode(eventType)) + "%"
        return try await sql.raw(
            """
            SELECT id, url, events, scope, created_at FROM webhooks
            WHERE (owner_id = \(bind: userId) OR scope = 'shop') AND events LIKE \(bind: quoted) ORDER BY id
            """
        ).all().map(Self.webhook).filter { $0.events.contains(eventType) }.map(\.id)
    }

    /// Where and with which secret the subscription `id` is delivered; nil once it is deleted.
    func endpoint(id: String) async throws -> (url: String, secret: String)? {
        try await database.withConnection { sql in
            guard let row = try await sql.raw("SELECT url, secret FROM webhooks WHERE id = \(bind: id)").first() else { return nil }
            return (try row.decode(column: "url", as: String.self), try cipher.open(try row.decode(column: "secret", as: String.self), field: Self.secretField))
        }
    }

    /// Re-seals every secret under the active data key; the number re-sealed.
    func reencrypt() async throws -> Int {
        try await database.transaction { sql in
            var count = 0
            for row in try await sql.raw("SELECT id, secret FROM webhooks").all() {
                let sealed = try row.decode(column: "secret", as: String.self)
                guard try cipher.needsReencryption(sealed) else { continue }
                let resealed = try cipher.seal(try cipher.open(sealed, field: Self.secretField), field: Self.secretField)
                try await sql.raw("UPDATE webhooks SET secret = \(bind: resealed) WHERE id = \(bind: try row.decode(column: "id", as: String.self))").run()
                count += 1
            }
            return count
        }
    }

    private static func webhook(_ row: any SQLRow) throws -> Webhook {
        Webhook(
            id: try row.decode(column: "id", as: String.self),
            url: try row.decode(column: "url", as: String.self),
            events: try JSONText.decode([String].self, from: try row.decode(column: "events", as: String.self)),
            scope: try row.decode(column: "scope", as: String.self),
            createdAt: try row.decode(column: "created_at", as: String.self))
    }
}
