import AsyncHTTPClient
import EmporiumTestSupport
import Foundation
import NIOHTTP1
import Payments
import Security
import Testing

/// Checkouts across processes: a process killed in the middle of a checkout and started again,
/// and the orders, payments, inventory, cart and catalog each in its own process with the
/// payments process stopped during checkouts. Every order ends confirmed or cancelled, with the
/// stock and the payments agreeing with it.
@Suite("Orders across processes", .serialized)
struct OrdersProcessTests {
    typealias Card = SimulatedPaymentProcessor.TestCard
    static let address = #"{"line1": "1 Test Street", "city": "London", "postalCode": "N1 1AA", "country": "GB"}"#

    /// A shopper of a running platform: registered at `auth`, a card saved at `payments`.
    struct Shopper {
        var token: String
        var method: String
    }

    static func send(_ method: HTTPMethod, _ url: String, json: String? = nil, headers: [(String, String)] = []) async throws -> (status: Int, body: [String: Any]) {
        let (status, _, body) = try await ClusterProcessTests.send(method, url, json: json, headers: headers)
        return (status, body)
    }

    static func shopper(auth: Int, payments: Int, card: String = Card.succeeds) async throws -> Shopper {
        let email = "shopper-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let credentials = #"{"email": "\#(email)", "password": "\#(IdentityAPIContract.password)"}"#
        #expect(try await send(.POST, "http://127.0.0.1:\(auth)/v1/auth/register", json: credentials).status == 201)
        let login = try await send(.POST, "http://127.0.0.1:\(auth)/v1/auth/login", json: credentials)
        let token = "Bearer " + (try #require(login.body["accessToken"] as? String))
        var saved = try await send(.POST, "http://127.0.0.1:\(payments)/v1/payment-methods", json: PaymentsAPIContract.cardBody(card), headers: [("Authorization", token)])
        // A process that verifies tokens with the auth process's key set fetches it first.
        for _ in 0..<50 where saved.status == 401 {
            try await Task.sleep(for: .milliseconds(100))
            saved = try await send(.POST, "http://127.0.0.1:\(payments)/v1/payment-methods", json: PaymentsAPIContract.cardBody(card), headers: [("Authorization", token)])
        }
        #expect(saved.status == 201, "\(saved.body)")
        return Shopper(token: token, method: try #require(saved.body["id"] as? String))
    }

    /// A demo SKU with stock, once the inventory (at `inventory`) has its row.
    static func demoSKU(catalog: Int, inventory: Int, index: Int = 0) async throws -> String {
        let page = try await send(.GET, "http://127.0.0.1:\(catalog)/v1/products?limit=\(index + 1)")
        let product = try #require((page.body["items"] as? [[String: Any]])?.last)
        let sku = try #require(((product["variants"] as? [[String: Any]])?.first)?["sku"] as? String)
        var stock = try await send(.GET, "http://127.0.0.1:\(inventory)/v1/inventory/\(sku)")
        for _ in 0..<300 where stock.status != 200 {
            try await Task.sleep(for: .milliseconds(100))
            stock = try await send(.GET, "http://127.0.0.1:\(inventory)/v1/inventory/\(sku)")
        }
        #expect(stock.status == 200)
        return sku
    }

    static func checkout(orders: Int, _ shopper: Shopper, key: String = UUID().uuidString) async throws -> (status: Int, body: [String: Any]) {
        try await send(
            .POST, "http://127.0.0.1:\(orders)/v1/checkout", json: #"{"paymentMethodId": "\#(shopper.method)", "shippingAddress": \#(address)}"#,
            headers: [("Authorization", shopper.token), ("Idempotency-Key", key)])
    }

    /// Polls the shopper's orders until none is unsettled (at most `within`); returns them.
    static func settledOrders(orders: Int, _ shopper: Shopper, within: Duration = .seconds(30)) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + within
        while true {
            let list = try await send(.GET, "http://127.0.0.1:\(orders)/v1/orders", headers: [("Authorization", shopper.token)])
            let items = list.body["items"] as? [[String: Any]] ?? []
            let unsettled = items.filter { ["pending", "stock_reserved", "payment_authorized"].contains($0["status"] as? String ?? "") }
            if list.status == 200, unsettled.isEmpty { return items }
            if ContinuousClock.now > deadline {
                Issue.record("orders still unsettled after \(within) (list status \(list.status)): \(unsettled)")
                return items
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    static func payments(payments: Int, order: String, _ shopper: Shopper) async throws -> [String] {
        let list = try await send(.GET, "http://127.0.0.1:\(payments)/v1/payments?order_id=\(order)", headers: [("Authorization", shopper.token)])
        return (list.body["items"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }
    }

    static func available(inventory: Int, _ sku: String) async throws -> (available: Int, reserved: Int) {
        let stock = try await send(.GET, "http://127.0.0.1:\(inventory)/v1/inventory/\(sku)")
        return (stock.body["available"] as? Int ?? -1, stock.body["reserved"] as? Int ?? -1)
    }

    // MARK: A process killed mid-checkout

    @Test(arguments: ["after-reservation", "after-authorization"])
    func killedMidCheckoutAndStartedAgain(_ point: String) async throws {
        try await BrokerGate.processes.shared(limit: .seconds(300)) { try await Self.killAndRestart(point) }
    }

    static func killAndRestart(_ point: String) async throws {
        let settings = ["EMPORIUM_SEED_DEMO": "true", "EMPORIUM_ORDERS_RECOVERY_AFTER": "1", "EMPORIUM_ORDERS_RECOVERY_INTERVAL": "1"]
        let doomed = try await ServedBinary.start(environment: settings.merging(["EMPORIUM_ORDERS_FAULT_POINT": point]) { _, new in new })
        var restarted: ServedBinary?
        defer {
            restarted?.stop()
            doomed.stop()
        }
        let port = doomed.port
        let shopper = try await Self.shopper(auth: port, payments: port)
        let sku = try await Self.demoSKU(catalog: port, inventory: port)
        let before = try await Self.available(inventory: port, sku)
        let added = try await Self.send(.POST, "http://127.0.0.1:\(port)/v1/cart/items", json: #"{"sku": "\#(sku)", "quantity": 2}"#, headers: [("Authorization", shopper.token)])
        #expect(added.status == 201 || added.status == 200)
        // The process dies (SIGKILL) at the fault point: the request gets no answer.
        await #expect(throws: (any Error).self) { _ = try await Self.checkout(orders: port, shopper, key: "doomed") }
        for _ in 0..<600 where doomed.process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        try #require(!doomed.process.isRunning, "the process stopped itself at \(point)")
        #expect(doomed.process.terminationReason == .uncaughtSignal)
        #expect(doomed.process.terminationStatus == SIGKILL)

        // Started again on its data, without the fault point: the recovery finishes the order.
        restarted = try await ServedBinary.start(environment: settings, port: port, directory: doomed.directory)
        let orders = try await Self.settledOrders(orders: port, shopper)
        #expect(orders.count == 1)
        let order = try #require(orders.first)
        #expect(order["status"] as? String == "confirmed", "\(order)")
        let id = try #require(order["id"] as? String)
        #expect(try await Self.payments(payments: port, order: id, shopper) == ["authorized"], "authorized once")
        let after = try await Self.available(inventory: port, sku)
        #expect(after.available == before.available - 2)
        #expect(after.reserved == before.reserved + 2)
        // The same key answers that order.
        let repeated = try await Self.checkout(orders: port, shopper, key: "doomed")
        #expect(repeated.status == 200)
        #expect(repeated.body["id"] as? String == id)

        // The operator's replay of the projections, on the same data, with progress.
        restarted?.stop(keepingData: true)
        let replay = try CommandLineTests.run(["orders", "replay", "--data-dir", doomed.directory.appendingPathComponent("data").path])
        #expect(replay.status == 0, "\(replay.error)")
        #expect(replay.output.contains("orders: 1 orders replayed"), "\(replay.output)")
        #expect(replay.error.contains("replayed 1/1 orders"), "progress is reported: \(replay.error)")
    }

    // MARK: Every service in its own process

    @Test(.enabled(if: ClusterProcessTests.amqpURL != nil && ClusterProcessTests.rabbitmqctl != nil, "needs RabbitMQ"))
    func servicesInTheirOwnProcesses() async throws {
        try await BrokerGate.processes.shared(limit: .seconds(300)) {
            try await BrokerGate.shared.shared(limit: .seconds(300)) {
                try await ClusterProcessTests.withVirtualHost { broker in try await Self.cluster(broker: broker) }
            }
        }
    }

    static func cluster(broker: String) async throws {
        var environment = [
            "EMPORIUM_SERVICES_SECRET": ClusterProcessTests.secret, "EMPORIUM_SEED_DEMO": "true", "EMPORIUM_BROKER_URL": broker,
            "EMPORIUM_ORDERS_RECOVERY_AFTER": "1", "EMPORIUM_ORDERS_RECOVERY_INTERVAL": "1",
        ]
        let auth = try await ServedBinary.start(environment: environment, arguments: ["--services", "auth"])
        defer { auth.stop() }
        environment["EMPORIUM_AUTH_JWKS_URL"] = "http://127.0.0.1:\(auth.port)/.well-known/jwks.json"
        // The inventory starts before the catalog publishes its seeded products.
        let inventory = try await ServedBinary.start(environment: environment, arguments: ["--services", "inventory"])
        defer { inventory.stop() }
        let catalog = try await ServedBinary.start(environment: environment, arguments: ["--services", "catalog"])
        defer { catalog.stop() }
        let paymentsProcess = try await ServedBinary.start(environment: environment, arguments: ["--services", "payments"])
        defer { paymentsProcess.stop() }
        environment["EMPORIUM_SERVICES_CATALOG_URL"] = "http://127.0.0.1:\(catalog.port)"
        environment["EMPORIUM_SERVICES_INVENTORY_URL"] = "http://127.0.0.1:\(inventory.port)"
        let cart = try await ServedBinary.start(environment: environment, arguments: ["--services", "cart"])
        defer { cart.stop() }
        environment["EMPORIUM_SERVICES_CART_URL"] = "http://127.0.0.1:\(cart.port)"
        environment["EMPORIUM_SERVICES_PAYMENTS_URL"] = "http://127.0.0.1:\(paymentsProcess.port)"
        let orders = try await ServedBinary.start(environment: environment, arguments: ["--services", "orders"])
        defer { orders.stop() }

        let sku = try await demoSKU(catalog: catalog.port, inventory: inventory.port)
        func fill(_ shopper: Shopper, _ quantity: Int = 1) async throws {
            let added = try await send(
                .POST, "http://127.0.0.1:\(cart.port)/v1/cart/items", json: #"{"sku": "\#(sku)", "quantity": \#(quantity)}"#,
                headers: [("Authorization", shopper.token)])
            #expect(added.status == 201 || added.status == 200, "\(added.body)")
        }

        // A checkout through five processes: confirmed, the cart emptied.
        let buyer = try await shopper(auth: auth.port, payments: paymentsProcess.port)
        try await fill(buyer, 2)
        let before = try await available(inventory: inventory.port, sku)
        let placed = try await checkout(orders: orders.port, buyer)
        #expect(placed.status == 201, "\(placed.body)")
        #expect(placed.body["status"] as? String == "confirmed")
        let placedID = try #require(placed.body["id"] as? String)
        #expect(try await payments(payments: paymentsProcess.port, order: placedID, buyer) == ["authorized"])
        #expect(try await available(inventory: inventory.port, sku).available == before.available - 2)
        let emptied = try await send(.GET, "http://127.0.0.1:\(cart.port)/v1/cart", headers: [("Authorization", buyer.token)])
        #expect((emptied.body["lines"] as? [Any])?.isEmpty == true)

        // A declined card: cancelled with its reason, the stock back.
        let declined = try await shopper(auth: auth.port, payments: paymentsProcess.port, card: Card.declined)
        try await fill(declined)
        let refused = try await checkout(orders: orders.port, declined)
        #expect(refused.status == 201)
        #expect(refused.body["cancellationReason"] as? String == "card declined")
        #expect(try await available(inventory: inventory.port, sku).available == before.available - 2)

        // The payments process stops while 8 shoppers check out: each checkout is refused
        // before anything is written (503), or placed and settled by the recovery once the
        // payments process is back; none is stuck, none is charged twice.
        // One of them first: its processor does not answer (202), and the payments process
        // stops before the recovery asks again.
        let slow = try await shopper(auth: auth.port, payments: paymentsProcess.port, card: Card.authorizationTimesOut)
        try await fill(slow)
        #expect(try await checkout(orders: orders.port, slow).status == 202)
        var shoppers: [Shopper] = [slow]
        for _ in 0..<8 {
            let shopper = try await shopper(auth: auth.port, payments: paymentsProcess.port)
            try await fill(shopper)
            shoppers.append(shopper)
        }
        let ordersPort = orders.port
        let paymentsPID = paymentsProcess.process.processIdentifier
        let outageShoppers = shoppers
        let answers = try await withThrowingTaskGroup(of: Int.self) { group in
            for (index, shopper) in outageShoppers.enumerated() {
                group.addTask {
                    try await Task.sleep(for: .milliseconds(40 * index))
                    return try await checkout(orders: ordersPort, shopper, key: "during-outage").status
                }
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(120))
                kill(paymentsPID, SIGTERM)
                return 0
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }.filter { $0 != 0 }
        paymentsProcess.stop(keepingData: true)
        #expect(answers.allSatisfy { [201, 202, 503].contains($0) }, "\(answers)")
        let restarted = try await ServedBinary.start(
            environment: environment, arguments: ["--services", "payments"], port: paymentsProcess.port, directory: paymentsProcess.directory)
        defer { restarted.stop() }
        var confirmed = 0
        for shopper in shoppers {
            let settled = try await settledOrders(orders: orders.port, shopper)
            #expect(settled.count <= (shopper.token == slow.token ? 2 : 1), "one order per key")
            for order in settled {
                let id = try #require(order["id"] as? String)
                let status = order["status"] as? String
                #expect(status == "confirmed" || status == "cancelled", "\(order)")
                let charges = try await payments(payments: restarted.port, order: id, shopper)
                if status == "confirmed" {
                    confirmed += 1
                    #expect(charges == ["authorized"], "one authorization per confirmed order")
                } else {
                    #expect(!charges.contains("authorized") && !charges.contains("captured"), "\(charges)")
                }
            }
        }
        let after = try await available(inventory: inventory.port, sku)
        #expect(after.available == before.available - 2 - confirmed, "the stock agrees with the confirmed orders")
    }
}
