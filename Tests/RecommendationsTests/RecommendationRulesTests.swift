import EmporiumContracts
import EmporiumKit
import Foundation
import Recommendations
import Testing

@Suite("Recommendation rules")
struct RecommendationRulesTests {
    static func listed(_ id: String, category: String = "c1", skus: [String]? = nil) -> ListedProduct {
        ListedProduct(id: id, name: "Product \(id)", categoryId: category, skus: skus ?? ["\(id.uppercased())-1"])
    }

    static func item(_ id: String, reason: RecommendationReason = .popular, skus: [String]? = nil) -> Recommendation {
        Recommendation(id: id, name: "Product \(id)", categoryId: "c1", skus: skus ?? ["\(id.uppercased())-1"], score: 1, reason: reason)
    }

    // MARK: Normalisation

    @Test("cosine: co(p, q) / sqrt(n(p) · n(q)); 0 without orders")
    func cosine() {
        #expect(RecommendationRules.cosine(together: 4, ordersOfProduct: 4, ordersOfPartner: 4) == 1)
        #expect(RecommendationRules.cosine(together: 1, ordersOfProduct: 4, ordersOfPartner: 16) == 0.125)
        #expect(RecommendationRules.cosine(together: 0, ordersOfProduct: 4, ordersOfPartner: 4) == 0)
        #expect(RecommendationRules.cosine(together: 3, ordersOfProduct: 0, ordersOfPartner: 4) == 0)
    }

    @Test("a best-seller bought with the product more often than its real partner still ranks below it")
    func bestSellersDoNotDominate() {
        // p: 20 orders. Its partner q is in 15 of them and in 18 orders in all; the best-seller b
        // is in 18 of p's orders, but in 2,000 orders in all.
        let list = RecommendationRules.boughtTogether(CoPurchases(orders: 20, partners: [
            CoPurchase(partner: Self.listed("b"), together: 18, orders: 2_000),
            CoPurchase(partner: Self.listed("q"), together: 15, orders: 18),
        ]))
        #expect(list.map(\.id) == ["q", "b"])
        #expect(list.allSatisfy { $0.reason == .boughtTogether })
        #expect(list[0].score == 0.790569, "15 / sqrt(20 * 18), rounded to 6 places")
    }

    @Test("ties: more orders together first, then by id; nothing with a zero score")
    func ties() {
        let list = RecommendationRules.boughtTogether(CoPurchases(orders: 4, partners: [
            CoPurchase(partner: Self.listed("z"), together: 1, orders: 1),
            CoPurchase(partner: Self.listed("y"), together: 2, orders: 4),
            CoPurchase(partner: Self.listed("x"), together: 1, orders: 1),
            CoPurchase(partner: Self.listed("w"), together: 0, orders: 9),
        ]))
        #expect(list.map(\.id) == ["y", "x", "z"], "all three score 0.5")
    }

    @Test("a user's list sums the scores with each product they bought and leaves those out")
    func personal() {
        let fromA = CoPurchases(orders: 4, partners: [
            CoPurchase(partner: Self.listed("c"), together: 2, orders: 4), CoPurchase(partner: Self.listed("b"), together: 4, orders: 4),
        ])
        let fromB = CoPurchases(orders: 4, partners: [
            CoPurchase(partner: Self.listed("c"), together: 2, orders: 4), CoPurchase(partner: Self.listed("d"), together: 3, orders: 4),
            CoPurchase(partner: Self.listed("a"), together: 4, orders: 4),
        ])
        let list = RecommendationRules.boughtTogether(withAll: [fromA, fromB], excluding: ["a", "b"])
        #expect(list.map(\.id) == ["c", "d"], "c: 0.5 + 0.5 beats d: 0.75")
        #expect(list.map(\.score) == [1, 0.75])
    }

    // MARK: Exclusion and filling

    @Test("merge: bought together first, then fillers; each product once; never the excluded; at most the limit")
    func merge() {
        let together = [Self.item("b", reason: .boughtTogether), Self.item("c", reason: .boughtTogether)]
        let popular = [Self.item("a"), Self.item("c"), Self.item("d"), Self.item("e")]
        let merged = RecommendationRules.merge([together, popular], excluding: ["a"], limit: 4)
        #expect(merged.map(\.id) == ["b", "c", "d", "e"])
        #expect(merged.map(\.reason) == [.boughtTogether, .boughtTogether, .popular, .popular])
        #expect(RecommendationRules.merge([together, popular], excluding: ["a"], limit: 1).map(\.id) == ["b"])
        #expect(RecommendationRules.merge([[], popular], excluding: ["a", "c"], limit: 10).map(\.id) == ["d", "e"])
    }

    @Test("popular: most orders first as the store ranked them, the orders as the score; none without orders")
    func popular() {
        let list = RecommendationRules.popular([
            PopularProduct(product: Self.listed("a"), orders: 7), PopularProduct(product: Self.listed("b"), orders: 0),
        ])
        #expect(list.map(\.id) == ["a"])
        #expect(list.first?.score == 7)
        #expect(list.first?.reason == .popular)
    }

    @Test("in stock: one SKU with units available is enough; an SKU the inventory lacks has none")
    func stock() {
        let levels = [
            "A-1": StockLevel(sku: "A-1", available: 0, onHand: 3, reserved: 3),
            "A-2": StockLevel(sku: "A-2", available: 2, onHand: 2, reserved: 0),
            "B-1": StockLevel(sku: "B-1", available: 0, onHand: 0, reserved: 0),
        ]
        #expect(RecommendationRules.isInStock(skus: ["A-1", "A-2"], levels: levels))
        #expect(!RecommendationRules.isInStock(skus: ["B-1"], levels: levels))
        #expect(!RecommendationRules.isInStock(skus: ["C-1"], levels: levels))
        let candidates = [Self.item("a", skus: ["A-1", "A-2"]), Self.item("b", skus: ["B-1"]), Self.item("c", skus: ["C-1"])]
        #expect(RecommendationRules.inStock(candidates, levels: levels, limit: 5).map(\.id) == ["a"])
    }

