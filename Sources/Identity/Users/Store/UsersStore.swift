import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Foundation
import Messaging
import SQLKit
import Security
import Storage

/// The users service's SQL: profiles and addresses (personal values sealed with the data keys,
/// the email also as a blind index), role changes with their audit entry and event.
struct UsersStore: Sendable {
    static let emailField = "users.email"
    static let nameField = "users.name"
    static let phoneField = "users.phone"
    static let addressField = "users.address"

    let database: any Database
    let outbox: Outbox
    let security: SecuritySettings
    let audit: AuditLog

    // MARK: Profiles

    /// Creates the profile of a registered account (applying `identity.user.registered`).
    func createProfile(_ registered: UserRegisteredData, _ sql: any SQLDatabase) async throws {
        let email = try security.cipher.open(registered.sealedEmail, field: UserRegisteredData.emailField)
        try await sql.raw(
            """
            INSERT INTO users_profiles (id, email_index, email, name, phone, roles, created_at, updated_at)
            VALUES (\(bind: registered.userId), \(bind: security.blindIndex.email(email)), \(bind: try security.cipher.seal(email, field: Self.emailField)),
                    NULL, NULL, \(bind: try JSONText.encode(registered.roles.sorted())), \(bind: registered.registeredAt), \(bind: registered.registeredAt))
            ON CONFLICT (id) DO NOTHING
            """
        ).run()
    }

    /// The profile `id`, or nil.
    func profile(id: String) async throws -> Profile? {
        try await database.withConnection { sql in try await profile(id: id, sql) }
    }

    /// Up to `limit` profiles with ids after `after`, oldest first (ids are UUIDv7, so their order
    /// is the order of registration); only the one with `email` (any case or composition) when given.
    func profiles(email: String?, after: String?, limit: Int) async throws -> [Profile] {
        try await database.withConnection { sql in
            let rows: [any SQLRow]
            if let email {
                rows = try await sql.raw(
                    """
                    SELECT id, email, name, phone, roles, created_at, updated_at FROM users_profiles
                    WHERE email_index = \(bind: security.blindIndex.email(email)) AND id > \(bind: after ?? "")
                    """
                ).all()
            } else {
                rows = try await sql.raw(
                    """
                    SELECT id, email, name, phone, roles, created_at, updated_at FROM users_profiles
                    WHERE id > \(bind: after ?? "") ORDER BY id LIMIT \(bind: limit)
                    """
                ).all()
            }
            return try rows.map(profile(row:))
        }
    }

    /// Applies `changes` to the profile `id` (an empty string clears a field).
    /// - Returns: the profile afterwards, or nil when there is none.
    func update(id: String, _ changes: ProfileChanges, now: Date = .now) async throws -> Profile? {
        try await database.transaction { sql in
            guard try await profile(id: id, sql) != nil else { return nil }
            if let name = changes.name {
                try await sql.raw(
                    "UPDATE users_profiles SET name = \(bind: try seal(name, Self.nameField)) WHERE id = \(bind: id)"
                ).run()
            }
            if let phone = changes.phone {
                try await sql.raw(
                    "UPDATE users_profiles SET phone = \(bind: try seal(phone, Self.phoneField)) WHERE id = \(bind: id)"
                ).run()
            }
            try await sql.raw("UPDATE users_profiles SET updated_at = \(bind: Timestamp.format(now)) WHERE id = \(bind: id)").run()
            return try await profile(id: id, sql)
        }
    }

    /// Replaces the roles of user `id`, appends `roles_changed` to the audit log and records
    /// `identity.user.roles-changed`, in one transaction.
    /// - Returns: the profile afterwards, or nil when there is none.
    func setRoles(id: String, roles: [Role], by actor: String, now: Date = .now) async throws -> Profile? {
        let names = roles.map(\.rawValue).sorted()
        return try await database.transaction { sql in
            guard let before = try await profile(id: id, sql) else { return nil }
            let at = Timestamp.format(now)
            try await sql.raw(
                "UPDATE users_profiles SET roles = \(bind: try JSONText.encode(names)), updated_at = \(bind: at) WHERE id = \(bind: id)"
            ).run()
            try await audit.append(
                AuditFact(at: at, actor: actor, action: "roles_changed", target: id, details: [
                    "from": before.roles.joined(separator: ","), "to": names.joined(separator: ","),
                ]),
                sql
            )
            try await outbox.record(
                type: IdentityEvents.userRolesChanged, subject: id, data: UserRolesChangedData(userId: id, roles: names, changedBy: actor), in: sql
            )
            return try await profile(id: id, sql)
        }
    }

