public import EmporiumCore

/// The events the orders service publishes through its outbox (routing keys), each carrying an
/// ``OrderEventData``: the order after the change.
public enum OrdersEvents {
    /// A checkout placed the order (`pending`): lines priced, nothing reserved or paid yet.
    public static let orderPlaced = "orders.order.placed"
    /// Stock is reserved and the payment authorized: the shop owes the goods.
    public static let orderConfirmed = "orders.order.confirmed"
    /// The order was cancelled (a failed checkout, the customer, support); see its reason.
    public static let orderCancelled = "orders.order.cancelled"
    /// The payment was captured and the stock committed: the parcel left.
    public static let orderShipped = "orders.order.shipped"
    public static let orderDelivered = "orders.order.delivered"
    /// Money was refunded (in part or in full); `refundedAmount` is the total so far.
    public static let orderRefunded = "orders.order.refunded"

    /// Every type above.
    public static let all = [orderPlaced, orderConfirmed, orderCancelled, orderShipped, orderDelivered, orderRefunded]
}

/// One line of an order: the SKU's product and price at the moment of the checkout.
public struct OrderLine: Codable, Sendable, Equatable {
    public var sku: String
    public var productId: String
    public var productName: String
    public var quantity: Int
    public var unitPrice: Money
    public var lineTotal: Money

    public init(sku: String, productId: String, productName: String, quantity: Int, unitPrice: Money, lineTotal: Money) {
        self.sku = sku
        self.productId = productId
        self.productName = productName
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.lineTotal = lineTotal
    }
}

/// The data of every `orders.order.*` event. It never carries the shipping address (personal
/// data stays in the orders service) nor anything of the card.
public struct OrderEventData: Codable, Sendable, Equatable {
    public var orderId: String
    public var userId: String
    /// The order's status after the change (`confirmed`, `cancelled`, …).
    public var status: String
    public var lines: [OrderLine]
    public var total: Money
    /// For `.cancelled`: why, in words a person can read (`card declined`).
    public var cancellationReason: String?
    /// For `.refunded`: the total refunded so far.
    public var refundedAmount: Money?

    public init(
        orderId: String, userId: String, status: String, lines: [OrderLine], total: Money, cancellationReason: String? = nil,
        refundedAmount: Money? = nil
    ) {
        self.orderId = orderId
        self.userId = userId
        self.status = status
        self.lines = lines
        self.total = total
        self.cancellationReason = cancellationReason
        self.refundedAmount = refundedAmount
    }
}