    @Test("limit: 10 when absent, 1 to 50, anything else a 400 naming limit")
    func limit() throws {
        #expect(try RecommendationRules.limit(nil) == 10)
        #expect(try RecommendationRules.limit("1") == 1)
        #expect(try RecommendationRules.limit("50") == 50)
        for raw in ["0", "51", "-1", "ten", "", "2.5"] {
            let problem = #expect(throws: ProblemDetails.self) { try RecommendationRules.limit(raw) }
            #expect(problem?.status == 400)
            #expect(problem?.errors?.first?.parameter == "limit", "\(raw)")
        }
    }

    // MARK: Window

    @Test("the popularity window: whole UTC days, today included; a purchase older than the window does not count")
    func windowExpiry() throws {
        let now = try Date("2026-12-10T15:00:00Z", strategy: .iso8601)
        let window = PopularityWindow(days: 30)
        let today = PopularityWindow.day(of: now)
        #expect(PopularityWindow.day(of: try Date("2026-12-10T00:00:00Z", strategy: .iso8601)) == today)
        #expect(PopularityWindow.day(of: try Date("2026-12-09T23:59:59Z", strategy: .iso8601)) == today - 1)
        #expect(window.firstDay(now: now) == today - 29)
        #expect(window.contains(day: today - 29, now: now))
        #expect(!window.contains(day: today - 30, now: now))

        let recent = Purchase(orderId: "o1", userId: "u", productIds: ["a", "b"], at: now.addingTimeInterval(-29 * 86_400))
        let old = Purchase(orderId: "o2", userId: "u", productIds: ["a", "c"], at: now.addingTimeInterval(-31 * 86_400))
        let tally = PurchaseTally([recent, old], window: window, now: now)
        #expect(tally.dailyOrders == [
            PurchaseTally.ProductDay(product: "a", day: today - 29): 1, PurchaseTally.ProductDay(product: "b", day: today - 29): 1,
        ], "the old purchase counts for no day")
        #expect(tally.productOrders == ["a": 2, "b": 1, "c": 1], "but it still counts for co-purchases")
        // A day later the recent purchase is 30 days old: out too.
        let later = PurchaseTally([recent], window: window, now: now.addingTimeInterval(86_400))
        #expect(later.dailyOrders.isEmpty)
    }

    @Test("a tally counts each product once per order and each pair both ways")
    func tally() {
        let now = Date()
        let purchases = [
            Purchase(orderId: "O1", userId: "U", productIds: ["B", "a", "b"], at: now),
            Purchase(orderId: "o2", userId: "u", productIds: ["a", "c"], at: now),
        ]
        #expect(purchases[0].productIds == ["a", "b"], "lower case, each product once")
        let tally = PurchaseTally(purchases, window: PopularityWindow(days: 1), now: now)
        #expect(tally.productOrders == ["a": 2, "b": 1, "c": 1])
        #expect(tally.pairOrders == [
            .init(product: "a", partner: "b"): 1, .init(product: "b", partner: "a"): 1,
            .init(product: "a", partner: "c"): 1, .init(product: "c", partner: "a"): 1,
        ])
        #expect(tally.products == ["a", "b", "c"])
    }

    // MARK: Catalog events

    @Test("catalog events: an older version after a newer one changes nothing; a deletion is final")
    func catalogVersions() {
        func product(_ version: Int64, state: ProductState = .active, name: String = "Lamp") -> CatalogProduct {
            CatalogProduct(id: "P", name: name, categoryId: "C", state: state, skus: ["LAMP-1"], version: version)
        }
        #expect(CatalogProductRules.apply(product(1), over: nil) == .keep(product(1), visible: false), "a new product is in no list yet")
        #expect(CatalogProductRules.apply(product(1), over: product(2)) == .ignore)
        #expect(CatalogProductRules.apply(product(2), over: product(2)) == .ignore)
        #expect(CatalogProductRules.apply(product(3, state: .archived), over: product(2)) == .keep(product(3, state: .archived), visible: true))
        #expect(CatalogProductRules.apply(product(3), over: product(2)) == .keep(product(3), visible: false), "nothing a list shows changed")
        #expect(CatalogProductRules.apply(product(3, name: "Desk lamp"), over: product(2)) == .keep(product(3, name: "Desk lamp"), visible: true))
        #expect(CatalogProductRules.apply(product(3, state: .draft, name: "X"), over: product(2, state: .draft)) == .keep(product(3, state: .draft, name: "X"), visible: false), "never shown before or after")
        let bought = CatalogProduct(id: "p", name: "", categoryId: nil, state: .unknown, skus: [], version: 0)
        #expect(CatalogProductRules.apply(product(1), over: bought) == .keep(product(1), visible: true), "bought before the catalog told: now shown")

        var deleted = product(2)
        deleted.state = .deleted
        #expect(CatalogProductRules.delete("p", over: product(2)) == .keep(deleted, visible: true))
        #expect(CatalogProductRules.delete("p", over: deleted) == .ignore)
        #expect(CatalogProductRules.apply(product(9), over: deleted) == .ignore, "a late update never revives it")
        guard case .keep(let unseen, let visible) = CatalogProductRules.delete("q", over: nil) else { Issue.record("kept"); return }
        #expect(unseen.state == .deleted && !visible, "deleted before anything else arrived: a later creation is ignored")
    }
}
