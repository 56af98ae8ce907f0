/// A role a user holds; each maps to a set of ``Permission``s in ``RolePermissions/table``.
public enum Role: String, Sendable, Codable, CaseIterable, Hashable {
    case customer
    case support
    case catalogManager = "catalog_manager"
    case admin
}

/// Something a request may be allowed to do. Routes ask for permissions, never for roles, so
/// what a role may do is decided in one table.
public enum Permission: String, Sendable, Codable, CaseIterable, Hashable {
    /// Read and change one's own profile, addresses, cart and orders.
    case ownAccount = "account.own"
    /// Create, change and delete products and categories.
    case catalogWrite = "catalog.write"
    /// See draft and archived products.
    case catalogReadUnpublished = "catalog.read_unpublished"
    /// Read any user's profile and orders (customer support).
    case usersRead = "users.read"
    /// Change any user's roles.
    case usersManageRoles = "users.manage_roles"
    /// Read the audit log.
    case auditRead = "audit.read"
}

/// The one table mapping roles to permissions.
public enum RolePermissions {
    public static let table: [Role: Set<Permission>] = [
        .customer: [.ownAccount],
        .support: [.ownAccount, .usersRead],
        .catalogManager: [.ownAccount, .catalogWrite, .catalogReadUnpublished],
        .admin: Set(Permission.allCases),
    ]

    /// Every permission any of `roles` grants.
    public static func permissions(of roles: some Sequence<Role>) -> Set<Permission> {
        roles.reduce(into: Set<Permission>()) { $0.formUnion(table[$1] ?? []) }
    }
}
