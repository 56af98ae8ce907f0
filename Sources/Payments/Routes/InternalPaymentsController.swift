import EmporiumContracts
import EmporiumKit
import Hummingbird

/// `/internal/v1/payments/…`: ``PaymentsAPI`` for services in other processes (the platform's
/// `InternalCallMiddleware` admits only calls with a service credential). Each route calls the
/// same method an in-process caller does.
struct InternalPaymentsController: Sendable {
    let payments: any PaymentsAPI

    func addRoutes(to router: ServiceRouter) {
        router.post("/internal/v1/payments/authorizations", use: authorize)
        router.post("/internal/v1/payments/{id}/capture", use: capture)
        router.post("/internal/v1/payments/{id}/void", use: void)
        router.post("/internal/v1/payments/{id}/refunds", use: refund)
        router.get("/internal/v1/payments", use: list)
        router.get("/internal/v1/payments/users/{userId}/payment-methods/{id}", use: paymentMethod)
    }

    /// ``PaymentMethodCheck`` when the method is the user's usable one, else a 422
    /// `payment-method-not-found` problem.
    @Sendable func paymentMethod(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard try await payments.hasPaymentMethod(id: id, userId: context.parameters.get("userId") ?? "") else {
            throw PaymentError.paymentMethodNotFound(id)
        }
        return try Response.json(PaymentMethodCheck(id: id), context: context)
    }

    /// ``PaymentAuthorization`` → ``Payment``.
    @Sendable func authorize(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let authorization = try await request.decodeJSON(as: PaymentAuthorization.self, context: context)
        return try Response.json(try await payments.authorize(authorization), context: context)
    }

    /// ``PaymentOperation`` → ``Payment``.
    @Sendable func capture(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let operation = try await request.decodeJSON(as: PaymentOperation.self, context: context)
        let payment = try await payments.capture(paymentId: context.parameters.get("id") ?? "", idempotencyKey: operation.idempotencyKey)
        return try Response.json(payment, context: context)
    }

    /// ``PaymentOperation`` → ``Payment``.
    @Sendable func void(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let operation = try await request.decodeJSON(as: PaymentOperation.self, context: context)
        let payment = try await payments.void(paymentId: context.parameters.get("id") ?? "", idempotencyKey: operation.idempotencyKey)
        return try Response.json(payment, context: context)
    }

    /// ``PaymentRefund`` → ``Payment``.
    @Sendable func refund(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        let refund = try await request.decodeJSON(as: PaymentRefund.self, context: context)
        let payment = try await payments.refund(
            paymentId: context.parameters.get("id") ?? "", amount: refund.amount, reason: refund.reason, idempotencyKey: refund.idempotencyKey)
        return try Response.json(payment, context: context)
    }

    /// `?order_id=` → ``PaymentList``.
    @Sendable func list(_ request: Request, context: EmporiumRequestContext) async throws -> Response {
        guard let orderID = request.queryParameters["order_id"] else { throw ProblemDetails.invalidParameter("order_id", "is required") }
        return try Response.json(PaymentList(items: try await payments.payments(orderId: orderID)), context: context)
    }
}
