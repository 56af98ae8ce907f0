import EmporiumContracts
import EmporiumKit
import Foundation
import Messaging
import Security
import Storage

/// The users service: profiles and addresses (personal data encrypted at rest), roles, and the
/// hash-linked audit log (`/v1/users/*`, `/v1/audit`).
///
/// Profiles are created from `identity.user.registered`; the audit facts of the auth service
/// (`identity.audit.fact`) and the inventory (`inventory.audit.fact`) are appended to the audit
/// log as they arrive.
public struct UsersService: PersonalDataKeeping, UsersAPI {
    public let name = "users"
    public let migrations: [Migration]
    public let openAPI = Self.publicAPI
    /// The service's public routes (OpenAPI), without an instance: for the gateway, which fronts
    /// them from another process.
    public static let publicAPI = IdentityOpenAPI.users

    let store: UsersStore
    let audit: AuditLog

    public init(environment: ServiceEnvironment) {
        self.migrations = UsersMigrations.all(security: environment.security)
        self.audit = AuditLog(database: environment.database)
        self.store = UsersStore(database: environment.database, outbox: environment.outbox, security: environment.security, audit: audit)
    }

    public var eventSubscriptions: [EventSubscription] {
        let store = self.store, audit = self.audit
        return [
            EventSubscription(types: [IdentityEvents.userRegistered]) { event, sql in
                try await store.createProfile(try event.payload(as: UserRegisteredData.self), sql)
            },
            EventSubscription(types: [IdentityEvents.auditFact, InventoryEvents.auditFact, PaymentsEvents.auditFact]) { event, sql in
                try await audit.append(try event.payload(as: AuditFact.self), sql)
            },
        ]
    }

    /// Profiles, addresses and the audit log (and their errors) are never stored by caches.
    public var privatePathPrefixes: [String] { ["/v1/users", "/v1/audit"] }

    public func addRoutes(to router: ServiceRouter) {
        UsersController(store: store, audit: audit).addRoutes(to: router)
        InternalUsersController(users: self).addRoutes(to: router)
    }

    // MARK: UsersAPI

    /// The profile's email and name; nil for an unknown (or malformed) user id.
    public func contact(ofUser userId: String) async throws -> UserContact? {
        guard let id = UUID(uuidString: userId), let profile = try await store.profile(id: id.uuidString.lowercased()) else { return nil }
        return UserContact(userId: profile.id, email: profile.email, name: profile.name)
    }

    // MARK: Administration (`emporium admin …`)

    /// Checks the audit log's hash chain.
    /// - Returns: how many entries were checked, and the first one that was altered, removed or
    ///   moved (nil when the log is intact).
    public func verifyAudit() async throws -> (entries: Int, firstBreak: AuditChain.Break?) {
        try await audit.verify()
    }

    /// Re-encrypts the users database's sealed values under the active data key.
    public func reencryptPersonalData() async throws -> Int {
        try await store.reencryptPersonalData()
    }
}
