import Foundation

/// Why the catalog's store refused a change; nothing was written. `Routes/CatalogProblems.swift`
/// says how each is answered.
public enum CatalogError: Error, Equatable, Sendable {
    /// `field` (`categoryId`, `parentId`) names a category that does not exist.
    case unknownCategory(field: String, id: UUID)
    /// A variant's SKU belongs to another product: the SKU and the variant's index when known
    /// (nil when a concurrent writer took it between the check and the insert).
    case skuTaken(sku: String?, variantIndex: Int?)
    /// Another category has this slug.
    case slugTaken(String)
    /// The category still holds products or subcategories.
    case categoryNotEmpty(products: Int, subcategories: Int)
}
