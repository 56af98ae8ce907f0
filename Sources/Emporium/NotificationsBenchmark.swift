import ArgumentParser
import EmporiumContracts
import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import Foundation
import Logging
import Messaging
import Notifications
import SMTP
import Security

/// `emporium bench notifications`: emails per second the notifications service delivers to a
/// mail server through its pool of `--connections` connections, next to the raw rate of our SMTP
/// client sending messages of the same size to the same server with as many connections, in the
/// same run. Prints one JSON line (progress on standard error).
///
/// The service runs in process as `emporium serve --services notifications,users` would (its
/// own SQLite database, migrations, consumer with its inbox, the default batch of 32 concurrent
/// sends); the users service, which the dispatcher asks for each recipient, makes its profiles
/// from the same registrations.
///
/// - **Raw**: `--messages` messages, 32 sends at a time, through one `SMTPClient` with
///   `--connections` connections.
/// - **Service**: `--messages` `orders.order.confirmed` events are consumed first (each plans one
///   email delivery); then the clock runs while the dispatcher takes due deliveries, renders the
///   templates, opens the recipient's sealed email, sends and records each outcome, until every
///   one is sent.
struct NotificationsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notifications",
        abstract: "Measure emails/s the notifications service delivers next to the raw rate of the SMTP client to the same server (see docs/benchmarks.md)."
    )

    @Option(name: .customLong("smtp-url"), help: "The mail server (an SMTP URL, e.g. smtp://127.0.0.1:2525?starttls=never).")
    var smtpURL: String

    @Option(help: "Emails per measurement.")
    var messages = 2_000

    @Option(help: "Connections to the mail server (the service's notifications.smtpConnections).")
    var connections = 4

    @Option(help: "Customers the orders are spread over.")
    var customers = 100

    func validate() throws {
        guard messages > 0, (1...64).contains(connections), customers > 0 else {
            throw ValidationError("--messages and --customers must be positive, --connections 1...64")
        }
    }

    struct Result: Codable {
        var benchmark = "notifications"
        var messages: Int
        var connections: Int
        /// Messages per second of the SMTP client alone.
        var rawEmailsPerSecond: Double
        /// Emails per second the notifications service delivered (taken, rendered, sent, recorded).
        var serviceEmailsPerSecond: Double
        var serviceToRaw: Double
    }

    func run() async throws {
        var logger = Logger(label: "emporium.bench.notifications")
        logger.logLevel = .warning
        let keys = KeyMaterial.generate()
        let flags = [
            "services": "notifications,users", "seed.demo": "false", "notifications.smtpUrl": smtpURL,
            "notifications.smtpConnections": "\(connections)",
            // The background round finds nothing due at start; the benchmark drives the rounds.
            "notifications.pollInterval": "60",
            "security.dataKeys": keys.dataKeys.map { "\($0.key):\($0.value)" }.joined(separator: ","),
            "security.activeDataKey": keys.activeDataKey, "security.indexKey": keys.indexKey,
        ]
        let config = try await ConfigurationLoader.reader(flags: flags, environment: [:], file: nil)
        let cipher = try RuntimeSettings(config: config, serviceNames: ServiceTable.standard.modules.map(\.name))
            .securitySettings(personalDataServices: ["notifications"]).cipher
        let result = try await BenchmarkServer.withEmbeddedServer(name: "notifications", flags: flags, logger: logger) { _, platform in
            try await measure(platform, cipher: cipher)
        }
        try BenchmarkServer.printJSONLine(result)
    }

    private func measure(_ platform: EmporiumPlatform, cipher: FieldCipher) async throws -> Result {
        guard let service = platform.services.lazy.compactMap({ $0 as? NotificationsService }).first else {
            throw ValidationError("no notifications service in the benchmark process")
        }
        let clock = ContinuousClock()
        let users = (0..<customers).map { index in (id: UUID.v7().lowercased, email: "bench-\(index)-\(UUID().uuidString.prefix(6).lowercased())@example.com") }

        // Raw: the SMTP client alone, messages like the confirmation's.
        var configuration = try SMTPConfiguration(url: smtpURL)
        configuration.pool.maximumConnections = connections
        let client = try SMTPClient(configuration: configuration, logger: Logger(label: "emporium.bench.smtp"))
        let text = String(repeating: "1 × Product (SKU-1): 10.00 USD\n", count: 12)
        let count = messages
        let rawSeconds = try await clock.measure {
            try await withThrowingTaskGroup(of: Void.self) { group in
                var next = 0
                func add() {
                    let user = users[next % users.count]
                    let message = SMTPMessage(
                        from: SMTPAddress("shop@emporium.localhost", name: "Emporium"), to: [SMTPAddress(user.email)],
                        subject: "Order \(UUID.v7().lowercased) confirmed", text: text, html: "<html><body><pre>\(text)</pre></body></html>")
                    group.addTask { _ = try await client.send(message) }
                    next += 1
                }
                for _ in 0..<min(32, count) { add() }
                while try await group.next() != nil {
                    if next < count { add() }
                }
            }
        } / .seconds(1)
        await client.close()
        let raw = Double(messages) / rawSeconds
        FileHandle.standardError.write(Data("SMTP client alone: \(String(format: "%.1f", raw)) emails/s\n".utf8))

        // The service: registrations (their welcome mails sent before the clock starts), then
        // one confirmed order per email.
        let registrations = try users.map { user in
            CloudEvent(
                source: "/emporium/auth", type: IdentityEvents.userRegistered, subject: user.id,
                data: try JSONValue(encoding: UserRegisteredData(
                    userId: user.id, sealedEmail: try cipher.seal(user.email, field: UserRegisteredData.emailField), roles: ["customer"],
                    registeredAt: Timestamp.format(.now))))
        }
        try await publish(registrations, on: platform)
        try await drain(service)
        let price = Money(amount: 1_000, currency: "USD")
        let orders = try (0..<messages).map { index in
            let orderId = UUID.v7().lowercased
            let order = OrderEventData(
                orderId: orderId, userId: users[index % users.count].id, status: "confirmed",
                lines: [OrderLine(sku: "SKU-1", productId: UUID.v7().lowercased, productName: "Product", quantity: 1, unitPrice: price, lineTotal: price)],
                total: price)
            return CloudEvent(source: "/emporium/orders", type: OrdersEvents.orderConfirmed, subject: orderId, data: try JSONValue(encoding: order))
        }
        try await publish(orders, on: platform)
        let serviceSeconds = try await clock.measure { try await drain(service) } / .seconds(1)
        let counts = try await service.deliveryCounts()
        guard counts[.sent] == messages + customers, counts[.pending, default: 0] == 0 else {
            throw ValidationError("not every email was sent: \(counts)")
        }
        let delivered = Double(messages) / serviceSeconds
        FileHandle.standardError.write(Data("notifications service: \(String(format: "%.1f", delivered)) emails/s\n".utf8))
        return Result(messages: messages, connections: connections, rawEmailsPerSecond: raw, serviceEmailsPerSecond: delivered, serviceToRaw: delivered / raw)
    }

    /// Hands `events` to the process's consumers, 64 at a time.
    private func publish(_ events: [CloudEvent], on platform: EmporiumPlatform) async throws {
        var start = 0
        while start < events.count {
            try await platform.transport.publish(Array(events[start..<min(start + 64, events.count)]))
            start += 64
        }
    }

    /// Runs the dispatcher's rounds until a round finds nothing due.
    private func drain(_ service: NotificationsService) async throws {
        while try await service.dispatchNow() > 0 {}
    }
}
