import EmporiumCore
import EmporiumKit
import Foundation
import JWTKit
import SQLKit
import Security
import Storage

/// The signing keys in the auth database, private keys sealed with the data keys.
struct SigningKeyStore: Sendable {
    static let privateKeyField = "auth.signing_key"

    let database: any Database
    let security: SecuritySettings

    /// The stored ring; one new key is created (and stored) when there is none yet.
    func ring() async throws -> SigningKeyRing {
        if let ring = try await load() { return ring }
        try await database.transaction { sql in
            try await database.lockForTransaction("auth.signing_keys", sql)
            // Another instance may have created it while we waited for the lock.
            guard try await Self.rows(sql).isEmpty else { return }
            try await insert(SigningKeyRing(tokenLifetime: security.accessTokenLifetime).activeKey, sql)
        }
        guard let ring = try await load() else { throw SigningKeyRingError.empty }
        return ring
    }

    /// Retires the active key, adds a new one, and drops keys whose tokens have all expired.
    /// - Returns: the ring afterwards.
    @discardableResult
    func rotate(now: Date = .now) async throws -> SigningKeyRing {
        _ = try await ring()
        return try await database.transaction { sql in
            try await database.lockForTransaction("auth.signing_keys", sql)
            let stored = try await Self.rows(sql).map(open)
            var ring = try SigningKeyRing(keys: stored, tokenLifetime: security.accessTokenLifetime)
                let previous = Set(ring.keys.map(\.id))
                ring.rotate(now: now)
                try await sql.raw(
                    "UPDATE auth_signing_keys SET retired_at = \(bind: Timestamp.format(now)) WHERE retired_at IS NULL"
                ).run()
                try await insert(ring.activeKey, sql)
                for id in previous.subtracting(ring.keys.map(\.id)) {
                    try await sql.raw("DELETE FROM auth_signing_keys WHERE id = \(bind: id)").run()
                }
                return ring
        }
    }

    /// Re-encrypts the sealed private keys under the active data key.
    func reencrypt() async throws -> Int {
        try await PersonalDataReencryption.run(
            database: database, table: "auth_signing_keys", key: "id", columns: [("private_key", Self.privateKeyField)], cipher: security.cipher
        )
    }

    private func load() async throws -> SigningKeyRing? {
        let rows = try await database.withConnection { sql in try await Self.rows(sql) }
        let keys = try rows.map(open)
        guard !keys.isEmpty, keys[0].retiredAt == nil else { return nil }
        var ring = try SigningKeyRing(keys: keys, tokenLifetime: security.accessTokenLifetime)
        ring.prune()
        return ring
    }

    private static func rows(_ sql: any SQLDatabase) async throws -> [any SQLRow] {
        try await sql.raw("SELECT id, private_key, created_at, retired_at FROM auth_signing_keys ORDER BY created_at DESC, id DESC").all()
    }

    private func open(_ row: any SQLRow) throws -> SigningKeyRing.Key {
        let pem = try security.cipher.open(try row.decode(column: "private_key", as: String.self), field: Self.privateKeyField)
        return SigningKeyRing.Key(
            id: try row.decode(column: "id", as: String.self),
            privateKey: try ES256PrivateKey(pem: pem),
            createdAt: try Timestamp.parse(try row.decode(column: "created_at", as: String.self)),
            retiredAt: try row.decodeNil(column: "retired_at") ? nil : try Timestamp.parse(try row.decode(column: "retired_at", as: String.self))
        )
    }

    private func insert(_ key: SigningKeyRing.Key, _ sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO auth_signing_keys (id, private_key, created_at, retired_at)
            VALUES (\(bind: key.id), \(bind: try security.cipher.seal(key.privateKey.pemRepresentation, field: Self.privateKeyField)),
                    \(bind: Timestamp.format(key.createdAt)), NULL)
            """
        ).run()
    }
}
