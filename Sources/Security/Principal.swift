public import Foundation

/// Who a request acts for, from a verified access token.
public struct Principal: Sendable, Hashable {
    /// The user id (`sub`).
    public var subject: String
    /// The roles in the token.
    public var roles: Set<Role>
    /// The token's id (`jti`), for audit entries.
    public var tokenID: String
    /// When the token expires.
    public var expiresAt: Date

    public init(subject: String, roles: Set<Role>, tokenID: String, expiresAt: Date) {
        self.subject = subject
        self.roles = roles
        self.tokenID = tokenID
        self.expiresAt = expiresAt
    }

    /// Everything the roles allow.
    public var permissions: Set<Permission> { RolePermissions.permissions(of: roles) }

    /// Whether the roles allow `permission` (without building the set of every permission).
    public func may(_ permission: Permission) -> Bool {
        roles.contains { RolePermissions.table[$0]?.contains(permission) == true }
    }
}
