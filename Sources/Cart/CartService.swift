import Caching
import EmporiumContracts
import EmporiumKit
import Metrics
import Storage

/// The cart service: carts of guests (by a server-issued `X-Cart-Id`) and of signed-in users,
/// priced from the catalog and checked against the inventory when read (`/v1/cart`).
///
/// Carts are data kept in Redis when the process has `redis.url` (``RedisCartStore``), else in
/// this process (``InMemoryCartStore``, the embedded mode); each lives for a time to live
/// renewed by every change. The service has no database of its own.
public struct CartService: EmporiumService, CartAPI {
    public let name = "cart"
    public let migrations: [Migration] = []
    public let openAPI = Self.publicAPI
    /// The service's public routes (OpenAPI), without an instance: for the gateway, which fronts
    /// them from another process.
    public static let publicAPI = CartOpenAPI.fragment
    /// Carts (and their errors) are never stored by caches.
    public let privatePathPrefixes = ["/v1/cart"]

    private let actions: CartActions
    private let store: any CartStore
    /// How long a user's cart lives after its last change (`cart.userTTL`).
    private let userTTL: Duration

    /// - Parameters:
    ///   - environment: The service's environment: its carts live where its caching backend does;
    ///     `cart.guestTTL` and `cart.userTTL` (seconds) say how long a cart lives after its last change.
    ///   - catalog: The SKUs' current prices and products.
    ///   - inventory: The SKUs' current stock.
    /// - Throws: ``ServiceSettingError`` for a `cart.guestTTL` or `cart.userTTL` (seconds) out of
    ///   range.
    public init(environment: ServiceEnvironment, catalog: any CatalogPricing, inventory: any InventoryAPI) throws {
        let guestTTL = try environment.settings.seconds("guestTTL", default: CartRules.defaultGuestTTL, in: 60...31_536_000)
        let userTTL = try environment.settings.seconds("userTTL", default: CartRules.defaultUserTTL, in: 60...31_536_000)
        let store: any CartStore
        if let redis = environment.caching.redis {
            store = RedisCartStore(redis: redis, namespace: environment.caching.namespace, logger: environment.logger)
        } else {
            store = InMemoryCartStore()
        }
        self.init(store: store, catalog: catalog, inventory: inventory, guestTTL: guestTTL, userTTL: userTTL, metrics: environment.metrics)
    }

    /// A cart service over `store`; `emporium_carts_created_total` goes to `metrics`.
    public init(
        store: any CartStore, catalog: any CatalogPricing, inventory: any InventoryAPI,
        guestTTL: Duration = CartRules.defaultGuestTTL, userTTL: Duration = CartRules.defaultUserTTL,
        metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.store = store
        self.userTTL = userTTL
        actions = CartActions(
            store: store, catalog: catalog, inventory: inventory, guestTTL: guestTTL, userTTL: userTTL,
            cartsCreated: Counter(label: "emporium_carts_created_total", factory: metrics))
    }

    public func addRoutes(to router: ServiceRouter) {
        CartController(actions: actions).addRoutes(to: router)
        InternalCartController(cart: self).addRoutes(to: router)
    }

    /// The lines of the user's cart, by SKU (``CartAPI``).
    public func lines(ofUser userId: String) async throws -> [CartLine] {
        let cart = try await store.cart(.user(userId.lowercased()))
        return (cart?.skus ?? []).map { CartLine(sku: $0, quantity: cart?.quantities[$0] ?? 0) }
    }

    /// Takes the ordered lines off the user's cart (``CartAPI``), renewing its time to live.
    /// - Throws: a 400 problem naming the first line whose SKU or quantity is not one.
    @discardableResult
    public func remove(_ lines: [CartLine], fromCartOf userId: String) async throws -> [CartLine] {
        for (index, line) in lines.enumerated() {
            guard SKU.isValid(line.sku) else { throw ProblemDetails.invalidField("items[\(index)].sku", SKU.rule) }
            guard line.quantity >= 1 else { throw ProblemDetails.invalidField("items[\(index)].quantity", "must be at least 1") }
        }
        let left = try await store.subtract(lines.map { ($0.sku, $0.quantity) }, from: .user(userId.lowercased()), ttl: userTTL)
        return (left?.skus ?? []).map { CartLine(sku: $0, quantity: left?.quantities[$0] ?? 0) }
    }
}
