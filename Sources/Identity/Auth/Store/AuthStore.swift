import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Foundation
import Messaging
import SQLKit
import Security
import Storage

/// An account as the auth service keeps it.
struct Account: Sendable, Equatable {
    var id: String
    var roles: Set<Role>
    var passwordHash: String
}

/// What presenting a refresh token led to.
enum RefreshOutcome: Sendable {
    /// Exchanged: the new refresh token, and the account to issue an access token for.
    case rotated(refreshToken: String, account: Account)
    /// The token had already been exchanged: its whole family is now revoked.
    case reused(familyID: String)
    case unknown
    case expired
    case revoked
}

/// The auth service's SQL: accounts, refresh-token families, failed-login counts. Every change
/// that other services or the audit log must learn of records its event in the same transaction.
struct AuthStore: Sendable {
    static let emailField = "auth.email"

    let database: any Database
    let outbox: Outbox
    let security: SecuritySettings

    // MARK: Accounts

    /// Creates an account and records `identity.user.registered` (plus an audit fact).
    /// - Throws: a 409 problem when the email has an account already; nothing is written then.
    func createAccount(email: String, passwordHash: String, roles: Set<Role>, createdBy: String? = nil, now: Date = .now) async throws -> Account {
        let id = UUID.v7().lowercased
        let at = Timestamp.format(now)
        let sortedRoles = roles.map(\.rawValue).sorted()
        do {
            try await database.transaction { sql in
                try await sql.raw(
                    """
                    INSERT INTO auth_accounts (id, email_index, email, password_hash, roles, created_at, updated_at)
                    VALUES (\(bind: id), \(bind: security.blindIndex.email(email)), \(bind: try security.cipher.seal(email, field: Self.emailField)),
                            \(bind: passwordHash), \(bind: try JSONText.encode(sortedRoles)), \(bind: at), \(bind: at))
                    """
                ).run()
                let data = UserRegisteredData(
                    userId: id, sealedEmail: try security.cipher.seal(email, field: UserRegisteredData.emailField),
                    roles: sortedRoles, registeredAt: at
                )
                try await outbox.record(type: IdentityEvents.userRegistered, subject: id, data: data, in: sql)
                try await outbox.record(
                    type: IdentityEvents.auditFact, subject: id,
                    data: AuditFact(at: at, actor: createdBy ?? id, action: "user_created", target: id, details: ["roles": sortedRoles.joined(separator: ",")]),
                    in: sql
                )
            }
        } catch where isUniqueViolation(error) {
            throw AuthStoreError.emailTaken
        }
        return Account(id: id, roles: roles, passwordHash: passwordHash)
    }

    /// The account whose email has blind index `emailIndex`.
    func account(emailIndex: String) async throws -> Account? {
        try await database.withConnection { sql in
            try await sql.raw("SELECT id, roles, password_hash FROM auth_accounts WHERE email_index = \(bind: emailIndex)").first()
                .map(Self.account)
        }
    }

    /// Replaces an account's roles (applying `identity.user.roles-changed`).
    func setRoles(accountID: String, roles: [String], _ sql: any SQLDatabase, now: Date = .now) async throws {
        try await sql.raw(
            "UPDATE auth_accounts SET roles = \(bind: try JSONText.encode(roles.sorted())), updated_at = \(bind: Timestamp.format(now)) WHERE id = \(bind: accountID)"
        ).run()
    }

    // MARK: Failed logins

    /// The `email_index` of the row that counts a client address's attempts across accounts
    /// (a blind index is hex, so it never clashes).
    static let anyAccount = "*"

    /// Counts a login attempt for `emailIndex` from `client` *before* its password is checked,
    /// atomically on both engines and across instances (one transaction serialised per client
    /// address: an advisory lock on PostgreSQL, SQLite's single writer): each admitted attempt
    /// adds one to the pair's count and to the address's, and takes at once the lock a failure
    /// would cause (``startSession(account:client:emailIndex:addressThrottle:now:)`` lifts it).
    /// So concurrent attempts never check more passwords than the throttles allow.
    /// - Returns: ``LoginAdmission/admitted``, or the lock in force (nothing is counted then).
    func admitLogin(
        emailIndex: String, client: String, account: LoginThrottle = .account, address: LoginThrottle = .address, now: Date = .now
    ) async throws -> LoginAdmission {
        try await database.transaction { sql -> LoginAdmission in
            try await database.lockForTransaction("auth.login:\(client)", sql)
            let pair = try await failureRow(emailIndex: emailIndex, client: client, sql)
            let whole = try await failureRow(emailIndex: Self.anyAccount, client: client, sql)
            if let until = pair?.lockedUntil, until > now { return .locked(until: until, scope: .account) }
            if let until = whole?.lockedUntil, until > now { return .locked(until: until, scope: .address) }
            try await count(emailIndex: emailIndex, client: client, row: pair, throttle: account, now: now, sql)
            try await count(emailIndex: Self.anyAccount, client: client, row: whole, throttle: address, now: now, sql)
            return .admitted
        }
    }

