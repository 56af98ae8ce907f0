import EmporiumContracts
import EmporiumKit
import Messaging

/// What each change purges from the edge cache (docs/caching.md): the surrogate keys of every
/// cached answer that showed the changed data. Rules only; ``CatalogService`` hands the keys to
/// the process's ``EdgePurger`` from its subscription to these events.
enum EdgePurges {
    /// The events that change what the edge keeps: the catalog's products, and the stock
    /// changes that take a product into or out of the recommendation lists (which show products
    /// in stock only).
    static let events: Set<String> = [
        CatalogEvents.productCreated, CatalogEvents.productUpdated, CatalogEvents.productDeleted,
        InventoryEvents.stockAdjusted, InventoryEvents.stockLow,
    ]

    /// The keys `event` purges.
    static func keys(for event: CloudEvent) -> [String] {
        switch event.type {
        case CatalogEvents.productCreated, CatalogEvents.productUpdated:
            guard let product = try? event.payload(as: ProductEvent.self) else { return [SurrogateKey.products, SurrogateKey.recommendations] }
            return [SurrogateKey.product(product.id), SurrogateKey.category(product.categoryId), SurrogateKey.products, SurrogateKey.recommendations]
        case CatalogEvents.productDeleted:
            return (event.subject.map { [SurrogateKey.product($0)] } ?? []) + [SurrogateKey.products, SurrogateKey.recommendations]
        case InventoryEvents.stockAdjusted, InventoryEvents.stockLow:
            return [SurrogateKey.recommendations]
        default:
            return []
        }
    }

    /// The keys a change of category `id` purges (the tree, and lists filtered by it).
    static func category(_ id: String) -> [String] {
        [SurrogateKey.categories, SurrogateKey.category(id), SurrogateKey.products]
    }
}
