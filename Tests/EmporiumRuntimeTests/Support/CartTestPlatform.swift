import Cart
import EmporiumContracts
import EmporiumKit
import EmporiumRuntime
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Storage
import Synchronization
import Testing

/// The inventory the cart is handed in its tests: the real inventory service, through a switch
/// that can make every call fail as a stopped inventory process would.
final class SwitchableInventory: InventoryAPI {
    private let inventory: any InventoryAPI
    private let down = Atomic(false)

    init(_ inventory: any InventoryAPI) {
        self.inventory = inventory
    }

    /// Makes every call fail as unavailable (`true`), or work again.
    func setDown(_ isDown: Bool) {
        down.store(isDown, ordering: .relaxed)
    }

    private func check() throws {
        if down.load(ordering: .relaxed) { throw ServiceUnavailableError(service: "inventory", reason: "stopped by the test") }
    }

    func stock(skus: [String]) async throws -> [String: StockLevel] {
        try check()
        return try await inventory.stock(skus: skus)
    }

    func reserve(_ request: ReservationRequest) async throws -> ReservationOutcome {
        try check()
        return try await inventory.reserve(request)
    }

    func release(orderId: UUID) async throws -> Reservation {
        try check()
        return try await inventory.release(orderId: orderId)
    }

    func keep(orderId: UUID) async throws -> Reservation {
        try check()
        return try await inventory.keep(orderId: orderId)
    }

    func commit(orderId: UUID) async throws -> Reservation {
        try check()
        return try await inventory.commit(orderId: orderId)
    }
}

/// Runs the cart's tests on the whole platform (`EmporiumPlatform.build`, the in-process router
/// client): the standard services, the real catalog and inventory, the cart handed both.
enum CartTestPlatform {
    /// Where the cart keeps carts in a test.
    enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case memory, redis
        var testDescription: String { rawValue }
    }

    /// What a test works with.
    struct Context: Sendable {
        let client: any TestClientProtocol
        let platform: EmporiumPlatform
        let inventory: Switch

        /// Waits until the inventory has a stock row for each of `skus` (it makes them from the
        /// catalog's product events, moments after the product is written).
        func waitForStock(_ skus: [String]) async throws {
            for sku in skus {
                var status: HTTPResponse.Status = .notFound
                for _ in 0..<2_400 {
                    status = try await client.execute(uri: "/v1/inventory/\(sku)", method: .get) { $0.status }
                    if status == .ok { break }
                    try await Task.sleep(for: .milliseconds(25))
                }
                #expect(status == .ok, "the inventory has a stock row for \(sku)")
            }
        }

        /// Sets how many units of `sku` the inventory has available (`PUT /v1/inventory/{sku}`
        /// as a catalog manager), once its stock row exists.
        func setStock(_ sku: String, _ available: Int) async throws {
            try await waitForStock([sku])
            try await client.execute(
                uri: "/v1/inventory/\(sku)", method: .put, headers: TestPlatform.writerHeaders(),
                body: ByteBuffer(string: #"{"available": \#(available)}"#)
            ) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
            }
        }

        /// Stops the inventory (every call then fails as unavailable), or starts it again.
        func setInventoryDown(_ isDown: Bool) {
            inventory.inventory.withLock { $0?.setDown(isDown) }
        }
    }

    static let redisURL = ProcessInfo.processInfo.environment["EMPORIUM_TEST_REDIS_URL"]

    /// Runs `test` on a platform whose carts live in `backend` (a Redis backend without
    /// `EMPORIUM_TEST_REDIS_URL` runs nothing). `catalog` wraps the catalog the cart is given;
    /// `extra` adds settings (`services`, `services.catalog.url`, …).
    static func run(
        _ backend: Backend,
        catalog: @escaping @Sendable (any CatalogPricing) -> any CatalogPricing = { $0 },
        extra: [String: String] = [:],
        _ test: @Sendable (Context) async throws -> Void
    ) async throws {
        var extra = extra
        if backend == .redis {
            guard let redisURL else { return }
            extra["redis.url"] = redisURL
        }
        let switchable = Switch()
        try await TestPlatform.withClient(.sqlite, table: table(switch: switchable, catalog: catalog), extra: extra) { client, platform in
            try await test(Context(client: client, platform: platform, inventory: switchable))
        }
    }

    /// Where the table leaves the switch it wrapped the inventory in.
    final class Switch: Sendable {
        let inventory = Mutex<SwitchableInventory?>(nil)
    }

    /// The standard table, with the cart given `catalog`'s wrapping of the catalog and the
    /// inventory through a switch.
    static func table(switch: Switch, catalog: @escaping @Sendable (any CatalogPricing) -> any CatalogPricing) -> ServiceTable {
        var modules = ServiceTable.standard.modules.filter { $0.name != "cart" }
        modules.append(ServiceModule(name: "cart", calls: ["catalog", "inventory"], summary: "carts") { env in
            let inventory = SwitchableInventory(env.peers.api("inventory", as: (any InventoryAPI).self, remote: HTTPInventoryAPI.init))
            `switch`.inventory.withLock { $0 = inventory }
            return try CartService(
                environment: env,
                catalog: catalog(env.peers.api("catalog", as: (any CatalogPricing).self, remote: HTTPCatalogPricing.init)),
                inventory: inventory)
        })
        return ServiceTable(modules: modules)
    }
}
