import EmporiumContracts
import Foundation
import Logging
import Messaging
import SMTP
import ServiceLifecycle

/// Sends the planned deliveries: takes the due ones (``DeliveryStore/take(limit:lease:now:)``),
/// sends them concurrently, and records each outcome (sent; failed; due again after a backoff
/// with jitter; dead once the tries are used up). It runs apart from the event consumer, so a
/// mail server or receiver that is down delays messages and nothing else.
struct DeliveryDispatcher: Service {
    let deliveries: DeliveryStore
    let webhooks: WebhookStore
    let recipients: RecipientStore
    /// Asked first for the recipient's email and name; nil when no users service can be reached.
    let users: (any UsersAPI)?
    let templates: NotificationTemplates
    let mailer: any Mailer
    let webhookSender: WebhookSender
    let sender: SMTPAddress
    let shop: TemplateData.Shop
    let retry: RetryPolicy
    let batchSize: Int
    let pollInterval: Duration
    /// How long a taken delivery is left to its dispatcher before it is due again (longer than
    /// the slowest try: the mail server's and the receiver's time-outs).
    let lease: Duration
    let metrics: DeliveryMetrics
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            var taken = 0
            do {
                taken = try await round()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("could not take deliveries", metadata: ["error": "\(error)"])
            }
            if taken < batchSize {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pollInterval) }
            }
        }
    }

    /// Takes and sends one batch of due deliveries; how many it took.
    @discardableResult
    func round(now: Date = .now) async throws -> Int {
        let taken = try await deliveries.take(limit: batchSize, lease: lease, now: now)
        await withTaskGroup(of: Void.self) { group in
            for delivery in taken {
                group.addTask { await deliver(delivery) }
            }
        }
        return taken.count
    }

    private func deliver(_ delivery: Delivery) async {
        let start = ContinuousClock.now
        let outcome = await attempt(delivery)
        var retryAt: Date?
        let label: String
        switch outcome {
        case .sent:
            label = "sent"
        case .failed(let reason):
            label = "failed"
            logger.warning("notification not delivered", metadata: Self.metadata(delivery, reason))
        case .retry(let reason):
            if retry.isExhausted(attempts: delivery.attempts) {
                label = "dead"
                logger.error("notification given up after every try", metadata: Self.metadata(delivery, reason))
            } else {
                label = "retried"
                let wait = retry.delay(afterAttempts: delivery.attempts)
                retryAt = Date.now.addingTimeInterval(Double(wait.milliseconds) / 1_000)
                logger.info("notification will be tried again", metadata: Self.metadata(delivery, reason).merging(["in": "\(wait)"]) { $1 })
            }
        }
        metrics.record(delivery.channel, outcome: label, duration: ContinuousClock.now - start)
        do {
            try await deliveries.settle(delivery, outcome, retryAt: retryAt, now: .now)
        } catch {
            // The lease ends and the delivery is taken again: at least once, never lost.
            logger.warning("could not record a delivery's outcome", metadata: Self.metadata(delivery, "\(error)"))
        }
    }

    private static func metadata(_ delivery: Delivery, _ reason: String) -> Logger.Metadata {
        [
            "delivery": "\(delivery.id)", "channel": "\(delivery.channel.rawValue)", "kind": "\(delivery.kind.rawValue)",
            "attempt": "\(delivery.attempts)", "reason": "\(reason)",
        ]
    }

    func attempt(_ delivery: Delivery) async -> DeliveryOutcome {
        switch delivery.channel {
        case .email: await email(delivery)
        case .webhook: await webhook(delivery)
        case .inApp: .sent
        }
    }

    private func email(_ delivery: Delivery) async -> DeliveryOutcome {
        let event: CloudEvent
        let order: OrderEventData?
        do {
            event = try CloudEvent.decode(Data(delivery.event.utf8))
            order = delivery.kind == .welcome ? nil : try event.payload(as: OrderEventData.self)
        } catch {
            return .failed("the event cannot be read: \(error)")
        }
        var contact: UserContact?
        if let users {
            do {
                contact = try await users.contact(ofUser: delivery.userId)
            } catch {
                logger.debug("the users service did not say how to reach a user; using the email of the registration", metadata: ["error": "\(error)"])
            }
        }
        if contact == nil {
            do {
                contact = try await recipients.email(of: delivery.userId).map { UserContact(userId: delivery.userId, email: $0, name: nil) }
            } catch {
                return .retry("could not read the recipient: \(error)")
            }
        }
        guard let contact else { return .retry("no email is known for user \(delivery.userId) yet") }
        let name = contact.name.flatMap { $0.isEmpty ? nil : $0 }
        let rendered = templates.email(delivery.kind, TemplateData(shop: shop, customerName: name, customerEmail: contact.email, order: order))
        let message = SMTPMessage(
            from: sender, to: [SMTPAddress(contact.email, name: name)], subject: rendered.subject, text: rendered.text, html: rendered.html,
            messageID: "\(delivery.id)@\(sender.domain)")
        do {
            try await mailer.send(message)
            return .sent
        } catch {
            return error.isTransient ? .retry(error.reason) : .failed(error.reason)
        }
    }

    private func webhook(_ delivery: Delivery) async -> DeliveryOutcome {
        let endpoint: (url: String, secret: String)?
        do {
            endpoint = try await webhooks.endpoint(id: delivery.target)
        } catch {
            return .retry("could not read the subscription: \(error)")
        }
        guard let endpoint else { return .failed("the subscription was deleted") }
        return await webhookSender.post(Data(delivery.event.utf8), id: delivery.id, to: endpoint.url, secret: endpoint.secret)
    }
}
