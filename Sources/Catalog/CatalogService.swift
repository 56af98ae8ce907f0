import EmporiumContracts
import Caching
import EmporiumKit
import Logging
import Messaging
import Storage

/// The catalog service: products, variants and categories (`/v1/products`, `/v1/categories`),
/// and the current price of every SKU for the services that sell them (``CatalogPricing``).
public struct CatalogService: EmporiumService, CatalogPricing {
    public let name = "catalog"
    public let migrations = CatalogMigrations.all
    public let openAPI = Self.publicAPI
    /// The service's public routes (OpenAPI), without an instance: for the gateway, which fronts
    /// them from another process.
    public static let publicAPI = CatalogOpenAPI.fragment

    private let store: CatalogStore
    private let productCache: ProductReadCache
    private let environment: ServiceEnvironment

    public init(environment: ServiceEnvironment) {
        self.environment = environment
        self.store = CatalogStore(database: environment.database, readDatabase: environment.readDatabase, outbox: environment.outbox)
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

    /// The search read model follows the catalog's own product events (eventually consistent,
    /// once per event through the inbox; an older version never overwrites a newer one); and
    /// product and stock changes purge the edge cache (``EdgePurges``).
    public var eventSubscriptions: [EventSubscription] {
        let search = store.search
        return [
            EventSubscription(types: [CatalogEvents.productCreated, CatalogEvents.productUpdated]) { event, sql in
                let product = try event.payload(as: ProductEvent.self)
                try await search.apply(product, parents: try await ProductSearchStore.parents(sql), sql)
            },
            EventSubscription(types: [CatalogEvents.productDeleted]) { event, sql in
                guard let id = event.subject else { return }
                try await search.remove(productID: id, sql)
            },
            // The edge cache: what a change showed is purged (queued; sent off this path).
            EventSubscription(types: EdgePurges.events) { [purger = environment.edgePurger] event, _ in
                purger.purge(EdgePurges.keys(for: event))
            },
        ]
    }

    /// Rebuilds the search read model from the products (`emporium catalog reindex`).
    /// - Parameter progress: Called after each batch with (products done, total).
    /// - Returns: how many active products were indexed.
    public func reindexSearch(progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Int {
        try await store.reindexSearch(progress: progress)
    }

    public func addRoutes(to router: ServiceRouter) {
        ProductsController(store: store, search: store.search, productCache: productCache, edgePurger: environment.edgePurger).addRoutes(to: router)
        PricingController(pricing: self).addRoutes(to: router)
    }

    /// The SKUs of `skus` that exist, priced now (``CatalogPricing``).
    public func variants(skus: [String]) async throws -> [String: SellableVariant] {
        let variants = try await store.sellableVariants(skus: skus)
        return Dictionary(variants.map { ($0.sku, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Seeds the demo catalog into an empty embedded database.
    public func prepare() async throws {
        guard environment.seedsDemoData else { return }
        try await CatalogSeeder(store: store, logger: environment.logger).seedIfEmpty()
    }
}
