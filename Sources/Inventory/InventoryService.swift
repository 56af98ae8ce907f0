public import EmporiumContracts
public import EmporiumKit
public import Foundation
import Logging
public import Messaging
import Metrics
public import ServiceLifecycle
public import Storage

/// The inventory service: stock per SKU and reservations of it for orders (`/v1/inventory`,
/// and `/internal/v1/inventory` for the services that sell).
///
/// It is also the ``InventoryAPI`` the cart and orders call: in one process the runtime hands
/// them this value; in another, their HTTP client calls the internal routes, whose handlers call
/// the same methods.
public struct InventoryService: EmporiumService, InventoryAPI {
    public let name = "inventory"
    public let migrations = InventoryMigrations.all
    public let openAPI = Self.publicAPI
    /// The service's public routes (OpenAPI), without an instance: for the gateway, which fronts
    /// them from another process.
    public static let publicAPI = InventoryOpenAPI.fragment

    let store: InventoryStore
    private let environment: ServiceEnvironment
    private let settings: InventorySettings
    private let outcomes: Outcomes
    /// `emporium_inventory_reservations_expired_total` (``ReservationExpiryJob``).
    private let expired: Counter

    /// Reads the `inventory.*` settings from the environment.
    /// - Throws: ``ServiceSettingError`` naming a setting whose value cannot be used.
    public init(environment: ServiceEnvironment) throws {
        self.init(environment: environment, settings: try InventorySettings(environment.settings))
    }

    public init(environment: ServiceEnvironment, settings: InventorySettings) {
        self.environment = environment
        self.settings = settings
        self.store = InventoryStore(database: environment.database, outbox: environment.outbox, settings: settings)
        self.outcomes = Outcomes(factory: environment.metrics)
        self.expired = Counter(label: "emporium_inventory_reservations_expired_total", factory: environment.metrics)
    }

    /// New SKUs get a stock row from the catalog's product events (once per event, through the
    /// inbox): 0 units on hand, or 100 in the embedded demo. Existing rows are never changed.
    public var eventSubscriptions: [EventSubscription] {
        let store = self.store
        let onHand = StockRules.initialOnHand(demo: environment.seedsDemoData)
        return [
            EventSubscription(types: CatalogStockEvents.types) { events, sql in
                let skus = try events.flatMap { CatalogStockEvents.skus(of: try $0.payload(as: ProductEvent.self)) }
                try await store.createMissingStock(skus: skus, onHand: onHand, sql)
            }
        ]
    }

    /// Releases the reservations that expired, every `inventory.expiryInterval`.
    public var backgroundServices: [any Service] {
        [
            ReservationExpiryJob(
                store: store, interval: settings.expiryInterval, batchSize: settings.expiryBatchSize, expiredCount: expired, logger: environment.logger)
        ]
    }

    public func addRoutes(to router: ServiceRouter) {
        InventoryController(store: store).addRoutes(to: router)
        InternalInventoryController(inventory: self).addRoutes(to: router)
    }

    // MARK: InventoryAPI

    public func stock(skus: [String]) async throws -> [String: StockLevel] {
        try ReservationRules.validate(lookup: skus)
        return try await store.stock(skus: skus)
    }

    public func reserve(_ request: ReservationRequest) async throws -> ReservationOutcome {
        try ReservationRules.validate(request.lines)
        let outcome = try await store.reserve(orderId: request.orderId, lines: request.lines)
        outcomes.count(outcome)
        return outcome
    }

    public func release(orderId: UUID) async throws -> Reservation {
        try await store.release(orderId: orderId)
    }

    public func keep(orderId: UUID) async throws -> Reservation {
        try await store.keep(orderId: orderId)
    }

    public func commit(orderId: UUID) async throws -> Reservation {
        try await store.commit(orderId: orderId)
    }

    /// The reservation of `orderId`, or nil when the order has none.
    public func reservation(orderId: UUID) async throws -> Reservation? {
        try await store.reservation(orderId: orderId)
    }

    /// `inventory_reservations_total{outcome}`: reservation calls answered with a reservation
    /// (made now or before), or that lacked stock.
    private struct Outcomes: Sendable {
        let reserved: Counter
        let insufficient: Counter

        init(factory: any MetricsFactory) {
            reserved = Counter(label: "inventory_reservations_total", dimensions: [("outcome", "reserved")], factory: factory)
            insufficient = Counter(label: "inventory_reservations_total", dimensions: [("outcome", "insufficient_stock")], factory: factory)
        }

        func count(_ outcome: ReservationOutcome) {
            switch outcome {
            case .reservation: reserved.increment()
            case .insufficientStock: insufficient.increment()
            }
        }
    }
}
