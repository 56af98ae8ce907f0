import EmporiumKit
import HTTPTypes

extension PaymentMethodError: ProblemConvertible {
    public var problem: ProblemDetails {
        switch self {
        case .limitReached(let limit):
            return ProblemDetails(
                type: ProblemDetails.typeBase + "payment-method-limit", title: "The account has too many payment methods.",
                status: .unprocessableContent,
                detail: "An account keeps at most \(limit) payment methods; remove one to add another.",
                errors: [.init(field: "paymentMethods", detail: "at most \(limit) per account")])
        case .notFound(let id):
            return .notFound("You have no payment method with id \(id).")
        }
    }
}

extension PaymentsUnavailableError: ProblemConvertible {
    /// 503: nothing was recorded; the same call with the same key may be sent again.
    public var problem: ProblemDetails {
        .unavailable("The payment could not be processed now (\(reason)); try again shortly with the same Idempotency-Key.")
    }
}
