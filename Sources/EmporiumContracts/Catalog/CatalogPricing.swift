public import EmporiumCore

/// What the catalog tells the services that sell its products: each SKU's current price, its
/// product, and whether it may be sold.
///
/// The cart prices its lines with it, and orders price a checkout with it, at the moment they
/// ask: a price never comes from the client. In one process the runtime hands the caller the
/// catalog service itself; otherwise ``HTTPCatalogPricing`` calls
/// `POST /internal/v1/catalog/variants/lookup`.
public protocol CatalogPricing: Sendable {
    /// The SKUs of `skus` that exist, with their current price and product (drafts and archived
    /// products included, flagged by ``SellableVariant/status``); an unknown SKU is absent from
    /// the answer. At most ``VariantLookup/maximumSKUs`` SKUs per call.
    /// - Throws: `ServiceUnavailableError` when the catalog cannot be reached in time.
    func variants(skus: [String]) async throws -> [String: SellableVariant]
}

/// One SKU as the catalog sells it now.
public struct SellableVariant: Codable, Sendable, Equatable {
    public var sku: String
    /// The product's id, lower case.
    public var productId: String
    /// The product's name, for cart and order lines.
    public var productName: String
    /// What distinguishes the variant from its siblings (`{"size": "M"}`).
    public var attributes: [String: String]
    /// The current unit price.
    public var price: Money
    /// The product's status: `draft`, `active` or `archived`; only `active` may be sold.
    public var status: String

    /// Whether the product may be added to a cart and checked out.
    public var isSellable: Bool { status == "active" }

    public init(sku: String, productId: String, productName: String, attributes: [String: String], price: Money, status: String) {
        self.sku = sku
        self.productId = productId
        self.productName = productName
        self.attributes = attributes
        self.price = price
        self.status = status
    }
}

/// The body of `POST /internal/v1/catalog/variants/lookup`.
public struct VariantLookup: Codable, Sendable, Equatable {
    /// The most SKUs one lookup may name.
    public static let maximumSKUs = 200
    public var skus: [String]

    public init(skus: [String]) {
        self.skus = skus
    }
}

/// The answer of `POST /internal/v1/catalog/variants/lookup`: the SKUs that exist.
public struct VariantLookupResult: Codable, Sendable, Equatable {
    public var items: [SellableVariant]

    public init(items: [SellableVariant]) {
        self.items = items
    }
}
