import Crypto
import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Foundation
@testable import Notifications
import Testing

@Suite("Notification rules")
struct NotificationRulesTests {
    @Test("transactional mail is always sent; other kinds and in-app follow the opt-outs")
    func preferences() throws {
        let preferences = try NotificationPreferences().applying([
            "email": ["order_shipped": false, "welcome": false], "in_app": ["order_confirmed": false],
        ])
        #expect(!preferences.allows(.orderShipped, on: .email))
        #expect(!preferences.allows(.welcome, on: .email))
        #expect(preferences.allows(.orderConfirmed, on: .email))
        #expect(!preferences.allows(.orderConfirmed, on: .inApp))
        #expect(preferences.allows(.orderShipped, on: .inApp))
        let back = try preferences.applying(["email": ["order_shipped": true]])
        #expect(back.allows(.orderShipped, on: .email))
        #expect(!back.allows(.welcome, on: .email), "what the change does not name stays")
        #expect(back.matrix["email"]?["order_confirmed"] == true)
        #expect(back.matrix["in_app"]?["order_confirmed"] == false)
    }

    @Test("a refused preference names the field: unknown kind 400, transactional mail off 422")
    func preferenceErrors() {
        #expect(throws: ProblemDetails.self) { try NotificationPreferences().applying(["email": ["sale": false]]) }
        do {
            _ = try NotificationPreferences().applying(["email": ["sale": false]])
        } catch {
            #expect(error.status == 400)
            #expect(error.errors?.first?.field == "email.sale")
        }
        do {
            _ = try NotificationPreferences().applying(["email": ["order_confirmed": false]])
            Issue.record("turning off transactional mail must fail")
        } catch {
            #expect(error.status == 422)
            #expect(error.errors?.first?.field == "email.order_confirmed")
        }
        #expect((try? NotificationPreferences().applying(["email": ["order_confirmed": true]])) != nil, "asking for what is always sent is fine")
    }

    @Test("backoff doubles from the base, is capped, keeps at least half of each wait, and stops after the last try")
    func backoff() {
        let policy = RetryPolicy(base: .seconds(10), maximum: .seconds(60), maximumAttempts: 4)
        var random = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let first = policy.delay(afterAttempts: 1, using: &random)
            #expect(first >= .seconds(5) && first <= .seconds(10))
            let third = policy.delay(afterAttempts: 3, using: &random)
            #expect(third >= .seconds(20) && third <= .seconds(40))
            let capped = policy.delay(afterAttempts: 30, using: &random)
            #expect(capped >= .seconds(30) && capped <= .seconds(60))
        }
        let waits = Set((0..<50).map { _ in policy.delay(afterAttempts: 2, using: &random) })
        #expect(waits.count > 1, "jitter spreads retries")
        #expect(!policy.isExhausted(attempts: 3))
        #expect(policy.isExhausted(attempts: 4))
    }

    @Test("webhook addresses: loopback, private, link-local, CGNAT, mapped and reserved are refused; public ones pass")
    func webhookAddresses() {
        for address in [
            "127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
            "224.0.0.1", "255.255.255.255", "::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
            "64:ff9b::a00:1", "not-an-address",
        ] {
            #expect(WebhookTarget.refusal(ofAddress: address) != nil, "\(address) must be refused")
        }
        for address in ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"] {
            #expect(WebhookTarget.refusal(ofAddress: address) == nil, "\(address) is public")
        }
    }

    @Test("webhook URLs: http(s) with a host, no credentials, no fragment")
    func webhookURLs() throws {
        #expect(WebhookTarget.host(of: try WebhookTarget.validate("https://hooks.example.com/in")) == "hooks.example.com")
        #expect(WebhookTarget.host(of: try WebhookTarget.validate("http://[2606:4700::1]:8080/x")) == "2606:4700::1")
        for url in [
            "ftp://example.com/x", "https://user:pw@example.com/", "https://example.com/#frag", "https:///path", "example.com/x",
            "https://exämple.com/", "https://example.com/a b",
        ] {
            #expect(throws: ProblemDetails.self, "\(url)") { try WebhookTarget.validate(url) }
        }
    }

    @Test("the signature is HMAC-SHA256 over id.timestamp.body with the secret's key, as Standard Webhooks says")
    func signature() throws {
        let secret = WebhookSignature.newSecret()
        #expect(secret.hasPrefix("whsec_"))
        let key = try #require(WebhookSignature.key(of: secret))
        let body = Data(#"{"type":"orders.order.confirmed"}"#.utf8)
        let signature = WebhookSignature.sign(key: key, id: "msg_1", timestamp: 1_700_000_000, body: body)
        let expected = HMAC<SHA256>.authenticationCode(for: Data("msg_1.1700000000.".utf8) + body, using: key)
        #expect(signature == "v1," + Data(expected).base64EncodedString())
        #expect(WebhookSignature.sign(key: key, id: "msg_1", timestamp: 1_700_000_001, body: body) != signature)
        #expect(WebhookSignature.sign(key: key, id: "msg_1", timestamp: 1_700_000_000, body: body + Data(" ".utf8)) != signature)
        #expect(WebhookSignature.key(of: "secret") == nil)
        #expect(WebhookSignature.newSecret() != secret)
    }

    @Test("subscribed events: at least one, known, none twice")
    func webhookEvents() throws {
        #expect(try WebhookRules.validateEvents(["orders.order.confirmed", "orders.order.shipped"]).count == 2)
        for events in [[], ["orders.order.placed"], ["orders.order.shipped", "orders.order.shipped"]] {
            #expect(throws: ProblemDetails.self) { try WebhookRules.validateEvents(events) }
        }
    }

    @Test("amounts read as money: two decimals, none for currencies without minor units")
    func money() {
        #expect(TemplateData.text(Money(amount: 2_500, currency: "USD")) == "25.00 USD")
        #expect(TemplateData.text(Money(amount: 5, currency: "EUR")) == "0.05 EUR")
        #expect(TemplateData.text(Money(amount: 1_200, currency: "JPY")) == "1200 JPY")
    }
}

