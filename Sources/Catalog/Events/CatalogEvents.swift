import EmporiumCore
import Foundation
import Messaging

/// The events the catalog publishes (type names are the broker's routing keys).
public enum CatalogEvents {
    /// A product was created; data: the product as the API shows it.
    public static let productCreated = "catalog.product.created"
    /// A product's fields or variants changed; data: the product after the change.
    public static let productUpdated = "catalog.product.updated"
    /// A product was deleted; data: `{"id"}`.
    public static let productDeleted = "catalog.product.deleted"
}

/// The payload of product events: the product's public fields.
struct ProductEventData: Codable, Sendable {
    var id: String
    var name: String
    var description: String
    var categoryId: String
    var status: String
    var imageUrls: [String]
    var variants: [Variant]
    /// Lets consumers ignore an older version arriving after a newer one.
    var version: Int64
    var createdAt: String
    var updatedAt: String

    init(_ product: Product) {
        version = product.version
        createdAt = Timestamp.format(product.createdAt)
        updatedAt = Timestamp.format(product.updatedAt)
        id = product.id.lowercased
        name = product.name
        description = product.description
        categoryId = product.categoryId.lowercased
        status = product.status.rawValue
        imageUrls = product.imageUrls
        variants = product.variants
    }
}
