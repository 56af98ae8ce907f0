import AsyncHTTPClient
import EmporiumKit
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import EmporiumTestSupport
import Security
import Testing

/// The catalog, the inventory and the cart as three `emporium serve --services …` processes, as a
/// cluster runs them: events between them through RabbitMQ (a virtual host of their own), calls
/// from the cart to the other two over HTTP with the shared service secret.
@Suite("Catalog, inventory and cart as separate processes", .serialized)
struct ClusterProcessTests {
    static let secret = ServiceCredential.generateSecret().base64EncodedString()
    static let amqpURL = ProcessInfo.processInfo.environment["EMPORIUM_TEST_AMQP_URL"]
    static let rabbitmqctl = ProcessInfo.processInfo.environment["EMPORIUM_TEST_RABBITMQCTL"]

    /// Runs `body` with the URL of a fresh RabbitMQ virtual host, deleted afterwards.
    static func withVirtualHost<Result: Sendable>(_ body: @Sendable (String) async throws -> Result) async throws -> Result {
        let base = try #require(amqpURL), control = try #require(rabbitmqctl)
        let vhost = "cluster-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try await TestProcess.runDetached(control, ["add_vhost", vhost], mergingErrors: true)
        _ = try await TestProcess.runDetached(control, ["set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], mergingErrors: true)
        do {
            let result = try await body((base.hasSuffix("/") ? base : base + "/") + vhost)
            _ = try? await TestProcess.runDetached(control, ["delete_vhost", vhost], mergingErrors: true)
            return result
        } catch {
            _ = try? await TestProcess.runDetached(control, ["delete_vhost", vhost], mergingErrors: true)
            throw error
        }
    }

    /// A JSON request to a process; answers the status, headers and parsed object.
    static func send(
        _ method: HTTPMethod, _ url: String, json: String? = nil, headers: [(String, String)] = []
    ) async throws -> (status: Int, headers: HTTPHeaders, body: [String: Any]) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        let body = try await response.body.collect(upTo: 1 << 20)
        let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]) ?? [:]
        return (Int(response.status.code), response.headers, object)
    }

    @Test(.enabled(if: amqpURL != nil && rabbitmqctl != nil, "needs RabbitMQ (EMPORIUM_TEST_AMQP_URL, EMPORIUM_TEST_RABBITMQCTL)"))
    func theCartCallsCatalogAndInventoryInOtherProcesses() async throws {
        // Alongside other RabbitMQ tests, never during one that stops the broker.
        try await BrokerGate.processes.shared(limit: .seconds(300)) {
            try await BrokerGate.shared.shared(limit: .seconds(300)) {
                try await Self.withVirtualHost { broker in try await Self.journey(broker: broker) }
            }
        }
    }

    static func journey(broker: String) async throws {
        let environment = ["EMPORIUM_SERVICES_SECRET": Self.secret, "EMPORIUM_SEED_DEMO": "true", "EMPORIUM_BROKER_URL": broker]
        // The inventory starts first: its queue must be bound before the catalog publishes the
        // seeded products (RabbitMQ drops what no queue is bound for).
        let inventory = try await ServedBinary.start(environment: environment, arguments: ["--services", "inventory"])
        defer { inventory.stop() }
        let catalog = try await ServedBinary.start(environment: environment, arguments: ["--services", "catalog"])
        var catalogStopped = false
        defer { if !catalogStopped { catalog.stop() } }
        let cart = try await ServedBinary.start(
            environment: environment.merging([
                "EMPORIUM_SERVICES_CATALOG_URL": "http://127.0.0.1:\(catalog.port)",
                "EMPORIUM_SERVICES_INVENTORY_URL": "http://127.0.0.1:\(inventory.port)",
            ]) { _, new in new },
            arguments: ["--services", "cart"])
        defer { cart.stop() }
        // Each process runs only what it was asked for.
        let listed = try await Self.send(.GET, "http://127.0.0.1:\(cart.port)/openapi.json")
        let paths = (listed.body["paths"] as? [String: Any])?.keys.sorted() ?? []
        #expect(paths.contains("/v1/cart") && !paths.contains { $0.hasPrefix("/v1/products") || $0.hasPrefix("/v1/inventory") })

        // A demo SKU, and its stock, from their own processes.
        let page = try await Self.send(.GET, "http://127.0.0.1:\(catalog.port)/v1/products?limit=1")
        let product = try #require((page.body["items"] as? [[String: Any]])?.first)
        let variant = try #require((product["variants"] as? [[String: Any]])?.first)
        let sku = try #require(variant["sku"] as? String)
        let price = try #require((variant["price"] as? [String: Any])?["amount"] as? Int)
        // The inventory process learns of the seeded products through the broker.
        var stock = try await Self.send(.GET, "http://127.0.0.1:\(inventory.port)/v1/inventory/\(sku)")
        for _ in 0..<300 where stock.status != 200 {
            try await Task.sleep(for: .milliseconds(100))
            stock = try await Self.send(.GET, "http://127.0.0.1:\(inventory.port)/v1/inventory/\(sku)")
        }
        #expect(stock.status == 200)
        #expect((stock.body["available"] as? Int ?? 0) >= 2, "the embedded demo stocks every seeded SKU")

        // The cart prices the line from the catalog process and checks the inventory process.
        let added = try await Self.send(.POST, "http://127.0.0.1:\(cart.port)/v1/cart/items", json: #"{"sku":"\#(sku)","quantity":2}"#)
        #expect(added.status == 200 || added.status == 201, "\(added.body)")
        let cartId = try #require(added.headers.first(name: "X-Cart-Id"))
        let line = try #require((added.body["lines"] as? [[String: Any]])?.first)
        #expect((line["unitPrice"] as? [String: Any])?["amount"] as? Int == price)
        #expect((line["lineTotal"] as? [String: Any])?["amount"] as? Int == price * 2)
        // More than the inventory process has: refused, naming the quantity.
        let tooMany = try await Self.send(
            .PATCH, "http://127.0.0.1:\(cart.port)/v1/cart/items/\(sku)", json: #"{"quantity":999}"#, headers: [("X-Cart-Id", cartId)])
        #expect(tooMany.status == 422, "\(tooMany.body)")

        // The internal routes of the other processes refuse a caller without the secret.
        let stranger = try await Self.send(
            .POST, "http://127.0.0.1:\(inventory.port)/internal/v1/inventory/stock/lookup", json: #"{"skus":["\#(sku)"]}"#)
        #expect(stranger.status == 401)

        // The catalog process stops: the cart answers 503 naming it, promptly.
        catalog.stop(keepingData: true)
        let started = ContinuousClock.now
        let down = try await Self.send(.GET, "http://127.0.0.1:\(cart.port)/v1/cart", headers: [("X-Cart-Id", cartId)])
        #expect(down.status == 503)
        #expect((down.body["detail"] as? String ?? "").contains("The catalog service is unavailable"), "\(down.body)")
        #expect(ContinuousClock.now - started < .seconds(5))

        // It comes back on its port with its data: the cart works again, with the same cart.
        let back = try await ServedBinary.start(
            environment: environment, arguments: ["--services", "catalog"], port: catalog.port, directory: catalog.directory)
        catalogStopped = true
        defer { back.stop() }
        let again = try await Self.send(.GET, "http://127.0.0.1:\(cart.port)/v1/cart", headers: [("X-Cart-Id", cartId)])
        #expect(again.status == 200, "\(again.body)")
        #expect(((again.body["lines"] as? [[String: Any]])?.first?["quantity"] as? Int) == 2)
    }
}