    /// Records a failed login (already counted by ``admitLogin``) for the audit log.
    func recordFailedLogin(emailIndex: String, accountID: String?, client: String, now: Date = .now) async throws {
        let at = Timestamp.format(now)
        try await database.transaction { sql in
            let failures = try await failureRow(emailIndex: emailIndex, client: client, sql)?.failures ?? 1
            try await outbox.record(
                type: IdentityEvents.auditFact, subject: accountID,
                data: AuditFact(
                    at: at, actor: accountID ?? "email:\(emailIndex.prefix(16))", action: "login_failed", target: accountID ?? "unknown account",
                    details: ["client": client, "consecutiveFailures": "\(failures)"]
                ),
                in: sql
            )
        }
    }

    private struct FailureRow {
        var failures: Int
        var lockedUntil: Date?
        var updatedAt: Date
    }

    private func failureRow(emailIndex: String, client: String, _ sql: any SQLDatabase) async throws -> FailureRow? {
        guard let row = try await sql.raw(
            "SELECT failures, locked_until, updated_at FROM auth_login_failures WHERE email_index = \(bind: emailIndex) AND client = \(bind: client)"
        ).first() else { return nil }
        return FailureRow(
            failures: try row.decode(column: "failures", as: Int.self),
            lockedUntil: try row.decodeNil(column: "locked_until") ? nil : try Timestamp.parse(try row.decode(column: "locked_until", as: String.self)),
            updatedAt: try Timestamp.parse(try row.decode(column: "updated_at", as: String.self))
        )
    }

    /// Adds one attempt to a row (creating it), with the lock the count reaches if this attempt fails.
    private func count(emailIndex: String, client: String, row: FailureRow?, throttle: LoginThrottle, now: Date, _ sql: any SQLDatabase) async throws {
        var previous = row?.failures ?? 0
        if let row, let forget = throttle.forgetAfter, now.timeIntervalSince(row.updatedAt) > TimeInterval(forget.components.seconds) {
            previous = 0
        }
        let failures = previous + 1
        let lockedUntil = throttle.lock(afterFailures: failures).map { Timestamp.format(now.addingTimeInterval(TimeInterval($0.components.seconds))) }
        try await sql.raw(
            """
            INSERT INTO auth_login_failures (email_index, client, failures, locked_until, updated_at)
            VALUES (\(bind: emailIndex), \(bind: client), \(bind: failures), \(bind: lockedUntil), \(bind: Timestamp.format(now)))
            ON CONFLICT (email_index, client) DO UPDATE
                SET failures = excluded.failures, locked_until = excluded.locked_until, updated_at = excluded.updated_at
            """
        ).run()
    }

    // MARK: Sessions (refresh-token families)

    /// Starts a session after a successful login: clears the account's failure count (and its
    /// lock), takes this attempt back from the address's count (lifting the address lock once
    /// under `addressThrottle`'s limit), stores a refresh token of a new family and records the
    /// login for the audit log.
    /// - Returns: the refresh token (only its hash is stored).
    func startSession(account: Account, client: String, emailIndex: String, addressThrottle: LoginThrottle = .address, now: Date = .now) async throws -> String {
        let token = RefreshToken.generate()
        let family = UUID.v7().lowercased
        try await database.transaction { sql in
            try await database.lockForTransaction("auth.login:\(client)", sql)
            try await sql.raw(
                "DELETE FROM auth_login_failures WHERE email_index = \(bind: emailIndex) AND client = \(bind: client)"
            ).run()
            if let whole = try await failureRow(emailIndex: Self.anyAccount, client: client, sql) {
                let failures = max(0, whole.failures - 1)
                let keepLock = addressThrottle.lock(afterFailures: failures) != nil
                try await sql.raw(
                    """
                    UPDATE auth_login_failures SET failures = \(bind: failures),
                        locked_until = \(unsafeRaw: keepLock ? "locked_until" : "NULL")
                    WHERE email_index = \(bind: Self.anyAccount) AND client = \(bind: client)
                    """
                ).run()
            }
            try await insertRefreshToken(token, family: family, accountID: account.id, now: now, sql)
            try await outbox.record(
                type: IdentityEvents.auditFact, subject: account.id,
                data: AuditFact(at: Timestamp.format(now), actor: account.id, action: "login", target: account.id, details: ["client": client, "family": family]),
                in: sql
            )
        }
        return token
    }

