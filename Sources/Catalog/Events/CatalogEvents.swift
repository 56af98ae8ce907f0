import EmporiumContracts
import EmporiumCore
import Foundation

extension ProductEvent {
    /// The published form of `product`.
    init(_ product: Product) {
        self.init(
            id: product.id.lowercased, name: product.name, description: product.description,
            categoryId: product.categoryId.lowercased, status: product.status.rawValue, imageUrls: product.imageUrls,
            variants: product.variants.map { Variant(sku: $0.sku, attributes: $0.attributes, price: $0.price) },
            version: product.version, createdAt: Timestamp.format(product.createdAt), updatedAt: Timestamp.format(product.updatedAt)
        )
    }
}
