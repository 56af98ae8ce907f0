/// Where an order is in its life.
///
/// ```
/// pending → stock_reserved → payment_authorized → confirmed → shipped → delivered
///    ↘              ↘                  ↘              ↘          ↘          ↘
///                        cancelled                         partially_refunded → refunded
/// ```
/// `pending`, `stock_reserved` and `payment_authorized` are the checkout's own states: an order
/// left in one of them is unsettled, and the recovery drives it forward or back.
public enum OrderStatus: String, Codable, Sendable, CaseIterable {
    case pending
    case stockReserved = "stock_reserved"
    case paymentAuthorized = "payment_authorized"
    case confirmed
    case shipped
    case delivered
    case cancelled
    case partiallyRefunded = "partially_refunded"
    case refunded

    /// The states an order may move to from this one.
    public var next: Set<OrderStatus> {
        switch self {
        case .pending: [.stockReserved, .cancelled]
        case .stockReserved: [.paymentAuthorized, .cancelled]
        case .paymentAuthorized: [.confirmed, .cancelled]
        case .confirmed: [.shipped, .cancelled]
        case .shipped: [.delivered, .partiallyRefunded, .refunded]
        case .delivered: [.partiallyRefunded, .refunded]
        case .partiallyRefunded: [.partiallyRefunded, .refunded]
        case .cancelled, .refunded: []
        }
    }

    /// Whether the checkout of an order in this state has not finished yet.
    public var isCheckingOut: Bool {
        self == .pending || self == .stockReserved || self == .paymentAuthorized
    }

    /// The states of an order whose checkout has not finished.
    public static let checkingOut: [OrderStatus] = allCases.filter(\.isCheckingOut)
}
