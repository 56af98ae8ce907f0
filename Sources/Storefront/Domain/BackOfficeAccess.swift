import Security

/// The back office's sections and who may open them: each needs one permission of the API it
/// drives, so a page is refused exactly when the API would refuse its calls.
///
/// The permissions come from the roles in the visitor's access token (``AccessTokenClaims``),
/// read without verifying it: they choose what to show, never what is allowed. Every action is
/// a call of the API with the visitor's token, which checks the permission itself.
enum BackOfficeSection: String, CaseIterable, Sendable {
    case products
    case orders
    case users
    case audit

    /// The permission the section needs.
    var permission: Permission {
        switch self {
        case .products: .catalogWrite
        case .orders: .ordersRead
        case .users: .usersRead
        case .audit: .auditRead
        }
    }

    var label: String {
        switch self {
        case .products: "Products and stock"
        case .orders: "Orders"
        case .users: "Users and roles"
        case .audit: "Audit log"
        }
    }

    var summary: String {
        switch self {
        case .products: "Create, edit and archive products; set stock levels."
        case .orders: "Find orders, follow their events, ship, cancel and refund."
        case .users: "Find accounts and change their roles."
        case .audit: "Who changed roles, stock and refunds, and when."
        }
    }

    var path: String { "/admin/\(rawValue)" }

    /// The sections `permissions` open, in menu order.
    static func open(to permissions: Set<Permission>) -> [BackOfficeSection] {
        allCases.filter { permissions.contains($0.permission) }
    }

    /// Whether `permissions` open any section (the visitor is staff).
    static func isStaff(_ permissions: Set<Permission>) -> Bool {
        !open(to: permissions).isEmpty
    }
}

/// Where a sign-in may send the visitor back to: a path of this site only (`/admin/orders?x=1`),
/// never another site (`//evil.example`, `https://…`, `/\evil`).
enum LocalRedirect {
    static func path(_ candidate: String?) -> String? {
        guard let candidate, candidate.hasPrefix("/"), !candidate.hasPrefix("//"), !candidate.hasPrefix("/\\"),
            candidate.count <= 512, !candidate.contains(where: { $0.isWhitespace || $0 == "\\" || $0.asciiValue.map { $0 < 32 } ?? false })
        else { return nil }
        return candidate
    }
}
