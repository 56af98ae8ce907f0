import Cart
import EmporiumContracts
import EmporiumKit
import EmporiumRuntime
import Foundation
import HummingbirdTesting
import Storage
import Synchronization
import Testing

/// Stands in for the inventory service until its module lands on this branch: a service named
/// `inventory` that the runtime hands the cart as its ``InventoryAPI`` (in the same process, as
/// the real one will be), with stock levels the test sets. It has no routes and reserves nothing.
///
/// Only ``CartTestPlatform`` uses it: switching the cart's tests to the real inventory means
/// changing that helper (its table and ``CartTestPlatform/Context/setStock(_:_:)``), not the tests.
final class StockTestDouble: EmporiumService, InventoryAPI {
    let name = "inventory"
    let migrations: [Migration] = []
    let openAPI = OpenAPIFragment()

    /// Units available of an SKU the test did not set (the embedded demo's stock).
    static let defaultAvailable = 100
    private let levels = Mutex<[String: Int]>([:])
    private let down = Atomic(false)

    func addRoutes(to router: ServiceRouter) {}

    func setAvailable(_ available: Int, for sku: String) {
        levels.withLock { $0[sku] = available }
    }

    /// Makes every call fail as a stopped inventory would (`isDown: true`), or work again.
    func setDown(_ isDown: Bool) {
        down.store(isDown, ordering: .relaxed)
    }

    func stock(skus: [String]) async throws -> [String: StockLevel] {
        if down.load(ordering: .relaxed) { throw ServiceUnavailableError(service: "inventory", reason: "stopped by the test") }
        let levels = levels.withLock { $0 }
        var found: [String: StockLevel] = [:]
        for sku in skus {
            let available = levels[sku] ?? Self.defaultAvailable
            found[sku] = StockLevel(sku: sku, available: available, onHand: available, reserved: 0)
        }
        return found
    }

    func reserve(_ request: ReservationRequest) async throws -> ReservationOutcome { throw Self.notReserving }
    func release(orderId: UUID) async throws -> Reservation { throw Self.notReserving }
    func commit(orderId: UUID) async throws -> Reservation { throw Self.notReserving }

    private static let notReserving = ServiceUnavailableError(service: "inventory", reason: "the stock test double does not reserve")
}

/// Runs the cart's tests on the whole platform (`EmporiumPlatform.build`, the in-process router
/// client): the standard services with the real catalog, and the stock test double as the
/// inventory.
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
        let stock: StockTestDouble

        /// Sets how many units of `sku` the inventory has available.
        func setStock(_ sku: String, _ available: Int) async throws {
            stock.setAvailable(available, for: sku)
        }

        /// Stops the inventory (every call then fails as unavailable), or starts it again.
        func setInventoryDown(_ isDown: Bool) {
            stock.setDown(isDown)
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
        let stock = StockTestDouble()
        try await TestPlatform.withClient(.sqlite, table: table(stock: stock, catalog: catalog), extra: extra) { client, platform in
            try await test(Context(client: client, platform: platform, stock: stock))
        }
    }

    /// The standard table with the stock double as `inventory`, and the cart given `catalog`'s
    /// wrapping of the catalog.
    static func table(stock: StockTestDouble, catalog: @escaping @Sendable (any CatalogPricing) -> any CatalogPricing) -> ServiceTable {
        var modules = ServiceTable.standard.modules.filter { $0.name != "cart" && $0.name != "inventory" }
        modules.append(ServiceModule(name: "inventory", summary: "stock test double") { _ in stock })
        modules.append(ServiceModule(name: "cart", calls: ["catalog", "inventory"], summary: "carts") { env in
            CartService(
                environment: env,
                catalog: catalog(env.peers.api("catalog", as: (any CatalogPricing).self, remote: HTTPCatalogPricing.init)),
                inventory: env.peers.api("inventory", as: (any InventoryAPI).self, remote: HTTPInventoryAPI.init))
        })
        return ServiceTable(modules: modules)
    }
}
