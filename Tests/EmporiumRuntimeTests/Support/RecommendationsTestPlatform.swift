import EmporiumContracts
import EmporiumCore
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Messaging
import NIOCore
import Recommendations
import SQLKit
import Security
import Storage
import Testing

/// Runs the recommendations' tests on the whole platform in one process (the in-process router
/// client, the in-process event bus), without the demo catalog: each test makes its products
/// through the catalog's API, and confirms orders by publishing `orders.order.confirmed` as the
/// orders service does (or by a real checkout, `RecommendationsAPIContract.checkoutFeedsTheLists`).
enum RecommendationsTestPlatform {
    /// A product made through the catalog's API.
    struct Product: Sendable {
        let id: String
        let sku: String
    }

    struct Context: Sendable {
        let client: any TestClientProtocol
        let platform: EmporiumPlatform
        let service: RecommendationsService
        let database: any Database
        /// The category the test's products are in.
        let category: String

        func send(_ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil, token: String? = nil) async throws -> TestResponse {
            var headers: HTTPFields = [:]
            if body != nil { headers[.contentType] = "application/json" }
            if let token { headers[.authorization] = token }
            return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { $0 }
        }

        /// A product of ``category`` with one SKU and `stock` units available (nil: the inventory
        /// is not asked), once the recommendations service knows it in `status`.
        func product(status: String = "active", stock: Int? = 10) async throws -> Product {
            try await RecommendationsTestPlatform.product(client: client, database: database, category: category, status: status, stock: stock)
        }

        /// Publishes the `orders.order.confirmed` event of an order of `products` by `user`, as
        /// the orders service's relay does; returns when the consumers have applied it.
        @discardableResult
        func confirm(_ products: [Product], user: String = UUID.v7().lowercased, orderId: String = UUID.v7().lowercased) async throws -> CloudEvent {
            let price = Money(amount: 1_000, currency: "USD")
            let order = OrderEventData(
                orderId: orderId, userId: user, status: "confirmed",
                lines: products.map { OrderLine(sku: $0.sku, productId: $0.id, productName: "Product", quantity: 1, unitPrice: price, lineTotal: price) },
                total: Money(amount: 1_000 * Int64(products.count), currency: "USD"))
            let event = CloudEvent(source: "/emporium/orders", type: OrdersEvents.orderConfirmed, subject: orderId, data: try JSONValue(encoding: order))
            try await publish(event)
            return event
        }

        /// Hands `event` to the process's event bus; returns when every consumer handled it.
        func publish(_ event: CloudEvent) async throws {
            try await platform.transport.publish([event])
        }

        /// `GET /v1/recommendations/products/{id}`.
        func list(_ product: Product, limit: Int? = nil) async throws -> TestResponse {
            try await send(.get, "/v1/recommendations/products/\(product.id)" + (limit.map { "?limit=\($0)" } ?? ""))
        }

        /// The ids of a product's list (a 200 expected).
        func ids(_ product: Product, limit: Int? = nil) async throws -> [String] {
            let response = try await list(product, limit: limit)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            return RecommendationsTestPlatform.items(response).compactMap { $0["id"] as? String }
        }

        /// A customer's token.
        func customer(_ userID: String = UUID.v7().lowercased) async throws -> String {
            try await TestPlatform.authorization(platform, roles: [.customer], userID: userID)
        }

        /// The purchases the recommendations service recorded.
        func purchases() async throws -> Int {
            try await count("SELECT COUNT(*) AS n FROM recs_purchases")
        }

        /// n(p) of `product`.
        func orders(of product: Product) async throws -> Int {
            try await count("SELECT purchases AS n FROM recs_products WHERE product_id = '\(product.id)'")
        }

        func count(_ query: String) async throws -> Int {
            try await database.withConnection { sql in
                try await sql.raw(SQLQueryString(query)).first()?.decode(column: "n", as: Int.self) ?? -1
            }
        }
    }

