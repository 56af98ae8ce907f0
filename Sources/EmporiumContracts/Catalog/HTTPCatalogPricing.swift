public import EmporiumKit
import NIOHTTP1

/// ``CatalogPricing`` over HTTP, for a caller whose process does not run the catalog:
/// `POST /internal/v1/catalog/variants/lookup` through a ``RemoteService``.
public struct HTTPCatalogPricing: CatalogPricing {
    private let remote: RemoteService

    public init(_ remote: RemoteService) {
        self.remote = remote
    }

    public func variants(skus: [String]) async throws -> [String: SellableVariant] {
        var found: [String: SellableVariant] = [:]
        for chunk in skus.chunks(of: VariantLookup.maximumSKUs) {
            let result = try await remote.call(
                .POST, "/internal/v1/catalog/variants/lookup", body: VariantLookup(skus: chunk), as: VariantLookupResult.self)
            for variant in result.items { found[variant.sku] = variant }
        }
        return found
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements (none for an empty array).
    func chunks(of size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
