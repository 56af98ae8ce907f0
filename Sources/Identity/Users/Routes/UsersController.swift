import EmporiumCore
import EmporiumKit
import Foundation
import HTTPTypes
import Hummingbird
import Security
import Storage

/// `/v1/users/*` and `/v1/audit`: thin handlers over ``UsersStore``, ``ProfileRules`` and ``AuditLog``.
struct UsersController: Sendable {
    let store: UsersStore
    let audit: AuditLog

    func addRoutes(to router: ServiceRouter) {
        router.get("/v1/users/me", use: me)
        router.patch("/v1/users/me", use: updateMe)
        router.get("/v1/users/me/addresses", use: myAddresses)
        router.post("/v1/users/me/addresses", use: addAddress)
        router.get("/v1/users", use: users)
        router.get("/v1/users/{id}", use: user)
        router.put("/v1/users/{id}/roles", use: setRoles)
        router.get("/v1/audit", use: auditEntries)
    }

    /// A profile as the API shows it.
    struct ProfileResource: ResponseEncodable {
        var id: String
        var email: String
        var name: String?
        var phone: String?
        var roles: [String]
        var createdAt: String
        var updatedAt: String

        init(_ profile: Profile) {
            id = profile.id
            email = profile.email
            name = profile.name
            phone = profile.phone
            roles = profile.roles
            createdAt = Timestamp.format(profile.createdAt)
            updatedAt = Timestamp.format(profile.updatedAt)
        }
    }

    /// The caller's profile.
    @Sendable func me(_ request: Request, context: EmporiumRequestContext) async throws -> ProfileResource {
        let principal = try context.requirePermission(.ownAccount)
        return ProfileResource(try await Self.existing(try await store.profile(id: principal.subject)))
    }

    /// Changes the caller's name or phone.
    @Sendable func updateMe(_ request: Request, context: EmporiumRequestContext) async throws -> ProfileResource {
        let principal = try context.requirePermission(.ownAccount)
        let changes = try ProfileRules.validate(try await request.decodeJSON(as: ProfileChanges.self, context: context))
        return ProfileResource(try await Self.existing(try await store.update(id: principal.subject, changes)))
    }

    /// The caller's addresses, oldest first, a page at a time.
    @Sendable func myAddresses(_ request: Request, context: EmporiumRequestContext) async throws -> Page<Address> {
        let principal = try context.requirePermission(.ownAccount)
        let page = try PageRequest(query: request.queryParameters)
        let addresses = try await store.addresses(userID: principal.subject, after: page.after, limit: page.limit + 1)
        let shown = Array(addresses.prefix(page.limit))
        return Page(items: shown, nextCursor: addresses.count > page.limit ? shown.last.map { Cursor.encode($0.id) } : nil)
    }

    /// Adds an address for the caller (at most ``ProfileRules/maximumAddresses``).
    @Sendable func addAddress(_ request: Request, context: EmporiumRequestContext) async throws -> EditedResponse<Address> {
        let principal = try context.requirePermission(.ownAccount)
        let address = try ProfileRules.validate(try await request.decodeJSON(as: NewAddress.self, context: context), id: UUID.v7().lowercased)
        do {
            guard try await store.add(address, userID: principal.subject) else { throw Self.noProfile }
        } catch UsersStoreError.addressLimitReached {
            throw ProfileRules.tooManyAddresses
        }
        return EditedResponse(status: .created, response: address)
    }

    /// Every user's profile, oldest first, a page at a time; `email` finds one account (support, admin).
    @Sendable func users(_ request: Request, context: EmporiumRequestContext) async throws -> Page<ProfileResource> {
        try context.requirePermission(.usersRead)
        let page = try PageRequest(query: request.queryParameters)
        let email = request.queryParameters["email"].flatMap { $0.isEmpty ? nil : String($0) }
        let profiles = try await store.profiles(email: email, after: page.after, limit: page.limit + 1)
        let shown = Array(profiles.prefix(page.limit))
        return Page(
            items: shown.map(ProfileResource.init),
            nextCursor: profiles.count > page.limit ? shown.last.map { Cursor.encode($0.id) } : nil)
    }

    /// Any user's profile (support, admin).
    @Sendable func user(_ request: Request, context: EmporiumRequestContext) async throws -> ProfileResource {
        try context.requirePermission(.usersRead)
        let id = try context.uuidParameter("id").lowercased
        guard let profile = try await store.profile(id: id) else { throw ProblemDetails.notFound("No user has id \(id).") }
        return ProfileResource(profile)
    }

    /// Replaces a user's roles (admin); audited, and published for the auth service.
    @Sendable func setRoles(_ request: Request, context: EmporiumRequestContext) async throws -> ProfileResource {
        let principal = try context.requirePermission(.usersManageRoles)
        let id = try context.uuidParameter("id").lowercased
        let roles = try ProfileRules.roles(try await request.decodeJSON(as: RolesRequest.self, context: context))
        guard let profile = try await store.setRoles(id: id, roles: roles, by: principal.subject) else {
            throw ProblemDetails.notFound("No user has id \(id).")
        }
        return ProfileResource(profile)
    }

    /// One audit entry as the API shows it.
    struct AuditEntryResource: Encodable, Sendable {
        var sequence: Int64
        var at: String
        var actor: String
        var action: String
        var target: String
        var details: [String: String]
        var previousHash: String
        var hash: String

        init(_ entry: AuditEntry) {
            sequence = entry.sequence
            at = entry.at
            actor = entry.actor
            action = entry.action
            target = entry.target
            details = (try? JSONText.decode([String: String].self, from: entry.details)) ?? [:]
            previousHash = entry.previousHash
            hash = entry.hash
        }
    }

    /// The audit log, oldest first, a page at a time (admin).
    @Sendable func auditEntries(_ request: Request, context: EmporiumRequestContext) async throws -> Page<AuditEntryResource> {
        try context.requirePermission(.auditRead)
        let page = try PageRequest(query: request.queryParameters)
        var after: Int64 = 0
        if let key = page.after {
            guard let sequence = Int64(key), sequence >= 0 else { throw ProblemDetails.unprocessable([Cursor.unknown]) }
            after = sequence
        }
        let entries = try await audit.entries(after: after, limit: page.limit + 1)
        let shown = entries.prefix(page.limit)
        return Page(
            items: shown.map(AuditEntryResource.init),
            nextCursor: entries.count > page.limit ? shown.last.map { Cursor.encode("\($0.sequence)") } : nil
        )
    }


    private static func existing(_ profile: Profile?) throws -> Profile {
        guard let profile else { throw noProfile }
        return profile
    }

    static let noProfile = ProblemDetails.notFound(
        "Your profile does not exist yet: it is created moments after registration. Try again shortly."
    )
}

extension Address: ResponseEncodable {}
