import Caching
import EmporiumContracts
import EmporiumCore
import EmporiumKit
import EmporiumTestSupport
import Foundation
import Logging
import Messaging
import Metrics
@testable import Recommendations
import SQLKit
import Storage
import Synchronization
import Testing

/// The inventory as a unit test sees it: every SKU with `available` units, or every call failing
/// as an unreachable inventory does.
struct FixedInventory: InventoryAPI {
    var available = 5
    var outOfStock: Set<String> = []
    var unreachable = false

    func stock(skus: [String]) async throws -> [String: StockLevel] {
        if unreachable { throw ServiceUnavailableError(service: "inventory", reason: "stopped by the test") }
        return Dictionary(uniqueKeysWithValues: Set(skus).map { sku in
            let units = outOfStock.contains(sku) ? 0 : available
            return (sku, StockLevel(sku: sku, available: units, onHand: units, reserved: 0))
        })
    }

    func reserve(_ request: ReservationRequest) async throws -> ReservationOutcome { throw Unused() }
    func release(orderId: UUID) async throws -> Reservation { throw Unused() }
    func keep(orderId: UUID) async throws -> Reservation { throw Unused() }
    func commit(orderId: UUID) async throws -> Reservation { throw Unused() }

    struct Unused: Error {}
}

/// The recommendations store and the lists computed from it, on either engine: the planted
/// pairs of a synthetic purchase log found despite best-sellers, the popularity window, the
/// record counted once, and a rebuild that changes nothing.
enum RecommendationStoreContract {
    struct Fixture: Sendable {
        let store: RecommendationStore
        let database: any Database
        let now: Date

        /// The lists as the service computes them, with `inventory` for the stock check.
        func lists(inventory: FixedInventory = FixedInventory(), window: Int = 30) -> RecommendationLists {
            let now = self.now
            return RecommendationLists(
                store: store, cache: TwoLevelCache(name: "test.lists", l2: nil, logger: RecommendationStoreContract.logger),
                stock: StockFilter(inventory: inventory, metrics: NOOPMetricsHandler.instance, logger: RecommendationStoreContract.logger),
                settings: RecommendationsSettings(popularityWindowDays: window), now: { now })
        }

        /// Active products with one SKU each (`<ID>-1`), in `category`.
        func catalog(_ ids: [String], category: String = "c1", state: ProductState = .active) async throws {
            try await database.transaction { sql in
                for id in ids {
                    try await store.keep(
                        CatalogProduct(id: id, name: "Product \(id)", categoryId: category, state: state, skus: ["\(id.uppercased())-1"], version: 1), sql)
                }
            }
        }

        /// Records `purchases` (500 per transaction); returns those recorded now.
        @discardableResult
        func record(_ purchases: [Purchase], window: Int = 30) async throws -> [Purchase] {
            var recorded: [Purchase] = []
            for start in stride(from: 0, to: purchases.count, by: 500) {
                let chunk = Array(purchases[start..<min(start + 500, purchases.count)])
                recorded += try await database.transaction { sql in
                    try await store.record(chunk, window: PopularityWindow(days: window), now: now, sql)
                }
            }
            return recorded
        }

        func purchase(_ products: [String], user: String = "u", daysAgo: Double = 0) -> Purchase {
            Purchase(orderId: UUID.v7().lowercased, userId: user, productIds: products, at: now.addingTimeInterval(-daysAgo * 86_400))
        }

        /// Rows of the popularity table.
        func popularityRows() async throws -> Int {
            try await database.withConnection { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM recs_popularity").first()?.decode(column: "n", as: Int.self) ?? -1
            }
        }
    }

    static let logger: Logger = {
        var logger = Logger(label: "recommendations-store")
        logger.logLevel = .warning
        return logger
    }()

    /// Runs `body` on a fresh, migrated database of `kind`.
    static func withFixture<Result: Sendable>(_ kind: DatabaseKind, _ body: @Sendable (Fixture) async throws -> Result) async throws -> Result {
        try await TestDatabases.withDatabase(kind) { database in
            try await Migrator(database: database, service: "recommendations", logger: logger).migrate(RecommendationsMigrations.all)
            return try await body(Fixture(store: RecommendationStore(database: database), database: database, now: .now))
        }
    }

    // MARK: Planted pairs

