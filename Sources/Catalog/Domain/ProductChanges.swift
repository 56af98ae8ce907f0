import EmporiumKit
import Foundation

/// The body of `PATCH /v1/products/{id}`: the fields to change; absent fields stay as they are.
/// `variants` replaces every variant (SKUs kept keep their identity; new ones must be free).
public struct ProductChanges: StrictJSONBody, Sendable {
    public static let knownFields: Set<String> = ["name", "description", "status", "categoryId", "imageUrls", "variants"]
    /// A description may hold several lines; every other text is one line.
    public static let multiLineFields: Set<String> = ["description"]
    /// A variant and its price have exactly these members.
    public static let knownNestedFields: [String: Set<String>] = [
        "variants": NewProduct.NewVariant.knownFields, "variants.price": ["amount", "currency"],
    ]
    public var name: String?
    public var description: String?
    public var status: String?
    public var categoryId: String?
    public var imageUrls: [String]?
    public var variants: [NewProduct.NewVariant]?

    public init(
        name: String? = nil, description: String? = nil, status: String? = nil, categoryId: String? = nil,
        imageUrls: [String]? = nil, variants: [NewProduct.NewVariant]? = nil
    ) {
        self.name = name
        self.description = description
        self.status = status
        self.categoryId = categoryId
        self.imageUrls = imageUrls
        self.variants = variants
    }
}

/// ``ProductChanges`` that passed the same rules as a new product's fields.
public struct ValidatedProductChanges: Sendable, Equatable {
    public var name: String?
    public var description: String?
    public var status: ProductStatus?
    public var categoryId: UUID?
    public var imageUrls: [String]?
    public var variants: [Variant]?

    /// The product with these changes applied, updated at `now`.
    func applied(to product: Product, now: Date) -> Product {
        var product = product
        if let name { product.name = name }
        if let description { product.description = description }
        if let status { product.status = status }
        if let categoryId { product.categoryId = categoryId }
        if let imageUrls { product.imageUrls = imageUrls }
        if let variants { product.variants = variants }
        product.updatedAt = now
        return product
    }
}

extension ProductRules {
    /// Validates `changes` with the rules for a new product's fields, throwing a 400 naming
    /// every bad field, or naming `body` when nothing would change.
    public static func validate(_ changes: ProductChanges) throws(ProblemDetails) -> ValidatedProductChanges {
        var errors: [ProblemDetails.FieldError] = [], unprocessable: [ProblemDetails.FieldError] = []
        func fail(_ field: String, _ detail: String) { errors.append(.init(field: field, detail: detail)) }
        func refuse(_ field: String, _ detail: String) { unprocessable.append(.init(field: field, detail: detail)) }
        var categoryId: UUID?
        if let raw = changes.categoryId {
            categoryId = UUID(uuidString: raw)
            if categoryId == nil { fail("categoryId", "must be a UUID") }
        }
        let validated = ValidatedProductChanges(
            name: changes.name.map { validName($0, fail) },
            description: changes.description.map { validDescription($0, fail) },
            status: changes.status.map { validStatus($0, fail) },
            categoryId: categoryId,
            imageUrls: changes.imageUrls.map { validImageURLs($0, fail) },
            variants: changes.variants.map { validVariants($0, fail, refuse) }
        )
        if changes.name == nil && changes.description == nil && changes.status == nil && changes.categoryId == nil
            && changes.imageUrls == nil && changes.variants == nil
        {
            fail("body", "must change at least one of \(ProductChanges.knownFields.sorted().joined(separator: ", "))")
        }
        try ProblemDetails.throwIfAny(invalid: errors, unprocessable: unprocessable)
        return validated
    }
}
