import EmporiumContracts
import Foundation

/// What a notification is about: one per event the service consumes.
public enum NotificationKind: String, CaseIterable, Sendable, Codable {
    /// `identity.user.registered`: a welcome.
    case welcome
    /// `orders.order.confirmed`: the order confirmation (transactional).
    case orderConfirmed = "order_confirmed"
    /// `orders.order.shipped`.
    case orderShipped = "order_shipped"
    /// `orders.order.cancelled` (transactional: money held is released).
    case orderCancelled = "order_cancelled"
    /// `orders.order.refunded` (transactional: money moved).
    case orderRefunded = "order_refunded"

    /// The kind of an event type; nil for a type the service does not notify about.
    public init?(eventType: String) {
        guard let kind = Self.allCases.first(where: { $0.eventType == eventType }) else { return nil }
        self = kind
    }

    /// The event that makes it.
    public var eventType: String {
        switch self {
        case .welcome: IdentityEvents.userRegistered
        case .orderConfirmed: OrdersEvents.orderConfirmed
        case .orderShipped: OrdersEvents.orderShipped
        case .orderCancelled: OrdersEvents.orderCancelled
        case .orderRefunded: OrdersEvents.orderRefunded
        }
    }

    /// Transactional mail is always sent: a user cannot opt out of it by email.
    public var isTransactional: Bool {
        switch self {
        case .orderConfirmed, .orderCancelled, .orderRefunded: true
        case .welcome, .orderShipped: false
        }
    }

    /// The first part of its templates' file names (`order-confirmed.email.subject.mustache`).
    public var templateName: String {
        rawValue.replacingOccurrences(of: "_", with: "-")
    }

    /// Every event type the service consumes.
    public static var eventTypes: [String] { allCases.map(\.eventType) }
}

/// Where a notification goes.
public enum NotificationChannel: String, CaseIterable, Sendable, Codable {
    case email
    case webhook
    /// The list of `GET /v1/notifications`.
    case inApp = "in_app"
}
