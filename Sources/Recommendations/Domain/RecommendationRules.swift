public import EmporiumContracts
public import EmporiumKit

/// The rules of recommendation lists, without I/O: scoring, ranking, filling up and exclusion.
///
/// **Normalisation.** Two products are scored by the cosine of their purchase vectors,
/// `co(p, q) / sqrt(n(p) · n(q))`: the orders containing both, over the geometric mean of the
/// orders containing each. A best-seller q bought with everything has a large co(p, q) with every
/// p, but its n(q) is larger still, so its score with any one product stays small; a product
/// bought mostly with p scores near 1. (Raw co-occurrence counts would put the best-sellers first
/// in every list.) See `docs/recommendations.md`.
public enum RecommendationRules {
    /// Items a list has when `limit` is not given.
    public static let defaultLimit = 10
    /// The most items one list may have.
    public static let maximumLimit = 50
    /// How many ranked products a list keeps before the stock check, so that products out of
    /// stock can be passed over and a full list still served.
    public static let candidateLimit = 2 * maximumLimit
    /// How many of a user's most recently bought products a personal list starts from.
    public static let personalSources = 20
    /// How many of a user's categories (most recent purchase first) fill a personal list.
    public static let personalCategories = 3

    /// The `limit` query parameter: ``defaultLimit`` when absent.
    /// - Throws: a 400 naming `limit` when it is not an integer from 1 to ``maximumLimit``.
    public static func limit(_ raw: String?) throws(ProblemDetails) -> Int {
        guard let raw else { return defaultLimit }
        guard let value = Int(raw), (1...maximumLimit).contains(value) else {
            throw .invalidParameter("limit", "must be an integer from 1 to \(maximumLimit)")
        }
        return value
    }

    /// The normalised co-purchase score: `co / sqrt(nP · nQ)`, 0 when a count is 0.
    public static func cosine(together: Int, ordersOfProduct: Int, ordersOfPartner: Int) -> Double {
        guard together > 0, ordersOfProduct > 0, ordersOfPartner > 0 else { return 0 }
        return Double(together) / (Double(ordersOfProduct) * Double(ordersOfPartner)).squareRoot()
    }

    /// A product's partners ranked by ``cosine(together:ordersOfProduct:ordersOfPartner:)``,
    /// highest first (ties: more orders together first, then by id).
    public static func boughtTogether(_ coPurchases: CoPurchases) -> [Recommendation] {
        let scored = coPurchases.partners.map { pair in
            (pair, cosine(together: pair.together, ordersOfProduct: coPurchases.orders, ordersOfPartner: pair.orders))
        }
        return scored.filter { $0.1 > 0 }.sorted { lhs, rhs in
            if lhs.1 != rhs.1 { return lhs.1 > rhs.1 }
            if lhs.0.together != rhs.0.together { return lhs.0.together > rhs.0.together }
            return lhs.0.partner.id < rhs.0.partner.id
        }.map { recommendation($0.0.partner, score: $0.1, reason: .boughtTogether) }
    }

    /// A user's list from what they bought: each partner of their products scored by the sum of
    /// its cosines with them, highest first (ties by id). What the user bought is left out.
    public static func boughtTogether(withAll sources: [CoPurchases], excluding bought: Set<String>) -> [Recommendation] {
        var scores: [String: (product: ListedProduct, score: Double)] = [:]
        for source in sources {
            for pair in source.partners where !bought.contains(pair.partner.id) {
                let score = cosine(together: pair.together, ordersOfProduct: source.orders, ordersOfPartner: pair.orders)
                guard score > 0 else { continue }
                scores[pair.partner.id, default: (pair.partner, 0)].score += score
            }
        }
        return scores.values.sorted { lhs, rhs in
            lhs.score != rhs.score ? lhs.score > rhs.score : lhs.product.id < rhs.product.id
        }.map { recommendation($0.product, score: $0.score, reason: .boughtTogether) }
    }

    /// Popular products, as the store ranked them (most orders in the window first).
    public static func popular(_ products: [PopularProduct]) -> [Recommendation] {
        products.filter { $0.orders > 0 }.map { recommendation($0.product, score: Double($0.orders), reason: .popular) }
    }

    /// The lists one after the other (bought together first, then the fillers), each product
    /// once at its first place, none of `excluded` (the product itself, what the user bought),
    /// at most `limit`.
    public static func merge(_ lists: [[Recommendation]], excluding excluded: Set<String>, limit: Int) -> [Recommendation] {
        var seen = excluded
        var merged: [Recommendation] = []
        for list in lists {
            for item in list where merged.count < limit && seen.insert(item.id).inserted {
                merged.append(item)
            }
        }
        return merged
    }

    /// Whether a product with `skus` is in stock: one of them has units available. An SKU the
    /// inventory does not know has none.
    public static func isInStock(skus: [String], levels: [String: StockLevel]) -> Bool {
        skus.contains { (levels[$0]?.available ?? 0) > 0 }
    }

    /// The first `limit` of `candidates` that are in stock.
    public static func inStock(_ candidates: [Recommendation], levels: [String: StockLevel], limit: Int) -> [Recommendation] {
        Array(candidates.lazy.filter { isInStock(skus: $0.skus, levels: levels) }.prefix(limit))
    }

    private static func recommendation(_ product: ListedProduct, score: Double, reason: RecommendationReason) -> Recommendation {
        Recommendation(
            id: product.id, name: product.name, categoryId: product.categoryId, skus: product.skus, score: (score * 1_000_000).rounded() / 1_000_000,
            reason: reason)
    }
}
