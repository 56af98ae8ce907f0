import EmporiumContracts
import EmporiumCore
import EmporiumKit
import Foundation

/// The body of `POST /v1/products`, as the client sent it.
public struct NewProduct: StrictJSONBody, Sendable {
    public static let knownFields: Set<String> = ["name", "description", "categoryId", "status", "imageUrls", "variants"]
    /// A description may hold several lines; every other text is one line.
    public static let multiLineFields: Set<String> = ["description"]
    /// A variant and its price have exactly these members.
    public static let knownNestedFields: [String: Set<String>] = [
        "variants": NewProduct.NewVariant.knownFields, "variants.price": ["amount", "currency"],
    ]

    public var name: String
    public var description: String?
    public var categoryId: String
    public var status: String?
    public var imageUrls: [String]?
    public var variants: [NewVariant]

    public struct NewVariant: Decodable, Sendable {
        /// The members a variant of a request body may have.
        public static let knownFields: Set<String> = ["sku", "attributes", "price"]
        public var sku: String
        public var attributes: [String: String]?
        public var price: Money
    }

    public init(name: String, description: String?, categoryId: String, status: String?, imageUrls: [String]?, variants: [NewVariant]) {
        self.name = name
        self.description = description
        self.categoryId = categoryId
        self.status = status
        self.imageUrls = imageUrls
        self.variants = variants
    }
}

/// A ``NewProduct`` that passed every rule that needs no database: ready to store.
public struct ValidatedProduct: Sendable, Equatable {
    public var name: String
    public var description: String
    public var categoryId: UUID
    public var status: ProductStatus
    public var imageUrls: [String]
    public var variants: [Variant]
}

/// The catalog's input rules, without I/O: every violation is collected, each naming its field.
public enum ProductRules {
    public static let maxNameLength = 200
    public static let maxDescriptionLength = 5000
    public static let maxVariants = 100
    public static let maxImages = 20
    public static let maxAttributes = 20
    /// Upper bound of a price in minor units (10 billion in major units), well inside Int64.
    public static let maxAmount: Int64 = 1_000_000_000_000

    /// Validates `input`, returning the product to store or throwing a 400 naming every bad field.
    public static func validate(_ input: NewProduct) throws(ProblemDetails) -> ValidatedProduct {
        var errors: [ProblemDetails.FieldError] = [], unprocessable: [ProblemDetails.FieldError] = []
        func fail(_ field: String, _ detail: String) { errors.append(.init(field: field, detail: detail)) }
        func refuse(_ field: String, _ detail: String) { unprocessable.append(.init(field: field, detail: detail)) }

        let name = validName(input.name, fail)
        let description = validDescription(input.description ?? "", fail)

        let categoryId = UUID(uuidString: input.categoryId)
        if categoryId == nil { fail("categoryId", "must be a UUID") }

        let status = input.status.map { validStatus($0, fail) } ?? .draft

        let imageUrls = validImageURLs(input.imageUrls ?? [], fail)
        let variants = validVariants(input.variants, fail, refuse)

        try ProblemDetails.throwIfAny(invalid: errors, unprocessable: unprocessable)
        guard let categoryId else { throw .validation(errors) }
        return ValidatedProduct(
            name: name, description: description, categoryId: categoryId, status: status,
            imageUrls: imageUrls, variants: variants
        )
    }

    /// The image URLs; reports too many and each one that is not a web URL.
    static func validImageURLs(_ imageUrls: [String], _ fail: (String, String) -> Void) -> [String] {
        if imageUrls.count > maxImages { fail("imageUrls", "must hold at most \(maxImages) URLs") }
        for (index, url) in imageUrls.enumerated() where !isWebURL(url) {
            fail("imageUrls[\(index)]", "must be an absolute http or https URL")
        }
        return imageUrls
    }

    /// The variants; reports an empty or too long list and every bad SKU, price, currency or
    /// attribute, each by its path (`fail`), and a SKU repeated in the list (`refuse`: a 422, as
    /// the OpenAPI document cannot state that rule).
    static func validVariants(
        _ input: [NewProduct.NewVariant], _ fail: (String, String) -> Void, _ refuse: (String, String) -> Void
    ) -> [Variant] {
        if input.isEmpty { fail("variants", "must hold at least one variant") }
        if input.count > maxVariants { fail("variants", "must hold at most \(maxVariants) variants") }
        var seenSKUs: Set<String> = []
        var variants: [Variant] = []
        for (index, variant) in input.enumerated() {
            let field = "variants[\(index)]"
            if !SKU.isValid(variant.sku) {
                fail("\(field).sku", SKU.rule)
            } else if !seenSKUs.insert(variant.sku).inserted {
                refuse("\(field).sku", "duplicates another variant's SKU")
            }
            if variant.price.amount < 0 { fail("\(field).price.amount", "must not be negative") }
            if variant.price.amount > maxAmount { fail("\(field).price.amount", "must be at most \(maxAmount)") }
            if !Currency.isValid(variant.price.currency) {
                fail("\(field).price.currency", "must be an ISO 4217 currency code such as USD")
            }
            let attributes = variant.attributes ?? [:]
            if attributes.count > maxAttributes { fail("\(field).attributes", "must hold at most \(maxAttributes) attributes") }
            for (key, value) in attributes.sorted(by: { $0.key < $1.key }) {
                if key.isEmpty || key.count > 40 { fail("\(field).attributes", "names must be 1-40 characters") }
                if value.count > 100 { fail("\(field).attributes.\(key)", "must be at most 100 characters") }
            }
            variants.append(Variant(sku: variant.sku, attributes: attributes, price: variant.price))
        }
        return variants
    }

    /// The name trimmed; reports an empty or too long one.
    static func validName(_ raw: String, _ fail: (String, String) -> Void) -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty { fail("name", "must not be empty") }
        if name.count > maxNameLength { fail("name", "must be at most \(maxNameLength) characters") }
        return name
    }

    /// The description trimmed; reports a too long one.
    static func validDescription(_ raw: String, _ fail: (String, String) -> Void) -> String {
        let description = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if description.count > maxDescriptionLength { fail("description", "must be at most \(maxDescriptionLength) characters") }
        return description
    }

    /// The status named `raw`; reports an unknown one (and returns `draft` for it).
    static func validStatus(_ raw: String, _ fail: (String, String) -> Void) -> ProductStatus {
        if let status = ProductStatus(rawValue: raw) { return status }
        fail("status", "must be one of \(ProductStatus.allCases.map(\.rawValue).joined(separator: ", "))")
        return .draft
    }

    static func isWebURL(_ string: String) -> Bool {
        guard string.count <= 2048, let url = URL(string: string), let scheme = url.scheme?.lowercased() else { return false }
        return (scheme == "http" || scheme == "https") && url.host?.isEmpty == false
    }
}
