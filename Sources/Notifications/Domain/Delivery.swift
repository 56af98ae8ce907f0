import Foundation

/// Where a delivery stands.
public enum DeliveryStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting for its (next) try.
    case pending
    /// Accepted by the mail server or the webhook receiver.
    case sent
    /// Refused for good (a 5xx from the mail server, a webhook URL that resolves to a private
    /// address, an unknown recipient): not tried again.
    case failed
    /// Every try failed for a reason that might have passed: given up.
    case dead
}

/// One message to send on one channel for one event: as the dispatcher takes it.
struct Delivery: Sendable, Equatable {
    var id: String
    var eventId: String
    var kind: NotificationKind
    var userId: String
    var channel: NotificationChannel
    /// The webhook's id; empty for email.
    var target: String
    /// The CloudEvent's JSON.
    var event: String
    /// Tries so far, this one included.
    var attempts: Int
}

/// What became of one try.
enum DeliveryOutcome: Sendable, Equatable {
    case sent
    /// May pass: try again later (unless the tries are used up).
    case retry(String)
    /// Will not pass: record it failed.
    case failed(String)
}

/// A delivery as support sees it (`GET /v1/notifications/deliveries`).
struct DeliveryView: Codable, Sendable, Equatable {
    var id: String
    var eventId: String
    var eventType: String
    var kind: String
    var userId: String
    var channel: String
    /// The webhook's id; null for email.
    var webhookId: String?
    var status: String
    var attempts: Int
    var lastError: String?
    /// When the next try is due (pending deliveries).
    var nextAttemptAt: String?
    var createdAt: String
    var sentAt: String?
}
