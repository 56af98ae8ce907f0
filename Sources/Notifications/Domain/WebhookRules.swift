import EmporiumKit

/// Whose events a webhook subscription receives.
public enum WebhookScope: String, Sendable, Codable {
    /// Events about its owner (their orders).
    case own
    /// Every event of the shop: an administrator's subscription (`webhooks.shop`).
    case shop
}

/// The rules of a new webhook subscription, without I/O.
enum WebhookRules {
    /// How many subscriptions one user keeps.
    static let maximumPerUser = 10

    /// The event types a subscription may list.
    static var subscribableTypes: [String] { NotificationKind.eventTypes }

    /// `events` checked: at least one, each known, none twice.
    /// - Throws: a 400 problem naming the field (`events[1]`).
    static func validateEvents(_ events: [String]) throws(ProblemDetails) -> [String] {
        guard !events.isEmpty else { throw ProblemDetails.invalidField("events", "must list at least one event type") }
        var seen = Set<String>()
        for (index, type) in events.enumerated() {
            guard subscribableTypes.contains(type) else {
                throw ProblemDetails.invalidField("events[\(index)]", "is not an event one subscribes to; the types are \(subscribableTypes.joined(separator: ", "))")
            }
            guard seen.insert(type).inserted else { throw ProblemDetails.invalidField("events[\(index)]", "is listed twice") }
        }
        return events
    }
}