@Suite("Notification templates")
struct NotificationTemplateTests {
    static let order = OrderEventData(
        orderId: "0193a1b2-0000-7000-8000-000000000001", userId: "u", status: "confirmed",
        lines: [
            OrderLine(sku: "MUG-1", productId: "p1", productName: "Mug <b>bold</b> & co", quantity: 2, unitPrice: Money(amount: 1_250, currency: "USD"),
                lineTotal: Money(amount: 2_500, currency: "USD"))
        ],
        total: Money(amount: 2_500, currency: "USD"))
    static let shop = TemplateData.Shop(name: "Test Shop", url: "https://shop.example")

    @Test("the shipped templates render every kind: the order number in subject and bodies, HTML escaped, text not")
    func shipped() async throws {
        let templates = try await NotificationTemplates.load(overrides: nil)
        let email = templates.email(.orderConfirmed, TemplateData(shop: Self.shop, customerName: "Ada", customerEmail: "ada@example.com", order: Self.order))
        #expect(email.subject == "Order \(Self.order.orderId) confirmed")
        #expect(email.text.contains("Hello Ada,"))
        #expect(email.text.contains("2 × Mug <b>bold</b> & co (MUG-1): 25.00 USD"))
        #expect(email.text.contains("https://shop.example/orders/\(Self.order.orderId)"))
        #expect(email.html.contains("Mug &lt;b&gt;bold&lt;/b&gt; &amp; co"))
        #expect(!email.html.contains("<b>bold</b>"))
        #expect(!email.text.contains("CONTENT_TYPE"))
        // Most customers never give a name: the greeting is then "Hello,", not "Hello ,".
        let unnamed = templates.email(.orderConfirmed, TemplateData(shop: Self.shop, customerEmail: "ada@example.com", order: Self.order))
        #expect(unnamed.text.contains("Hello,\n"), "\(unnamed.text)")
        #expect(unnamed.html.contains("<p>Hello,</p>"), "\(unnamed.html)")
        #expect(templates.email(.welcome, TemplateData(shop: Self.shop, customerName: "", customerEmail: "ada@example.com")).text.contains("Hello,\n"))
        for kind in NotificationKind.allCases {
            let order = kind == .welcome ? nil : Self.order
            let mail = templates.email(kind, TemplateData(shop: Self.shop, order: order))
            #expect(!mail.subject.isEmpty && !mail.subject.contains("\n"), "\(kind)")
            #expect(mail.text.count > 20 && mail.html.contains("<html>"), "\(kind)")
            let inApp = templates.inApp(kind, TemplateData(shop: Self.shop, order: order))
            #expect(!inApp.title.isEmpty && !inApp.body.isEmpty, "\(kind)")
        }
    }

    @Test("a configured folder replaces the templates it has; a template that does not parse stops the start")
    func overrides() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "{{% CONTENT_TYPE: TEXT}}\nYour {{shop.name}} order {{order.number}} is on its way".write(
            to: folder.appendingPathComponent("order-shipped.email.subject.mustache"), atomically: true, encoding: .utf8)
        let templates = try await NotificationTemplates.load(overrides: folder.path)
        #expect(templates.email(.orderShipped, TemplateData(shop: Self.shop, order: Self.order)).subject
            == "Your Test Shop order \(Self.order.orderId) is on its way")
        #expect(templates.email(.orderConfirmed, TemplateData(shop: Self.shop, order: Self.order)).subject.hasPrefix("Order "), "the others stay")
        try "{{#order}}unclosed".write(to: folder.appendingPathComponent("welcome.in-app.body.mustache"), atomically: true, encoding: .utf8)
        await #expect(throws: TemplateError.self) { try await NotificationTemplates.load(overrides: folder.path) }
        await #expect(throws: TemplateError.self) { try await NotificationTemplates.load(overrides: folder.path + "/missing") }
    }
}
