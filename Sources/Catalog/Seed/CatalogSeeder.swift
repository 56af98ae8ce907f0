import Logging

/// Fills an empty catalog with the ``DemoCatalog``, in batches, reporting progress.
public struct CatalogSeeder: Sendable {
    private let store: CatalogStore
    private let logger: Logger

    /// Products written per transaction.
    static let batchSize = 500

    public init(store: CatalogStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Seeds `productCount` demo products if the catalog is empty.
    /// - Parameter progress: Called after each batch with (products written, total).
    /// - Returns: whether the catalog was seeded (false when it already had data).
    @discardableResult
    public func seedIfEmpty(
        productCount: Int = DemoCatalog.defaultProductCount,
        progress: @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> Bool {
        let catalog = DemoCatalog(productCount: productCount)
        let first = min(Self.batchSize, productCount)
        guard try await store.insertIfEmpty(categories: catalog.categories, products: catalog.products(0..<first)) else {
            return false
        }
        progress(first, productCount)
        var written = first
        while written < productCount {
            let next = min(written + Self.batchSize, productCount)
            try await store.insert(products: catalog.products(written..<next))
            written = next
            progress(written, productCount)
        }
        try await store.refreshStatistics()
        logger.info("seeded demo catalog", metadata: ["products": "\(productCount)", "categories": "\(catalog.categories.count)"])
        return true
    }
}
