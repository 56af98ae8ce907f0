public import EmporiumCore
import Foundation

/// What the payments service offers orders: authorize an amount on a customer's stored card for
/// an order, then capture it at shipment, void it when the order is cancelled before, or refund
/// what was captured. Every call is idempotent by its key: a retry (a lost answer, the saga's
/// recovery) answers the first call's result and moves no money twice. An authorization's key
/// belongs to its user, a capture's, void's or refund's to its payment; the same key with another
/// request is ``PaymentError/unprocessable(field:detail:)``.
///
/// In one process the runtime hands orders the payments service itself; otherwise
/// ``HTTPPaymentsAPI`` calls the `/internal/v1/payments/…` routes.
public protocol PaymentsAPI: Sendable {
    /// Authorizes `request.amount` on the payment method for the order.
    ///
    /// A decline is not an error: the answer is a payment in status `failed` with its
    /// ``Payment/failureCode`` (`card_declined`, `insufficient_funds`, …). A processor that did
    /// not answer leaves the payment `pending`; asking again with the same key resolves it.
    /// - Throws: ``PaymentError/invalid(field:detail:)``, ``PaymentError/paymentMethodNotFound(_:)``
    ///   when the method does not exist or is not the user's, ``PaymentError/unprocessable(field:detail:)``
    ///   when the key was used for another authorization.
    func authorize(_ request: PaymentAuthorization) async throws -> Payment

    /// Captures the whole authorized amount (the order shipped).
    /// - Throws: ``PaymentError/notFound(_:)``, ``PaymentError/conflict(paymentId:status:detail:)``
    ///   unless the payment is authorized (or already captured by this key).
    func capture(paymentId: String, idempotencyKey: String) async throws -> Payment

    /// Releases an authorization without taking money (the order was cancelled before shipment).
    /// Voiding a voided or failed payment answers it unchanged.
    /// - Throws: ``PaymentError/conflict(paymentId:status:detail:)`` once it was captured.
    func void(paymentId: String, idempotencyKey: String) async throws -> Payment

    /// Refunds `amount` of what was captured (all that remains when nil); the total refunded
    /// never exceeds the total captured.
    /// - Throws: ``PaymentError/refundExceedsCaptured(paymentId:refundable:)``,
    ///   ``PaymentError/conflict(paymentId:status:detail:)`` unless captured,
    ///   ``PaymentError/unprocessable(field:detail:)`` for another currency than the payment's or a
    ///   key used for another refund of the payment.
    func refund(paymentId: String, amount: Money?, reason: String, idempotencyKey: String) async throws -> Payment

    /// The payments of an order, oldest first.
    func payments(orderId: String) async throws -> [Payment]

    /// Whether `paymentMethodId` is a usable (saved, not removed) payment method of `userId`:
    /// what a checkout checks before it writes anything.
    func hasPaymentMethod(id paymentMethodId: String, userId: String) async throws -> Bool
}

/// What to authorize (`POST /internal/v1/payments/authorizations`).
public struct PaymentAuthorization: Codable, Sendable, Equatable {
    /// The order paid for, lower case.
    public var orderId: String
    /// The customer, lower case: the payment method must be theirs.
    public var userId: String
    public var paymentMethodId: String
    public var amount: Money
    /// 1–255 visible ASCII characters; the same key (of the same user) answers the same payment,
    /// as it is now: a `pending` one is asked of the processor again.
    public var idempotencyKey: String

    public init(orderId: String, userId: String, paymentMethodId: String, amount: Money, idempotencyKey: String) {
        self.orderId = orderId
        self.userId = userId
        self.paymentMethodId = paymentMethodId
        self.amount = amount
        self.idempotencyKey = idempotencyKey
    }
}

/// Where a payment is in its life.
public enum PaymentStatus: String, Codable, Sendable, CaseIterable {
    /// Sent to the processor, no answer yet (a timeout): asking again resolves it.
    case pending
    case authorized
    case captured
    case partiallyRefunded = "partially_refunded"
    case refunded
    case voided
    /// Declined or failed; see ``Payment/failureCode``.
    case failed
}

/// A payment as other services and the API see it (`{"id", "orderId", "status", "amount",
/// "capturedAmount", "refundedAmount"}`).
public struct Payment: Codable, Sendable, Equatable {
    public var id: String
    public var orderId: String
    public var status: PaymentStatus
    public var amount: Money
    public var capturedAmount: Money
    public var refundedAmount: Money
    /// For `failed`: `card_declined`, `insufficient_funds`, `processor_error`, `capture_failed`.
    public var failureCode: String?
    /// For `failed`: the reason in words a person can read (`card declined`).
    public var failureReason: String?

    public init(
        id: String, orderId: String, status: PaymentStatus, amount: Money, capturedAmount: Money, refundedAmount: Money,
        failureCode: String? = nil, failureReason: String? = nil
    ) {
        self.id = id
        self.orderId = orderId
        self.status = status
        self.amount = amount
        self.capturedAmount = capturedAmount
        self.refundedAmount = refundedAmount
        self.failureCode = failureCode
        self.failureReason = failureReason
    }
}

/// Why the payments service refused a call (a decline is not an error: see ``PaymentAuthorization``).
public enum PaymentError: Error, Sendable, Equatable {
    /// A field of the call is invalid: 400.
    case invalid(field: String, detail: String)
    /// No payment has this id: 404.
    case notFound(String)
    /// The payment method does not exist or is not the user's: 422.
    case paymentMethodNotFound(String)
    /// The payment's status forbids the call: 409.
    case conflict(paymentId: String, status: PaymentStatus, detail: String)
    /// The refund would exceed what was captured: 422 naming what is refundable.
    case refundExceedsCaptured(paymentId: String, refundable: Money)
    /// The call is well-formed but a rule its shape cannot state refuses it: an idempotency key
    /// already used for another request (`idempotencyKey`), a refund in another currency than
    /// the payment's (`amount.currency`): 422 naming the field.
    case unprocessable(field: String, detail: String)
}

/// The events the payments service publishes.
public enum PaymentsEvents {
    public static let paymentAuthorized = "payments.payment.authorized"
    public static let paymentCaptured = "payments.payment.captured"
    public static let paymentVoided = "payments.payment.voided"
    public static let paymentRefunded = "payments.payment.refunded"
    public static let paymentFailed = "payments.payment.failed"
    /// A person refunded a payment (`POST /v1/payments/{id}/refunds`); data: ``AuditFact``. The
    /// users service appends it to the audit log.
    public static let auditFact = "payments.audit.fact"
}

/// The data of every `payments.payment.*` event: the payment after the change.
public struct PaymentEvent: Codable, Sendable, Equatable {
    public var payment: Payment
    public var userId: String
    /// For `.refunded`: this refund's amount and reason.
    public var refundAmount: Money?
    public var refundReason: String?

    public init(payment: Payment, userId: String, refundAmount: Money? = nil, refundReason: String? = nil) {
        self.payment = payment
        self.userId = userId
        self.refundAmount = refundAmount
        self.refundReason = refundReason
    }
}
