public import EmporiumKit
import Foundation

/// The notifications service's own settings (`notifications.*`, see `docs/configuration.md`).
public struct NotificationsSettings: Sendable, Equatable {
    /// The mail server (`notifications.smtpUrl`, see docs/smtp.md); nil: emails are written as
    /// `.eml` files into ``mailFolder``.
    public var smtpURL: String?
    /// A PEM file of the CA that signed the mail server's certificate (`notifications.smtpCaFile`);
    /// the system's roots when nil.
    public var smtpCAFile: String?
    /// How many connections the mail pool keeps (`notifications.smtpConnections`).
    public var smtpConnections: Int
    /// Where emails go without a mail server (`notifications.mailFolder`); `<data.dir>/mail` when nil.
    public var mailFolder: String?
    /// The sender (`notifications.from`, `Name <address>` or an address).
    public var from: String
    /// The shop's name and storefront address, for the templates (`notifications.shopName`,
    /// `notifications.shopUrl`).
    public var shopName: String
    public var shopURL: String
    /// A folder whose templates replace the shipped ones of the same name (`notifications.templatesPath`).
    public var templatesPath: String?
    /// Tries per delivery and the backoff between them (`notifications.maxAttempts`,
    /// `notifications.retryBase`, `notifications.retryMax`, seconds).
    public var retry: RetryPolicy
    /// How often the dispatcher looks for due deliveries when it found none (`notifications.pollInterval`, seconds).
    public var pollInterval: Duration
    /// How many deliveries one round takes at most (`notifications.batchSize`).
    public var batchSize: Int
    /// How long a webhook receiver has to answer (`notifications.webhooks.timeout`, seconds).
    public var webhookTimeout: Duration
    /// Whether webhooks may go to loopback, private and link-local addresses
    /// (`notifications.webhooks.allowPrivateAddresses`; never in a shop: SSRF).
    public var allowPrivateAddresses: Bool

    public static let defaults = NotificationsSettings()

    public init(
        smtpURL: String? = nil, smtpCAFile: String? = nil, smtpConnections: Int = 4, mailFolder: String? = nil,
        from: String = "Emporium <shop@emporium.localhost>", shopName: String = "Emporium", shopURL: String = "http://localhost:8080",
        templatesPath: String? = nil, retry: RetryPolicy = RetryPolicy(), pollInterval: Duration = .seconds(1), batchSize: Int = 32,
        webhookTimeout: Duration = .seconds(10), allowPrivateAddresses: Bool = false
    ) {
        self.smtpURL = smtpURL
        self.smtpCAFile = smtpCAFile
        self.smtpConnections = smtpConnections
        self.mailFolder = mailFolder
        self.from = from
        self.shopName = shopName
        self.shopURL = shopURL
        self.templatesPath = templatesPath
        self.retry = retry
        self.pollInterval = pollInterval
        self.batchSize = batchSize
        self.webhookTimeout = webhookTimeout
        self.allowPrivateAddresses = allowPrivateAddresses
    }

    /// Reads the settings, each defaulting to ``defaults``.
    /// - Throws: ``ServiceSettingError`` naming a key whose value is not usable.
    public init(_ settings: ServiceSettings) throws(ServiceSettingError) {
        let defaults = Self.defaults
        func text(_ key: String) -> String? {
            guard let value = settings.string(key)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
            return value
        }
        var allowPrivate = defaults.allowPrivateAddresses
        if let value = text("webhooks.allowPrivateAddresses") {
            switch value.lowercased() {
            case "true", "1", "yes": allowPrivate = true
            case "false", "0", "no": allowPrivate = false
            default: throw ServiceSettingError(key: settings.fullKey("webhooks.allowPrivateAddresses"), reason: "must be true or false, not '\(value)'")
            }
        }
        let retry = RetryPolicy(
            base: try settings.seconds("retryBase", default: defaults.retry.base, in: 1...3600),
            maximum: try settings.seconds("retryMax", default: defaults.retry.maximum, in: 1...86_400),
            maximumAttempts: try settings.int("maxAttempts", default: defaults.retry.maximumAttempts, in: 1...50))
        self.init(
            smtpURL: text("smtpUrl"), smtpCAFile: text("smtpCaFile"),
            smtpConnections: try settings.int("smtpConnections", default: defaults.smtpConnections, in: 1...64),
            mailFolder: text("mailFolder"), from: text("from") ?? defaults.from,
            shopName: text("shopName") ?? defaults.shopName, shopURL: text("shopUrl") ?? defaults.shopURL,
            templatesPath: text("templatesPath"), retry: retry,
            pollInterval: try settings.seconds("pollInterval", default: defaults.pollInterval, in: 1...60),
            batchSize: try settings.int("batchSize", default: defaults.batchSize, in: 1...500),
            webhookTimeout: try settings.seconds("webhooks.timeout", default: defaults.webhookTimeout, in: 1...60),
            allowPrivateAddresses: allowPrivate)
    }
}
