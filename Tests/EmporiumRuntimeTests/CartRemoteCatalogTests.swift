import AsyncHTTPClient
import EmporiumKit
import EmporiumRuntime
import EmporiumTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import ServiceLifecycle
import Storage
import Testing

/// The cart in one process, the catalog and the inventory in another (two platforms in this test
/// process, as `--services` would run them): the cart calls both over HTTP (signed with the
/// shared secret), answers 503 naming the catalog while it is stopped, and works again when it
/// is back.
@Suite("Cart calling a remote catalog")
struct CartRemoteCatalogTests {
    static let secret = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()

    /// Runs the catalog and the inventory in a process of their own on `port` (0: any) with
    /// `database` until `body` returns, then stops it.
    static func withCatalog<Result: Sendable>(
        database: DatabaseURL, port: Int = 0, _ body: @escaping @Sendable (Int) async throws -> Result
    ) async throws -> Result {
        try await TestPlatform.serving(
            database: database, extra: ["services": "catalog,inventory", "services.secret": secret, "http.port": "\(port)", "seed.demo": "true"],
            body)
    }

    static func sku(catalogPort port: Int) async throws -> String {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/products?limit=1"), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let items = (try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])?["items"] as? [[String: Any]]
        return try #require((items?.first?["variants"] as? [[String: Any]])?.first?["sku"] as? String)
    }

    @Test func theCartCallsTheCatalogOverHTTPAndAnswers503WhileItIsDown() async throws {
        let (catalogDatabase, cleanup) = try await TestDatabases.makeURL(.sqlite)
        defer { Task { await cleanup() } }
        let (port, sku) = try await Self.withCatalog(database: catalogDatabase) { port in
            let sku = try await Self.sku(catalogPort: port)
            // The inventory there makes the SKU's stock row from the seeded product's event.
            var status: UInt = 0
            for _ in 0..<2_400 where status != 200 {
                status = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/inventory/\(sku)"), timeout: .seconds(10)).status.code
                if status != 200 { try await Task.sleep(for: .milliseconds(25)) }
            }
            #expect(status == 200)
            return (port, sku)
        }
        // The catalog is stopped now; the cart process does not run it and is told where it is.
        let extra = [
            "services": "auth,cart", "services.secret": Self.secret, "services.catalog.url": "http://127.0.0.1:\(port)",
            "services.inventory.url": "http://127.0.0.1:\(port)",
        ]
        try await CartTestPlatform.run(.memory, extra: extra) { context in
            #expect(!context.platform.services.contains { $0.name == "catalog" })
            let down = try await CartAPITests.add(context, sku, 1)
            #expect(down.status == .serviceUnavailable)
            #expect(down.headers[.contentType] == "application/problem+json")
            #expect((down.json["detail"] as? String)?.hasPrefix("The catalog service is unavailable") == true, "\(down.json)")

            let cart = try await Self.withCatalog(database: catalogDatabase, port: port) { _ in
                let added = try await CartAPITests.add(context, sku, 2)
                #expect(added.status == .ok, "works again once the catalog is back: \(added.json)")
                let line = CartAPITests.lines(added)[sku]
                #expect(line?["name"] is String, "the line priced by the remote catalog")
                #expect(CartAPITests.money(line?["unitPrice"]) != nil)
                return try #require(added.headers[CartAPITests.cartID])
            }
            let read = try await CartAPITests.send(context, .get, "/v1/cart", cart: cart)
            #expect(read.status == .serviceUnavailable, "reading prices the cart: the catalog is needed")
        }
    }
}
