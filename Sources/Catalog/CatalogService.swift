import Caching
import EmporiumKit
import Logging
import Messaging
import Storage

/// The catalog service: products, variants and categories (`/v1/products`, `/v1/categories`).
public struct CatalogService: EmporiumService {
    public let name = "catalog"
    public let migrations = CatalogMigrations.all
    public let openAPI = CatalogOpenAPI.fragment

    private let store: CatalogStore
    private let productCache: ProductReadCache
    private let environment: ServiceEnvironment

    public init(environment: ServiceEnvironment) {
        self.environment = environment
        self.store = CatalogStore(database: environment.database, outbox: environment.outbox)
        self.productCache = ProductReadCache(
            cache: environment.caching.makeTwoLevelCache(name: "product", logger: environment.logger),
            store: store
        )
    }

    /// Every instance drops its in-process copy of a product another instance changed or deleted
    /// (that instance already cleared the shared level).
    public var broadcastSubscriptions: [BroadcastSubscription] {
        [productCache.invalidationSubscription]
    }

    public func addRoutes(to router: ServiceRouter) {
        ProductsController(store: store, productCache: productCache).addRoutes(to: router)
    }

    /// Seeds the demo catalog into an empty embedded database.
    public func prepare() async throws {
        guard environment.seedsDemoData else { return }
        try await CatalogSeeder(store: store, logger: environment.logger).seedIfEmpty()
    }
}
