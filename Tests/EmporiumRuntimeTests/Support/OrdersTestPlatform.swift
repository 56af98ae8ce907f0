import AsyncHTTPClient
import EmporiumContracts
import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
@testable import Ordering
import Payments
import SQLKit
import Security
import Storage
import Synchronization
import Testing

/// The payments service as the orders service is handed it in its tests: the real service,
/// through a switch that can make every call fail as a stopped payments process would, and a
/// count of the authorizations asked for.
final class SwitchablePayments: PaymentsAPI {
    private let make: @Sendable () throws -> any PaymentsAPI
    private var payments: any PaymentsAPI { get throws { try make() } }
    private let down = Atomic(false)
    private let authorizationsDown = Atomic(false)
    let authorizations = Atomic(0)

    /// `make` answers the payments service to call (made when first called: the HTTP client of
    /// a live test knows its port only once the server runs).
    init(_ make: @escaping @Sendable () throws -> any PaymentsAPI) {
        self.make = make
    }

    func setDown(_ isDown: Bool) {
        down.store(isDown, ordering: .relaxed)
    }

    private func check() throws {
        if down.load(ordering: .relaxed) { throw ServiceUnavailableError(service: "payments", reason: "stopped by the test") }
    }

    /// Makes authorizations alone fail as unavailable (`true`), or work again: the payments
    /// service stopping between a checkout's first call and its authorization.
    func failAuthorizations(_ fail: Bool) {
        authorizationsDown.store(fail, ordering: .relaxed)
    }

    func authorize(_ request: PaymentAuthorization) async throws -> Payment {
        try check()
        if authorizationsDown.load(ordering: .relaxed) { throw ServiceUnavailableError(service: "payments", reason: "stopped by the test") }
        authorizations.add(1, ordering: .relaxed)
        return try await payments.authorize(request)
    }

    func capture(paymentId: String, idempotencyKey: String) async throws -> Payment {
        try check()
        return try await payments.capture(paymentId: paymentId, idempotencyKey: idempotencyKey)
    }

    func void(paymentId: String, idempotencyKey: String) async throws -> Payment {
        try check()
        return try await payments.void(paymentId: paymentId, idempotencyKey: idempotencyKey)
    }

    func refund(paymentId: String, amount: Money?, reason: String, idempotencyKey: String) async throws -> Payment {
        try check()
        return try await payments.refund(paymentId: paymentId, amount: amount, reason: reason, idempotencyKey: idempotencyKey)
    }

    func payments(orderId: String) async throws -> [Payment] {
        try check()
        return try await payments.payments(orderId: orderId)
    }

    func hasPaymentMethod(id paymentMethodId: String, userId: String) async throws -> Bool {
        try check()
        return try await payments.hasPaymentMethod(id: paymentMethodId, userId: userId)
    }
}

/// Runs the orders' tests on the whole platform in one process (the in-process router client):
/// the real cart, catalog, inventory and payments (its processor timeout short), the orders
/// service handed the payments through a ``SwitchablePayments``, its recovery left to the test
/// (`recoverNow()`, for orders unsettled for a second).
enum OrdersTestPlatform {
    struct Context: Sendable {
        let client: any TestClientProtocol
        let platform: EmporiumPlatform
        let payments: SwitchablePayments
        let orders: OrdersService
        let database: any Database
        let support: String

        func send(
            _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil, token: String? = nil, headers extra: HTTPFields = [:]
        ) async throws -> TestResponse {
            var headers = extra
            if body != nil { headers[.contentType] = "application/json" }
            if let token { headers[.authorization] = token }
            return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { $0 }
        }

        /// The category the tests' products are in (the platform runs without the demo catalog).
        let category: String

