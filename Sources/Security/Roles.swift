/// A role a user holds; each maps to a set of ``Permission``s in ``RolePermissions/table``.
public enum Role: String, Sendable, Codable, CaseIterable, Hashable {
    case customer
    case support
    case catalogManager = "catalog_manager"
    case admin
}

/// Something a request may be allowed to do. Routes ask for permissions, never for roles.
///
/// A permission is added in one place: a case here, and the roles that hold it in
/// ``grantedTo`` (the compiler asks for it); ``RolePermissions/table`` is derived from that.
/// `admin` holds every permission.
public enum Permission: String, Sendable, Codable, CaseIterable, Hashable {
    /// Read and change one's own profile, addresses, cart, orders, payment methods and payments.
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
    /// Set an SKU's stock by hand (`PUT /v1/inventory/{sku}`).
    case inventoryWrite = "inventory.write"
    /// See any user's payments (customer support); a customer sees their own with ``ownAccount``.
    case paymentsRead = "payments.read"
    /// Refund captured payments (customer support); audited.
    case paymentsRefund = "payments.refund"
    /// See and search every order and its event stream (customer support); a customer sees
    /// their own with ``ownAccount``.
    case ordersRead = "orders.read"
    /// Ship, deliver and cancel any order (customer support).
    case ordersFulfil = "orders.fulfil"
    /// See every user's notification deliveries: channel, status, tries, last error (customer support).
    case notificationsRead = "notifications.read"
    /// Subscribe webhooks to every event of the shop, not only one's own.
    case webhooksShop = "webhooks.shop"

    /// The roles besides `admin` that hold this permission.
    public var grantedTo: Set<Role> {
        switch self {
        case .ownAccount: [.customer, .support, .catalogManager]
        case .catalogWrite, .catalogReadUnpublished, .inventoryWrite: [.catalogManager]
        case .usersRead, .paymentsRead, .paymentsRefund, .ordersRead, .ordersFulfil, .notificationsRead: [.support]
        case .usersManageRoles, .auditRead, .webhooksShop: []
        }
    }
}

/// The role → permission table, derived from ``Permission/grantedTo``.
public enum RolePermissions {
    public static let table: [Role: Set<Permission>] = Dictionary(uniqueKeysWithValues: Role.allCases.map { role in
        (role, Set(Permission.allCases.filter { role == .admin || $0.grantedTo.contains(role) }))
    })

    /// Every permission any of `roles` grants.
    public static func permissions(of roles: some Sequence<Role>) -> Set<Permission> {
        roles.reduce(into: Set<Permission>()) { $0.formUnion(table[$1] ?? []) }
    }
}
