import Caching
import EmporiumContracts
import Foundation
import NIOCore
import NIOFoundationCompat

/// The lists the API serves: computed from the store with ``RecommendationRules``, kept in a
/// ``TwoLevelCache`` (this process, and Redis when configured), then checked against stock.
///
/// **Cache keys carry versions**, read from the database with each request (one indexed row):
/// a product's list is `product:<id>:<list version>:<generation>`, a user's
/// `user:<id>:<orders recorded>:<generation>`. The consumer raises a product's list version in
/// the transaction that counts an order containing it, and the generation when what lists show
/// changes (a product renamed, moved, archived, deleted) or a rebuild ran, so the next request
/// after the commit reads a new key and computes the list again, in every instance, without a
/// delete that could race a load in flight. Entries of old keys expire after
/// `recommendations.cacheTTL`, which also bounds how long fillers (popular items) and scores
/// moved by other products' orders may lag.
///
/// A cached list holds ``RecommendationRules/candidateLimit`` products before the stock check,
/// so the check can pass over those out of stock and still fill any `limit`.
struct RecommendationLists: Sendable {
    let store: RecommendationStore
    let cache: TwoLevelCache
    let stock: StockFilter
    let settings: RecommendationsSettings
    let now: @Sendable () -> Date

    /// Up to `limit` products to show with product `id`: bought together with it first, then
    /// the popular products of its category; never itself, nothing that is not active, nothing
    /// out of stock (unless the inventory cannot be asked).
    /// - Throws: ``RecommendationsError/unknownProduct(_:)`` when `id` is not an active product.
    func forProduct(_ id: String, limit: Int) async throws -> [Recommendation] {
        let id = id.lowercased()
        guard let key = try await store.productListKey(id: id), key.state == .active else { throw RecommendationsError.unknownProduct(id) }
        let candidates = try await cached("product:\(id):\(key.listVersion):\(key.generation)") {
            try await productCandidates(id, category: key.categoryId)
        }
        return try await stock.inStock(candidates, limit: limit)
    }

    /// Up to `limit` products for user `userId`: the partners of what they bought, by the sum of
    /// their scores, then the popular products of their most recent categories, then of the
    /// whole shop; never what they bought, nothing that is not active or out of stock.
    func forUser(_ userId: String, limit: Int) async throws -> [Recommendation] {
        let userId = userId.lowercased()
        let key = try await store.userListKey(userId: userId)
        let candidates = try await cached("user:\(userId):\(key.orders):\(key.generation)") {
            try await userCandidates(userId)
        }
        return try await stock.inStock(candidates, limit: limit)
    }

    /// Up to `limit` of the shop's most ordered products in the popularity window, nothing that
    /// is not active or out of stock. Cached per generation and day, so a new order shows within
    /// `recommendations.cacheTTL`.
    func popular(limit: Int) async throws -> [Recommendation] {
        let firstDay = settings.window.firstDay(now: now())
        let generation = try await store.generation()
        let candidates = try await cached("popular:\(generation):\(firstDay)") {
            RecommendationRules.popular(try await store.popular(category: nil, since: firstDay, limit: RecommendationRules.candidateLimit))
        }
        return try await stock.inStock(candidates, limit: limit)
    }

    // MARK: Computing

    private func productCandidates(_ id: String, category: String?) async throws -> [Recommendation] {
        let limit = RecommendationRules.candidateLimit
        let together = RecommendationRules.boughtTogether(try await store.coPurchases(of: id, limit: limit))
        var popular: [Recommendation] = []
        if together.count < limit, let category {
            // One more than needed: the product itself may be among them.
            popular = RecommendationRules.popular(
                try await store.popular(category: category, since: settings.window.firstDay(now: now()), limit: limit + 1))
        }
        return RecommendationRules.merge([together, popular], excluding: [id], limit: limit)
    }

    private func userCandidates(_ userId: String) async throws -> [Recommendation] {
        let limit = RecommendationRules.candidateLimit
        let bought = try await store.boughtProducts(userId: userId)
        let excluded = Set(bought.map(\.id))
        var sources: [CoPurchases] = []
        for product in bought.prefix(RecommendationRules.personalSources) {
            sources.append(try await store.coPurchases(of: product.id, limit: limit))
        }
        var lists = [RecommendationRules.boughtTogether(withAll: sources, excluding: excluded)]
        let firstDay = settings.window.firstDay(now: now())
        var categories: [String] = []
        for category in bought.compactMap(\.categoryId) where !categories.contains(category) {
            categories.append(category)
            if categories.count == RecommendationRules.personalCategories { break }
        }
        // Fillers: enough to fill the list even when every product the user bought is among them.
        let fillers = limit + excluded.count
        for category in categories where RecommendationRules.merge(lists, excluding: excluded, limit: limit).count < limit {
            lists.append(RecommendationRules.popular(try await store.popular(category: category, since: firstDay, limit: fillers)))
        }
        if RecommendationRules.merge(lists, excluding: excluded, limit: limit).count < limit {
            lists.append(RecommendationRules.popular(try await store.popular(category: nil, since: firstDay, limit: fillers)))
        }
        return RecommendationRules.merge(lists, excluding: excluded, limit: limit)
    }

    // MARK: Cache

    private func cached(_ key: String, compute: @escaping @Sendable () async throws -> [Recommendation]) async throws -> [Recommendation] {
        let bytes = try await cache.value(forKey: key, ttl: settings.cacheTTL) {
            ByteBuffer(data: try JSONEncoder().encode(try await compute()))
        }
        guard let bytes else { return [] }
        return try JSONDecoder().decode([Recommendation].self, from: bytes)
    }
}
