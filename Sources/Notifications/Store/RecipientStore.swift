import EmporiumCore
import Foundation
import SQLKit
import Security
import Storage

/// The email each user registered with, sealed with the data keys: where mail goes when the
/// users service cannot be asked (down, or not yet aware of a user who just registered).
struct RecipientStore: Sendable {
    /// The associated data the emails are sealed with.
    static let emailField = "notifications.recipient_email"

    let database: any Database
    let cipher: FieldCipher

    /// Keeps `email` for `userId` (sealed), replacing what was kept.
    func keep(userId: String, email: String, now: Date, _ sql: any SQLDatabase) async throws {
        let sealed = try cipher.seal(email, field: Self.emailField)
        try await sql.raw(
            """
            INSERT INTO recipients (user_id, email, updated_at) VALUES (\(bind: userId), \(bind: sealed), \(bind: Timestamp.format(now)))
            ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, updated_at = excluded.updated_at
            """
        ).run()
    }

    /// The email kept for `userId`, opened; nil when none is.
    func email(of userId: String) async throws -> String? {
        try await database.withConnection { sql in
            guard let row = try await sql.raw("SELECT email FROM recipients WHERE user_id = \(bind: userId)").first() else { return nil }
            return try cipher.open(try row.decode(column: "email", as: String.self), field: Self.emailField)
        }
    }

    /// Re-seals every kept email under the active data key; the number re-sealed.
    func reencrypt() async throws -> Int {
        try await database.transaction { sql in
            var count = 0
            for row in try await sql.raw("SELECT user_id, email FROM recipients").all() {
                let sealed = try row.decode(column: "email", as: String.self)
                guard try cipher.needsReencryption(sealed) else { continue }
                let resealed = try cipher.seal(try cipher.open(sealed, field: Self.emailField), field: Self.emailField)
                try await sql.raw("UPDATE recipients SET email = \(bind: resealed) WHERE user_id = \(bind: try row.decode(column: "user_id", as: String.self))").run()
                count += 1
            }
            return count
        }
    }
}
