public import EmporiumContracts
public import EmporiumKit
import Foundation
import Logging
public import Messaging
import SMTP
public import ServiceLifecycle
import Storage

/// The notifications service: it hears `identity.user.registered` and the orders' confirmed,
/// shipped, cancelled and refunded events, and tells the user by email (our SMTP client), by
/// webhook (signed CloudEvents, `/v1/webhooks`) and in the app (`/v1/notifications`), each as
/// their preferences allow (transactional mail always goes).
///
/// It only reacts: nothing calls it, and while it is down orders go on; the events wait in the
/// broker and the messages go out once it is back. Each event plans its deliveries once (the
/// inbox); the dispatcher sends them with retries, backoff and jitter, and records every
/// delivery's channel, status, tries and last error for support
/// (`GET /v1/notifications/deliveries`).
public struct NotificationsService: EmporiumService, PersonalDataKeeping {
    public let name = "notifications"
    public let migrations = NotificationsMigrations.all
    public let openAPI = Self.publicAPI
    /// The service's public routes (OpenAPI), without an instance: for the gateway, which fronts
    /// them from another process.
    public static let publicAPI = NotificationsOpenAPI.fragment
    /// Notifications, preferences, deliveries and webhooks (with their secrets) are never cached.
    public var privatePathPrefixes: [String] { ["/v1/notifications", "/v1/webhooks"] }

    let planner: NotificationPlanner
    let dispatcher: DeliveryDispatcher
    let deliveries: DeliveryStore
    private let recipients: RecipientStore
    private let webhooks: WebhookStore
    private let inApp: InAppStore
    private let preferences: PreferenceStore
    private let settings: NotificationsSettings
    private let smtp: SMTPClient?
    private let httpClient: WebhookHTTPClient

    /// Reads the `notifications.*` settings and loads the templates.
    /// - Parameter users: asked for the recipient's email and name (the email of the
    ///   registration is the fallback); nil when no users service is reachable.
    /// - Throws: ``ServiceSettingError`` for a setting that cannot be used, a template that
    ///   does not parse or is missing.
    public static func configured(environment: ServiceEnvironment, users: (any UsersAPI)?) async throws -> NotificationsService {
        let settings = try NotificationsSettings(environment.settings)
        let templates: NotificationTemplates
        do {
            templates = try await NotificationTemplates.load(overrides: settings.templatesPath)
        } catch let error as TemplateError {
            throw ServiceSettingError(key: environment.settings.fullKey("templatesPath"), reason: error.description)
        }
        return try NotificationsService(environment: environment, settings: settings, templates: templates, users: users)
    }

    init(environment: ServiceEnvironment, settings: NotificationsSettings, templates: NotificationTemplates, users: (any UsersAPI)?) throws {
        let fullKey = environment.settings.fullKey
        guard let sender = Self.address(settings.from) else {
            throw ServiceSettingError(key: fullKey("from"), reason: "must be an address or 'Name <address>', not '\(settings.from)'")
        }
        let database = environment.database
        let cipher = environment.security.cipher
        let deliveries = DeliveryStore(database: database)
        let recipients = RecipientStore(database: database, cipher: cipher)
        let webhooks = WebhookStore(database: database, cipher: cipher)
        let inApp = InAppStore(database: database)
        let preferences = PreferenceStore(database: database)
        let mailer: any Mailer
        if let url = settings.smtpURL {
            do {
                var configuration = try SMTPConfiguration(url: url)
                configuration.pool.maximumConnections = settings.smtpConnections
                if let caFile = settings.smtpCAFile { configuration.tls.trustRoots = .file(caFile) }
                let client = try SMTPClient(configuration: configuration, logger: environment.logger)
                smtp = client
                mailer = SMTPMailer(client: client)
            } catch {
                throw ServiceSettingError(key: fullKey("smtpUrl"), reason: "\(error)")
            }
        } else {
            smtp = nil
            mailer = FileMailer(
                folder: settings.mailFolder.map { URL(fileURLWithPath: $0) }
                    ?? URL(fileURLWithPath: environment.dataDirectory).appendingPathComponent("mail"))
        }
        let httpClient = WebhookHTTPClient(timeout: settings.webhookTimeout)
        let shop = TemplateData.Shop(name: settings.shopName, url: settings.shopURL)
        self.httpClient = httpClient
        self.settings = settings
        self.deliveries = deliveries
        self.recipients = recipients
        self.webhooks = webhooks
        self.inApp = inApp
        self.preferences = preferences
        self.planner = NotificationPlanner(
            deliveries: deliveries, recipients: recipients, preferences: preferences, inApp: inApp, webhooks: webhooks, templates: templates,
            shop: shop, cipher: cipher, logger: environment.logger)
        self.dispatcher = DeliveryDispatcher(
            deliveries: deliveries, webhooks: webhooks, recipients: recipients, users: users, templates: templates, mailer: mailer,
            webhookSender: WebhookSender(client: httpClient, timeout: settings.webhookTimeout, allowPrivateAddresses: settings.allowPrivateAddresses),
            sender: sender, shop: shop, retry: settings.retry, batchSize: settings.batchSize, pollInterval: settings.pollInterval,
            lease: .seconds(max(120, 2 * settings.webhookTimeout.components.seconds + 70)), metrics: DeliveryMetrics(factory: environment.metrics),
            logger: environment.logger)
    }

    public func addRoutes(to router: ServiceRouter) {
        NotificationsController(inApp: inApp, preferences: preferences, deliveries: deliveries).addRoutes(to: router)
        WebhooksController(webhooks: webhooks, allowPrivateAddresses: settings.allowPrivateAddresses).addRoutes(to: router)
    }

    public var eventSubscriptions: [EventSubscription] {
        let planner = self.planner
        return [EventSubscription(types: Set(NotificationKind.eventTypes)) { event, sql in try await planner.plan(event, sql) }]
    }

    /// The dispatcher, the mail server's pool and the webhook client (closed at shutdown).
    public var backgroundServices: [any Service] {
        var services: [any Service] = [dispatcher, WebhookClientCloser(client: httpClient)]
        if let smtp { services.append(smtp) }
        return services
    }

    // MARK: Operations

    /// Sends one batch of due deliveries now (tests, `emporium bench notifications`).
    @discardableResult
    public func dispatchNow() async throws -> Int {
        try await dispatcher.round()
    }

    /// How many deliveries are in each status (the benchmark).
    public func deliveryCounts() async throws -> [DeliveryStatus: Int] {
        try await deliveries.counts()
    }

    /// Re-seals the kept emails and webhook secrets under the active data key.
    public func reencryptPersonalData() async throws -> Int {
        try await recipients.reencrypt() + webhooks.reencrypt()
    }

    /// `Name <address>` or `address` as an ``SMTPAddress``; nil when it is neither.
    static func address(_ text: String) -> SMTPAddress? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var address = SMTPAddress(trimmed)
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            let name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            address = SMTPAddress(String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]), name: name.isEmpty ? nil : name)
        }
        do {
            try address.validate()
            return address
        } catch {
            return nil
        }
    }
}
