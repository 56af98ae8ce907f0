import EmporiumCore
import EmporiumKit

extension CatalogError: ProblemConvertible {
    public var problem: ProblemDetails {
        switch self {
        case .unknownCategory(let field, let id):
            return .unprocessable([.init(field: field, detail: "no category has id \(id.lowercased)")])
        case .skuTaken(let sku?, let index?):
            var problem = ProblemDetails.conflict("SKU \(sku) is already used by another product.")
            problem.errors = [.init(field: "variants[\(index)].sku", detail: "is already used by another product")]
            return problem
        case .skuTaken:
            return .conflict("A variant SKU is already used by another product.")
        case .slugTaken(let slug):
            var problem = ProblemDetails.conflict("The slug \(slug) is taken by another category.")
            problem.errors = [.init(field: "slug", detail: "is taken by another category")]
            return problem
        case .categoryNotEmpty(let products, let subcategories):
            return .conflict("The category still has \(products) products and \(subcategories) subcategories: move or delete them first.")
        }
    }
}
