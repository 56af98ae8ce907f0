import Cart
import Catalog
import EmporiumContracts
import Gateway
import Foundation
import Identity
import Inventory
import Notifications
import Ordering
import Payments
import Recommendations
import Storefront
public import EmporiumKit

/// The services this build knows, with their dependencies: the one place that lists them.
///
/// `all` selects every service. Adding a service means adding its module here and nowhere else.
public struct ServiceTable: Sendable {
    /// The modules, in the order `--list-services` prints them.
    public let modules: [ServiceModule]

    public init(modules: [ServiceModule]) {
        self.modules = modules
    }

    /// Every service of Emporium.
    public static let standard = ServiceTable(modules: [
        ServiceModule(
            name: "auth", summary: "registration, login, access and refresh tokens, signing keys (/v1/auth, /.well-known/jwks.json)",
            storesPersonalData: true
        ) {
            AuthService(environment: $0)
        },
        ServiceModule(name: "users", summary: "profiles, addresses, roles and the audit log (/v1/users, /v1/audit)", storesPersonalData: true) {
            UsersService(environment: $0)
        },
        ServiceModule(name: "catalog", summary: "products, variants and categories (/v1/products, /v1/categories)") {
            CatalogService(environment: $0)
        },
        ServiceModule(
            name: "payments", summary: "saved cards (a vault), payments of orders, refunds (/v1/payment-methods, /v1/payments)",
            storesPersonalData: true
        ) {
            try PaymentsService.configured(environment: $0)
        },
        ServiceModule(name: "cart", calls: ["catalog", "inventory"], summary: "carts of guests and users, priced from the catalog (/v1/cart)") { env in
            try CartService(
                environment: env,
                catalog: env.peers.api("catalog", as: (any CatalogPricing).self, remote: HTTPCatalogPricing.init),
                inventory: env.peers.api("inventory", as: (any InventoryAPI).self, remote: HTTPInventoryAPI.init))
        },
        ServiceModule(name: "inventory", summary: "stock levels and reservations (/v1/inventory)") { try InventoryService(environment: $0) },
        ServiceModule(
            name: "orders", calls: ["cart", "catalog", "inventory", "payments"],
            summary: "checkout and orders, each an event stream (/v1/checkout, /v1/orders)", storesPersonalData: true
        ) { env in
            try OrdersService(
                environment: env,
                cart: env.peers.api("cart", as: (any CartAPI).self, remote: HTTPCartAPI.init),
                catalog: env.peers.api("catalog", as: (any CatalogPricing).self, remote: HTTPCatalogPricing.init),
                inventory: env.peers.api("inventory", as: (any InventoryAPI).self, remote: HTTPInventoryAPI.init),
                payments: env.peers.api("payments", as: (any PaymentsAPI).self, remote: HTTPPaymentsAPI.init))
        },
        ServiceModule(
            name: "notifications", calls: ["users"],
            summary: "email, webhooks and in-app notifications of registrations and orders (/v1/notifications, /v1/webhooks)",
            storesPersonalData: true
        ) { env in
            try await NotificationsService.configured(
                environment: env, users: env.peers.api("users", as: (any UsersAPI).self, remote: HTTPUsersAPI.init))
        },
        ServiceModule(
            name: "recommendations", calls: ["inventory"],
            summary: "products bought together and popular, from confirmed orders (/v1/recommendations)"
        ) { env in
            try RecommendationsService(
                environment: env, inventory: env.peers.api("inventory", as: (any InventoryAPI).self, remote: HTTPInventoryAPI.init))
        },
        ServiceModule(
            name: "storefront",
            summary: "the shop's web pages, a client of the public API (storefront.apiURL, this process by default) (/, /search, /products, /cart, …)",
            keepsData: false
        ) { env in
            try await StorefrontService.configured(environment: env)
        },
        ServiceModule(
            name: "gateway", fronts: GatewayRoutes.standard.services,
            summary: "the API gateway: routes to the services of other processes (services.<name>.url), with health checks, breakers and retries",
            keepsData: false
        ) { env in
            try GatewayService(environment: env, fronted: [
                "auth": AuthService.publicAPI, "users": UsersService.publicAPI, "catalog": CatalogService.publicAPI,
                "cart": CartService.publicAPI, "inventory": InventoryService.publicAPI, "orders": OrdersService.publicAPI,
                "payments": PaymentsService.publicAPI, "notifications": NotificationsService.publicAPI,
                "recommendations": RecommendationsService.publicAPI, "storefront": StorefrontService.publicAPI,
            ])
        },
    ])

    /// The services that keep personal data (`storesPersonalData`).
    public var personalDataServices: [String] {
        modules.filter(\.storesPersonalData).map(\.name)
    }

    /// The name that selects every service.
    public static let allTarget = "all"

    /// The modules named in `selection` ("all" or a comma-separated list) plus their dependencies,
    /// ordered so that each comes after what it depends on.
    /// - Throws: ``ServiceSelectionError`` for an unknown name, an empty list or a dependency cycle.
    public func resolve(_ selection: String) throws(ServiceSelectionError) -> [ServiceModule] {
        let names = selection.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw .empty(valid: validNames) }
        var wanted: [String] = []
        for name in names {
            if name == Self.allTarget {
                wanted += modules.map(\.name)
            } else if modules.contains(where: { $0.name == name }) {
                wanted.append(name)
            } else {
                throw .unknown(name, valid: validNames)
            }
        }
        // The selection: what was named, plus what it depends on.
        var selected: Set<String> = []
        func select(_ name: String) throws(ServiceSelectionError) {
            guard selected.insert(name).inserted else { return }
            guard let module = modules.first(where: { $0.name == name }) else { throw .unknown(name, valid: validNames) }
            for dependency in module.dependencies { try select(dependency) }
        }
        for name in wanted { try select(name) }
        // The order: each after what it depends on and after the selected services it calls
        // or fronts (so they can be handed over as themselves).
        var ordered: [ServiceModule] = []
        var visiting: [String] = []
        func visit(_ name: String) throws(ServiceSelectionError) {
            if ordered.contains(where: { $0.name == name }) { return }
            if let start = visiting.firstIndex(of: name) {
                throw .cycle(visiting[start...] + [name])
            }
            guard let module = modules.first(where: { $0.name == name }) else {
                throw .unknown(name, valid: validNames)
            }
            visiting.append(name)
            for dependency in module.dependencies { try visit(dependency) }
            for callee in module.calls + module.fronts where selected.contains(callee) { try visit(callee) }
            visiting.removeLast()
            ordered.append(module)
        }
        for name in wanted { try visit(name) }
        return ordered
    }

    /// The services that `module` calls and that do not run in this process (`selection`): they
    /// must be reachable at `services.<name>.url`.
    public func remoteCallees(of module: ServiceModule, selection: [ServiceModule]) -> [String] {
        module.calls.filter { callee in !selection.contains(where: { $0.name == callee }) }
    }

    /// The names `--services` accepts.
    public var validNames: [String] { [Self.allTarget] + modules.map(\.name) }
}

/// Why a `--services` selection was refused.
public enum ServiceSelectionError: Error, Equatable, CustomStringConvertible {
    case unknown(String, valid: [String])
    case empty(valid: [String])
    case cycle([String])

    public var description: String {
        switch self {
        case .unknown(let name, let valid):
            "unknown service '\(name)'; valid services: \(valid.joined(separator: ", "))"
        case .empty(let valid):
            "no service selected; valid services: \(valid.joined(separator: ", "))"
        case .cycle(let path):
            "service dependencies form a cycle: \(path.joined(separator: " -> "))"
        }
    }
}
