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
import Storage
import Synchronization
import Testing

/// The recommendations service through the real HTTP routes of the whole platform, on either
/// database: its events from the catalog and from orders, its lists and their rules, the cache,
/// the rebuild.
enum RecommendationsAPIContract {
    typealias Context = RecommendationsTestPlatform.Context
    typealias Product = RecommendationsTestPlatform.Product

    static func items(_ response: TestResponse) -> [[String: Any]] { RecommendationsTestPlatform.items(response) }

    /// A 400 problem naming `parameter`.
    static func expectBadParameter(_ response: TestResponse, _ parameter: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == .badRequest, sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        let errors = response.json["errors"] as? [[String: Any]] ?? []
        #expect(errors.first?["parameter"] as? String == parameter, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
    }

    // MARK: A product's list

    /// 404 for an unknown product, 400 naming bad parameters; a product without history gets
    /// the popular products of its category; bought together first; never the product itself,
    /// an archived, draft or out-of-stock product.
    static func productLists(_ kind: DatabaseKind) async throws {
        try await RecommendationsTestPlatform.run(kind) { context in
            let a = try await context.product(), b = try await context.product(), c = try await context.product()
            let d = try await context.product(), e = try await context.product(), f = try await context.product()
            let g = try await context.product(status: "draft"), early = try await context.product()

            let unknown = try await context.send(.get, "/v1/recommendations/products/\(UUID.v7().lowercased)")
            #expect(unknown.status == .notFound)
            #expect(unknown.headers[.contentType] == "application/problem+json")
            #expect(try await context.list(g).status == .notFound, "a draft has no list")
            expectBadParameter(try await context.send(.get, "/v1/recommendations/products/not-a-uuid"), "id")
            let both = try await context.send(.get, "/v1/recommendations/products/not-a-uuid?limit=0")
            #expect((both.json["errors"] as? [[String: Any]])?.compactMap { $0["parameter"] as? String } == ["id", "limit"], "both named at once")
            for limit in ["0", "51", "ten", "-3", ""] {
                expectBadParameter(try await context.send(.get, "/v1/recommendations/products/\(a.id)?limit=\(limit)"), "limit")
            }
            // (Asked of a product no test asks about again: its list stays cached until an order
            // containing it, or recommendations.cacheTTL, which the popular fillers may lag by.)
            #expect(try await context.ids(early).isEmpty, "nothing bought yet: nothing to recommend")

            try await context.confirm([b, d])
            try await context.confirm([d, c])
            try await context.confirm([d, e])
            try await context.confirm([b, f])
            try await context.confirm([b, g])
            try await context.confirm([d])

            // No co-purchase history: the popular products of its category, most bought first.
            let ofA = try await context.list(a)
            #expect(ofA.status == .ok)
            #expect(items(ofA).compactMap { $0["id"] as? String } == [d.id, b.id] + [c.id, e.id, f.id].sorted(), "\(String(buffer: ofA.body))")
            #expect(items(ofA).allSatisfy { $0["reason"] as? String == "popular" && $0["categoryId"] as? String == context.category })
            #expect(items(ofA).compactMap { ($0["score"] as? NSNumber)?.doubleValue } == [4, 3, 1, 1, 1], "orders in the window")
            #expect(items(ofA).first?["name"] as? String == "Product \(d.sku)")
            #expect(try await context.ids(a, limit: 2) == [d.id, b.id])
            // The shop's popular products (the storefront's home for guests): the same, no token.
            let popular = try await context.send(.get, "/v1/recommendations/popular")
            #expect(popular.status == .ok)
            #expect(items(popular).compactMap { $0["id"] as? String } == [d.id, b.id] + [c.id, e.id, f.id].sorted(), "\(String(buffer: popular.body))")
            #expect(items(popular).allSatisfy { $0["reason"] as? String == "popular" })
            expectBadParameter(try await context.send(.get, "/v1/recommendations/popular?limit=0"), "limit")

            // Bought together first, then the category's popular ones; never itself (the most popular).
            let ofD = try await context.list(d)
            let reasons = items(ofD).map { ($0["id"] as? String ?? "", $0["reason"] as? String ?? "") }
            #expect(reasons.prefix(3).allSatisfy { $0.1 == "bought_together" } && Set(reasons.prefix(3).map(\.0)) == [b.id, c.id, e.id])
            #expect(reasons.dropFirst(3).map(\.0) == [f.id], "then popular: f (b is already listed, g is a draft)")
            #expect(!reasons.contains { $0.0 == d.id }, "never the product itself")
            #expect(!(try await context.ids(b)).contains(g.id), "never a draft, though bought together")
            #expect(!(try await context.ids(b)).contains(b.id))

            // Archived: out of every list (the catalog's event changes the lists' generation).
            #expect(try await context.ids(d).contains(e.id))
            let archived = try await context.send(.patch, "/v1/products/\(e.id)", #"{"status": "archived"}"#, token: TestPlatform.writerAuthorization)
            #expect(archived.status == .ok, "\(String(buffer: archived.body))")
            try await RecommendationsTestPlatform.eventually("e is archived for recommendations") {
                try await RecommendationsTestPlatform.state(of: e.id, context.database) == "archived"
            }
            #expect(!(try await context.ids(d)).contains(e.id), "an archived product is never shown")
            #expect(!(try await context.ids(a)).contains(e.id))
            #expect(try await context.list(e).status == .notFound)

            // Out of stock: asked of the inventory at every request.
            #expect(try await context.ids(b).contains(f.id))
            let emptied = try await context.send(.put, "/v1/inventory/\(f.sku)", #"{"available": 0}"#, token: TestPlatform.writerAuthorization)
            #expect(emptied.status == .ok)
            #expect(!(try await context.ids(b)).contains(f.id), "an out-of-stock product is never shown")
            #expect(!(try await context.ids(a)).contains(f.id))
            let restocked = try await context.send(.put, "/v1/inventory/\(f.sku)", #"{"available": 3}"#, token: TestPlatform.writerAuthorization)
            #expect(restocked.status == .ok)
            #expect(try await context.ids(b).contains(f.id), "back in stock, back in the list")

            // Deleted: gone, and its own list a 404.
            let deleted = try await context.send(.delete, "/v1/products/\(c.id)", token: TestPlatform.writerAuthorization)
            #expect(deleted.status == .noContent)
            try await RecommendationsTestPlatform.eventually("c is deleted for recommendations") {
                try await RecommendationsTestPlatform.state(of: c.id, context.database) == "deleted"
            }
            #expect(!(try await context.ids(d)).contains(c.id))
            #expect(try await context.list(c).status == .notFound)
        }
    }

    // MARK: A user's list, redelivery

    /// `/me` needs a token, leaves out what the user bought and ranks the partners of what they
    /// bought; a redelivered confirmed event (or the same order in another event) counts once.
    static func personalListsAndRedelivery(_ kind: DatabaseKind) async throws {
        try await RecommendationsTestPlatform.run(kind) { context in
            let a = try await context.product(), b = try await context.product(), c = try await context.product()
            let d = try await context.product(), x = try await context.product()
            let anonymous = try await context.send(.get, "/v1/recommendations/me")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.contentType] == "application/problem+json")
            let user = UUID.v7().lowercased
            let token = try await context.customer(user)
            expectBadParameter(try await context.send(.get, "/v1/recommendations/me?limit=100", token: token), "limit")

            try await context.confirm([a, b], user: user)
            try await context.confirm([a, c])
            try await context.confirm([b, c])
            try await context.confirm([b, d])
            try await context.confirm([x])
            try await context.confirm([x])
            let mine = try await context.send(.get, "/v1/recommendations/me", token: token)
            #expect(mine.status == .ok)
            #expect(mine.headers[.cacheControl] == "no-store", "a user's list is private")
            let listed = items(mine).map { ($0["id"] as? String ?? "", $0["reason"] as? String ?? "") }
            // c: bought with a and with b (0.5 + 0.41) beats d: bought with b (0.58); then x, popular.
            #expect(listed.map(\.0) == [c.id, d.id, x.id], "\(String(buffer: mine.body))")
            #expect(listed.map(\.1) == ["bought_together", "bought_together", "popular"])
            // A new purchase of the user is left out at the next request.
            try await context.confirm([c], user: user)
            #expect(items(try await context.send(.get, "/v1/recommendations/me", token: token)).compactMap { $0["id"] as? String } == [d.id, x.id])
            let stranger = try await context.send(.get, "/v1/recommendations/me?limit=2", token: try await context.customer())
            #expect(items(stranger).compactMap { $0["id"] as? String } == [b.id, c.id].sorted(), "no purchases: the shop's most bought (3 orders each)")

            // The same event twice: counted once; the same order in a new event: counted once.
            let before = (purchases: try await context.purchases(), a: try await context.orders(of: a), d: try await context.orders(of: d))
            let listBefore = String(buffer: try await context.list(a).body)
            let event = try await context.confirm([a, d])
            try await context.publish(event)
            var replayed = event
            replayed.id = UUID.v7().lowercased
            try await context.publish(replayed)
            #expect(try await context.purchases() == before.purchases + 1)
            #expect(try await context.orders(of: a) == before.a + 1)
            #expect(try await context.orders(of: d) == before.d + 1)
            let pair = try await context.count("SELECT orders AS n FROM recs_pairs WHERE product_id = '\(a.id)' AND partner_id = '\(d.id)'")
            #expect(pair == 1)
            #expect(String(buffer: try await context.list(a).body) != listBefore, "the order counted")
        }
    }

    // MARK: Cache

    /// A list is served from the cache, and a new order containing the product is in its next
    /// list (with Redis as the cache's second level when given).
    static func cacheInvalidation(_ kind: DatabaseKind, redis: String? = nil) async throws {
        // L1 kept for the cache's TTL (60 s) rather than 5 s, so that what the test sees comes from the cache.
        var extra = ["cache.l1TTL": "600"]
        if let redis { extra["redis.url"] = redis }
        try await RecommendationsTestPlatform.run(kind, extra: extra) { context in
            let a = try await context.product(), b = try await context.product(), h = try await context.product()
            try await context.confirm([a, b])
            #expect(try await context.ids(a) == [b.id])
            // A change behind the service's back (no event): the cached list does not show it.
            try await context.database.transaction { sql in
                try await sql.raw("UPDATE recs_products SET name = 'Renamed behind its back' WHERE product_id = \(bind: b.id)").run()
            }
            for _ in 0..<3 {
                let cached = try await context.list(a)
                #expect(items(cached).compactMap { $0["name"] as? String } == ["Product \(b.sku)"], "served from the cache")
            }
            try await context.confirm([a, h])
            try await context.confirm([a, h])
            let fresh = try await context.list(a)
            #expect(items(fresh).compactMap { $0["id"] as? String } == [h.id, b.id], "the next request sees the new orders")
            #expect(items(fresh).last?["name"] as? String == "Renamed behind its back", "computed again")
            #expect(try await context.ids(h) == [a.id, b.id], "and so does the partner's")
        }
    }

    // MARK: Rebuild

    /// `rebuild` recomputes every count from the recorded purchases: the same lists as before.
    static func rebuildGivesTheSameLists(_ kind: DatabaseKind) async throws {
        try await RecommendationsTestPlatform.run(kind) { context in
            let (products, users) = try await purchaseLog(context)
            let before = try await snapshot(context, products, users)
            let pairs = try await context.count("SELECT COUNT(*) AS n FROM recs_pairs")
            try await context.database.transaction { sql in
                try await sql.raw("DELETE FROM recs_pairs").run()
                try await sql.raw("UPDATE recs_products SET purchases = 0").run()
            }
            let progress = RebuildProgress()
            #expect(try await context.service.rebuild { progress.record($0, $1) } == 12)
            #expect(progress.lines == ["12/12"])
            #expect(try await context.count("SELECT COUNT(*) AS n FROM recs_pairs") == pairs)
            #expect(try await snapshot(context, products, users) == before)
        }
    }

    /// Twelve orders of six products by three users.
    static func purchaseLog(_ context: Context) async throws -> (products: [Product], users: [String]) {
        var products: [Product] = []
        for _ in 0..<6 { products.append(try await context.product()) }
        let users = (0..<3).map { _ in UUID.v7().lowercased }
        let orders = [[0, 1], [0, 1, 2], [1, 2], [3, 4], [3, 4, 5], [0, 5], [2], [4], [1, 3], [0, 1], [5, 2], [4, 0]]
        for (index, order) in orders.enumerated() {
            try await context.confirm(order.map { products[$0] }, user: users[index % users.count])
        }
        return (products, users)
    }

    /// Every product's list and every user's, as the API answers them: one line per list of
    /// `id reason score` items.
    static func snapshot(_ context: Context, _ products: [Product], _ users: [String]) async throws -> [String] {
        func line(_ response: TestResponse) -> String {
            #expect(response.status == .ok)
            return items(response).map { item in
                "\(item["id"] as? String ?? "?") \(item["reason"] as? String ?? "?") \((item["score"] as? NSNumber)?.doubleValue ?? -1)"
            }.joined(separator: ", ")
        }
        var lists: [String] = []
        for product in products {
            lists.append(line(try await context.list(product, limit: 50)))
        }
        for user in users {
            lists.append(line(try await context.send(.get, "/v1/recommendations/me?limit=50", token: try await context.customer(user))))
        }
        return lists
    }

    // MARK: End to end

    /// A real checkout's confirmed order reaches the lists; no service calls the
    /// recommendations service (a checkout never waits for it).
    static func checkoutFeedsTheLists(_ kind: DatabaseKind) async throws {
        #expect(ServiceTable.standard.modules.allSatisfy { !$0.calls.contains("recommendations") && !$0.dependencies.contains("recommendations") })
        try await OrdersTestPlatform.run(kind, consumers: ["recommendations"]) { orders in
            let database = try #require(orders.platform.databases["recommendations"])
            let first = try await RecommendationsTestPlatform.product(client: orders.client, database: database, category: orders.category)
            let second = try await RecommendationsTestPlatform.product(client: orders.client, database: database, category: orders.category)
            let buyer = try await orders.buyer()
            try await orders.addToCart(buyer.token, first.sku, 1)
            try await orders.addToCart(buyer.token, second.sku, 2)
            let placed = try await orders.checkout(buyer.token, method: buyer.method)
            #expect(placed.json["status"] as? String == "confirmed", "\(String(buffer: placed.body))")
            var listed: [[String: Any]] = []
            // Until the order is applied the list may hold popular products (a fallback): wait
            // for the pair the order made, not for any list.
            try await RecommendationsTestPlatform.eventually("the confirmed order reaches the recommendations") {
                listed = items(try await orders.send(.get, "/v1/recommendations/products/\(first.id)"))
                return listed.contains { $0["reason"] as? String == "bought_together" }
            }
            #expect(listed.first?["id"] as? String == second.id)
            #expect(listed.first?["reason"] as? String == "bought_together")
            #expect((listed.first?["score"] as? NSNumber)?.doubleValue == 1)
            let mine = try await orders.send(.get, "/v1/recommendations/me", token: buyer.token)
            #expect(items(mine).isEmpty, "the buyer bought both: nothing else to show")
        }
    }
}

/// Progress lines reported by a rebuild.
final class RebuildProgress: Sendable {
    private let storage = Mutex<[String]>([])
    func record(_ done: Int, _ total: Int) { storage.withLock { $0.append("\(done)/\(total)") } }
    var lines: [String] { storage.withLock { $0 } }
}

@Suite("Recommendations API on SQLite")
struct RecommendationsAPISQLiteTests {
    @Test func productLists() async throws { try await RecommendationsAPIContract.productLists(.sqlite) }
    @Test func personalListsAndRedelivery() async throws { try await RecommendationsAPIContract.personalListsAndRedelivery(.sqlite) }
    @Test func cacheInvalidation() async throws { try await RecommendationsAPIContract.cacheInvalidation(.sqlite) }
    @Test func rebuildGivesTheSameLists() async throws { try await RecommendationsAPIContract.rebuildGivesTheSameLists(.sqlite) }
    @Test func checkoutFeedsTheLists() async throws { try await RecommendationsAPIContract.checkoutFeedsTheLists(.sqlite) }

