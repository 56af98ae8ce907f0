public import EmporiumContracts
public import EmporiumCore

/// An order as `GET /v1/orders/{id}` and the checkout answer it: `{"id", "status", "lines",
/// "total", "cancellationReason"?, …}`.
public struct OrderDetails: Codable, Sendable, Equatable {
    public var id: String
    public var userId: String
    public var status: OrderStatus
    public var lines: [OrderLine]
    public var total: Money
    public var refundedAmount: Money
    public var paymentMethodId: String
    public var paymentId: String?
    public var shippingAddress: PostalAddress?
    public var cancellationReason: String?
    /// `out_of_stock`, `card_declined`, `customer`, … for programs.
    public var cancellationCode: String?
    /// The stream's version: how many events the order has.
    public var version: Int
    public var createdAt: String
    public var updatedAt: String
}

/// An order as `GET /v1/orders` lists it.
public struct OrderSummary: Codable, Sendable, Equatable {
    public var id: String
    public var userId: String
    public var status: OrderStatus
    public var total: Money
    public var refundedAmount: Money
    /// Units over all lines.
    public var itemCount: Int
    public var cancellationReason: String?
    public var createdAt: String
    public var updatedAt: String
}

/// An event of an order's stream as `GET /v1/orders/{id}/events` shows it.
public struct OrderEventView: Encodable, Sendable {
    public var version: Int
    public var type: String
    public var recordedAt: String
    public var data: JSONValue
}