    /// Exchanges a refresh token for a new one of the same family. Presenting a token that was
    /// exchanged before revokes the whole family (someone holds a copy) and records that.
    func rotate(_ token: String, client: String, now: Date = .now) async throws -> RefreshOutcome {
        let hash = RefreshToken.hash(token)
        let at = Timestamp.format(now)
        return try await database.transaction { sql -> RefreshOutcome in
            guard let row = try await sql.raw(
                """
                SELECT t.family_id, t.expires_at, t.rotated_at, t.revoked_at, a.id, a.roles, a.password_hash
                FROM auth_refresh_tokens t JOIN auth_accounts a ON a.id = t.account_id
                WHERE t.token_hash = \(bind: hash)
                """
            ).first() else { return .unknown }
            let family = try row.decode(column: "family_id", as: String.self)
            let account = try Self.account(row)
            if try !row.decodeNil(column: "revoked_at") { return .revoked }
            let exchangedBefore = try !row.decodeNil(column: "rotated_at")
            if !exchangedBefore, try Timestamp.parse(try row.decode(column: "expires_at", as: String.self)) <= now {
                return .expired
            }
            // Claimed only if nobody exchanged it in the meantime (a concurrent request).
            let claimed = exchangedBefore ? [] : try await sql.raw(
                """
                UPDATE auth_refresh_tokens SET rotated_at = \(bind: at)
                WHERE token_hash = \(bind: hash) AND rotated_at IS NULL AND revoked_at IS NULL
                RETURNING family_id
                """
            ).all()
            if claimed.isEmpty {
                try await revokeFamily(family, accountID: account.id, reason: "reuse", client: client, now: now, sql)
                return .reused(familyID: family)
            }
            let next = RefreshToken.generate()
            try await insertRefreshToken(next, family: family, accountID: account.id, now: now, sql)
            return .rotated(refreshToken: next, account: account)
        }
    }

    /// Revokes the family of `token` (logout).
    /// - Returns: false when the token is unknown.
    func logout(_ token: String, client: String, now: Date = .now) async throws -> Bool {
        let hash = RefreshToken.hash(token)
        return try await database.transaction { sql in
            guard let row = try await sql.raw(
                "SELECT family_id, account_id, revoked_at FROM auth_refresh_tokens WHERE token_hash = \(bind: hash)"
            ).first() else { return false }
            if try row.decodeNil(column: "revoked_at") {
                let family = try row.decode(column: "family_id", as: String.self)
                let accountID = try row.decode(column: "account_id", as: String.self)
                try await revokeFamily(family, accountID: accountID, reason: "logout", client: client, now: now, sql)
            }
            return true
        }
    }

    private func revokeFamily(_ family: String, accountID: String, reason: String, client: String, now: Date, _ sql: any SQLDatabase) async throws {
        try await sql.raw(
            "UPDATE auth_refresh_tokens SET revoked_at = \(bind: Timestamp.format(now)) WHERE family_id = \(bind: family) AND revoked_at IS NULL"
        ).run()
        try await outbox.record(
            type: IdentityEvents.auditFact, subject: accountID,
            data: AuditFact(
                at: Timestamp.format(now), actor: accountID, action: reason == "logout" ? "logout" : "token_family_revoked", target: family,
                details: ["reason": reason, "client": client]
            ),
            in: sql
        )
    }

    private func insertRefreshToken(_ token: String, family: String, accountID: String, now: Date, _ sql: any SQLDatabase) async throws {
        let expires = now.addingTimeInterval(TimeInterval(security.refreshTokenLifetime.components.seconds))
        try await sql.raw(
            """
            INSERT INTO auth_refresh_tokens (token_hash, family_id, account_id, issued_at, expires_at)
            VALUES (\(bind: RefreshToken.hash(token)), \(bind: family), \(bind: accountID), \(bind: Timestamp.format(now)), \(bind: Timestamp.format(expires)))
            """
        ).run()
    }

    // MARK: Housekeeping

    /// Deletes failure counts untouched for a day (and no longer locking) and refresh tokens
    /// that expired more than a week ago, so neither table grows without bound (failed logins
    /// for made-up emails add rows too).
    /// - Returns: how many rows were deleted.
    func prune(now: Date = .now) async throws -> Int {
        let dayAgo = Timestamp.format(now.addingTimeInterval(-24 * 3600))
        let weekAgo = Timestamp.format(now.addingTimeInterval(-7 * 24 * 3600))
        let nowText = Timestamp.format(now)
        return try await database.transaction { sql in
            let failures = try await sql.raw(
                """
                DELETE FROM auth_login_failures
                WHERE updated_at < \(bind: dayAgo) AND (locked_until IS NULL OR locked_until < \(bind: nowText))
                RETURNING client
                """
            ).all().count
            let tokens = try await sql.raw(
                "DELETE FROM auth_refresh_tokens WHERE expires_at < \(bind: weekAgo) RETURNING family_id"
            ).all().count
            return failures + tokens
        }
    }

    // MARK: Data-key rotation

    /// Re-encrypts every sealed email under the active data key.
    /// - Returns: how many values were re-encrypted.
    func reencryptPersonalData() async throws -> Int {
        try await PersonalDataReencryption.run(
            database: database, table: "auth_accounts", key: "id", columns: [("email", Self.emailField)], cipher: security.cipher
        )
    }

    private static func account(_ row: any SQLRow) throws -> Account {
        let names = try JSONText.decode([String].self, from: try row.decode(column: "roles", as: String.self))
        return Account(
            id: try row.decode(column: "id", as: String.self),
            roles: Set(names.compactMap(Role.init(rawValue:))),
            passwordHash: try row.decode(column: "password_hash", as: String.self)
        )
    }
}
