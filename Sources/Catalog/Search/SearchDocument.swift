import EmporiumCore
import EmporiumContracts
import EmporiumKit
import Foundation
import Storage

/// One product in the search read model: what filters, sorts and facets need, denormalised,
/// plus the product exactly as the API shows it.
struct SearchDocument: Sendable, Equatable {
    var productID: String
    var version: Int64
    var name: String
    var description: String
    var categoryID: String
    /// The product's category and every ancestor, for "in this category or below".
    var categoryPath: [String]
    /// The cheapest and dearest variant (minor units), and the cheapest one's currency.
    var minPrice: Int64
    var maxPrice: Int64
    var currency: String
    /// Every (attribute, value) of any variant.
    var attributes: Set<Pair>
    var createdAt: String
    /// The product as `GET /v1/products/{id}` shows it (JSON).
    var document: String

    struct Pair: Hashable, Sendable {
        var name: String
        var value: String
    }

    /// The document of an active product; nil for drafts and archived products (customers do
    /// not see them, so they are not searchable).
    /// - Parameter parents: The category tree, parent by child id.
    init?(_ product: ProductEvent, parents: [String: String]) throws {
        guard product.status == ProductStatus.active.rawValue, let cheapest = product.variants.min(by: { $0.price.amount < $1.price.amount }) else {
            return nil
        }
        productID = product.id
        version = product.version
        name = product.name
        description = product.description
        categoryID = product.categoryId
        var path = [product.categoryId]
        while let parent = parents[path[path.count - 1]], !path.contains(parent) { path.append(parent) }
        categoryPath = path
        minPrice = cheapest.price.amount
        maxPrice = product.variants.map(\.price.amount).max() ?? cheapest.price.amount
        currency = cheapest.price.currency
        attributes = Set(product.variants.flatMap { $0.attributes.map { Pair(name: $0.key, value: $0.value) } })
        createdAt = product.createdAt
        document = try JSONText.encode(ProductResource(product))
    }
}
