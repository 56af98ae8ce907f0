/// Where a product is, as far as recommendations know: only `active` products are ever shown.
public enum ProductState: String, Codable, Sendable, CaseIterable {
    /// Bought (an order named it) before the catalog's event about it arrived.
    case unknown
    case draft
    case active
    case archived
    /// The catalog deleted it: final, whatever arrives later.
    case deleted
}

/// What the recommendations service keeps of a catalog product: what a list shows of it (name,
/// category), whether it may be shown, its SKUs (for the stock check) and the catalog's version.
public struct CatalogProduct: Sendable, Equatable {
    /// Lower case.
    public var id: String
    public var name: String
    /// Nil while the catalog has not told (``ProductState/unknown``).
    public var categoryId: String?
    public var state: ProductState
    public var skus: [String]
    /// The catalog's version of the product (0 before its first event).
    public var version: Int64

    public init(id: String, name: String, categoryId: String?, state: ProductState, skus: [String], version: Int64) {
        self.id = id.lowercased()
        self.name = name
        self.categoryId = categoryId?.lowercased()
        self.state = state
        self.skus = skus
        self.version = version
    }

    /// Whether a list may show it.
    public var isShown: Bool { state == .active }
}

/// What a catalog event does to the product recommendations keep.
public enum CatalogProductChange: Sendable, Equatable {
    /// Nothing: an older (or the same) version than the one kept, or the product was deleted.
    case ignore
    /// Keep `product`; `visible` when lists may show it differently (it is or was shown, and its
    /// name, category, state or SKUs differ from what was kept), so cached lists must be dropped.
    case keep(CatalogProduct, visible: Bool)
}

/// The rules of catalog events, without I/O.
public enum CatalogProductRules {
    /// `incoming` (from `catalog.product.created` or `.updated`) over what is kept: a version
    /// older than or equal to the kept one changes nothing (events can arrive out of order), nor
    /// does anything after a deletion (ids are never reused).
    public static func apply(_ incoming: CatalogProduct, over current: CatalogProduct?) -> CatalogProductChange {
        // A product never kept was never bought (a purchase keeps its products): no list holds it.
        guard let current else { return .keep(incoming, visible: false) }
        guard current.state != .deleted, incoming.version > current.version else { return .ignore }
        let changed = current.name != incoming.name || current.categoryId != incoming.categoryId || current.state != incoming.state
            || current.skus != incoming.skus
        return .keep(incoming, visible: changed && (current.isShown || incoming.isShown))
    }

    /// `catalog.product.deleted` of `id` over what is kept: the product is never shown again.
    public static func delete(_ id: String, over current: CatalogProduct?) -> CatalogProductChange {
        if current?.state == .deleted { return .ignore }
        var deleted = current ?? CatalogProduct(id: id, name: "", categoryId: nil, state: .deleted, skus: [], version: 0)
        deleted.state = .deleted
        return .keep(deleted, visible: current?.isShown == true)
    }
}