    /// The inventory in another process that does not answer: lists are served without the
    /// stock check, and the metric counts it.
    @Test func inventoryUnreachable() async throws {
        let port = try await TestPlatform.unusedPort()
        let extra = ["services": "auth,catalog,recommendations", "services.inventory.url": "http://127.0.0.1:\(port)"]
        try await RecommendationsTestPlatform.run(.sqlite, extra: extra) { context in
            let a = try await context.product(stock: nil), b = try await context.product(stock: nil)
            try await context.confirm([a, b])
            for _ in 0..<2 {
                let response = try await context.list(a)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                #expect(RecommendationsAPIContract.items(response).compactMap { $0["id"] as? String } == [b.id], "served without the stock check")
            }
            let metrics = String(buffer: try await context.send(.get, "/metrics").body)
            #expect(metrics.contains("recommendations_stock_check_failures_total 2"), "\(metrics.split(separator: "\n").filter { $0.contains("recommendations") })")
        }
    }

    /// `emporium recommendations rebuild` on a stopped server's data: progress, then the same
    /// lists when the server starts again.
    @Test func rebuildCommand() async throws {
        let (url, cleanup) = try await TestDatabases.makeURL(.sqlite)
        do {
            try await rebuildCommand(url)
            await cleanup()
        } catch {
            await cleanup()
            throw error
        }
    }