    /// A product of `category` made through the catalog's API, with `stock` units of its one SKU
    /// (nil: the inventory is not asked), once the recommendations service has it in `status`
    /// (both hear of it through events).
    static func product(
        client: any TestClientProtocol, database: any Database, category: String, status: String = "active", stock: Int? = 10
    ) async throws -> Product {
        let sku = "REC-\(UUID().uuidString.prefix(8))"
        let body = #"""
            {"name": "Product \#(sku)", "categoryId": "\#(category)", "status": "\#(status)",
             "variants": [{"sku": "\#(sku)", "attributes": {"colour": "blue"}, "price": {"amount": 1500, "currency": "USD"}}]}
            """#
        let id = try await client.execute(uri: "/v1/products", method: .post, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: body)) { response in
            #expect(response.status == .created, "\(String(buffer: response.body))")
            return try #require(response.json["id"] as? String)
        }
        if let stock {
            try await eventually("the inventory has \(sku)") {
                try await client.execute(uri: "/v1/inventory/\(sku)", method: .get) { $0.status } == .ok
            }
            let set = try await client.execute(
                uri: "/v1/inventory/\(sku)", method: .put, headers: TestPlatform.writerHeaders(), body: ByteBuffer(string: #"{"available": \#(stock)}"#)
            ) { $0.status }
            #expect(set == .ok)
        }
        try await eventually("the recommendations service knows \(id) as \(status)") {
            try await state(of: id, database) == status
        }
        return Product(id: id, sku: sku)
    }

    /// The state the recommendations service keeps of product `id`, or nil.
    static func state(of id: String, _ database: any Database) async throws -> String? {
        try await database.withConnection { sql in
            try await sql.raw("SELECT state FROM recs_products WHERE product_id = \(bind: id)").first()?.decode(column: "state", as: String.self)
        }
    }

    /// The items of a list response.
    static func items(_ response: TestResponse) -> [[String: Any]] {
        response.json["items"] as? [[String: Any]] ?? []
    }

    /// Waits (a minute at most, on a busy machine) until `condition` holds; records an issue if it never does.
    static func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<1_200 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting until \(what)")
    }

    /// Runs `test` on the standard platform of `kind` (a fresh database, or `database` to start
    /// on the same data again) without the demo catalog.
    static func run(
        _ kind: DatabaseKind, database: DatabaseURL? = nil, extra: [String: String] = [:], category slug: String = "recs-test",
        _ test: @Sendable (Context) async throws -> Void
    ) async throws {
        let (url, cleanup): (DatabaseURL, @Sendable () async -> Void)
        if let database { (url, cleanup) = (database, {}) } else { (url, cleanup) = try await TestDatabases.makeURL(kind) }
        do {
            let settings = try await TestPlatform.settings(database: url, extra: ["seed.demo": "false"].merging(extra) { _, new in new })
            let platform = try await EmporiumPlatform.build(settings: settings, logger: TestDatabases.logger)
            try await platform.application.test(.router) { client in
                let writer = try await TestPlatform.authorization(platform, roles: [.catalogManager])
                try await TestPlatform.$writerAuthorization.withValue(writer) {
                    let service = try #require(platform.services.lazy.compactMap { $0 as? RecommendationsService }.first)
                    let recommendations = try #require(platform.databases["recommendations"])
                    let categories = try await client.execute(uri: "/v1/categories", method: .get) { RecommendationsTestPlatform.items($0) }
                    let category: String
                    if let existing = categories.first(where: { $0["slug"] as? String == slug })?["id"] as? String {
                        category = existing
                    } else {
                        category = try await client.execute(
                            uri: "/v1/categories", method: .post, headers: TestPlatform.writerHeaders(),
                            body: ByteBuffer(string: #"{"slug": "\#(slug)", "name": "Recommendations test"}"#)
                        ) { try #require($0.json["id"] as? String) }
                    }
                    try await test(Context(client: client, platform: platform, service: service, database: recommendations, category: category))
                }
            }
            if database == nil { await cleanup() }
        } catch {
            if database == nil { await cleanup() }
            throw error
        }
    }
}