        /// An active product with one variant `sku` at `amount` USD and `stock` units available.
        func product(_ sku: String, amount: Int64 = 2_500, stock: Int) async throws {
            let body = #"""
                {"name": "Product \#(sku)", "categoryId": "\#(category)", "status": "active",
                 "variants": [{"sku": "\#(sku)", "attributes": {"colour": "blue"}, "price": {"amount": \#(amount), "currency": "USD"}}]}
                """#
            let created = try await client.execute(uri: "/v1/products", method: .post, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: body)) { $0.status }
            #expect(created == .created)
            var found = false
            // The inventory makes it from the catalog's event: moments later, longer on a busy machine.
            for _ in 0..<2_400 where !found {
                found = try await client.execute(uri: "/v1/inventory/\(sku)", method: .get) { $0.status } == .ok
                if !found { try await Task.sleep(for: .milliseconds(25)) }
            }
            #expect(found, "the inventory made a stock row for \(sku)")
            let set = try await client.execute(
                uri: "/v1/inventory/\(sku)", method: .put, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: #"{"available": \#(stock)}"#)
            ) { $0.status }
            #expect(set == .ok)
        }

        /// A new customer with a saved `card`: (token, user id, payment method id).
        func buyer(card: String = SimulatedPaymentProcessor.TestCard.succeeds) async throws -> (token: String, userID: String, method: String) {
            let userID = UUID.v7().lowercased
            let token = try await TestPlatform.authorization(platform, roles: [.customer], userID: userID)
            let saved = try await send(.post, "/v1/payment-methods", PaymentsAPIContract.cardBody(card), token: token)
            #expect(saved.status == .created, "\(String(buffer: saved.body))")
            return (token, userID, try #require(saved.json["id"] as? String))
        }

        func addToCart(_ token: String, _ sku: String, _ quantity: Int) async throws {
            let added = try await send(.post, "/v1/cart/items", #"{"sku": "\#(sku)", "quantity": \#(quantity)}"#, token: token)
            #expect(added.status == .ok || added.status == .created, "\(String(buffer: added.body))")
        }

        static let address = #"{"line1": "1 Test Street", "city": "London", "postalCode": "N1 1AA", "country": "gb"}"#

        func checkout(_ token: String, method: String, key: String = UUID().uuidString, address: String = Context.address) async throws -> TestResponse {
            try await send(
                .post, "/v1/checkout", #"{"paymentMethodId": "\#(method)", "shippingAddress": \#(address)}"#, token: token,
                headers: [IdempotencyKey.header: key])
        }

        /// `(available, onHand, reserved)` of `sku`.
        func stock(_ sku: String) async throws -> (available: Int, onHand: Int, reserved: Int) {
            let response = try await send(.get, "/v1/inventory/\(sku)")
            return (response.json["available"] as? Int ?? -1, response.json["onHand"] as? Int ?? -1, response.json["reserved"] as? Int ?? -1)
        }

        /// The payments of an order, as support sees them.
        func payments(of orderID: String) async throws -> [[String: Any]] {
            try await send(.get, "/v1/payments?order_id=\(orderID)", token: support).json["items"] as? [[String: Any]] ?? []
        }

        func order(_ id: String, token: String? = nil) async throws -> [String: Any] {
            try await send(.get, "/v1/orders/\(id)", token: token ?? support).json
        }

        /// How many rows `table` of the orders database has.
        func count(_ table: String) async throws -> Int {
            try await database.withConnection { sql in
                Int(try await sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()?.decode(column: "n", as: Int64.self) ?? -1)
            }
        }

        /// Runs the recovery for orders unsettled for longer than a second.
        func recover() async throws {
            try await Task.sleep(for: .milliseconds(1_100))
            try await orders.recoverNow()
        }
    }

    final class Handles: Sendable {
        let payments = Mutex<SwitchablePayments?>(nil)
        /// The port of the live server (the `.http` calls).
        let port = Mutex<Int?>(nil)

        /// Service `name` of the live server, as another process reaches it.
        func remote(_ name: String) throws -> RemoteService {
            guard let port = port.withLock({ $0 }) else { throw ServiceUnavailableError(service: name, reason: "the live server has not started") }
            return RemoteService(
                name: name, baseURL: "http://127.0.0.1:\(port)", caller: "orders", credential: try ServiceCredential(secret: TestPlatform.serviceSecret),
                timeout: .seconds(10), client: HTTPClient.shared, logger: TestDatabases.logger)
        }
    }

    /// The cart, catalog and inventory of the live server through their HTTP clients, made at
    /// each call (the port is known once the server runs).
    struct LoopbackCart: CartAPI {
        let handles: Handles
        func lines(ofUser userId: String) async throws -> [CartLine] { try await HTTPCartAPI(try handles.remote("cart")).lines(ofUser: userId) }
        func remove(_ lines: [CartLine], fromCartOf userId: String) async throws -> [CartLine] {
            try await HTTPCartAPI(try handles.remote("cart")).remove(lines, fromCartOf: userId)
        }
    }

    struct LoopbackCatalog: CatalogPricing {
        let handles: Handles
        func variants(skus: [String]) async throws -> [String: SellableVariant] {
            try await HTTPCatalogPricing(try handles.remote("catalog")).variants(skus: skus)
        }
    }

    struct LoopbackInventory: InventoryAPI {
        let handles: Handles
        private func api() throws -> HTTPInventoryAPI { HTTPInventoryAPI(try handles.remote("inventory")) }
        func stock(skus: [String]) async throws -> [String: StockLevel] { try await api().stock(skus: skus) }
        func reserve(_ request: ReservationRequest) async throws -> ReservationOutcome { try await api().reserve(request) }
        func release(orderId: UUID) async throws -> Reservation { try await api().release(orderId: orderId) }
        func keep(orderId: UUID) async throws -> Reservation { try await api().keep(orderId: orderId) }
        func commit(orderId: UUID) async throws -> Reservation { try await api().commit(orderId: orderId) }
    }

    /// The standard services (payments with a short processor timeout), the orders service
    /// handed the payments through a ``SwitchablePayments``. With `remotePort`, the orders
    /// service calls the cart, the catalog, the inventory and payments with their HTTP clients
    /// at that port (this same process, served live), as it does when they run elsewhere.
    static func table(_ handles: Handles, calls: Calls, consumers: Set<String> = []) -> ServiceTable {
        var modules = ServiceTable.fastPayments.modules.filter { $0.name != "orders" && (!Self.consumers.contains($0.name) || consumers.contains($0.name)) }
        modules.append(ServiceModule(name: "orders", calls: ["cart", "catalog", "inventory", "payments"], summary: "orders", storesPersonalData: true) { env in
            let local = (
                cart: env.peers.api("cart", as: (any CartAPI).self, remote: HTTPCartAPI.init),
                catalog: env.peers.api("catalog", as: (any CatalogPricing).self, remote: HTTPCatalogPricing.init),
                inventory: env.peers.api("inventory", as: (any InventoryAPI).self, remote: HTTPInventoryAPI.init),
                payments: env.peers.api("payments", as: (any PaymentsAPI).self, remote: HTTPPaymentsAPI.init))
            let payments: SwitchablePayments
            let cart: any CartAPI, catalog: any CatalogPricing, inventory: any InventoryAPI
            switch calls {
            case .local:
                payments = SwitchablePayments { local.payments }
                (cart, catalog, inventory) = (local.cart, local.catalog, local.inventory)
            case .http:
                payments = SwitchablePayments { HTTPPaymentsAPI(try handles.remote("payments")) }
                cart = LoopbackCart(handles: handles)
                catalog = LoopbackCatalog(handles: handles)
                inventory = LoopbackInventory(handles: handles)
            }
            handles.payments.withLock { $0 = payments }
            return try OrdersService(environment: env, cart: cart, catalog: catalog, inventory: inventory, payments: payments)
        })
        return ServiceTable(modules: modules)
    }

    /// How the orders service reaches the services it calls in a test.
    enum Calls: String, CaseIterable, CustomTestStringConvertible, Sendable {
        /// The services themselves, in the process.
        case local
        /// Their HTTP clients, over the internal routes of the process served live.
        case http
        var testDescription: String { rawValue }
    }

    /// The services that only consume the orders' events: left out of the orders' platforms (a
    /// checkout never waits for them, and on a machine of two cores every service of every test
    /// platform costs time), unless a test names them in `consumers`.
    static let consumers: Set<String> = ["notifications", "recommendations"]

    static func run(
        _ kind: DatabaseKind, calls: Calls = .local, consumers: Set<String> = [], extra: [String: String] = [:],
        _ test: @Sendable (Context) async throws -> Void
    ) async throws {
        let handles = Handles()
        // No demo catalog: seeding 240 products (and their events) per test would load the
        // machine for every other test; each test makes the products it needs.
        let settings = ["orders.recoveryAfter": "1", "orders.recoveryInterval": "3600", "orders.checkoutWait": "20", "seed.demo": "false"]
            .merging(extra) { _, new in new }
        try await TestPlatform.withClient(kind, table: table(handles, calls: calls, consumers: consumers), extra: settings, live: calls == .http) { client, platform in
            handles.port.withLock { $0 = client.port }
            let orders = try #require(platform.services.lazy.compactMap { $0 as? OrdersService }.first)
            let payments = try #require(handles.payments.withLock { $0 })
            let database = try #require(platform.databases["orders"])
            let support = try await TestPlatform.authorization(platform, roles: [.support])
            let category = try await client.execute(
                uri: "/v1/categories", method: .post, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: #"{"slug": "orders-test", "name": "Orders test"}"#)
            ) { try #require($0.json["id"] as? String) }
            try await test(Context(
                client: client, platform: platform, payments: payments, orders: orders, database: database, support: support, category: category))
        }
    }
}