    /// A synthetic log: 40 planted pairs, each bought together in 25 orders (and each product
    /// alone in 8 more), 5 best-sellers in 90% of all orders, and 1,500 orders of random others.
    /// At least 90% of planted partners are in the top 5 of their product's list; ranked by raw
    /// co-purchase counts instead, the best-sellers would push most of them out.
    static func plantedPartnersRankHigh(_ kind: DatabaseKind) async throws {
        try await withFixture(kind) { fixture in
            var random = SeededRandom(seed: 18)
            let ids = (0..<400).map { String(format: "p%03d", $0) }
            let planted = Array(ids[0..<80]), bestSellers = Array(ids[80..<85]), others = Array(ids[85...])
            for (index, category) in ["c1", "c2", "c3", "c4"].enumerated() {
                try await fixture.catalog(ids.enumerated().filter { $0.offset % 4 == index }.map(\.element), category: category)
            }
            var purchases: [Purchase] = []
            func order(_ core: [String], noise: ClosedRange<Int>) {
                var products = core + (0..<Int.random(in: noise, using: &random)).map { _ in others.randomElement(using: &random)! }
                products += bestSellers.filter { _ in Double.random(in: 0..<1, using: &random) < 0.9 }
                purchases.append(fixture.purchase(products, user: "u\(Int.random(in: 0..<500, using: &random))", daysAgo: Double.random(in: 0..<20, using: &random)))
            }
            for pair in stride(from: 0, to: planted.count, by: 2) {
                for _ in 0..<25 { order([planted[pair], planted[pair + 1]], noise: 0...2) }
            }
            for product in planted {
                for _ in 0..<8 { order([product], noise: 1...3) }
            }
            for _ in 0..<1_500 { order([], noise: 2...4) }
            purchases.shuffle(using: &random)
            #expect(try await fixture.record(purchases).count == purchases.count)

            let lists = fixture.lists()
            var found = 0, foundByRawCounts = 0, bestSellerFirst = 0
            for (index, product) in planted.enumerated() {
                let partner = planted[index ^ 1]
                let top = try await lists.forProduct(product, limit: 5)
                #expect(!top.contains { $0.id == product }, "never the product itself")
                if top.contains(where: { $0.id == partner }) { found += 1 }
                if let first = top.first, bestSellers.contains(first.id) { bestSellerFirst += 1 }
                let raw = try await fixture.store.coPurchases(of: product, limit: 1_000).partners
                    .sorted { $0.together != $1.together ? $0.together > $1.together : $0.partner.id < $1.partner.id }
                if raw.prefix(5).contains(where: { $0.partner.id == partner }) { foundByRawCounts += 1 }
            }
            let ratio = Double(found) / Double(planted.count)
            #expect(ratio >= 0.9, "planted partners in the top 5: \(found) of \(planted.count)")
            #expect(bestSellerFirst == 0, "a best-seller heads \(bestSellerFirst) lists")
            #expect(Double(foundByRawCounts) / Double(planted.count) < 0.5, "raw counts find \(foundByRawCounts): the log is a real test of the normalisation")
        }
    }

    // MARK: Window, exclusions, stock

    /// Popularity counts the days inside the window; pruning deletes the days that left it;
    /// co-purchases are kept however old. A list never holds the product itself, nothing not
    /// active, nothing out of stock, unless the inventory cannot be asked.
    static func windowAndExclusions(_ kind: DatabaseKind) async throws {
        try await withFixture(kind) { fixture in
            try await fixture.catalog(["a", "b", "c", "d", "e"])
            try await fixture.catalog(["f"], category: "c2")
            try await fixture.catalog(["g"], state: .archived)
            // Recorded under a 60-day window, read under a 30-day one: the counts of 40 days ago
            // exist but have left the window.
            try await fixture.record([
                fixture.purchase(["a", "b"], daysAgo: 40),
                fixture.purchase(["c"], user: "v", daysAgo: 1), fixture.purchase(["c"], user: "v", daysAgo: 1),
                fixture.purchase(["a"], daysAgo: 2),
                fixture.purchase(["b", "g"], user: "v", daysAgo: 3), fixture.purchase(["f"], user: "v", daysAgo: 3),
                fixture.purchase(["e"], user: "v", daysAgo: 3),
            ], window: 60)
            let firstDay = PopularityWindow(days: 30).firstDay(now: fixture.now)
            let popular = try await fixture.store.popular(category: "c1", since: firstDay, limit: 10)
            #expect(popular.map(\.product.id) == ["c", "a", "b", "e"], "g is archived, f in another category, a's purchase 40 days ago left")
            #expect(popular.map(\.orders) == [2, 1, 1, 1])

            #expect(try await fixture.popularityRows() == 8)
            try await fixture.store.prune(before: firstDay)
            #expect(try await fixture.popularityRows() == 6, "the two counts of 40 days ago are gone")

            let lists = fixture.lists()
            let ofB = try await lists.forProduct("b", limit: 10)
            #expect(ofB.map(\.id) == ["a", "c", "e"], "a bought together (40 days ago still counts), then popular; never b, nor archived g")
            #expect(ofB.map(\.reason) == [.boughtTogether, .popular, .popular])
            #expect(try await fixture.lists(window: 1).forProduct("b", limit: 10).map(\.id) == ["a"], "a one-day window: nothing bought today")

            let withoutC = fixture.lists(inventory: FixedInventory(outOfStock: ["C-1"]))
            #expect(try await withoutC.forProduct("b", limit: 10).map(\.id) == ["a", "e"], "c is out of stock")
            #expect(try await withoutC.forProduct("b", limit: 1).map(\.id) == ["a"])
            let unreachable = fixture.lists(inventory: FixedInventory(unreachable: true))
            #expect(try await unreachable.forProduct("b", limit: 10).map(\.id) == ["a", "c", "e"], "served without the stock check")

            await #expect(throws: RecommendationsError.unknownProduct("g")) { try await lists.forProduct("g", limit: 10) }
            await #expect(throws: RecommendationsError.unknownProduct("zz")) { try await lists.forProduct("zz", limit: 10) }

            // A user who bought a and b: their partners, then popular ones, never a or b.
            let mine = try await lists.forUser("u", limit: 10)
            #expect(!mine.contains { ["a", "b"].contains($0.id) })
            #expect(mine.map(\.id) == ["c", "e", "f"], "nothing shown was bought with a or b: the popular ones of their category c1, then of the shop")
            #expect(try await lists.forUser("stranger", limit: 10).map(\.id) == ["c", "a", "b", "e", "f"], "no purchases: the shop's popular products")
        }
    }

