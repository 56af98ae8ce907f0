import EmporiumContracts
import Foundation
import Logging
import Messaging
import SQLKit
import Security

/// Turns a consumed event into notifications, inside the event's inbox transaction (so a
/// redelivered event plans nothing twice): the in-app notification, rendered now; an email
/// delivery; one webhook delivery per subscription that lists the type. The user's preferences
/// decide the first two. Sending is the dispatcher's work, later, so a mail server that is down
/// never holds the consumer up.
struct NotificationPlanner: Sendable {
    let deliveries: DeliveryStore
    let recipients: RecipientStore
    let preferences: PreferenceStore
    let inApp: InAppStore
    let webhooks: WebhookStore
    let templates: NotificationTemplates
    let shop: TemplateData.Shop
    /// Opens the email of `identity.user.registered`.
    let cipher: FieldCipher
    let logger: Logger

    func plan(_ event: CloudEvent, _ sql: any SQLDatabase, now: Date = .now) async throws {
        guard let kind = NotificationKind(eventType: event.type) else { return }
        let userId: String
        var order: OrderEventData?
        if kind == .welcome {
            let registered = try event.payload(as: UserRegisteredData.self)
            userId = registered.userId.lowercased()
            do {
                let email = try cipher.open(registered.sealedEmail, field: UserRegisteredData.emailField)
                try await recipients.keep(userId: userId, email: email, now: now, sql)
            } catch let error as FieldCipherError {
                // Mail then goes to the address the users service gives.
                logger.error("could not open the email of a registration", metadata: ["user": "\(userId)", "error": "\(error)"])
            }
        } else {
            let data = try event.payload(as: OrderEventData.self)
            userId = data.userId.lowercased()
            order = data
        }
        let chosen = try await preferences.preferences(of: userId, sql)
        if chosen.allows(kind, on: .inApp) {
            let rendered = templates.inApp(kind, TemplateData(shop: shop, order: order))
            try await inApp.add(
                userId: userId, eventId: event.id, kind: kind, subjectId: order?.orderId, title: rendered.title, body: rendered.body, now: now, sql)
        }
        var plans: [DeliveryStore.Plan] = []
        if chosen.allows(kind, on: .email) {
            plans.append(DeliveryStore.Plan(kind: kind, userId: userId, channel: .email, target: ""))
        }
        for webhook in try await webhooks.subscribers(eventType: event.type, userId: userId, sql) {
            plans.append(DeliveryStore.Plan(kind: kind, userId: userId, channel: .webhook, target: webhook))
        }
        guard !plans.isEmpty else { return }
        let json = String(decoding: try event.encoded(), as: UTF8.self)
        try await deliveries.plan(plans, eventId: event.id, eventType: event.type, eventJSON: json, now: now, sql)
    }
}
