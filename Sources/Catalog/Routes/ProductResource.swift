import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Foundation
import Hummingbird

/// A product as the API shows it (ids in lower case, times in ISO 8601 UTC).
struct ProductResource: Codable, Sendable, ResponseEncodable {
    var id: String
    var name: String
    var description: String
    var categoryId: String
    var status: String
    var imageUrls: [String]
    var variants: [Variant]
    var createdAt: String
    var updatedAt: String
    /// Also the `ETag` (quoted) of reads; `If-Match` on writes checks it.
    var version: Int64

    init(_ product: Product) {
        version = product.version
        id = product.id.lowercased
        name = product.name
        description = product.description
        categoryId = product.categoryId.lowercased
        status = product.status.rawValue
        imageUrls = product.imageUrls
        variants = product.variants
        createdAt = Timestamp.format(product.createdAt)
        updatedAt = Timestamp.format(product.updatedAt)
    }

    /// The product of a published event, as the API shows it (the search read model stores it).
    init(_ event: ProductEvent) {
        version = event.version
        id = event.id
        name = event.name
        description = event.description
        categoryId = event.categoryId
        status = event.status
        imageUrls = event.imageUrls
        variants = event.variants.map { Variant(sku: $0.sku, attributes: $0.attributes, price: $0.price) }
        createdAt = event.createdAt
        updatedAt = event.updatedAt
    }
}

/// A category as the API shows it.
struct CategoryResource: Codable, Sendable, ResponseEncodable {
    var id: String
    var slug: String
    var name: String
    var parentId: String?

    init(_ category: Category) {
        id = category.id.lowercased
        slug = category.slug
        name = category.name
        parentId = category.parentId?.lowercased
    }
}

/// `{"items": [...]}` for lists that are never paged.
struct ItemList<Item: Codable & Sendable>: Codable, Sendable, ResponseEncodable {
    var items: [Item]
}
