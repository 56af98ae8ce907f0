import Caching
public import EmporiumContracts
public import EmporiumKit
import Foundation
import Logging
public import Messaging
public import ServiceLifecycle
import Storage

/// The recommendations service: products bought together (`GET /v1/recommendations/products/{id}`)
/// and products for a signed-in user (`GET /v1/recommendations/me`), from the confirmed orders it
/// hears of (`orders.order.confirmed`) and what the catalog says may be shown
/// (`catalog.product.*`).
///
/// It only reacts to events: nothing calls it, so a checkout never waits for it, and orders go on
/// while it is down (its queue keeps the events). It calls the inventory (``InventoryAPI``) to
/// leave out products out of stock, and serves without that check when the inventory cannot be
/// asked. See `docs/recommendations.md`.
public struct RecommendationsService: EmporiumService {
    public let name = "recommendations"
    public let migrations = RecommendationsMigrations.all
    public let openAPI = Self.publicAPI
    /// The service's public routes (OpenAPI), without an instance: for the gateway, which fronts
    /// them from another process.
    public static let publicAPI = RecommendationsOpenAPI.fragment
    /// A user's list says what they bought: never stored by shared caches.
    public var privatePathPrefixes: [String] { ["/v1/recommendations/me"] }

    let store: RecommendationStore
    let lists: RecommendationLists
    private let settings: RecommendationsSettings
    private let logger: Logger
    private let now: @Sendable () -> Date

    /// Reads the `recommendations.*` settings from the environment.
    /// - Throws: ``ServiceSettingError`` naming a setting whose value cannot be used.
    public init(environment: ServiceEnvironment, inventory: any InventoryAPI) throws {
        self.init(environment: environment, settings: try RecommendationsSettings(environment.settings), inventory: inventory)
    }

    /// - Parameter now: The clock of the popularity window (tests move it).
    public init(
        environment: ServiceEnvironment, settings: RecommendationsSettings, inventory: any InventoryAPI,
        now: @escaping @Sendable () -> Date = { .now }
    ) {
        let store = RecommendationStore(database: environment.database)
        self.store = store
        self.settings = settings
        self.logger = environment.logger
        self.now = now
        self.lists = RecommendationLists(
            store: store, cache: environment.caching.makeTwoLevelCache(name: "lists", logger: environment.logger),
            stock: StockFilter(inventory: inventory, metrics: environment.metrics, logger: environment.logger), settings: settings, now: now)
    }

    public func addRoutes(to router: ServiceRouter) {
        RecommendationsController(lists: lists).addRoutes(to: router)
    }

    /// Each confirmed order is recorded and counted once (the inbox, and the order id); each
    /// catalog event keeps the product's newest version.
    public var eventSubscriptions: [EventSubscription] {
        let store = self.store
        let window = settings.window
        let now = self.now
        return [
            EventSubscription(types: ConsumedEvents.purchases) { events, sql in
                try await store.record(try events.map(Purchase.init(confirmed:)), window: window, now: now(), sql)
            },
            EventSubscription(types: ConsumedEvents.catalog) { events, sql in
                var visible = false
                for event in events {
                    let change: CatalogProductChange
                    if event.type == CatalogEvents.productDeleted {
                        let id = try event.payload(as: ProductDeletedEvent.self).id
                        change = CatalogProductRules.delete(id, over: try await store.product(id: id, sql))
                    } else {
                        let incoming = CatalogProduct(try event.payload(as: ProductEvent.self))
                        change = CatalogProductRules.apply(incoming, over: try await store.product(id: incoming.id, sql))
                    }
                    guard case .keep(let product, let shown) = change else { continue }
                    try await store.keep(product, sql)
                    visible = visible || shown
                }
                if visible { try await store.raiseGeneration(sql) }
            },
        ]
    }

    /// Deletes the daily counts that left the popularity window, every hour.
    public var backgroundServices: [any Service] {
        let store = self.store
        let window = settings.window
        let now = self.now
        return [
            PeriodicJob(interval: settings.pruneInterval, logger: logger, failure: "could not prune old popularity counts") {
                try await store.prune(before: window.firstDay(now: now()))
            }
        ]
    }

    // MARK: Operations

    /// Recomputes every score from the recorded purchases (`emporium recommendations rebuild`);
    /// `progress(done, total)` after each batch of 500.
    /// - Returns: the purchases counted.
    public func rebuild(progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Int {
        try await store.rebuild(window: settings.window, now: now(), progress: progress)
    }
}
