public import Foundation

/// The counter increments that a set of purchases makes, summed, so that a batch of events (or a
/// rebuild's batch of purchases) is written with one statement per table whatever its size.
///
/// - `productOrders`: n(p), the orders containing product p (all time);
/// - `pairOrders`: co(p, q), the orders containing both p and q, in both directions (p, q) and
///   (q, p), so that a product's partners are one index range;
/// - `dailyOrders`: the orders containing p per day, for the days inside the window.
public struct PurchaseTally: Sendable, Equatable {
    /// An ordered pair of products: `product`'s list holds `partner`.
    public struct Pair: Hashable, Sendable, Comparable {
        public var product: String
        public var partner: String

        public init(product: String, partner: String) {
            self.product = product
            self.partner = partner
        }

        public static func < (lhs: Pair, rhs: Pair) -> Bool {
            (lhs.product, lhs.partner) < (rhs.product, rhs.partner)
        }
    }

    /// A product on one day.
    public struct ProductDay: Hashable, Sendable, Comparable {
        public var product: String
        public var day: Int64

        public init(product: String, day: Int64) {
            self.product = product
            self.day = day
        }

        public static func < (lhs: ProductDay, rhs: ProductDay) -> Bool {
            (lhs.product, lhs.day) < (rhs.product, rhs.day)
        }
    }

    public private(set) var productOrders: [String: Int] = [:]
    public private(set) var pairOrders: [Pair: Int] = [:]
    public private(set) var dailyOrders: [ProductDay: Int] = [:]

    public init() {}

    /// The tally of `purchases`, counting popularity only for days inside `window` at `now`.
    public init(_ purchases: some Sequence<Purchase>, window: PopularityWindow, now: Date) {
        for purchase in purchases { add(purchase, window: window, now: now) }
    }

    /// Adds one purchase: each of its products once, each ordered pair of two of them once, and
    /// its day when it is inside the window.
    public mutating func add(_ purchase: Purchase, window: PopularityWindow, now: Date) {
        let products = purchase.productIds
        let day = PopularityWindow.day(of: purchase.at)
        let counted = window.contains(day: day, now: now)
        for product in products {
            productOrders[product, default: 0] += 1
            if counted { dailyOrders[ProductDay(product: product, day: day), default: 0] += 1 }
            for partner in products where partner != product {
                pairOrders[Pair(product: product, partner: partner), default: 0] += 1
            }
        }
    }

    /// Whether it changes nothing.
    public var isEmpty: Bool { productOrders.isEmpty }

    /// The products whose lists the tally changes (their co-purchase counts moved).
    public var products: [String] { productOrders.keys.sorted() }
}
