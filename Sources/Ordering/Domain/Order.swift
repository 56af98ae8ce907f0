public import EmporiumContracts
public import EmporiumCore

/// An order: the fold of its stream's events, and nothing else.
public struct Order: Sendable, Equatable {
    /// What the order still has to do besides its status: a decided cancellation whose
    /// compensation has not finished, or a requested shipment not yet captured and committed.
    public enum Intent: Sendable, Equatable {
        case cancel(OrderChange.Cancellation)
        case ship
    }

    public var id: String
    public var userId: String
    public var status: OrderStatus
    public var lines: [OrderLine]
    public var total: Money
    public var paymentMethodId: String
    /// The authorized payment, once there is one.
    public var paymentId: String?
    public var cancellation: OrderChange.Cancellation?
    public var refundedAmount: Money
    public var intent: Intent?
    /// The version of the last event folded in.
    public var version: Int
    public var createdAt: String
    public var updatedAt: String

    /// The fold of `events`, oldest first, starting with `placed`.
    /// - Throws: ``CorruptOrderStreamError`` when the stream does not start with `placed` or
    ///   skips a version.
    public init(events: [RecordedOrderEvent]) throws {
        guard let first = events.first, case .placed(let placement) = first.change, first.version == 1 else {
            throw CorruptOrderStreamError(orderId: events.first?.orderId ?? "", detail: "does not start with placed at version 1")
        }
        id = first.orderId
        userId = placement.userId
        status = .pending
        lines = placement.lines
        total = placement.total
        paymentMethodId = placement.paymentMethodId
        refundedAmount = Money(amount: 0, currency: placement.total.currency)
        version = 1
        createdAt = first.recordedAt
        updatedAt = first.recordedAt
        for event in events.dropFirst() { try apply(event) }
    }

    /// Folds in the next event.
    public mutating func apply(_ event: RecordedOrderEvent) throws {
        guard event.version == version + 1 else {
            throw CorruptOrderStreamError(orderId: id, detail: "version \(event.version) follows \(version)")
        }
        version = event.version
        updatedAt = event.recordedAt
        if let next = event.change.status { status = next }
        switch event.change {
        case .placed:
            throw CorruptOrderStreamError(orderId: id, detail: "placed twice")
        case .paymentAuthorized(let paymentId):
            self.paymentId = paymentId
        case .cancellationRequested(let cancellation):
            intent = .cancel(cancellation)
        case .cancelled(let cancellation):
            self.cancellation = cancellation
            intent = nil
        case .shipmentRequested:
            intent = .ship
        case .shipped:
            intent = nil
        case .refunded(let refund):
            refundedAmount = refund.refundedTotal
        case .stockReserved, .confirmed, .delivered:
            break
        }
    }

    /// Whether the order waits for work (its checkout, a cancellation or a shipment) that the
    /// recovery finishes when nobody else does.
    public var isUnsettled: Bool { status.isCheckingOut || intent != nil }

    /// The data of its `orders.order.*` events.
    var eventData: OrderEventData {
        OrderEventData(
            orderId: id, userId: userId, status: status.rawValue, lines: lines, total: total, cancellationReason: cancellation?.reason,
            refundedAmount: status == .refunded || status == .partiallyRefunded ? refundedAmount : nil)
    }
}

/// A stream that cannot be folded into an order.
public struct CorruptOrderStreamError: Error, CustomStringConvertible {
    public var orderId: String
    public var detail: String
    public var description: String { "the event stream of order \(orderId) \(detail)" }
}
