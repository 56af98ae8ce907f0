import EmporiumContracts
import EmporiumKit
import Foundation
import Hummingbird
import Security

/// `POST /v1/checkout`: turns the caller's cart into an order and runs the checkout saga.
struct CheckoutController: Sendable {
    let checkout: Checkout
    let store: OrderStore

    func addRoutes(to router: ServiceRouter) {
        router.post("/v1/checkout", use: run)
    }

    /// `{"paymentMethodId", "shippingAddress"}` with `Idempotency-Key`: 201 with the order
    /// confirmed or cancelled (with its `cancellationReason`), 202 when a callee could not be
    /// reached or the processor did not answer (the recovery settles it), 200 when the key
    /// repeats an earlier checkout.
    @Sendable func run(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let principal = try context.requirePermission(.ownAccount)
        let body = try await request.decodeJSON(as: CheckoutRequest.self, context: context)
        let key = try IdempotencyKey.required(in: request.headers, purpose: "a key naming this checkout")
        let valid = try CheckoutRules.validate(body, userId: principal.subject, key: key)
        let (order, status): (Order, HTTPResponse.Status) =
            switch try await checkout.run(valid) {
            case .placed(let order): (order, order.isUnsettled ? .accepted : .created)
            case .repeated(let order): (order, .ok)
            }
        guard let details = try await store.details(id: order.id) else { throw OrderError.notFound(order.id) }
        var response = try Response.json(details, status: status, context: context)
        response.headers[.location] = "/v1/orders/\(order.id)"
        return response
    }
}
