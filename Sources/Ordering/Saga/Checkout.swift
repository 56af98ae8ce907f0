import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Foundation
import HTTPTypes
import Logging

/// `POST /v1/checkout` as a use case: checks everything that can be checked without writing
/// (the input, the cart, the prices, the payment method), places the order with its key, then
/// lets the ``OrderProcessor`` run the saga, and takes the ordered lines off the cart.
struct Checkout: Sendable {
    let store: OrderStore
    let processor: OrderProcessor
    let cart: any CartAPI
    let catalog: any CatalogPricing
    let payments: any PaymentsAPI
    let metrics: CheckoutMetrics
    let settleWait: Duration
    let logger: Logger

    /// What a checkout answers.
    enum Outcome: Sendable {
        /// This request placed the order; it is as the saga left it.
        case placed(Order)
        /// The key was used before for the same checkout: that order, as it is now.
        case repeated(Order)
    }

    /// - Throws: a 4xx ``ProblemDetails`` for input that cannot be checked out (nothing is
    ///   written then); `ServiceUnavailableError` when the cart, the catalog or the payments
    ///   service cannot be asked before the order is placed.
    func run(_ checkout: ValidCheckout) async throws -> Outcome {
        if let record = try await store.checkoutKey(userId: checkout.userId, key: checkout.key) {
            return .repeated(try await repeated(record, checkout))
        }
        let cartLines = try await metrics.timed(.cart) { try await cart.lines(ofUser: checkout.userId) }
        let (lines, total) = try await metrics.timed(.price) {
            let variants = try await catalog.variants(skus: cartLines.map(\.sku))
            return try CheckoutRules.price(cartLines, variants)
        }
        guard try await payments.hasPaymentMethod(id: checkout.paymentMethodId, userId: checkout.userId) else {
            throw ProblemDetails.unprocessable([.init(field: "paymentMethodId", detail: "is not one of your payment methods")])
        }
        let placement = OrderChange.Placement(userId: checkout.userId, lines: lines, total: total, paymentMethodId: checkout.paymentMethodId)
        switch try await store.place(
            orderId: UUID.v7().lowercased, placement, address: checkout.shippingAddress, key: checkout.key, fingerprint: checkout.fingerprint, now: .now)
        {
        case .existing(let record):
            return .repeated(try await repeated(record, checkout))
        case .placed(let placed):
            var order = placed
            do {
                order = try await processor.drive(placed)
            } catch {
                // The order stays where the saga got to; the recovery finishes it.
                logger.warning("checkout left unsettled for the recovery", metadata: ["order": "\(placed.id)", "error": "\(error)"])
                order = try await store.order(id: placed.id) ?? placed
            }
            metrics.count(order)
            if order.status == .confirmed { await removeOrderedLines(of: order) }
            return .placed(order)
        }
    }

    /// The order of an earlier checkout with the same key, once it settled (waiting up to
    /// `settleWait` for a checkout still running).
    /// - Throws: 422 when the key named another checkout; 409 when the first is still running.
    private func repeated(_ record: OrderStore.CheckoutKeyRecord, _ checkout: ValidCheckout) async throws -> Order {
        guard record.fingerprint == checkout.fingerprint else {
            var problem = ProblemDetails.unprocessable([
                .init(parameter: IdempotencyKey.header.rawName, detail: "was used for another checkout: use a new key for a new checkout, the same key only to repeat one")
            ])
            problem.type = ProblemDetails.typeBase + "idempotency-key-reused"
            throw problem
        }
        let deadline = ContinuousClock.now + settleWait
        var pause = Duration.milliseconds(20)
        while true {
            guard let order = try await store.order(id: record.orderId) else { throw OrderError.notFound(record.orderId) }
            if !order.isUnsettled { return order }
            guard ContinuousClock.now < deadline else {
                var problem = ProblemDetails.conflict("The checkout with this Idempotency-Key is still running: ask again in a moment.")
                problem.type = ProblemDetails.typeBase + "checkout-in-progress"
                throw problem
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(250))
        }
    }

    /// Takes the ordered lines off the user's cart after a confirmed checkout (what the shopper
    /// added meanwhile stays); a cart that cannot be reached is left as it is (the order stands).
    private func removeOrderedLines(of order: Order) async {
        do {
            try await cart.remove(order.lines.map { CartLine(sku: $0.sku, quantity: $0.quantity) }, fromCartOf: order.userId)
        } catch {
            logger.warning("could not take the ordered lines off the cart", metadata: ["order": "\(order.id)", "error": "\(error)"])
        }
    }
}
