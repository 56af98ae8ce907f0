public import EmporiumContracts
public import EmporiumCore
import Foundation

/// One event of an order's stream: what happened to it. The stream is append-only; the order
/// is the fold of its events (``Order/init(events:)``).
public enum OrderChange: Sendable, Equatable {
    /// A checkout placed the order (`pending`).
    case placed(Placement)
    /// The inventory holds the order's stock (`stock_reserved`).
    case stockReserved
    /// The payments service authorized the total (`payment_authorized`).
    case paymentAuthorized(paymentId: String)
    /// The checkout finished (`confirmed`).
    case confirmed
    /// Someone decided to cancel the order (a failed checkout step, the customer, support): the
    /// compensation (void or refund, release) runs next; the status stays until it is done.
    case cancellationRequested(Cancellation)
    /// The compensation is done (`cancelled`).
    case cancelled(Cancellation)
    /// Support asked to ship: capture and commit run next.
    case shipmentRequested
    /// The payment was captured and the stock committed (`shipped`).
    case shipped
    case delivered
    /// Money was refunded at the payments service (`partially_refunded` or `refunded`).
    case refunded(Refund)

    /// What a checkout placed.
    public struct Placement: Codable, Sendable, Equatable {
        public var userId: String
        public var lines: [OrderLine]
        public var total: Money
        public var paymentMethodId: String
    }

    /// Why an order is cancelled: `reason` in words a person can read (`card declined`,
    /// `out of stock: SKU-123`), `code` for programs (`card_declined`, `out_of_stock`,
    /// `customer`, …).
    public struct Cancellation: Codable, Sendable, Equatable {
        public var reason: String
        public var code: String

        public init(reason: String, code: String) {
            self.reason = reason
            self.code = code
        }
    }

    /// A refund of the order's payment: this refund's amount and the total refunded after it.
    public struct Refund: Codable, Sendable, Equatable {
        public var amount: Money
        public var refundedTotal: Money
        /// Whether everything captured is refunded now.
        public var full: Bool
        public var reason: String?
    }

    private struct PaymentReference: Codable {
        var paymentId: String
    }

    private struct Nothing: Codable {}

    /// The event's type as stored (`placed`, `stock_reserved`, …).
    public var type: String {
        switch self {
        case .placed: "placed"
        case .stockReserved: "stock_reserved"
        case .paymentAuthorized: "payment_authorized"
        case .confirmed: "confirmed"
        case .cancellationRequested: "cancellation_requested"
        case .cancelled: "cancelled"
        case .shipmentRequested: "shipment_requested"
        case .shipped: "shipped"
        case .delivered: "delivered"
        case .refunded: "refunded"
        }
    }

    /// The event's data as stored: JSON with sorted keys.
    public func encodedData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        switch self {
        case .placed(let placement): return try encoder.encode(placement)
        case .paymentAuthorized(let paymentId): return try encoder.encode(PaymentReference(paymentId: paymentId))
        case .cancellationRequested(let cancellation), .cancelled(let cancellation): return try encoder.encode(cancellation)
        case .refunded(let refund): return try encoder.encode(refund)
        case .stockReserved, .confirmed, .shipmentRequested, .shipped, .delivered: return try encoder.encode(Nothing())
        }
    }

    /// The event of a stored `type` and `data`.
    /// - Throws: ``CorruptOrderEventError`` for a type this build does not know.
    public init(type: String, data: Data) throws {
        let decoder = JSONDecoder()
        switch type {
        case "placed": self = .placed(try decoder.decode(Placement.self, from: data))
        case "stock_reserved": self = .stockReserved
        case "payment_authorized": self = .paymentAuthorized(paymentId: try decoder.decode(PaymentReference.self, from: data).paymentId)
        case "confirmed": self = .confirmed
        case "cancellation_requested": self = .cancellationRequested(try decoder.decode(Cancellation.self, from: data))
        case "cancelled": self = .cancelled(try decoder.decode(Cancellation.self, from: data))
        case "shipment_requested": self = .shipmentRequested
        case "shipped": self = .shipped
        case "delivered": self = .delivered
        case "refunded": self = .refunded(try decoder.decode(Refund.self, from: data))
        default: throw CorruptOrderEventError(type: type)
        }
    }

    /// The status the event moves the order to, for those that move it.
    var status: OrderStatus? {
        switch self {
        case .placed: .pending
        case .stockReserved: .stockReserved
        case .paymentAuthorized: .paymentAuthorized
        case .confirmed: .confirmed
        case .cancelled: .cancelled
        case .shipped: .shipped
        case .delivered: .delivered
        case .refunded(let refund): refund.full ? .refunded : .partiallyRefunded
        case .cancellationRequested, .shipmentRequested: nil
        }
    }

    /// The event other services hear of (`orders.order.*`), for the changes they hear of.
    var publishedType: String? {
        switch self {
        case .placed: OrdersEvents.orderPlaced
        case .confirmed: OrdersEvents.orderConfirmed
        case .cancelled: OrdersEvents.orderCancelled
        case .shipped: OrdersEvents.orderShipped
        case .delivered: OrdersEvents.orderDelivered
        case .refunded: OrdersEvents.orderRefunded
        default: nil
        }
    }
}

/// A stored event of a type this build does not know.
public struct CorruptOrderEventError: Error, CustomStringConvertible {
    public var type: String
    public var description: String { "unknown order event type '\(type)'" }
}

/// An event as stored in an order's stream.
public struct RecordedOrderEvent: Sendable, Equatable {
    public var orderId: String
    /// 1 for `placed`, then one more per event.
    public var version: Int
    public var change: OrderChange
    /// When it was appended (ISO 8601 UTC, milliseconds).
    public var recordedAt: String
}
