/// Why a product is in a list.
public enum RecommendationReason: String, Codable, Sendable, CaseIterable {
    /// Bought together with the product (or, in a user's list, with what the user bought).
    case boughtTogether = "bought_together"
    /// Among the most bought of the category (or of the shop) over the popularity window.
    case popular
}

/// One product of a list, ranked: what the API shows of it, plus its SKUs for the stock check.
public struct Recommendation: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var categoryId: String
    /// The SKUs of its variants: the product is in stock when one of them is.
    public var skus: [String]
    /// For ``RecommendationReason/boughtTogether``: the normalised co-purchase score (a product's
    /// list: cosine, 0–1; a user's: the sum over what the user bought). For
    /// ``RecommendationReason/popular``: the orders that contained it inside the window.
    public var score: Double
    public var reason: RecommendationReason

    public init(id: String, name: String, categoryId: String, skus: [String], score: Double, reason: RecommendationReason) {
        self.id = id
        self.name = name
        self.categoryId = categoryId
        self.skus = skus
        self.score = score
        self.reason = reason
    }
}

/// A shown product as the store reads it for a list.
public struct ListedProduct: Sendable, Equatable {
    public var id: String
    public var name: String
    public var categoryId: String
    public var skus: [String]

    public init(id: String, name: String, categoryId: String, skus: [String]) {
        self.id = id
        self.name = name
        self.categoryId = categoryId
        self.skus = skus
    }
}

/// A partner of a product: bought together `together` times, bought `orders` times in all.
public struct CoPurchase: Sendable, Equatable {
    public var partner: ListedProduct
    /// co(p, q): orders containing both.
    public var together: Int
    /// n(q): orders containing the partner.
    public var orders: Int

    public init(partner: ListedProduct, together: Int, orders: Int) {
        self.partner = partner
        self.together = together
        self.orders = orders
    }
}

/// A product's partners: the product's own order count n(p) and its partners.
public struct CoPurchases: Sendable, Equatable {
    /// n(p).
    public var orders: Int
    public var partners: [CoPurchase]

    public init(orders: Int, partners: [CoPurchase]) {
        self.orders = orders
        self.partners = partners
    }
}

/// A product with its orders inside the popularity window.
public struct PopularProduct: Sendable, Equatable {
    public var product: ListedProduct
    public var orders: Int

    public init(product: ListedProduct, orders: Int) {
        self.product = product
        self.orders = orders
    }
}
