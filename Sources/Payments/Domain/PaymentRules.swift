import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Foundation

/// The rules of payment calls, without I/O: what a valid authorization, key, amount and refund
/// are, and the refund arithmetic.
public enum PaymentRules {
    /// The largest amount one payment may have, in minor units.
    public static let maximumAmount: Int64 = 99_999_999_999
    /// The longest idempotency key (the platform's ``IdempotencyKey`` rule).
    public static let maximumKeyLength = IdempotencyKey.maximumLength
    /// The longest refund reason, in characters (after trimming).
    public static let maximumReasonLength = 500
    /// How long the processor has to answer one call.
    public static let defaultProcessorTimeout: Duration = .seconds(3)
    /// The pattern of an idempotency key: 1–255 visible ASCII characters.
    public static let keyPattern = #"^[\x21-\x7E]{1,255}$"#

    /// An authorization with its ids in lower case, or ``PaymentError/invalid(field:detail:)``.
    public static func validate(_ request: PaymentAuthorization) throws(PaymentError) -> PaymentAuthorization {
        var valid = request
        valid.orderId = try uuid(request.orderId, field: "orderId")
        valid.userId = try uuid(request.userId, field: "userId")
        valid.paymentMethodId = try uuid(request.paymentMethodId, field: "paymentMethodId")
        try validate(request.amount, field: "amount")
        try validateKey(request.idempotencyKey, field: "idempotencyKey")
        return valid
    }

    /// `id` in lower case when it is a UUID, else ``PaymentError/invalid(field:detail:)``.
    public static func uuid(_ id: String, field: String) throws(PaymentError) -> String {
        guard let uuid = UUID(uuidString: id) else { throw .invalid(field: field, detail: "must be a UUID") }
        return uuid.uuidString.lowercased()
    }

    /// A payment id in lower case; one that is not a UUID names no payment.
    public static func paymentID(_ id: String) throws(PaymentError) -> String {
        guard let uuid = UUID(uuidString: id) else { throw .notFound(id) }
        return uuid.uuidString.lowercased()
    }

    /// An amount of 1 to ``maximumAmount`` minor units in an ISO 4217 currency.
    public static func validate(_ money: Money, field: String) throws(PaymentError) {
        guard (1...maximumAmount).contains(money.amount) else {
            throw .invalid(field: "\(field).amount", detail: "must be from 1 to \(maximumAmount) (minor units)")
        }
        guard Currency.isValid(money.currency) else {
            throw .invalid(field: "\(field).currency", detail: "must be an active ISO 4217 code in upper case")
        }
    }

    /// Whether `key` is 1–255 visible ASCII characters.
    public static func isValidKey(_ key: String) -> Bool {
        IdempotencyKey.isValid(key)
    }

    /// The rule of an idempotency key, in words.
    public static let keyRule = IdempotencyKey.rule

    public static func validateKey(_ key: String, field: String) throws(PaymentError) {
        guard isValidKey(key) else { throw .invalid(field: field, detail: keyRule) }
    }

    /// A refund reason trimmed, or ``PaymentError/invalid(field:detail:)``: 1–500 characters,
    /// one line.
    public static func reason(_ reason: String, field: String = "reason") throws(PaymentError) -> String {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .invalid(field: field, detail: "must not be blank") }
        guard trimmed.count <= maximumReasonLength else {
            throw .invalid(field: field, detail: "must have at most \(maximumReasonLength) characters")
        }
        if let problem = InputText.problem(in: trimmed, multiLine: false) { throw .invalid(field: field, detail: problem) }
        return trimmed
    }

    // MARK: Refund arithmetic

    /// What can still be refunded of `payment`: captured less refunded.
    public static func refundable(_ payment: Payment) -> Money {
        Money(amount: payment.capturedAmount.amount - payment.refundedAmount.amount, currency: payment.amount.currency)
    }

    /// The amount a refund of `requested` takes from `payment` (all that remains when nil).
    /// - Throws: ``PaymentError/unprocessable(field:detail:)`` for another currency,
    ///   ``PaymentError/refundExceedsCaptured(paymentId:refundable:)`` beyond what remains.
    public static func refundAmount(_ requested: Money?, of payment: Payment) throws(PaymentError) -> Money {
        let refundable = refundable(payment)
        guard let requested else {
            guard refundable.amount > 0 else { throw .refundExceedsCaptured(paymentId: payment.id, refundable: refundable) }
            return refundable
        }
        guard requested.currency == payment.amount.currency else {
            throw .unprocessable(field: "amount.currency", detail: "must be \(payment.amount.currency), the payment's currency")
        }
        guard requested.amount <= refundable.amount else {
            throw .refundExceedsCaptured(paymentId: payment.id, refundable: refundable)
        }
        return requested
    }

    /// The status of a captured payment once `refunded` of its `captured` is refunded.
    public static func statusAfterRefund(captured: Int64, refunded: Int64) -> PaymentStatus {
        refunded >= captured ? .refunded : (refunded > 0 ? .partiallyRefunded : .captured)
    }
}
