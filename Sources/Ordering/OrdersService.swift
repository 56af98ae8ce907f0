public import EmporiumContracts
public import EmporiumKit
import Foundation
import Logging
public import Messaging
public import ServiceLifecycle
import Storage

/// The orders service: the checkout saga (`POST /v1/checkout`) and orders (`/v1/orders`), each
/// order an append-only stream of events whose fold is its state, with list and detail tables
/// kept as projections (`emporium orders replay` rebuilds them).
///
/// It calls the cart, the catalog, the inventory and the payments service through their
/// contracts (the services themselves in one process, their HTTP clients otherwise), and hears
/// of refunds made at the payments service through `payments.payment.refunded`.
public struct OrdersService: EmporiumService, PersonalDataKeeping {
    public let name = "orders"
    public let migrations = OrdersMigrations.all
    public let openAPI = Self.publicAPI
    /// The service's public routes (OpenAPI), without an instance: for the gateway, which fronts
    /// them from another process.
    public static let publicAPI = OrdersOpenAPI.fragment
    /// Orders and checkouts (and their errors) are never stored by caches.
    public var privatePathPrefixes: [String] { ["/v1/orders", "/v1/checkout"] }

    let store: OrderStore
    let processor: OrderProcessor
    private let checkout: Checkout
    private let commands: OrderCommands
    private let settings: OrdersSettings
    private let logger: Logger

    /// Reads the `orders.*` settings from the environment.
    /// - Throws: ``ServiceSettingError`` naming a setting whose value cannot be used.
    public init(
        environment: ServiceEnvironment, cart: any CartAPI, catalog: any CatalogPricing, inventory: any InventoryAPI, payments: any PaymentsAPI
    ) throws {
        try self.init(
            environment: environment, settings: OrdersSettings(environment.settings), cart: cart, catalog: catalog, inventory: inventory,
            payments: payments)
    }

    public init(
        environment: ServiceEnvironment, settings: OrdersSettings, cart: any CartAPI, catalog: any CatalogPricing, inventory: any InventoryAPI,
        payments: any PaymentsAPI
    ) {
        let store = OrderStore(database: environment.database, outbox: environment.outbox, cipher: environment.security.cipher)
        let metrics = CheckoutMetrics(factory: environment.metrics)
        let processor = OrderProcessor(
            store: store, inventory: inventory, payments: payments, metrics: metrics, faultPoint: settings.faultPoint, logger: environment.logger)
        self.store = store
        self.processor = processor
        self.settings = settings
        self.logger = environment.logger
        self.checkout = Checkout(
            store: store, processor: processor, cart: cart, catalog: catalog, payments: payments, metrics: metrics,
            settleWait: settings.checkoutWait, logger: environment.logger)
        self.commands = OrderCommands(store: store, processor: processor)
        if let point = settings.faultPoint {
            environment.logger.critical("orders.faultPoint is set: every checkout kills this process", metadata: ["point": "\(point.rawValue)"])
        }
    }

    public func addRoutes(to router: ServiceRouter) {
        CheckoutController(checkout: checkout, store: store).addRoutes(to: router)
        OrdersController(store: store, commands: commands).addRoutes(to: router)
    }

    /// Drives unsettled orders on, every `orders.recoveryInterval`.
    public var backgroundServices: [any Service] {
        [recoveryJob]
    }

    var recoveryJob: OrderRecoveryJob {
        OrderRecoveryJob(
            store: store, processor: processor, recoveryAfter: settings.recoveryAfter, interval: settings.recoveryInterval, batchSize: 100,
            logger: logger)
    }

    /// A refund made at the payments service (by support, `POST /v1/payments/{id}/refunds`)
    /// becomes the order's `refunded` event, once per event (the inbox). Refunds the orders
    /// service made itself while cancelling change nothing more.
    public var eventSubscriptions: [EventSubscription] {
        let store = self.store
        let logger = self.logger
        return [
            EventSubscription(types: [PaymentsEvents.paymentRefunded]) { event, sql in
                let refund = try event.payload(as: PaymentEvent.self)
                guard let order = try await store.order(id: refund.payment.orderId, sql) else { return }
                let amount = refund.refundAmount ?? refund.payment.refundedAmount
                do {
                    let changes = try OrderRules.refund(order, payment: refund.payment, amount: amount, reason: refund.refundReason)
                    _ = try await store.append(changes, to: order, sql)
                } catch let error as OrderError {
                    logger.info("refund not recorded on the order", metadata: ["order": "\(order.id)", "reason": "\(error)"])
                }
            }
        ]
    }

    // MARK: Operations

    /// Rebuilds the projections from the streams; `progress(done, total)` after each batch.
    public func replay(progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> Int {
        try await store.replay(progress: progress)
    }

    /// Drives every order unsettled for longer than `orders.recoveryAfter` once, now.
    @discardableResult
    public func recoverNow() async throws -> Int {
        try await recoveryJob.recoverDue(now: .now)
    }

    /// Re-seals every shipping address under the active data key.
    public func reencryptPersonalData() async throws -> Int {
        try await store.reencrypt()
    }
}
