import EmporiumCore
import EmporiumKit
import Foundation
import SQLKit
import Security
import Storage

/// The card vault's SQL: each card's number sealed with the data keys (``cardNumberField``),
/// its brand, last four digits and expiry in the clear; never the CVC.
struct PaymentMethodStore: Sendable {
    /// The associated data the number is sealed with.
    static let cardNumberField = "payments.card_number"

    let database: any Database
    let cipher: FieldCipher

    /// Stores `card` for `userId` under `id`, unless the user keeps `limit` methods already
    /// (counted and inserted under one lock per user, so concurrent adds cannot pass the limit).
    /// - Throws: ``PaymentMethodError/limitReached(limit:)``; nothing is written then.
    func add(_ card: ValidCard, userId: String, id: String, limit: Int, now: Date = .now) async throws -> StoredPaymentMethod {
        let sealed = try cipher.seal(card.number, field: Self.cardNumberField)
        let method = StoredPaymentMethod(
            id: id, userId: userId, brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear, createdAt: now)
        try await database.transaction { sql in
            try await database.lockForTransaction("payments.methods:\(userId)", sql)
            let count = try await sql.raw(
                "SELECT COUNT(*) AS n FROM payment_methods WHERE user_id = \(bind: userId) AND removed_at IS NULL"
            ).first()?.decode(column: "n", as: Int.self) ?? 0
            guard count < limit else { throw PaymentMethodError.limitReached(limit: limit) }
            try await sql.raw(
                """
                INSERT INTO payment_methods (id, user_id, brand, last4, exp_month, exp_year, card_number, created_at)
                VALUES (\(bind: id), \(bind: userId), \(bind: card.brand.rawValue), \(bind: card.last4), \(bind: Int64(card.expMonth)),
                        \(bind: Int64(card.expYear)), \(bind: sealed), \(bind: Timestamp.format(now)))
                """
            ).run()
        }
        return method
    }

    /// Up to `limit` of the user's methods after the id `after`, oldest first (ids are UUIDv7).
    func methods(userId: String, after: String?, limit: Int) async throws -> [StoredPaymentMethod] {
        try await database.withConnection { sql in
            try await sql.raw(
                """
                SELECT id, user_id, brand, last4, exp_month, exp_year, created_at FROM payment_methods
                WHERE user_id = \(bind: userId) AND removed_at IS NULL AND id > \(bind: after ?? "")
                ORDER BY id LIMIT \(bind: limit)
                """
            ).all().map(Self.method)
        }
    }

    /// Removes the user's method `id`: it is no longer listed nor usable, and its sealed number
    /// is erased (brand, last four and expiry stay for the payments made with it).
    /// - Returns: false when the user has no such method.
    func remove(id: String, userId: String, now: Date = .now) async throws -> Bool {
        try await database.transaction { sql in
            let removed = try await sql.raw(
                """
                UPDATE payment_methods SET card_number = NULL, removed_at = \(bind: Timestamp.format(now))
                WHERE id = \(bind: id) AND user_id = \(bind: userId) AND removed_at IS NULL RETURNING id
                """
            ).all()
            return !removed.isEmpty
        }
    }

    /// The sealed number of the user's usable method `id`, read in the transaction `sql`; nil
    /// when it does not exist, is someone else's or was removed.
    func sealedCard(id: String, userId: String, _ sql: any SQLDatabase) async throws -> SealedCard? {
        guard let row = try await sql.raw(
            """
            SELECT card_number, exp_month, exp_year, brand FROM payment_methods
            WHERE id = \(bind: id) AND user_id = \(bind: userId) AND removed_at IS NULL AND card_number IS NOT NULL
            """
        ).first() else { return nil }
        return try Self.sealedCard(row)
    }

    /// Whether method `id` is `userId`'s and usable (not removed, its number kept).
    func isUsable(id: String, userId: String) async throws -> Bool {
        try await database.withConnection { sql in try await sealedCard(id: id, userId: userId, sql) != nil }
    }

    /// The sealed number of method `id` whoever's it is, removed or not; nil once erased.
    func sealedCard(id: String) async throws -> SealedCard? {
        try await database.withConnection { sql in
            guard let row = try await sql.raw(
                "SELECT card_number, exp_month, exp_year, brand FROM payment_methods WHERE id = \(bind: id) AND card_number IS NOT NULL"
            ).first() else { return nil }
            return try Self.sealedCard(row)
        }
    }

    /// Opens a sealed card for one call to the processor.
    func open(_ card: SealedCard) throws -> ValidCard {
        ValidCard(
            number: try cipher.open(card.sealedNumber, field: Self.cardNumberField), expMonth: card.expMonth, expYear: card.expYear,
            brand: card.brand)
    }

    /// Re-encrypts every sealed number under the active data key, a batch at a time, each batch
    /// in its own transaction, skipping those already under it (so it can be interrupted and
    /// run again).
    func reencrypt(batchSize: Int = 500) async throws -> Int {
        var changed = 0
        var after = ""
        while true {
            let (count, last) = try await database.transaction { sql -> (Int, String?) in
                let rows = try await sql.raw(
                    """
                    SELECT id, card_number FROM payment_methods WHERE id > \(bind: after) AND card_number IS NOT NULL
                    ORDER BY id LIMIT \(bind: batchSize)
                    """
                ).all()
                var count = 0
                for row in rows {
                    let sealed = try row.decode(column: "card_number", as: String.self)
                    guard try cipher.needsReencryption(sealed) else { continue }
                    let resealed = try cipher.seal(try cipher.open(sealed, field: Self.cardNumberField), field: Self.cardNumberField)
                    try await sql.raw(
                        "UPDATE payment_methods SET card_number = \(bind: resealed) WHERE id = \(bind: try row.decode(column: "id", as: String.self))"
                    ).run()
                    count += 1
                }
                return (count, rows.count < batchSize ? nil : try rows.last?.decode(column: "id", as: String.self))
            }
            changed += count
            guard let last else { return changed }
            after = last
        }
    }

    // MARK: Rows

    private static func method(_ row: any SQLRow) throws -> StoredPaymentMethod {
        StoredPaymentMethod(
            id: try row.decode(column: "id", as: String.self),
            userId: try row.decode(column: "user_id", as: String.self),
            brand: CardBrand(rawValue: try row.decode(column: "brand", as: String.self)) ?? .unknown,
            last4: try row.decode(column: "last4", as: String.self),
            expMonth: Int(try row.decode(column: "exp_month", as: Int64.self)),
            expYear: Int(try row.decode(column: "exp_year", as: Int64.self)),
            createdAt: try Timestamp.parse(try row.decode(column: "created_at", as: String.self))
        )
    }

    private static func sealedCard(_ row: any SQLRow) throws -> SealedCard {
        SealedCard(
            sealedNumber: try row.decode(column: "card_number", as: String.self),
            expMonth: Int(try row.decode(column: "exp_month", as: Int64.self)),
            expYear: Int(try row.decode(column: "exp_year", as: Int64.self)),
            brand: CardBrand(rawValue: try row.decode(column: "brand", as: String.self)) ?? .unknown)
    }
}

/// A card as read from the vault, its number still sealed.
struct SealedCard: Sendable {
    var sealedNumber: String
    var expMonth: Int
    var expYear: Int
    var brand: CardBrand
}
