import EmporiumContracts
import EmporiumCore
import Foundation
import Messaging
import SQLKit

/// The events the payments service publishes, recorded in the transaction of the change: the
/// payment after it (``PaymentEvent``), and for a refund made by a person the audit fact.
/// Neither ever carries a card number: a payment knows its method only by id.
enum PaymentEventRecorder {
    /// Records the event of `type` (`PaymentsEvents.paymentAuthorized`, …) for `stored`.
    static func record(
        _ type: String, _ stored: StoredPayment, refund: (amount: Money, reason: String)? = nil, outbox: Outbox, in sql: any SQLDatabase
    ) async throws {
        try await outbox.record(
            type: type, subject: stored.id,
            data: PaymentEvent(payment: stored.payment, userId: stored.userId, refundAmount: refund?.amount, refundReason: refund?.reason),
            in: sql)
    }

    /// Records `payments.audit.fact` for a refund by `actor` (a user id): the users service
    /// appends it to the audit log.
    static func auditRefund(
        _ stored: StoredPayment, amount: Money, reason: String, actor: String, at: Date, outbox: Outbox, in sql: any SQLDatabase
    ) async throws {
        let fact = AuditFact(
            at: Timestamp.format(at), actor: actor, action: "payment_refunded", target: stored.id,
            details: [
                "orderId": stored.payment.orderId, "amount": String(amount.amount), "currency": amount.currency,
                "refundedTotal": String(stored.payment.refundedAmount.amount), "reason": reason,
            ])
        try await outbox.record(type: PaymentsEvents.auditFact, subject: stored.id, data: fact, in: sql)
    }
}
