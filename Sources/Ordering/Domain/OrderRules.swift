public import EmporiumContracts
public import EmporiumCore
import Foundation

/// The decisions about an order, without I/O: which event a command appends, or why it may not.
public enum OrderRules {
    /// The change that moves `order` to `status`.
    /// - Throws: ``OrderError/illegalTransition(from:to:)`` when `status` does not follow the
    ///   order's.
    public static func require(_ order: Order, canBecome status: OrderStatus) throws(OrderError) {
        guard order.status.next.contains(status) else { throw .illegalTransition(from: order.status, to: status) }
    }

    /// What cancelling `order` appends: nothing when it is cancelled already or its
    /// cancellation is under way (cancelling is idempotent), else the request.
    /// - Throws: ``OrderError/illegalTransition(from:to:)`` once it shipped (refund it instead).
    public static func cancel(_ order: Order, _ cancellation: OrderChange.Cancellation) throws(OrderError) -> [OrderChange] {
        if order.status == .cancelled { return [] }
        if case .cancel = order.intent { return [] }
        // A shipment under way has captured, or is capturing, the payment: it ships.
        if order.intent == .ship { throw .illegalTransition(from: .shipped, to: .cancelled) }
        try require(order, canBecome: .cancelled)
        return [.cancellationRequested(cancellation)]
    }

    /// What shipping `order` appends: nothing while its shipment is under way or once it
    /// shipped (shipping is idempotent).
    /// - Throws: ``OrderError/illegalTransition(from:to:)`` unless it is confirmed (or shipped).
    public static func ship(_ order: Order) throws(OrderError) -> [OrderChange] {
        if order.intent == .ship || order.status == .shipped { return [] }
        if case .cancel = order.intent { throw .illegalTransition(from: .cancelled, to: .shipped) }
        try require(order, canBecome: .shipped)
        return [.shipmentRequested]
    }

    /// What delivering `order` appends: nothing when it is delivered already.
    /// - Throws: ``OrderError/illegalTransition(from:to:)`` unless it shipped.
    public static func deliver(_ order: Order) throws(OrderError) -> [OrderChange] {
        if order.status == .delivered { return [] }
        try require(order, canBecome: .delivered)
        return [.delivered]
    }

    /// What a refund of the order's payment appends, from the payment after it: nothing when
    /// the order knows that total already (a redelivered event).
    /// - Throws: ``OrderError/illegalTransition(from:to:)`` unless the order shipped.
    public static func refund(_ order: Order, payment: Payment, amount: Money, reason: String?) throws(OrderError) -> [OrderChange] {
        guard payment.refundedAmount.amount > order.refundedAmount.amount else { return [] }
        let full = payment.refundedAmount.amount >= payment.capturedAmount.amount
        try require(order, canBecome: full ? .refunded : .partiallyRefunded)
        return [.refunded(.init(amount: amount, refundedTotal: payment.refundedAmount, full: full, reason: reason))]
    }

    /// The cancellation of a checkout that found `shortages`: `out of stock: SKU-1, SKU-2`.
    public static func outOfStock(_ shortages: [StockShortage]) -> OrderChange.Cancellation {
        .init(reason: "out of stock: " + shortages.map(\.sku).joined(separator: ", "), code: "out_of_stock")
    }

    /// The cancellation of a checkout whose payment failed: the payments service's reason
    /// (`card declined`, `insufficient funds`).
    public static func paymentFailed(_ payment: Payment) -> OrderChange.Cancellation {
        .init(reason: payment.failureReason ?? "payment failed", code: payment.failureCode ?? "payment_failed")
    }
}