    // MARK: Counted once, rebuilt the same

    /// An order recorded twice counts once; a rebuild from the record gives the same lists.
    static func recordOnceAndRebuild(_ kind: DatabaseKind) async throws {
        try await withFixture(kind) { fixture in
            let ids = (0..<30).map { String(format: "q%02d", $0) }
            try await fixture.catalog(ids)
            var random = SeededRandom(seed: 7)
            let purchases = (0..<300).map { _ in
                fixture.purchase(Array(ids.shuffled(using: &random).prefix(Int.random(in: 1...4, using: &random))), user: "u\(Int.random(in: 0..<20, using: &random))", daysAgo: Double.random(in: 0..<40, using: &random))
            }
            #expect(try await fixture.record(purchases).count == 300)
            #expect(try await fixture.record(Array(purchases.prefix(10))).isEmpty, "recorded before: counted nothing")
            #expect(try await fixture.store.purchases().count == 300)

            func snapshot() async throws -> [String] {
                let lists = fixture.lists()
                var rows: [String] = []
                for id in ids {
                    rows.append(id + ": " + (try await lists.forProduct(id, limit: 50)).map { "\($0.id) \($0.reason.rawValue) \($0.score)" }.joined(separator: ", "))
                }
                for user in ["u0", "u7", "u19"] {
                    rows.append(user + ": " + (try await lists.forUser(user, limit: 50)).map { "\($0.id) \($0.score)" }.joined(separator: ", "))
                }
                return rows
            }
            let before = try await snapshot()
            try await fixture.database.transaction { sql in
                try await sql.raw("DELETE FROM recs_pairs WHERE product_id < 'q10'").run()
                try await sql.raw("UPDATE recs_products SET purchases = purchases + 3").run()
                try await sql.raw("UPDATE recs_popularity SET orders = orders + 1").run()
            }
            #expect(try await snapshot() != before)
            let progress = ProgressLog()
            #expect(try await fixture.store.rebuild(window: PopularityWindow(days: 30), now: fixture.now, batchSize: 128) { progress.append($0, $1) } == 300)
            #expect(progress.lines == ["128/300", "256/300", "300/300"])
            #expect(try await snapshot() == before)
        }
    }
}

/// Progress lines reported by a rebuild.
final class ProgressLog: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ done: Int, _ total: Int) { storage.withLock { $0.append("\(done)/\(total)") } }
    var lines: [String] { storage.withLock { $0 } }
}

@Suite("Recommendations store on SQLite")
struct RecommendationStoreSQLiteTests {
    @Test("planted partners: at least 90% in the top 5 of their product's list, best-sellers bought with everything notwithstanding")
    func plantedPartners() async throws { try await RecommendationStoreContract.plantedPartnersRankHigh(.sqlite) }
    @Test func windowAndExclusions() async throws { try await RecommendationStoreContract.windowAndExclusions(.sqlite) }
    @Test func recordOnceAndRebuild() async throws { try await RecommendationStoreContract.recordOnceAndRebuild(.sqlite) }
}

@Suite("Recommendations store on PostgreSQL", .enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
struct RecommendationStorePostgresTests {
    @Test("planted partners: at least 90% in the top 5 of their product's list, best-sellers bought with everything notwithstanding")
    func plantedPartners() async throws { try await RecommendationStoreContract.plantedPartnersRankHigh(.postgres) }
    @Test func windowAndExclusions() async throws { try await RecommendationStoreContract.windowAndExclusions(.postgres) }
    @Test func recordOnceAndRebuild() async throws { try await RecommendationStoreContract.recordOnceAndRebuild(.postgres) }
}
