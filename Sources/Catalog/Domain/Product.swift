import EmporiumCore
import EmporiumKit
import Foundation

/// Where a product is in its life: drafts and archived products are hidden from customers.
public enum ProductStatus: String, Codable, Sendable, CaseIterable {
    case draft
    case active
    case archived
}

/// A sellable variant of a product: one SKU with its attributes and price.
public struct Variant: Codable, Sendable, Equatable {
    /// Stock-keeping unit, unique across the catalog (`TSHIRT-RED-M`).
    public var sku: String
    /// What distinguishes it from its siblings (`{"size": "M", "colour": "red"}`).
    public var attributes: [String: String]
    public var price: Money

    public init(sku: String, attributes: [String: String], price: Money) {
        self.sku = sku
        self.attributes = attributes
        self.price = price
    }
}

/// A product of the catalog's write model.
public struct Product: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var description: String
    public var categoryId: UUID
    public var status: ProductStatus
    public var imageUrls: [String]
    public var variants: [Variant]
    public var createdAt: Date
    public var updatedAt: Date
    /// 1 when created, one more with every change: the `ETag` of reads, checked by `If-Match`.
    public var version: Int64

    public init(
        id: UUID, name: String, description: String, categoryId: UUID, status: ProductStatus,
        imageUrls: [String], variants: [Variant], createdAt: Date, updatedAt: Date, version: Int64 = 1
    ) {
        self.version = version
        self.id = id
        self.name = name
        self.description = description
        self.categoryId = categoryId
        self.status = status
        self.imageUrls = imageUrls
        self.variants = variants
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A node of the category tree.
public struct Category: Codable, Sendable, Equatable {
    public var id: UUID
    /// URL-friendly unique name (`mens-shoes`).
    public var slug: String
    public var name: String
    /// The parent category, nil for a top-level one.
    public var parentId: UUID?

    public init(id: UUID, slug: String, name: String, parentId: UUID?) {
        self.id = id
        self.slug = slug
        self.name = name
        self.parentId = parentId
    }
}
