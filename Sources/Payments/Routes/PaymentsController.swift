import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Foundation
import HTTPTypes
import Hummingbird
import Security

/// `/v1/payments`: the payments of an order (their owner, or support), and refunds (support).
struct PaymentsController: Sendable {
    let actions: PaymentActions
    let store: PaymentStore

    /// `Idempotency-Key`: names a refund, so that sending it again refunds nothing more.
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    func addRoutes(to router: ServiceRouter) {
        router.get("/v1/payments", use: list)
        router.post("/v1/payments/{id}/refunds", use: refund)
    }

    /// `?order_id=`: the order's payments, oldest first. With `payments.read` every payment of
    /// the order; otherwise (`account.own`) only the caller's own, so another user's order lists
    /// none (an empty page, the same answer as an order without payments).
    @Sendable func list(_ request: Request, context: EmporiumRequestContext) async throws -> Page<Payment> {
        let principal = try context.requirePrincipal()
        let seesAll = principal.may(.paymentsRead)
        if !seesAll { try context.requirePermission(.ownAccount) }
        let query = request.queryParameters
        guard let raw = query["order_id"] else { throw ProblemDetails.invalidParameter("order_id", "is required") }
        guard let orderID = UUID(uuidString: raw) else { throw ProblemDetails.invalidParameter("order_id", "must be a UUID") }
        let page = try PageRequest(query: query)
        let payments = try await store.payments(
            orderId: orderID.lowercased, userId: seesAll ? nil : principal.subject.lowercased(), after: page.after, limit: page.limit + 1)
        let shown = Array(payments.prefix(page.limit))
        return Page(items: shown.map(\.payment), nextCursor: payments.count > page.limit ? shown.last.map { Cursor.encode($0.id) } : nil)
    }

    /// `{"amount"?, "reason"}` with `Idempotency-Key` (payments.refund): 201 with the payment
    /// after the refund, 200 when the key repeats an earlier refund.
    @Sendable func refund(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let principal = try context.requirePermission(.paymentsRefund)
        let id = try context.uuidParameter("id").lowercased
        let body = try await request.decodeJSON(as: NewRefund.self, context: context)
        guard let key = request.headers[Self.idempotencyKey] else {
            throw ProblemDetails.invalidParameter(Self.idempotencyKey.rawName, "is required: a key naming this refund (\(PaymentRules.keyRule))")
        }
        guard PaymentRules.isValidKey(key) else { throw ProblemDetails.invalidParameter(Self.idempotencyKey.rawName, PaymentRules.keyRule) }
        if let amount = body.amount { try PaymentRules.validate(amount, field: "amount") }
        let reason = try PaymentRules.reason(body.reason)
        do {
            let (payment, replayed) = try await actions.refund(
                paymentId: id, amount: body.amount, reason: reason, idempotencyKey: key, actor: principal.subject)
            return try Response.json(payment, status: replayed ? .ok : .created, context: context)
        } catch PaymentError.unprocessable(let field, let detail) where field == "idempotencyKey" {
            var problem = ProblemDetails.unprocessable([.init(parameter: Self.idempotencyKey.rawName, detail: detail)])
            problem.type = PaymentError.unprocessableType
            throw problem
        }
    }
}

/// The body of `POST /v1/payments/{id}/refunds`.
struct NewRefund: StrictJSONBody, Sendable {
    static let knownFields: Set<String> = ["amount", "reason"]
    static let knownNestedFields: [String: Set<String>] = ["amount": ["amount", "currency"]]
    var amount: Money?
    var reason: String
}
