import EmporiumContracts
import Logging
import Metrics
import Synchronization

/// Passes over products out of stock, asking the inventory (``InventoryAPI/stock(skus:)``, the
/// service itself in one process, its HTTP client otherwise) on every request: stock moves with
/// every order, so it is never cached here.
///
/// **Degradation.** When the inventory cannot be asked (down, slow, refusing), the list is served
/// without the stock check rather than failed: a warning is logged (at most one every
/// ``warningInterval`` while it lasts, so an outage does not flood the log) and
/// `recommendations_stock_check_failures_total` counts every such request. Recommendations are
/// a suggestion; an item out of stock in one is refused later by the cart, which checks stock
/// itself.
struct StockFilter: Sendable {
    /// The least time between two warnings about the inventory.
    static let warningInterval: Duration = .seconds(10)

    let inventory: any InventoryAPI
    let logger: Logger
    let failures: Counter
    private let lastWarning = LastWarning()

    init(inventory: any InventoryAPI, metrics: any MetricsFactory, logger: Logger) {
        self.inventory = inventory
        self.logger = logger
        self.failures = Counter(label: "recommendations_stock_check_failures_total", factory: metrics)
    }

    /// The first `limit` of `candidates` in stock, asking for the SKUs of a few more than
    /// needed at a time (at most ``StockLookup/maximumSKUs`` per call) until enough are found or
    /// none are left.
    func inStock(_ candidates: [Recommendation], limit: Int) async throws -> [Recommendation] {
        var kept: [Recommendation] = []
        var rest = candidates[...]
        while kept.count < limit, !rest.isEmpty {
            // The products to ask about now: those still needed and half as many again.
            var skus: [String] = []
            var taken = 0
            for candidate in rest.prefix(limit - kept.count + (limit - kept.count + 1) / 2) {
                if taken > 0 && skus.count + candidate.skus.count > StockLookup.maximumSKUs { break }
                skus += candidate.skus.prefix(StockLookup.maximumSKUs)
                taken += 1
            }
            let asked = rest.prefix(taken)
            rest = rest.dropFirst(taken)
            let levels: [String: StockLevel]
            do {
                levels = try await inventory.stock(skus: skus)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                failures.increment()
                if lastWarning.isDue(every: Self.warningInterval) {
                    logger.warning(
                        "the inventory could not be asked; serving recommendations without the stock check", metadata: ["error": "\(error)"])
                }
                return Array((kept + asked + rest).prefix(limit))
            }
            kept += RecommendationRules.inStock(Array(asked), levels: levels, limit: limit - kept.count)
        }
        return kept
    }
}

/// When the last warning was logged, shared by the copies of a ``StockFilter``.
private final class LastWarning: Sendable {
    private let at = Mutex<ContinuousClock.Instant?>(nil)

    /// Whether a warning may be logged now (none was within `interval`); if so, now is the last.
    func isDue(every interval: Duration) -> Bool {
        let now = ContinuousClock.now
        return at.withLock { last in
            if let last, now - last < interval { return false }
            last = now
            return true
        }
    }
}
