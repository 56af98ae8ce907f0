import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Foundation
import Storage

/// The payments service: saved cards in a vault (`/v1/payment-methods`), the payments of orders
/// through a card processor (authorize, capture, void, refund, each idempotent by key, every
/// movement in a ledger), and refunds by support (`/v1/payments`).
///
/// Orders call it through ``PaymentsAPI``: this value itself in one process, `HTTPPaymentsAPI`
/// and the `/internal/v1/payments/…` routes otherwise. Card numbers are sealed with the data
/// keys (``PersonalDataKeeping``: `emporium admin rotate-data-key` re-seals them).
public struct PaymentsService: EmporiumService, PaymentsAPI, PersonalDataKeeping {
    public let name = "payments"
    public let migrations = PaymentsMigrations.all
    public let openAPI = Self.publicAPI
    /// The service's public routes (OpenAPI), without an instance: for the gateway, which fronts
    /// them from another process.
    public static let publicAPI = PaymentsOpenAPI.fragment
    /// Cards and payments (and their errors) are never stored by caches.
    public var privatePathPrefixes: [String] { ["/v1/payment-methods", "/v1/payments"] }

    private let actions: PaymentActions
    private let store: PaymentStore
    private let vault: PaymentMethodStore
    private let maximumMethodsPerUser: Int

    /// - Parameters:
    ///   - environment: The service's database, outbox, logger and data keys.
    ///   - processor: The card processor; the simulated one answers by test card number.
    ///   - processorTimeout: How long the processor has to answer one call: an authorization
    ///     without an answer stays `pending`; a capture, void or refund without one is a 503 (the
    ///     same call with the same key settles either later). Keep it below the callers'
    ///     `services.callTimeout`.
    ///   - maximumMethodsPerUser: How many cards one account keeps.
    public init(
        environment: ServiceEnvironment, processor: any PaymentProcessor = SimulatedPaymentProcessor(),
        processorTimeout: Duration = PaymentRules.defaultProcessorTimeout, maximumMethodsPerUser: Int = CardRules.defaultMaximumPerUser
    ) {
        let vault = PaymentMethodStore(database: environment.database, cipher: environment.security.cipher)
        let store = PaymentStore(database: environment.database, outbox: environment.outbox, vault: vault)
        self.vault = vault
        self.store = store
        self.maximumMethodsPerUser = maximumMethodsPerUser
        self.actions = PaymentActions(
            store: store, vault: vault, processor: processor, processorTimeout: processorTimeout,
            failures: PaymentFailures(factory: environment.metrics), logger: environment.logger)
    }

    /// The service with the simulated processor and its settings read from configuration:
    /// `payments.processorTimeout` (seconds, 1–60) and `payments.maxMethodsPerUser` (1–100).
    /// - Throws: ``ServiceSettingError`` for a value out of range.
    public static func configured(environment: ServiceEnvironment) throws -> PaymentsService {
        PaymentsService(
            environment: environment,
            processorTimeout: try environment.settings.seconds("processorTimeout", default: PaymentRules.defaultProcessorTimeout, in: 1...60),
            maximumMethodsPerUser: try environment.settings.int("maxMethodsPerUser", default: CardRules.defaultMaximumPerUser, in: 1...100))
    }

    public func addRoutes(to router: ServiceRouter) {
        PaymentMethodsController(vault: vault, maximumPerUser: maximumMethodsPerUser).addRoutes(to: router)
        PaymentsController(actions: actions, store: store).addRoutes(to: router)
        InternalPaymentsController(payments: self).addRoutes(to: router)
    }

    // MARK: PaymentsAPI

    public func authorize(_ request: PaymentAuthorization) async throws -> Payment {
        try await actions.authorize(request)
    }

    public func capture(paymentId: String, idempotencyKey: String) async throws -> Payment {
        try await actions.capture(paymentId: paymentId, idempotencyKey: idempotencyKey)
    }

    public func void(paymentId: String, idempotencyKey: String) async throws -> Payment {
        try await actions.void(paymentId: paymentId, idempotencyKey: idempotencyKey)
    }

    /// Refunds for another service (orders) are audited with the actor `service`.
    public func refund(paymentId: String, amount: Money?, reason: String, idempotencyKey: String) async throws -> Payment {
        try await actions.refund(paymentId: paymentId, amount: amount, reason: reason, idempotencyKey: idempotencyKey, actor: "service").payment
    }

    public func payments(orderId: String) async throws -> [Payment] {
        try await actions.payments(orderId: orderId)
    }

    public func hasPaymentMethod(id paymentMethodId: String, userId: String) async throws -> Bool {
        guard let method = UUID(uuidString: paymentMethodId), let user = UUID(uuidString: userId) else { return false }
        return try await vault.isUsable(id: method.uuidString.lowercased(), userId: user.uuidString.lowercased())
    }

    // MARK: Administration

    /// The ledger of a payment, oldest first: every authorization, capture, void, refund and
    /// refusal at the processor.
    public func ledger(paymentId: String) async throws -> [LedgerEntry] {
        try await store.ledger(paymentId: paymentId.lowercased())
    }

    /// Re-seals every stored card number under the active data key.
    public func reencryptPersonalData() async throws -> Int {
        try await vault.reencrypt()
    }
}
