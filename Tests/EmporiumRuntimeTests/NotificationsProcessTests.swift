import EmporiumTestSupport
import Foundation
import NIOHTTP1
import Payments
import Security
import Testing

/// The notifications service in a process of its own, stopped while the shop sells: every
/// checkout succeeds, the events wait in RabbitMQ, and once the process is back each order's
/// confirmation reaches the mail server exactly once.
@Suite("Notifications across processes", .serialized)
struct NotificationsProcessTests {
    static let checkouts = 100
    static let shoppers = 10

    @Test(
        "the notifications process stopped during 100 checkouts: all succeed, and every confirmation arrives once it is started again",
        .enabled(if: ClusterProcessTests.amqpURL != nil && ClusterProcessTests.rabbitmqctl != nil && NotificationsTestSupport.isEnabled,
            "needs RabbitMQ and the SMTP test servers"))
    func notificationsDownDuringCheckouts() async throws {
        try await BrokerGate.processes.shared(limit: .seconds(300)) {
            try await BrokerGate.shared.shared(limit: .seconds(300)) {
                try await ClusterProcessTests.withVirtualHost { broker in try await Self.outage(broker: broker) }
            }
        }
    }

    static func outage(broker: String) async throws {
        let smtp = try #require(ProcessInfo.processInfo.environment["EMPORIUM_TEST_SMTP_URL"], "EMPORIUM_TEST_SMTP_URL not set")
        let folder = try #require(NotificationsTestSupport.messagesFolder, "EMPORIUM_TEST_SMTP_MESSAGES not set")
        let keys = TestPlatform.keys
        var environment = [
            "EMPORIUM_SERVICES_SECRET": ClusterProcessTests.secret, "EMPORIUM_SEED_DEMO": "true", "EMPORIUM_BROKER_URL": broker,
            "EMPORIUM_AUTH_BCRYPT_COST": "4",
            // One set of data keys: the registration's sealed email is opened in another process.
            "EMPORIUM_SECURITY_DATA_KEYS": keys.dataKeys.map { "\($0.key):\($0.value)" }.joined(separator: ","),
            "EMPORIUM_SECURITY_ACTIVE_DATA_KEY": keys.activeDataKey, "EMPORIUM_SECURITY_INDEX_KEY": keys.indexKey,
            "EMPORIUM_NOTIFICATIONS_SMTP_URL": smtp, "EMPORIUM_NOTIFICATIONS_POLL_INTERVAL": "1",
            "EMPORIUM_NOTIFICATIONS_RETRY_BASE": "1", "EMPORIUM_NOTIFICATIONS_RETRY_MAX": "2",
        ]
        let shop = try await ServedBinary.start(
            environment: environment, arguments: ["--services", "auth,users,catalog,cart,inventory,payments,orders"])
        defer { shop.stop() }
        environment["EMPORIUM_SERVICES_USERS_URL"] = "http://127.0.0.1:\(shop.port)"
        // Started once, so that its queue exists and keeps its events while it is stopped.
        let first = try await ServedBinary.start(environment: environment, arguments: ["--services", "notifications"])
        first.stop(keepingData: true)

        var shoppers: [(shopper: OrdersProcessTests.Shopper, email: String)] = []
        for _ in 0..<Self.shoppers {
            let (shopper, email) = try await registered(port: shop.port)
            shoppers.append((shopper, email))
        }
        var demoSKUs: [String] = []
        for index in 0..<4 { demoSKUs.append(try await OrdersProcessTests.demoSKU(catalog: shop.port, inventory: shop.port, index: index)) }
        let skus = demoSKUs
        // The catalog seeds its products as the process starts, through RabbitMQ: the inventory
        // of the same process made every stock row (its queue was declared before anything was
        // published), with the demo's 100 units.
        for sku in skus {
            #expect(try await OrdersProcessTests.available(inventory: shop.port, sku).available == 100, "\(sku)")
        }

        // 100 checkouts, 10 shoppers at a time, with no notifications process.
        let port = shop.port
        let buyers = shoppers
        let placed: [(email: String, order: String?)] = try await withThrowingTaskGroup(of: [(String, String?)].self) { group in
            for (index, buyer) in buyers.enumerated() {
                group.addTask {
                    var orders: [(String, String?)] = []
                    for round in 0..<(Self.checkouts / Self.shoppers) {
                        let sku = skus[(index + round) % skus.count]
                        let added = try await OrdersProcessTests.send(
                            .POST, "http://127.0.0.1:\(port)/v1/cart/items", json: #"{"sku": "\#(sku)", "quantity": 1}"#,
                            headers: [("Authorization", buyer.shopper.token)])
                        #expect(added.status == 200 || added.status == 201, "\(added.body)")
                        let answer = try await OrdersProcessTests.checkout(orders: port, buyer.shopper)
                        #expect(answer.status == 201 && answer.body["status"] as? String == "confirmed", "\(answer.status) \(answer.body)")
                        orders.append((buyer.email, answer.body["id"] as? String))
                    }
                    return orders
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let orderIDs = placed.compactMap(\.order)
        #expect(orderIDs.count == Self.checkouts, "every checkout placed a confirmed order")
        let emails = Set(shoppers.map(\.email))
        func confirmations() throws -> [String] {
            try emails.flatMap { try NotificationsTestSupport.messages(in: folder, server: "plain", to: $0) }
                .compactMap { ($0["parsed"] as? [String: Any])?["subject"] as? String }
                .filter { $0.hasSuffix(" confirmed") }
        }
        #expect(try confirmations().isEmpty, "nothing is mailed while the notifications process is down")

        let again = try await ServedBinary.start(
            environment: environment, arguments: ["--services", "notifications"], directory: first.directory)
        defer { again.stop() }
        try await NotificationsTestSupport.eventually("every confirmation arrives") { try confirmations().count >= Self.checkouts }
        try await Task.sleep(for: .seconds(2))
        let subjects = try confirmations()
        #expect(subjects.count == Self.checkouts, "one email per order, none twice")
        #expect(Set(subjects) == Set(orderIDs.map { "Order \($0) confirmed" }))
    }

    /// A new customer of the shop at `port` with a saved card, and their email.
    static func registered(port: Int) async throws -> (OrdersProcessTests.Shopper, String) {
        let email = NotificationsTestSupport.address("outage")
        let credentials = #"{"email": "\#(email)", "password": "\#(IdentityAPIContract.password)"}"#
        #expect(try await OrdersProcessTests.send(.POST, "http://127.0.0.1:\(port)/v1/auth/register", json: credentials).status == 201)
        let login = try await OrdersProcessTests.send(.POST, "http://127.0.0.1:\(port)/v1/auth/login", json: credentials)
        let token = "Bearer " + (try #require(login.body["accessToken"] as? String))
        let saved = try await OrdersProcessTests.send(
            .POST, "http://127.0.0.1:\(port)/v1/payment-methods", json: PaymentsAPIContract.cardBody(OrdersProcessTests.Card.succeeds),
            headers: [("Authorization", token)])
        #expect(saved.status == 201, "\(saved.body)")
        return (OrdersProcessTests.Shopper(token: token, method: try #require(saved.body["id"] as? String)), email)
    }
}
