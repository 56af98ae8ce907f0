import EmporiumContracts
import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Messaging
@testable import Notifications
import Payments
import SQLKit
import Security
import Storage
import Testing

/// The notifications service on the whole platform in one process: a checkout ends in one email
/// at a real SMTP server (STARTTLS and AUTH on), an in-app notification and a record of every
/// delivery; redelivered events send nothing twice; a mail server that is down delays mail and
/// nothing else; refusals are recorded; webhooks are signed (checked by Python's `hmac`),
/// retried, and never sent to private addresses unless allowed.
@Suite("Notifications", .enabled(if: NotificationsTestSupport.isEnabled, NotificationsTestSupport.skipReason))
struct NotificationsAPIContract {
    typealias Context = OrdersTestPlatform.Context

    /// A registered customer (so the registration event reaches the notifications) with a saved card.
    static func registeredBuyer(_ context: Context, email: String) async throws -> (token: String, userID: String, method: String) {
        let userID = try await IdentityAPIContract.register(context.client, email)
        let token = try await IdentityAPIContract.login(context.client, email).authorization
        let saved = try await context.send(.post, "/v1/payment-methods", PaymentsAPIContract.cardBody(SimulatedPaymentProcessor.TestCard.succeeds), token: token)
        #expect(saved.status == .created, "\(String(buffer: saved.body))")
        return (token, userID, try #require(saved.json["id"] as? String))
    }

    /// Buys one `sku`; the confirmed order's id.
    static func buy(_ context: Context, _ buyer: (token: String, userID: String, method: String), sku: String) async throws -> String {
        try await context.addToCart(buyer.token, sku, 1)
        let placed = try await context.checkout(buyer.token, method: buyer.method)
        #expect(placed.status == .created, "\(String(buffer: placed.body))")
        #expect(placed.json["status"] as? String == "confirmed")
        return try #require(placed.json["id"] as? String)
    }

    /// The deliveries of `userID` as support sees them.
    static func deliveries(_ context: Context, of userID: String) async throws -> [[String: Any]] {
        let response = try await context.send(.get, "/v1/notifications/deliveries?user_id=\(userID)", token: context.support)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        return response.json["items"] as? [[String: Any]] ?? []
    }

    static func delivery(_ context: Context, of userID: String, kind: String, channel: String = "email") async throws -> [String: Any]? {
        try await deliveries(context, of: userID).first { $0["kind"] as? String == kind && $0["channel"] as? String == channel }
    }

    @Test("a checkout ends with exactly one email carrying the order number, an in-app notification and a delivery record; a redelivered event sends nothing twice",
        arguments: [DatabaseKind.sqlite] + (TestDatabases.postgresEnabled ? [DatabaseKind.postgres] : []))
    func checkoutMail(kind: DatabaseKind) async throws {
        let folder = try #require(NotificationsTestSupport.messagesFolder, "EMPORIUM_TEST_SMTP_MESSAGES not set")
        try await OrdersTestPlatform.run(kind, consumers: ["notifications"], extra: try NotificationsTestSupport.mailSettings()) { context in
            let email = NotificationsTestSupport.address()
            let buyer = try await Self.registeredBuyer(context, email: email)
            let sku = "NTF-\(UUID().uuidString.prefix(6))"
            try await context.product(sku, stock: 5)
            let orderID = try await Self.buy(context, buyer, sku: sku)

            var mails: [[String: Any]] = []
            try await NotificationsTestSupport.eventually("the confirmation reaches the mail server") {
                mails = try NotificationsTestSupport.messages(in: folder, server: "auth", to: email)
                    .filter { NotificationsTestSupport.text(of: $0).contains("confirmed") }
                return !mails.isEmpty
            }
            let mail = try #require(mails.first)
            let parsed = mail["parsed"] as? [String: Any] ?? [:]
            #expect(parsed["subject"] as? String == "Order \(orderID) confirmed")
            #expect(NotificationsTestSupport.text(of: mail).contains("1 × Product \(sku) (\(sku)): 25.00 USD"))
            #expect(mail["tls"] as? Bool == true, "STARTTLS was used")
            #expect(mail["auth_user"] as? String == "emporium", "the client authenticated")
            #expect((parsed["parts"] as? [[String: Any]])?.map { $0["content_type"] as? String } == ["text/plain", "text/html"])
            #expect((parsed["defects"] as? [Any])?.isEmpty == true)

            // The welcome and the confirmation: one email each, recorded sent after one try.
            try await NotificationsTestSupport.eventually("both deliveries are recorded sent") {
                let sent = try await Self.deliveries(context, of: buyer.userID).filter { $0["status"] as? String == "sent" }
                return sent.count == 2
            }
            let confirmation = try #require(try await Self.delivery(context, of: buyer.userID, kind: "order_confirmed"))
            #expect(confirmation["attempts"] as? Int == 1)
            #expect(confirmation["eventType"] as? String == OrdersEvents.orderConfirmed)

            // In the app: the confirmation on top, marked read once.
            let list = try await context.send(.get, "/v1/notifications", token: buyer.token)
            let items = list.json["items"] as? [[String: Any]] ?? []
            #expect(items.map { $0["kind"] as? String } == ["order_confirmed", "welcome"])
            let first = try #require(items.first)
            #expect(first["title"] as? String == "Order \(orderID) confirmed")
            #expect(first["subjectId"] as? String == orderID)
            let id = try #require(first["id"] as? String)
            let read = try await context.send(.post, "/v1/notifications/\(id)/read", token: buyer.token)
            #expect(read.status == .ok)
            let readAt = try #require(read.json["readAt"] as? String)
            #expect(try await context.send(.post, "/v1/notifications/\(id)/read", token: buyer.token).json["readAt"] as? String == readAt)
            let unread = try await context.send(.get, "/v1/notifications?unread=true", token: buyer.token)
            #expect((unread.json["items"] as? [[String: Any]])?.count == 1)
            let stranger = try await TestPlatform.authorization(context.platform, roles: [.customer])
            #expect(try await context.send(.post, "/v1/notifications/\(id)/read", token: stranger).status == .notFound)

            // The confirmed event delivered again: the inbox drops it, no second email.
            let database = try #require(context.platform.databases["notifications"])
            let stored = try await database.withConnection { sql in
                try await sql.raw("SELECT event FROM deliveries WHERE user_id = \(bind: buyer.userID) AND kind = 'order_confirmed'").first()?
                    .decode(column: "event", as: String.self)
            }
            let event = try CloudEvent.decode(Data(try #require(stored).utf8))
            try await context.platform.transport.publish(stored: [try StoredEvent(event), try StoredEvent(event)])
            // A later event for someone else shows the duplicates were consumed before it.
            let sentinel = NotificationsTestSupport.address("sentinel")
            try await IdentityAPIContract.register(context.client, sentinel)
            try await NotificationsTestSupport.eventually("the later registration is mailed") {
                try !NotificationsTestSupport.messages(in: folder, server: "auth", to: sentinel).isEmpty
            }
            try await Task.sleep(for: .seconds(1))
            #expect(try NotificationsTestSupport.messages(in: folder, server: "auth", to: email).count == 2, "the welcome and one confirmation")
            #expect(try await Self.deliveries(context, of: buyer.userID).count == 2)
        }
    }

    @Test("a recipient the mail server refuses (550) is recorded failed with the server's reason, after one try")
    func refusedRecipient() async throws {
        try await OrdersTestPlatform.run(.sqlite, consumers: ["notifications"], extra: try NotificationsTestSupport.mailSettings()) { context in
            let userID = try await IdentityAPIContract.register(context.client, NotificationsTestSupport.address("reject-permanent"))
            var welcome: [String: Any]?
            try await NotificationsTestSupport.eventually("the welcome is settled") {
                welcome = try await Self.delivery(context, of: userID, kind: "welcome")
                return welcome?["status"] as? String == "failed"
            }
            #expect(welcome?["attempts"] as? Int == 1, "\(welcome ?? [:])")
            #expect((welcome?["lastError"] as? String)?.contains("550") == true, "\(welcome ?? [:])")
            let failed = try await context.send(.get, "/v1/notifications/deliveries?status=failed&user_id=\(userID)", token: context.support)
            #expect((failed.json["items"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test("the mail server down: the checkout succeeds, the email is retried with backoff and delivered once the server is back")
    func mailServerDown() async throws {
        let port = try await TestPlatform.unusedPort()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-down-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let settings = try NotificationsTestSupport.mailSettings(smtpURL: "smtp://127.0.0.1:\(port)?starttls=never&timeout=5", maxAttempts: 50)
        try await OrdersTestPlatform.run(.sqlite, consumers: ["notifications"], extra: settings) { context in
            let email = NotificationsTestSupport.address()
            let buyer = try await Self.registeredBuyer(context, email: email)
            let sku = "NTD-\(UUID().uuidString.prefix(6))"
            try await context.product(sku, stock: 5)
            let orderID = try await Self.buy(context, buyer, sku: sku)

            try await NotificationsTestSupport.eventually("a failed try is recorded") {
                let confirmation = try await Self.delivery(context, of: buyer.userID, kind: "order_confirmed")
                return (confirmation?["attempts"] as? Int ?? 0) >= 2 && confirmation?["status"] as? String == "pending"
            }
            let pending = try #require(try await Self.delivery(context, of: buyer.userID, kind: "order_confirmed"))
            #expect((pending["lastError"] as? String)?.contains("refused") == true, "\(pending)")
            #expect(pending["nextAttemptAt"] is String)

            let server = try await TestServerProcess.smtp(port: port, folder: folder)
            defer { server.stop() }
            try await NotificationsTestSupport.eventually("the confirmation is delivered") {
                try await Self.delivery(context, of: buyer.userID, kind: "order_confirmed")?["status"] as? String == "sent"
            }
            let mails = try NotificationsTestSupport.messages(in: folder.path, server: "plain", to: email)
                .filter { NotificationsTestSupport.text(of: $0).contains(orderID) }
            #expect(mails.count == 1)
        }
    }

    @Test("preferences: in-app opt-outs are kept, transactional mail cannot be turned off, bad names are 400s naming them")
    func preferences() async throws {
        try await OrdersTestPlatform.run(.sqlite, consumers: ["notifications"]) { context in
            let email = NotificationsTestSupport.address()
            let buyer = try await Self.registeredBuyer(context, email: email)
            let initial = try await context.send(.get, "/v1/notifications/preferences", token: buyer.token)
            #expect(initial.status == .ok)
            #expect((initial.json["email"] as? [String: Bool])?["order_shipped"] == true)
            #expect(initial.json["transactional"] as? [String] == ["order_confirmed", "order_cancelled", "order_refunded"])

            let changed = try await context.send(
                .put, "/v1/notifications/preferences", #"{"in_app": {"order_confirmed": false}, "email": {"order_shipped": false}}"#, token: buyer.token)
            #expect(changed.status == .ok, "\(String(buffer: changed.body))")
            #expect((changed.json["in_app"] as? [String: Bool])?["order_confirmed"] == false)
            #expect((changed.json["email"] as? [String: Bool])?["order_shipped"] == false)
            #expect((changed.json["email"] as? [String: Bool])?["order_confirmed"] == true)

            let refused = try await context.send(.put, "/v1/notifications/preferences", #"{"email": {"order_confirmed": false}}"#, token: buyer.token)
            #expect(refused.status == .unprocessableContent)
            #expect((refused.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "email.order_confirmed")
            for (body, field) in [(#"{"sms": {}}"#, "sms"), (#"{"email": {"sale": true}}"#, "email.sale"), (#"{"email": {"welcome": "no"}}"#, "email.welcome")] {
                let bad = try await context.send(.put, "/v1/notifications/preferences", body, token: buyer.token)
                #expect(bad.status == .badRequest, "\(body)")
                #expect((bad.json["errors"] as? [[String: Any]])?.first?["field"] as? String == field, "\(String(buffer: bad.body))")
            }
            let kept = try await context.send(.get, "/v1/notifications/preferences", token: buyer.token)
            #expect((kept.json["in_app"] as? [String: Bool])?["order_confirmed"] == false, "a refused change wrote nothing")

            let sku = "NTP-\(UUID().uuidString.prefix(6))"
            try await context.product(sku, stock: 5)
            _ = try await Self.buy(context, buyer, sku: sku)
            try await NotificationsTestSupport.eventually("the confirmation's email is planned") {
                try await Self.delivery(context, of: buyer.userID, kind: "order_confirmed") != nil
            }
            let list = try await context.send(.get, "/v1/notifications", token: buyer.token)
            #expect((list.json["items"] as? [[String: Any]])?.map { $0["kind"] as? String } == ["welcome"], "no in-app confirmation")

            // Access: a customer is not support; support's filters are checked.
            #expect(try await context.send(.get, "/v1/notifications/deliveries", token: buyer.token).status == .forbidden)
            #expect(try await context.send(.get, "/v1/notifications").status == .unauthorized)
            for (query, parameter) in [("user_id=me", "user_id"), ("status=lost", "status")] {
                let bad = try await context.send(.get, "/v1/notifications/deliveries?\(query)", token: context.support)
                #expect(bad.status == .badRequest)
                #expect((bad.json["errors"] as? [[String: Any]])?.first?["parameter"] as? String == parameter)
            }
        }
    }

    @Test("webhooks: signed so Python's hmac verifies them (a tampered body or an old timestamp fails), retried after a 500, deleted")
    func webhooks() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("webhooks-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (receiver, port) = try await TestServerProcess.webhookReceiver(folder: folder)
        defer { receiver.stop() }
        let requests = WebhookRequests(folder: folder)
        let settings = ["notifications.webhooks.allowPrivateAddresses": "true", "notifications.pollInterval": "1", "notifications.retryBase": "1",
            "notifications.retryMax": "1", "notifications.maxAttempts": "20"]
        try await OrdersTestPlatform.run(.sqlite, consumers: ["notifications"], extra: settings) { context in
            let buyer = try await Self.registeredBuyer(context, email: NotificationsTestSupport.address())
            var secrets: [String: String] = [:]
            var ids: [String: String] = [:]
            for name in ["hook", "flaky"] {
                let created = try await context.send(
                    .post, "/v1/webhooks", #"{"url": "http://127.0.0.1:\#(port)/\#(name)", "events": ["orders.order.confirmed"]}"#, token: buyer.token)
                #expect(created.status == .created, "\(String(buffer: created.body))")
                #expect(created.json["scope"] as? String == "own")
                let secret = try #require(created.json["secret"] as? String)
                #expect(secret.hasPrefix("whsec_"))
                secrets[name] = secret
                ids[name] = try #require(created.json["id"] as? String)
            }
            try secrets["hook"]!.write(to: folder.appendingPathComponent("secrets/hook"), atomically: true, encoding: .utf8)
            try "500".write(to: folder.appendingPathComponent("status/flaky"), atomically: true, encoding: .utf8)
            let listed = try await context.send(.get, "/v1/webhooks", token: buyer.token)
            #expect((listed.json["items"] as? [[String: Any]])?.count == 2)
            #expect(!String(buffer: listed.body).contains("whsec_"), "secrets are shown once")

            let sku = "NTW-\(UUID().uuidString.prefix(6))"
            try await context.product(sku, stock: 5)
            let orderID = try await Self.buy(context, buyer, sku: sku)
            try await NotificationsTestSupport.eventually("the receiver got the event") { try !requests.to("hook").isEmpty }
            let (file, record) = try #require(try requests.to("hook").first)
            #expect(record["verified"] as? Bool == true, "Python's hmac accepts the signature: \(record)")
            let body = try JSONSerialization.jsonObject(with: Data((record["body"] as? String ?? "").utf8)) as? [String: Any]
            #expect(body?["type"] as? String == OrdersEvents.orderConfirmed)
            #expect((body?["data"] as? [String: Any])?["orderId"] as? String == orderID)
            #expect(try await requests.verify(file, secret: secrets["hook"]!))
            #expect(try await !requests.verify(file, secret: secrets["hook"]!, tamper: true), "a tampered body fails")
            #expect(try await !requests.verify(file, secret: secrets["hook"]!, now: Date.now.timeIntervalSince1970 + 3_600), "an old timestamp fails")
            #expect(try await !requests.verify(file, secret: secrets["flaky"]!), "another subscription's secret fails")

            // The receiver answering 500: tried again (the same webhook-id), sent once it answers 200.
            try await NotificationsTestSupport.eventually("the flaky receiver is tried twice") { try requests.to("flaky").count >= 2 }
            let retrying = try #require(try await Self.deliveries(context, of: buyer.userID).first { $0["webhookId"] as? String == ids["flaky"] })
            #expect((retrying["lastError"] as? String)?.contains("500") == true, "\(retrying)")
            try FileManager.default.removeItem(at: folder.appendingPathComponent("status/flaky"))
            try await NotificationsTestSupport.eventually("the flaky receiver's delivery is sent") {
                try await Self.deliveries(context, of: buyer.userID).first { $0["webhookId"] as? String == ids["flaky"] }?["status"] as? String == "sent"
            }
            let tries = try requests.to("flaky").map { ($0.record["headers"] as? [String: String])?["webhook-id"] }
            #expect(Set(tries).count == 1, "every try carries the same webhook-id")

            #expect(try await context.send(.delete, "/v1/webhooks/\(ids["hook"]!)", token: buyer.token).status == .noContent)
            #expect(try await context.send(.delete, "/v1/webhooks/\(ids["hook"]!)", token: buyer.token).status == .notFound)
            let stranger = try await TestPlatform.authorization(context.platform, roles: [.customer])
            #expect(try await context.send(.delete, "/v1/webhooks/\(ids["flaky"]!)", token: stranger).status == .notFound)
        }
    }

    @Test("webhook URLs on loopback, private or link-local addresses are refused (422 naming url) unless allowed; bad bodies are 400s")
    func webhookTargets() async throws {
        try await OrdersTestPlatform.run(.sqlite, consumers: ["notifications"]) { context in
            let token = try await TestPlatform.authorization(context.platform, roles: [.customer])
            for url in ["http://127.0.0.1:8080/in", "http://10.0.0.1/in", "http://169.254.169.254/latest", "http://localhost/in", "http://[::1]/in"] {
                let refused = try await context.send(.post, "/v1/webhooks", #"{"url": "\#(url)", "events": ["orders.order.shipped"]}"#, token: token)
                #expect(refused.status == .unprocessableContent, "\(url): \(String(buffer: refused.body))")
                #expect((refused.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "url")
            }
            for (body, field) in [
                (#"{"url": "http://93.184.216.34/in", "events": []}"#, "events"),
                (#"{"url": "http://93.184.216.34/in", "events": ["orders.order.placed"]}"#, "events[0]"),
                (#"{"url": "http://93.184.216.34/in"}"#, "events"),
                (#"{"url": "http://93.184.216.34/in", "events": ["orders.order.shipped"], "secret": "x"}"#, "secret"),
            ] {
                let bad = try await context.send(.post, "/v1/webhooks", body, token: token)
                #expect(bad.status == .badRequest, "\(body)")
                #expect((bad.json["errors"] as? [[String: Any]])?.first?["field"] as? String == field, "\(String(buffer: bad.body))")
            }
            #expect(try await context.send(.get, "/v1/webhooks").status == .unauthorized)
            #expect(try await context.send(.get, "/v1/webhooks", token: token).json["items"] as? [Any] != nil)
        }
        // At delivery the address is checked again, after resolution.
        let sender = WebhookSender(client: WebhookHTTPClient(timeout: .seconds(1)), timeout: .seconds(1), allowPrivateAddresses: false)
        for url in ["http://127.0.0.1:9/x", "http://localhost:9/x", "http://10.0.0.1/x"] {
            guard case .failed(let reason) = await sender.post(Data("{}".utf8), id: "d1", to: url, secret: WebhookSignature.newSecret()) else {
                Issue.record("\(url) must be refused at delivery")
                continue
            }
            #expect(reason.contains("public addresses"), "\(reason)")
        }
    }
}
