import EmporiumKit
import Foundation

/// The body of `PATCH /v1/products/{id}`: the fields to change; absent fields stay as they are.
public struct ProductChanges: Decodable, Sendable {
    public var name: String?
    public var description: String?
    public var status: String?

    public init(name: String? = nil, description: String? = nil, status: String? = nil) {
        self.name = name
        self.description = description
        self.status = status
    }
}

/// ``ProductChanges`` that passed the same rules as a new product's fields.
public struct ValidatedProductChanges: Sendable, Equatable {
    public var name: String?
    public var description: String?
    public var status: ProductStatus?

    /// The product with these changes applied, updated at `now`.
    func applied(to product: Product, now: Date) -> Product {
        var product = product
        if let name { product.name = name }
        if let description { product.description = description }
        if let status { product.status = status }
        product.updatedAt = now
        return product
    }
}

extension ProductRules {
    /// Validates `changes` with the rules for a new product's fields, throwing a 400 naming
    /// every bad field, or naming `body` when nothing would change.
    public static func validate(_ changes: ProductChanges) throws(ProblemDetails) -> ValidatedProductChanges {
        var errors: [ProblemDetails.FieldError] = []
        func fail(_ field: String, _ detail: String) { errors.append(.init(field: field, detail: detail)) }
        let validated = ValidatedProductChanges(
            name: changes.name.map { validName($0, fail) },
            description: changes.description.map { validDescription($0, fail) },
            status: changes.status.map { validStatus($0, fail) }
        )
        if changes.name == nil && changes.description == nil && changes.status == nil {
            fail("body", "must change at least one of name, description, status")
        }
        guard errors.isEmpty else { throw .validation(errors) }
        return validated
    }
}