    // MARK: Addresses

    /// Up to `limit` addresses of user `userID` after the address id `after`, oldest first
    /// (ids are UUIDv7, so their order is the order of creation).
    func addresses(userID: String, after: String?, limit: Int) async throws -> [Address] {
        try await database.withConnection { sql in
            try await sql.raw(
                """
                SELECT address FROM users_addresses WHERE user_id = \(bind: userID) AND id > \(bind: after ?? "")
                ORDER BY id LIMIT \(bind: limit)
                """
            ).all().map { row in
                try JSONText.decode(Address.self, from: try security.cipher.open(try row.decode(column: "address", as: String.self), field: Self.addressField))
            }
        }
    }

    /// Stores an address of user `userID`, unless the user has `limit` already (counted and
    /// inserted under one lock per user, so concurrent adds cannot pass the limit).
    /// - Returns: false when the user has no profile.
    /// - Throws: ``UsersStoreError/addressLimitReached(limit:)``; nothing is written then.
    func add(_ address: Address, userID: String, limit: Int = ProfileRules.maximumAddresses, now: Date = .now) async throws -> Bool {
        try await database.transaction { sql -> Bool in
            try await database.lockForTransaction("users.addresses:\(userID)", sql)
            guard try await profile(id: userID, sql) != nil else { return false }
            let count = try await sql.raw(
                "SELECT COUNT(*) AS n FROM users_addresses WHERE user_id = \(bind: userID)"
            ).first()?.decode(column: "n", as: Int.self) ?? 0
            guard count < limit else { throw UsersStoreError.addressLimitReached(limit: limit) }
            try await sql.raw(
                """
                INSERT INTO users_addresses (id, user_id, address, created_at)
                VALUES (\(bind: address.id), \(bind: userID), \(bind: try security.cipher.seal(try JSONText.encode(address), field: Self.addressField)), \(bind: Timestamp.format(now)))
                """
            ).run()
            return true
        }
    }

    // MARK: Data-key rotation

    /// Re-encrypts every sealed value under the active data key.
    func reencryptPersonalData() async throws -> Int {
        let cipher = security.cipher
        return try await PersonalDataReencryption.run(
            database: database, table: "users_profiles", key: "id",
            columns: [("email", Self.emailField), ("name", Self.nameField), ("phone", Self.phoneField)], cipher: cipher
        ) + PersonalDataReencryption.run(
            database: database, table: "users_addresses", key: "id", columns: [("address", Self.addressField)], cipher: cipher
        )
    }

    // MARK: Rows

    private func profile(id: String, _ sql: any SQLDatabase) async throws -> Profile? {
        guard let row = try await sql.raw(
            "SELECT id, email, name, phone, roles, created_at, updated_at FROM users_profiles WHERE id = \(bind: id)"
        ).first() else { return nil }
        return try profile(row: row)
    }

    private func profile(row: any SQLRow) throws -> Profile {
        Profile(
            id: try row.decode(column: "id", as: String.self),
            email: try security.cipher.open(try row.decode(column: "email", as: String.self), field: Self.emailField),
            name: try optionalOpen(row, "name", Self.nameField),
            phone: try optionalOpen(row, "phone", Self.phoneField),
            roles: try JSONText.decode([String].self, from: try row.decode(column: "roles", as: String.self)),
            createdAt: try Timestamp.parse(try row.decode(column: "created_at", as: String.self)),
            updatedAt: try Timestamp.parse(try row.decode(column: "updated_at", as: String.self))
        )
    }

    /// An empty value is stored as NULL (cleared).
    private func seal(_ value: String, _ field: String) throws -> String? {
        value.isEmpty ? nil : try security.cipher.seal(value, field: field)
    }

    private func optionalOpen(_ row: any SQLRow, _ column: String, _ field: String) throws -> String? {
        guard try !row.decodeNil(column: column) else { return nil }
        return try security.cipher.open(try row.decode(column: column, as: String.self), field: field)
    }
}
