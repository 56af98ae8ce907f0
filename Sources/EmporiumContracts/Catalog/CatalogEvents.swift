public import EmporiumCore

/// The events the catalog publishes: their type names (the broker's routing keys) and payloads.
///
/// These are public contract types. A consumer (the catalog's own search read model, a
/// recommendation or cache-purging service, a system outside Emporium) decodes them, never the
/// catalog's API resources or domain types, so the API and the events can change apart.
public enum CatalogEvents {
    /// A product was created; data: ``ProductEvent``.
    public static let productCreated = "catalog.product.created"
    /// A product's fields or variants changed; data: ``ProductEvent``, the product after the change.
    public static let productUpdated = "catalog.product.updated"
    /// A product was deleted; data: ``ProductDeletedEvent``.
    public static let productDeleted = "catalog.product.deleted"
}

/// The data of `catalog.product.created` and `catalog.product.updated`: the product's public
/// fields (ids in lower case, times in ISO 8601 UTC with milliseconds).
public struct ProductEvent: Codable, Sendable, Equatable {
    /// One variant of the product.
    public struct Variant: Codable, Sendable, Equatable {
        /// Stock-keeping unit, unique across the catalog.
        public var sku: String
        /// What distinguishes it from its siblings (`{"size": "M"}`).
        public var attributes: [String: String]
        public var price: Money

        public init(sku: String, attributes: [String: String], price: Money) {
            self.sku = sku
            self.attributes = attributes
            self.price = price
        }
    }

    public var id: String
    public var name: String
    public var description: String
    public var categoryId: String
    /// `draft`, `active` or `archived`.
    public var status: String
    public var imageUrls: [String]
    public var variants: [Variant]
    /// Grows with every change: a consumer ignores an older version arriving after a newer one.
    public var version: Int64
    public var createdAt: String
    public var updatedAt: String

    public init(
        id: String, name: String, description: String, categoryId: String, status: String, imageUrls: [String],
        variants: [Variant], version: Int64, createdAt: String, updatedAt: String
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.categoryId = categoryId
        self.status = status
        self.imageUrls = imageUrls
        self.variants = variants
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The data of `catalog.product.deleted`.
public struct ProductDeletedEvent: Codable, Sendable, Equatable {
    /// The deleted product's id (also the event's subject).
    public var id: String

    public init(id: String) {
        self.id = id
    }
}