    func rebuildCommand(_ url: DatabaseURL) async throws {
        guard case .sqlite(let path?) = url else { throw TestFailure("an SQLite file") }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let state = Mutex<(products: [RecommendationsTestPlatform.Product], users: [String], lists: [String])>(([], [], []))
        try await RecommendationsTestPlatform.run(.sqlite, database: url) { context in
            let (products, users) = try await RecommendationsAPIContract.purchaseLog(context)
            let lists = try await RecommendationsAPIContract.snapshot(context, products, users)
            state.withLock { $0 = (products, users, lists) }
            try await context.database.transaction { sql in try await sql.raw("DELETE FROM recs_pairs").run() }
        }
        let rebuild = try CommandLineTests.run(["recommendations", "rebuild", "--data-dir", folder])
        #expect(rebuild.status == 0, "\(rebuild.error)")
        #expect(rebuild.output.contains("recommendations: 12 purchases counted"), "\(rebuild.output)")
        #expect(rebuild.error.contains("rebuilt 12/12 purchases"), "progress is reported: \(rebuild.error)")
        let (products, users, before) = state.withLock { $0 }
        try await RecommendationsTestPlatform.run(.sqlite, database: url) { context throws in
            let after = try await RecommendationsAPIContract.snapshot(context, products, users)
            #expect(after == before)
        }
    }
}

@Suite("Recommendations API on PostgreSQL", .enabled(if: TestDatabases.postgresEnabled, TestDatabases.postgresSkipReason))
struct RecommendationsAPIPostgresTests {
    static let redisURL = ProcessInfo.processInfo.environment["EMPORIUM_TEST_REDIS_URL"]

    @Test func productLists() async throws { try await RecommendationsAPIContract.productLists(.postgres) }
    @Test func personalListsAndRedelivery() async throws { try await RecommendationsAPIContract.personalListsAndRedelivery(.postgres) }
    @Test("cache invalidation, with Redis as the second level when the tests have one")
    func cacheInvalidation() async throws { try await RecommendationsAPIContract.cacheInvalidation(.postgres, redis: Self.redisURL) }
    @Test func rebuildGivesTheSameLists() async throws { try await RecommendationsAPIContract.rebuildGivesTheSameLists(.postgres) }
    @Test func checkoutFeedsTheLists() async throws { try await RecommendationsAPIContract.checkoutFeedsTheLists(.postgres) }
}
